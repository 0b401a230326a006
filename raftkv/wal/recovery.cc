#include "raftkv/wal/recovery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "raftkv/wal/file_util.h"
#include "raftkv/wal/record.h"
#include "raftkv/wal/segment.h"

namespace raftkv::wal {
namespace {

absl::Status DataLossAt(const std::string& path, uint64_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("wal segment ", path, " at byte offset ", offset, ": ", what));
}

absl::string_view BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// Rebuilds the log from its records in the order they were written.
class LogReplayer {
 public:
  void Start(uint64_t base_index) { base_index_ = base_index; }
  uint64_t last_index() const { return base_index_ + entries_.size(); }

  void ApplyHardState(raftpb::HardState hard_state) { state_.hard_state = std::move(hard_state); }

  // Entries at or below the snapshot are covered by it and skipped; an entry at or below the
  // last index replaces the suffix from there on. One after last_index() + 1 is a gap: the log
  // restarts at it and FailedPrecondition says what is missing; the caller decides whether a
  // later snapshot marker makes that harmless.
  absl::Status ApplyEntry(raftpb::Entry entry) {
    uint64_t index = entry.index();
    if (index <= base_index_) return absl::OkStatus();
    absl::Status gap;
    if (index > last_index() + 1) {
      gap = absl::FailedPreconditionError(absl::StrCat("entry ", index,
                                                       " does not follow the last entry ",
                                                       last_index(), ": entries are missing"));
      entries_.clear();
      base_index_ = index - 1;
    }
    entries_.resize(index - base_index_ - 1);
    entries_.push_back(std::move(entry));
    return gap;
  }

  // Same rule as LogShape::ApplySnapshotMarker, on the entries themselves.
  void ApplySnapshotMarker(const raftpb::SnapshotMetadata& marker) {
    if (state_.snapshot && marker.index() <= state_.snapshot->index()) return;
    state_.snapshot = marker;
    uint64_t index = marker.index();
    if (index < base_index_) return;
    bool log_agrees =
        index == base_index_ || (index <= last_index() && TermAt(index) == marker.term());
    if (log_agrees) {
      entries_.erase(entries_.begin(),
                     entries_.begin() + static_cast<ptrdiff_t>(index - base_index_));
    } else {
      entries_.clear();
    }
    base_index_ = index;
  }

  RecoveredState Finish() && {
    state_.entries = std::move(entries_);
    return std::move(state_);
  }

 private:
  uint64_t TermAt(uint64_t index) const { return entries_[index - base_index_ - 1].term(); }

  uint64_t base_index_ = 0;
  std::vector<raftpb::Entry> entries_;
  RecoveredState state_;
};

// Where and why the scan of a segment stopped.
struct ScanStop {
  uint64_t offset = 0;
  bool damaged = false;  // false: a clean end (zeros or the end of the file)
  std::string why;
};

class Recoverer {
 public:
  Recoverer(const std::vector<std::string>& paths, spdlog::logger& logger)
      : paths_(paths), logger_(logger) {}

  absl::StatusOr<RecoveryResult> Run() {
    if (absl::Status s = CheckSequenceNumbers(); !s.ok()) return s;
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (absl::Status s = ScanSegment(i); !s.ok()) return s;
    }
    if (!missing_entries_.ok()) return missing_entries_;
    uint64_t snapshot_index = replayer_state_snapshot_index_;
    if (result_.initial_base_index > snapshot_index) {
      return absl::DataLossError(absl::StrCat(
          "wal segment ", paths_.front(), " starts after index ", result_.initial_base_index,
          " but the latest snapshot marker covers only up to index ", snapshot_index,
          ": earlier segments are missing"));
    }
    result_.state = std::move(replayer_).Finish();
    return std::move(result_);
  }

 private:
  absl::Status CheckSequenceNumbers() {
    for (size_t i = 0; i < paths_.size(); ++i) {
      auto name = ParseSegmentFileName(BaseName(paths_[i]));
      if (!name) return absl::InvalidArgumentError(absl::StrCat("not a segment: ", paths_[i]));
      if (i > 0 && name->sequence != result_.segments.back().sequence + 1) {
        return absl::DataLossError(
            absl::StrCat("wal segment with sequence ", result_.segments.back().sequence + 1,
                         " is missing: found ", paths_[i - 1], " followed by ", paths_[i]));
      }
      result_.segments.push_back(
          RecoveredSegment{name->sequence, name->first_index, name->first_index - 1, paths_[i]});
    }
    return absl::OkStatus();
  }

  absl::Status ScanSegment(size_t i) {
    const std::string& path = paths_[i];
    absl::StatusOr<std::string> data = ReadWholeFile(path);
    if (!data.ok()) return data.status();
    absl::StatusOr<uint64_t> offset = ApplyHeader(i, *data);
    if (!offset.ok()) return offset.status();
    ScanStop stop;
    if (absl::Status s = ApplyRecords(i, *data, *offset, &stop); !s.ok()) return s;
    bool last = i + 1 == paths_.size();
    if (!last) {
      if (stop.damaged) return DataLossAt(path, stop.offset, stop.why);
      previous_end_ = stop.offset;
      return absl::OkStatus();
    }
    return FinishLastSegment(path, *data, stop);
  }

  // Checks and applies the segment header at offset 0; returns the offset after it.
  absl::StatusOr<uint64_t> ApplyHeader(size_t i, absl::string_view data) {
    const std::string& path = paths_[i];
    DecodedRecord record;
    std::string why = "no segment header";
    if (DecodeRecordAt(data, 0, &record, &why) != DecodeOutcome::kRecord) {
      return DataLossAt(path, 0, why);
    }
    if (record.type != RecordType::kSegmentHeader) {
      return DataLossAt(path, 0, "the first record is not a segment header");
    }
    absl::StatusOr<SegmentHeader> header = DecodeSegmentHeader(record.payload);
    if (!header.ok()) return DataLossAt(path, 0, header.status().message());
    const RecoveredSegment& segment = result_.segments[i];
    if (header->sequence != segment.sequence || header->first_index != segment.first_index) {
      return DataLossAt(path, 0, "the segment header does not match the file name");
    }
    if (i == 0) {
      result_.initial_base_index = header->first_index - 1;
      replayer_.Start(result_.initial_base_index);
    } else if (header->previous_end != previous_end_) {
      return DataLossAt(paths_[i - 1], std::min(previous_end_, header->previous_end),
                        absl::StrCat("the segment's data ends at offset ", previous_end_,
                                     " but the next segment ", path, " records that it ended at ",
                                     header->previous_end, ": records were lost"));
    }
    replayer_.ApplyHardState(header->hard_state);
    if (header->snapshot) ApplyMarker(*header->snapshot);
    result_.tail_header_end = record.framed_size;
    return record.framed_size;
  }

  void ApplyMarker(const raftpb::SnapshotMetadata& marker) {
    replayer_.ApplySnapshotMarker(marker);
    replayer_state_snapshot_index_ = std::max(replayer_state_snapshot_index_, marker.index());
    if (marker.index() >= missing_up_to_) missing_entries_ = absl::OkStatus();
  }

  // A gap between entries is harmless when a later snapshot marker covers it. That happens
  // legitimately: the write that opened a segment was torn away, so the segment's entries
  // start later than its header says, and the previous segment, which held the entries in
  // between, was released behind a snapshot.
  void NoteMissingEntries(const std::string& path, uint64_t offset, const absl::Status& gap,
                          uint64_t missing_up_to) {
    if (missing_entries_.ok()) missing_entries_ = DataLossAt(path, offset, gap.message());
    missing_up_to_ = std::max(missing_up_to_, missing_up_to);
  }

  // Applies records from offset until the data ends or a record is damaged.
  absl::Status ApplyRecords(size_t i, absl::string_view data, uint64_t offset, ScanStop* stop) {
    const std::string& path = paths_[i];
    while (true) {
      DecodedRecord record;
      std::string why;
      DecodeOutcome outcome = DecodeRecordAt(data, offset, &record, &why);
      if (outcome != DecodeOutcome::kRecord) {
        *stop = ScanStop{offset, outcome == DecodeOutcome::kBad, std::move(why)};
        return absl::OkStatus();
      }
      absl::Status s = ApplyRecord(record, &result_.segments[i]);
      if (absl::IsFailedPrecondition(s)) {
        NoteMissingEntries(path, offset, s, replayer_.last_index() - 1);
      } else if (!s.ok()) {
        return DataLossAt(path, offset, s.message());
      }
      offset += record.framed_size;
    }
  }

  absl::Status ApplyRecord(const DecodedRecord& record, RecoveredSegment* segment) {
    const auto size = static_cast<int>(record.payload.size());
    switch (record.type) {
      case RecordType::kEntry: {
        raftpb::Entry entry;
        if (!entry.ParseFromArray(record.payload.data(), size)) {
          return absl::InvalidArgumentError("unparsable entry record");
        }
        segment->max_index = std::max(segment->max_index, entry.index());
        return replayer_.ApplyEntry(std::move(entry));
      }
      case RecordType::kHardState: {
        raftpb::HardState hard_state;
        if (!hard_state.ParseFromArray(record.payload.data(), size)) {
          return absl::InvalidArgumentError("unparsable hard state record");
        }
        replayer_.ApplyHardState(std::move(hard_state));
        return absl::OkStatus();
      }
      case RecordType::kSnapshotMarker: {
        raftpb::SnapshotMetadata marker;
        if (!marker.ParseFromArray(record.payload.data(), size)) {
          return absl::InvalidArgumentError("unparsable snapshot marker record");
        }
        ApplyMarker(marker);
        return absl::OkStatus();
      }
      default:
        return absl::InvalidArgumentError("a segment header in the middle of a segment");
    }
  }

  // The last segment may end in a torn write. It is one only if no later write survived:
  // a write that completed after the damaged one would mean the damaged data had been
  // synced, so it is corruption, not a tear.
  absl::Status FinishLastSegment(const std::string& path, absl::string_view data,
                                 const ScanStop& stop) {
    if (std::optional<uint64_t> later = FindBatchStartAfter(data, stop.offset)) {
      std::string what = stop.damaged ? stop.why : "zeroed record";
      return DataLossAt(path, stop.offset,
                        absl::StrCat(what, "; an intact write follows at byte offset ", *later,
                                     ", so this is not a torn tail"));
    }
    result_.tail_end = stop.offset;
    result_.tail_garbage_end = EndOfNonZeroData(data, stop.offset);
    if (stop.damaged) {
      logger_.warn("wal: cutting torn tail of {} at byte offset {} ({} bytes): {}", path,
                   stop.offset, result_.tail_garbage_end - stop.offset, stop.why);
    } else if (result_.tail_garbage_end > stop.offset) {
      logger_.warn("wal: zeroing {} stray bytes after the end of {} at byte offset {}",
                   result_.tail_garbage_end - stop.offset, path, stop.offset);
    }
    return absl::OkStatus();
  }

  // The offset of the first valid batch-start record after offset, if any.
  static std::optional<uint64_t> FindBatchStartAfter(absl::string_view data, uint64_t offset) {
    for (uint64_t candidate = offset + kRecordAlignment;
         candidate + kRecordHeaderSize <= data.size(); candidate += kRecordAlignment) {
      // Cheap filter before the checksum: a batch start has its flag set and a known type.
      auto flags = static_cast<uint8_t>(data[candidate + 5]);
      auto type = static_cast<uint8_t>(data[candidate + 4]);
      if (flags != kFlagBatchStart || type < static_cast<uint8_t>(RecordType::kEntry) ||
          type > static_cast<uint8_t>(RecordType::kSnapshotMarker)) {
        continue;
      }
      DecodedRecord record;
      std::string why;
      if (DecodeRecordAt(data, candidate, &record, &why) == DecodeOutcome::kRecord) {
        return candidate;
      }
    }
    return std::nullopt;
  }

  static uint64_t EndOfNonZeroData(absl::string_view data, uint64_t from) {
    uint64_t end = data.size();
    while (end > from && data[end - 1] == 0)
      --end;
    return end;
  }

  const std::vector<std::string>& paths_;
  spdlog::logger& logger_;
  LogReplayer replayer_;
  uint64_t replayer_state_snapshot_index_ = 0;
  // The first gap between entries not yet covered by a snapshot marker, and the highest index
  // any gap lost.
  absl::Status missing_entries_;
  uint64_t missing_up_to_ = 0;
  uint64_t previous_end_ = 0;
  RecoveryResult result_;
};

}  // namespace

absl::StatusOr<RecoveryResult> RecoverSegments(const std::vector<std::string>& paths,
                                               spdlog::logger& logger) {
  return Recoverer(paths, logger).Run();
}

}  // namespace raftkv::wal

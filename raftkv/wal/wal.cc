#include "raftkv/wal/wal.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "raftkv/wal/record.h"
#include "raftkv/wal/segment.h"
#include "spdlog/spdlog.h"

namespace raftkv::wal {
namespace {

constexpr char kLockFileName[] = "LOCK";
constexpr size_t kZeroChunk = 1 << 20;

absl::StatusOr<UniqueFd> LockDirectory(const std::string& dir) {
  std::string path = JoinPath(dir, kLockFileName);
  absl::StatusOr<UniqueFd> fd = OpenFile(path, O_RDWR | O_CREAT);
  if (!fd.ok()) return fd.status();
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat("wal ", dir, " is in use by another Wal"));
    }
    return ErrnoStatus(errno, "flock", path);
  }
  return fd;
}

absl::Status WriteZeros(int fd, uint64_t from, uint64_t to, const std::string& path) {
  const std::string zeros(static_cast<size_t>(std::min<uint64_t>(kZeroChunk, to - from)), '\0');
  for (uint64_t offset = from; offset < to; offset += zeros.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), to - offset));
    absl::Status s =
        WriteAllAt(fd, absl::string_view(zeros).substr(0, n), static_cast<off_t>(offset), path);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Segment paths in sequence order; removes segments a crash left half-created.
absl::StatusOr<std::vector<std::string>> ListSegments(const std::string& dir,
                                                      spdlog::logger& logger) {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  std::vector<std::string> paths;
  for (const std::string& name : *names) {
    if (absl::EndsWith(name, absl::StrCat(".wal", kTempSuffix))) {
      std::string path = JoinPath(dir, name);
      logger.info("wal: removing half-created segment {}", path);
      if (absl::Status s = RemoveFile(path); !s.ok()) return s;
    } else if (ParseSegmentFileName(name)) {
      paths.push_back(JoinPath(dir, name));
    }
  }
  return paths;
}

bool SameHardState(const raftpb::HardState& a, const raftpb::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

}  // namespace

Wal::Wal(PrivateTag, std::string dir, WalOptions options, UniqueFd lock)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()),
      lock_(std::move(lock)) {}

Wal::~Wal() = default;

absl::StatusOr<Wal::Opened> Wal::Open(const std::string& dir, WalOptions options) {
  if (options.segment_bytes < 4096) {
    return absl::InvalidArgumentError("wal segment_bytes must be at least 4096");
  }
  if (absl::Status s = CreateDirectories(dir); !s.ok()) return s;
  absl::StatusOr<UniqueFd> lock = LockDirectory(dir);
  if (!lock.ok()) return lock.status();
  Opened opened{std::make_unique<Wal>(PrivateTag(), dir, std::move(options), std::move(*lock)), {}};
  Wal& wal = *opened.wal;
  absl::StatusOr<std::vector<std::string>> paths = ListSegments(dir, *wal.logger_);
  if (!paths.ok()) return paths.status();
  if (paths->empty()) {
    if (absl::Status s = wal.CreateFirstSegment(); !s.ok()) return s;
    wal.logger_->info("wal: created new log in {}", dir);
    return opened;
  }
  absl::StatusOr<RecoveryResult> recovery = RecoverSegments(*paths, *wal.logger_);
  if (!recovery.ok()) return recovery.status();
  if (absl::Status s = wal.ResumeAfterRecovery(*recovery); !s.ok()) return s;
  opened.state = std::move(recovery->state);
  wal.logger_->info(
      "wal: opened {}: {} segments, snapshot index {}, entries ({}, {}], term {} commit {}", dir,
      wal.segments_.size(), wal.snapshot_index(), wal.shape_.base_index(), wal.last_index(),
      opened.state.hard_state.term(), opened.state.hard_state.commit());
  return opened;
}

absl::Status Wal::CreateFirstSegment() {
  return StartSegment(0, 1);
}

absl::Status Wal::ResumeAfterRecovery(RecoveryResult& recovery) {
  const RecoveredState& state = recovery.state;
  hard_state_ = state.hard_state;
  snapshot_ = state.snapshot;
  shape_ = LogShape(snapshot_index());
  shape_.Append(state.entries);
  for (const RecoveredSegment& s : recovery.segments) {
    segments_.push_back(Segment{s.sequence, s.first_index, s.max_index, s.path});
  }
  const std::string& path = segments_.back().path;
  absl::StatusOr<UniqueFd> fd = OpenFile(path, O_RDWR);
  if (!fd.ok()) return fd.status();
  active_fd_ = std::move(*fd);
  active_header_end_ = recovery.tail_header_end;
  active_end_ = recovery.tail_end;
  if (recovery.tail_garbage_end > recovery.tail_end) {
    // Leftovers of a torn write must not be mistaken for data after the next crash.
    absl::Status s =
        WriteZeros(active_fd_.get(), recovery.tail_end, recovery.tail_garbage_end, path);
    if (s.ok()) s = SyncData(active_fd_.get(), path);
    if (!s.ok()) return s;
  }
  // A truncated segment gets its preallocation back.
  return Preallocate(active_fd_.get(), options_.segment_bytes, path);
}

absl::Status Wal::StartSegment(uint64_t sequence, uint64_t first_index) {
  SegmentHeader header{sequence, first_index, active_end_, hard_state_, snapshot_};
  std::string record;
  AppendRecord(&record, RecordType::kSegmentHeader, kFlagBatchStart, EncodeSegmentHeader(header));
  std::string path = JoinPath(dir_, SegmentFileName(sequence, first_index));
  // Built under a temporary name and renamed, so that a segment file that exists always has
  // its complete header.
  std::string temp_path = absl::StrCat(path, kTempSuffix);
  absl::StatusOr<UniqueFd> fd = OpenFile(temp_path, O_RDWR | O_CREAT | O_TRUNC);
  if (!fd.ok()) return fd.status();
  absl::Status s = FillNewSegment(fd->get(), temp_path, record);
  if (s.ok()) s = RenameFile(temp_path, path);
  if (s.ok()) s = SyncDirectory(dir_);
  if (!s.ok()) return s;
  segments_.push_back(Segment{sequence, first_index, first_index - 1, path});
  active_fd_ = std::move(*fd);
  active_header_end_ = record.size();
  active_end_ = record.size();
  active_unsynced_ = false;
  ++stats_.segments_created;
  logger_->info("wal: started segment {} (first index {})", path, first_index);
  return absl::OkStatus();
}

absl::Status Wal::FillNewSegment(int fd, const std::string& path, absl::string_view header) {
  absl::Status s = options_.preallocation == Preallocation::kZeroFill
                       ? WriteZeros(fd, 0, options_.segment_bytes, path)
                       : Preallocate(fd, options_.segment_bytes, path);
  if (s.ok()) s = WriteAllAt(fd, header, 0, path);
  if (s.ok()) s = SyncAll(fd, path);
  return s;
}

absl::Status Wal::RollOverIfFull(uint64_t next_first_index) {
  bool fits = active_end_ + buffer_.size() <= options_.segment_bytes;
  bool segment_empty = active_end_ == active_header_end_;
  if (fits || segment_empty) return absl::OkStatus();
  if (active_unsynced_) {
    if (absl::Status s = SyncData(active_fd_.get(), segments_.back().path); !s.ok()) return s;
    ++stats_.syncs;
  }
  return StartSegment(segments_.back().sequence + 1, next_first_index);
}

absl::Status Wal::WriteBuffer(bool sync) {
  const std::string& path = segments_.back().path;
  absl::Status s = WriteAllAt(active_fd_.get(), buffer_, static_cast<off_t>(active_end_), path);
  if (!s.ok()) return s;
  active_end_ += buffer_.size();
  ++stats_.writes;
  stats_.bytes_written += buffer_.size();
  active_unsynced_ = true;
  if (!sync) return absl::OkStatus();
  if (s = SyncData(active_fd_.get(), path); !s.ok()) return s;
  active_unsynced_ = false;
  ++stats_.syncs;
  return absl::OkStatus();
}

absl::Status Wal::Fail(absl::Status err) {
  failure_ = err;
  logger_->error("wal: {} failed, refusing further writes: {}", dir_, err.ToString());
  return err;
}

absl::Status Wal::Save(const raftpb::HardState* hard_state,
                       const std::vector<raftpb::Entry>& entries) {
  if (!failure_.ok()) return failure_;
  if (absl::Status s = shape_.CheckAppend(entries); !s.ok()) return s;
  bool hard_state_changed = hard_state != nullptr && !SameHardState(*hard_state, hard_state_);
  if (!hard_state_changed && entries.empty()) return absl::OkStatus();
  bool vote_changed = hard_state_changed && (hard_state->term() != hard_state_.term() ||
                                             hard_state->vote() != hard_state_.vote());
  buffer_.clear();
  uint8_t flags = kFlagBatchStart;
  for (const raftpb::Entry& entry : entries) {
    AppendMessageRecord(&buffer_, RecordType::kEntry, flags, entry);
    flags = 0;
  }
  // After the entries, so a hard state on disk never commits entries that are not.
  if (hard_state_changed) AppendMessageRecord(&buffer_, RecordType::kHardState, flags, *hard_state);

  uint64_t next_first_index = entries.empty() ? last_index() + 1 : entries.front().index();
  absl::Status s = RollOverIfFull(next_first_index);
  if (s.ok()) s = WriteBuffer(!entries.empty() || vote_changed);
  if (!s.ok()) return Fail(s);
  if (!entries.empty()) {
    shape_.Append(entries);
    segments_.back().max_index = std::max(segments_.back().max_index, entries.back().index());
  }
  if (hard_state_changed) hard_state_ = *hard_state;
  return absl::OkStatus();
}

absl::Status Wal::SaveSnapshotMarker(const raftpb::SnapshotMetadata& metadata) {
  if (!failure_.ok()) return failure_;
  if (metadata.index() == 0) return absl::InvalidArgumentError("snapshot marker at index 0");
  if (metadata.index() < snapshot_index()) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot marker at index ", metadata.index(),
                                                      " is older than the saved one at ",
                                                      snapshot_index()));
  }
  if (metadata.index() == snapshot_index()) {
    if (metadata.term() == snapshot_->term()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot marker at index ", metadata.index(), " term ", metadata.term(),
                     " conflicts with the saved one of term ", snapshot_->term()));
  }
  buffer_.clear();
  AppendMessageRecord(&buffer_, RecordType::kSnapshotMarker, kFlagBatchStart, metadata);
  absl::Status s = RollOverIfFull(last_index() + 1);
  if (s.ok()) s = WriteBuffer(/*sync=*/true);
  if (!s.ok()) return Fail(s);
  snapshot_ = metadata;
  shape_.ApplySnapshotMarker(metadata.index(), metadata.term());
  logger_->info("wal: snapshot marker at index {} term {}", metadata.index(), metadata.term());
  return absl::OkStatus();
}

absl::Status Wal::ReleaseUpTo(uint64_t covered_index) {
  if (!failure_.ok()) return failure_;
  if (covered_index > snapshot_index()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot release wal up to index ", covered_index,
                     ": the latest snapshot marker covers only up to ", snapshot_index()));
  }
  size_t released = 0;
  while (segments_.size() > 1 && segments_.front().max_index <= covered_index) {
    const Segment& segment = segments_.front();
    if (absl::Status s = RemoveFile(segment.path); !s.ok()) return Fail(s);
    logger_->info("wal: released segment {} (entries up to {})", segment.path, segment.max_index);
    segments_.pop_front();
    ++released;
  }
  if (released == 0) return absl::OkStatus();
  stats_.segments_released += released;
  if (absl::Status s = SyncDirectory(dir_); !s.ok()) return Fail(s);
  return absl::OkStatus();
}

}  // namespace raftkv::wal

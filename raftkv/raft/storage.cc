#include "raftkv/raft/storage.h"

#include "absl/strings/str_cat.h"
#include "raftkv/raft/errors.h"

namespace raftkv::raft {

MemoryStorage::MemoryStorage() : ents_(1) {}

absl::StatusOr<InitialState> MemoryStorage::GetInitialState() const {
  std::lock_guard lock(mu_);
  return InitialState{hard_state_, snapshot_.metadata().conf_state()};
}

absl::StatusOr<EntryVector> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                   uint64_t max_size) const {
  std::lock_guard lock(mu_);
  uint64_t offset = ents_[0].index();
  if (lo <= offset) return ErrCompacted();
  // The header promises ErrEntryUnavailable here, so callers can tell it from compaction.
  if (hi > LastIndexLocked() + 1) return ErrEntryUnavailable();
  EntryVector out;
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const raftpb::Entry& e = ents_[i - offset];
    size += EntrySize(e);
    if (!out.empty() && size > max_size) break;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  std::lock_guard lock(mu_);
  uint64_t offset = ents_[0].index();
  if (i < offset) return ErrCompacted();
  if (i - offset >= ents_.size()) return ErrEntryUnavailable();
  return ents_[i - offset].term();
}

uint64_t MemoryStorage::LastIndex() const {
  std::lock_guard lock(mu_);
  return LastIndexLocked();
}

uint64_t MemoryStorage::FirstIndex() const {
  std::lock_guard lock(mu_);
  return FirstIndexLocked();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::GetSnapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

void MemoryStorage::SetHardState(const raftpb::HardState& hs) {
  std::lock_guard lock(mu_);
  hard_state_ = hs;
}

absl::Status MemoryStorage::ApplySnapshot(const raftpb::Snapshot& snap) {
  std::lock_guard lock(mu_);
  if (snapshot_.metadata().index() >= snap.metadata().index()) return ErrSnapOutOfDate();
  snapshot_ = snap;
  ents_.assign(1, raftpb::Entry());
  ents_[0].set_index(snap.metadata().index());
  ents_[0].set_term(snap.metadata().term());
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::CreateSnapshot(uint64_t i,
                                                               const raftpb::ConfState* cs,
                                                               std::string data) {
  std::lock_guard lock(mu_);
  if (i <= snapshot_.metadata().index()) return ErrSnapOutOfDate();
  uint64_t offset = ents_[0].index();
  // Compacting does not move the snapshot, so i may be newer than it yet already discarded;
  // its term is unknown then (and reading it would index before ents_).
  if (i < offset) return ErrCompacted();
  if (i > LastIndexLocked()) {
    return absl::OutOfRangeError(
        absl::StrCat("snapshot ", i, " is out of bound lastindex(", LastIndexLocked(), ")"));
  }
  snapshot_.mutable_metadata()->set_index(i);
  snapshot_.mutable_metadata()->set_term(ents_[i - offset].term());
  if (cs != nullptr) *snapshot_.mutable_metadata()->mutable_conf_state() = *cs;
  snapshot_.set_data(std::move(data));
  return snapshot_;
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  std::lock_guard lock(mu_);
  uint64_t offset = ents_[0].index();
  if (compact_index <= offset) return ErrCompacted();
  if (compact_index > LastIndexLocked()) {
    return absl::OutOfRangeError(absl::StrCat(
        "compact ", compact_index, " is out of bound lastindex(", LastIndexLocked(), ")"));
  }
  uint64_t i = compact_index - offset;
  raftpb::Entry dummy;
  dummy.set_index(ents_[i].index());
  dummy.set_term(ents_[i].term());
  EntryVector kept;
  kept.reserve(ents_.size() - i);
  kept.push_back(std::move(dummy));
  for (uint64_t j = i + 1; j < ents_.size(); ++j)
    kept.push_back(std::move(ents_[j]));
  ents_ = std::move(kept);
  return absl::OkStatus();
}

absl::Status MemoryStorage::Append(EntryVector entries) {
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard lock(mu_);
  uint64_t first = FirstIndexLocked();
  uint64_t last = entries.back().index();
  if (last < first) return absl::OkStatus();  // all already compacted
  size_t skip = entries.front().index() < first ? first - entries.front().index() : 0;
  uint64_t start = entries[skip].index();
  uint64_t offset = start - ents_[0].index();
  if (offset > ents_.size()) {
    return absl::InternalError(
        absl::StrCat("missing log entry [last: ", LastIndexLocked(), ", append at: ", start, "]"));
  }
  ents_.resize(offset);
  ents_.insert(ents_.end(), std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(skip)),
               std::make_move_iterator(entries.end()));
  return absl::OkStatus();
}

}  // namespace raftkv::raft

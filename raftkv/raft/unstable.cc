#include "raftkv/raft/unstable.h"

#include <algorithm>

#include "raftkv/raft/panic.h"

namespace raftkv::raft {

std::optional<uint64_t> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->metadata().index() + 1;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->metadata().index();
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeTerm(uint64_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata().index() == i) return snapshot_->metadata().term();
    return std::nullopt;
  }
  auto last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term();
}

void Unstable::StableTo(uint64_t i, uint64_t t) {
  auto term = MaybeTerm(i);
  // Only drop entries that are still the ones the host persisted; an entry of another term at
  // the same index arrived after the Ready was taken and still needs persisting.
  if (!term || *term != t || i < offset_) return;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(i + 1 - offset_));
  offset_ = i + 1;
}

void Unstable::StableSnapTo(uint64_t i) {
  if (snapshot_ && snapshot_->metadata().index() == i) snapshot_.reset();
}

void Unstable::Restore(const raftpb::Snapshot& snap) {
  offset_ = snap.metadata().index() + 1;
  entries_.clear();
  snapshot_ = snap;
}

void Unstable::TruncateAndAppend(EntryVector ents) {
  uint64_t after = ents.front().index();
  if (after <= offset_) {
    // Replaces everything unstable: the log is truncated back to `after`.
    offset_ = after;
    entries_ = std::move(ents);
    return;
  }
  entries_.resize(std::min<uint64_t>(entries_.size(), after - offset_));
  entries_.insert(entries_.end(), std::make_move_iterator(ents.begin()),
                  std::make_move_iterator(ents.end()));
}

EntryVector Unstable::Slice(uint64_t lo, uint64_t hi) const {
  RAFT_ASSERT(lo <= hi && lo >= offset_ && hi <= offset_ + entries_.size(),
              "unstable.slice[{},{}) out of bound [{},{}]", lo, hi, offset_,
              offset_ + entries_.size());
  return EntryVector(entries_.begin() + static_cast<ptrdiff_t>(lo - offset_),
                     entries_.begin() + static_cast<ptrdiff_t>(hi - offset_));
}

}  // namespace raftkv::raft

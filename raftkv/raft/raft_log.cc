#include "raftkv/raft/raft_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raftkv/raft/errors.h"
#include "raftkv/raft/panic.h"

namespace raftkv::raft {
namespace {

uint64_t MustLastIndex(const Storage* s) {
  return s->LastIndex();
}

}  // namespace

RaftLog::RaftLog(const Storage* storage, uint64_t max_next_ents_size)
    : storage_(storage),
      unstable_(MustLastIndex(storage) + 1),
      committed_(storage->FirstIndex() - 1),
      applied_(storage->FirstIndex() - 1),
      max_next_ents_size_(max_next_ents_size) {}

std::string RaftLog::DebugString() const {
  return absl::StrCat("committed=", committed_, ", applied=", applied_,
                      ", unstable.offset=", unstable_.offset(),
                      ", len(unstable.entries)=", unstable_.entries().size());
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                             EntryVector ents) {
#if RAFTKV_RAFT_MUTATION == 4
  // Mutation 4 (simulation tests only): the previous entry's term goes unchecked.
  if (index > LastIndex()) return std::nullopt;
#else
  if (!MatchTerm(index, log_term)) return std::nullopt;
#endif
  uint64_t last_new = index + ents.size();
  uint64_t ci = FindConflict(ents);
  if (ci != 0) {
    RAFT_ASSERT(ci > committed_, "entry {} conflicts with committed entry [committed({})]", ci,
                committed_);
    uint64_t offset = index + 1;
    ents.erase(ents.begin(), ents.begin() + static_cast<ptrdiff_t>(ci - offset));
    Append(std::move(ents));
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

uint64_t RaftLog::Append(EntryVector ents) {
  if (ents.empty()) return LastIndex();
  uint64_t after = ents.front().index() - 1;
  RAFT_ASSERT(after >= committed_, "after({}) is out of range [committed({})]", after, committed_);
  unstable_.TruncateAndAppend(std::move(ents));
  return LastIndex();
}

uint64_t RaftLog::FindConflict(const EntryVector& ents) const {
  for (const auto& e : ents) {
    if (!MatchTerm(e.index(), e.term())) return e.index();
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  for (; index > 0; --index) {
    auto t = Term(index);
    // A compacted or unavailable term ends the search: the caller probes from here.
    if (!t.ok()) return {index, 0};
    if (*t <= term) return {index, *t};
  }
  return {0, 0};
}

EntryVector RaftLog::NextCommittedEntries() const {
  uint64_t off = std::max(applied_ + 1, FirstIndex());
  if (committed_ + 1 <= off) return {};
  auto ents = Slice(off, committed_ + 1, max_next_ents_size_);
  RAFT_ASSERT(ents.ok(), "unexpected error getting unapplied entries: {}",
              ents.status().ToString());
  return *std::move(ents);
}

bool RaftLog::HasNextCommittedEntries() const {
  uint64_t off = std::max(applied_ + 1, FirstIndex());
  return committed_ + 1 > off;
}

absl::StatusOr<raftpb::Snapshot> RaftLog::Snapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->GetSnapshot();
}

uint64_t RaftLog::FirstIndex() const {
  if (auto i = unstable_.MaybeFirstIndex()) return *i;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const {
  if (auto i = unstable_.MaybeLastIndex()) return *i;
  return storage_->LastIndex();
}

uint64_t RaftLog::StableLastIndex() const {
  if (unstable_.snapshot()) return storage_->LastIndex();
  return unstable_.offset() - 1;
}

uint64_t RaftLog::LastTerm() const {
  auto t = Term(LastIndex());
  RAFT_ASSERT(t.ok(), "unexpected error when getting the last term: {}", t.status().ToString());
  return *t;
}

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t i) const {
  // The valid term range is [index of dummy entry, last index].
  uint64_t dummy = FirstIndex() - 1;
  if (i < dummy || i > LastIndex()) return uint64_t{0};
  if (auto t = unstable_.MaybeTerm(i)) return *t;
  auto t = storage_->Term(i);
  if (t.ok()) return *t;
  if (IsCompacted(t.status()) || IsEntryUnavailable(t.status())) return t.status();
  Panic(absl::StrCat("raft: storage term error: ", t.status().ToString()));
}

uint64_t RaftLog::ZeroTermOnError(uint64_t i) const {
  auto t = Term(i);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(uint64_t i, uint64_t term) const {
  auto t = Term(i);
  return t.ok() && *t == term;
}

absl::StatusOr<EntryVector> RaftLog::Entries(uint64_t i, uint64_t max_size) const {
  if (i > LastIndex()) return EntryVector{};
  return Slice(i, LastIndex() + 1, max_size);
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t term) const {
  uint64_t lt = LastTerm();
  return term > lt || (term == lt && last_index >= LastIndex());
}

void RaftLog::CommitTo(uint64_t to_commit) {
  if (committed_ >= to_commit) return;  // never decrease commit
  RAFT_ASSERT(LastIndex() >= to_commit,
              "tocommit({}) is out of range [lastIndex({})]. Was the raft log corrupted, "
              "truncated, or lost?",
              to_commit, LastIndex());
  committed_ = to_commit;
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
#if RAFTKV_RAFT_MUTATION == 1
  // Mutation 1 (simulation tests only): entries of older terms commit by counting too.
  static_cast<void>(term);
  if (max_index > committed_) {
#else
  // Only entries of the current term commit by counting replicas (Raft paper, 5.4.2).
  if (max_index > committed_ && ZeroTermOnError(max_index) == term) {
#endif
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i) {
  if (i == 0) return;
  RAFT_ASSERT(committed_ >= i && i >= applied_,
              "applied({}) is out of range [prevApplied({}), committed({})]", i, applied_,
              committed_);
  applied_ = i;
}

void RaftLog::Restore(const raftpb::Snapshot& snap) {
  committed_ = snap.metadata().index();
  unstable_.Restore(snap);
}

absl::Status RaftLog::CheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  RAFT_ASSERT(lo <= hi, "invalid slice {} > {}", lo, hi);
  uint64_t fi = FirstIndex();
  if (lo < fi) return ErrCompacted();
  uint64_t length = LastIndex() + 1 - fi;
  RAFT_ASSERT(hi <= fi + length, "slice[{},{}) out of bound [{},{}]", lo, hi, fi, LastIndex());
  return absl::OkStatus();
}

absl::StatusOr<EntryVector> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_size) const {
  if (auto s = CheckOutOfBounds(lo, hi); !s.ok()) return s;
  if (lo == hi) return EntryVector{};
  EntryVector ents;
  uint64_t off = unstable_.offset();
  if (lo < off) {
    auto stored = storage_->Entries(lo, std::min(hi, off), max_size);
    if (!stored.ok()) {
      if (IsCompacted(stored.status())) return stored.status();
      Panic(absl::StrCat("raft: entries[", lo, ":", std::min(hi, off),
                         ") is unavailable from storage: ", stored.status().ToString()));
    }
    // A short read from storage means the size limit was hit: stop there.
    if (stored->size() < std::min(hi, off) - lo) return stored;
    ents = *std::move(stored);
  }
  if (hi > off) {
    EntryVector tail = unstable_.Slice(std::max(lo, off), hi);
    ents.insert(ents.end(), std::make_move_iterator(tail.begin()),
                std::make_move_iterator(tail.end()));
  }
  // Limit by size, always returning at least one entry.
  uint64_t size = 0;
  size_t n = 0;
  for (; n < ents.size(); ++n) {
    size += EntrySize(ents[n]);
    if (n > 0 && size > max_size) break;
  }
  ents.resize(n);
  return ents;
}

}  // namespace raftkv::raft

#include "raftkv/wal/wal_storage.h"

#include "absl/strings/str_cat.h"
#include "raftkv/raft/errors.h"
#include "raftkv/wal/file_util.h"

namespace raftkv::wal {

WalStorage::WalStorage(std::unique_ptr<Wal> wal, std::unique_ptr<SnapshotStore> snapshots,
                       WalStorageOptions options)
    : wal_(std::move(wal)), snapshots_(std::move(snapshots)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<WalStorage>> WalStorage::Open(const std::string& dir,
                                                             WalStorageOptions options) {
  if (options.snapshots_to_keep == 0) {
    return absl::InvalidArgumentError("snapshots_to_keep must be at least 1");
  }
  absl::StatusOr<Wal::Opened> opened =
      Wal::Open(options.wal_dir.empty() ? JoinPath(dir, "wal") : options.wal_dir, options.wal);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<std::unique_ptr<SnapshotStore>> snapshots =
      SnapshotStore::Open(JoinPath(dir, "snap"), options.wal.logger);
  if (!snapshots.ok()) return snapshots.status();
  auto storage = std::make_unique<WalStorage>(std::move(opened->wal), std::move(*snapshots),
                                              std::move(options));
  if (absl::Status s = storage->Recover(std::move(opened->state)); !s.ok()) return s;
  return storage;
}

absl::Status WalStorage::Recover(RecoveredState state) {
  uint64_t snapshot_index = state.snapshot ? state.snapshot->index() : 0;
  if (absl::Status s = snapshots_->RemoveNewerThan(snapshot_index); !s.ok()) return s;
  if (state.snapshot) {
    absl::StatusOr<raftpb::Snapshot> snapshot =
        snapshots_->Load(state.snapshot->index(), state.snapshot->term());
    if (absl::IsNotFound(snapshot.status())) {
      return absl::DataLossError(absl::StrCat(
          "the wal in ", wal_->dir(), " has a snapshot marker at index ", state.snapshot->index(),
          " term ", state.snapshot->term(), " but ", snapshots_->dir(), " has no such snapshot"));
    }
    if (!snapshot.ok()) return snapshot.status();
    if (absl::Status s = cache_.ApplySnapshot(*snapshot); !s.ok()) return s;
  }
  cache_.SetHardState(state.hard_state);
  return cache_.Append(state.entries);
}

absl::StatusOr<raft::InitialState> WalStorage::GetInitialState() const {
  return cache_.GetInitialState();
}

absl::StatusOr<raft::EntryVector> WalStorage::Entries(uint64_t lo, uint64_t hi,
                                                      uint64_t max_size) const {
  return cache_.Entries(lo, hi, max_size);
}

absl::StatusOr<uint64_t> WalStorage::Term(uint64_t i) const {
  return cache_.Term(i);
}

uint64_t WalStorage::LastIndex() const {
  return cache_.LastIndex();
}

uint64_t WalStorage::FirstIndex() const {
  return cache_.FirstIndex();
}

absl::StatusOr<raftpb::Snapshot> WalStorage::GetSnapshot() const {
  return cache_.GetSnapshot();
}

bool WalStorage::IsEmpty() const {
  absl::StatusOr<raft::InitialState> initial = cache_.GetInitialState();
  const raftpb::HardState& hs = initial->hard_state;
  return wal_->last_index() == 0 && wal_->snapshot_index() == 0 && hs.term() == 0 &&
         hs.vote() == 0 && hs.commit() == 0;
}

absl::Status WalStorage::Bootstrap(const raftpb::ConfState& conf_state, std::string data) {
  if (!IsEmpty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bootstrap ", wal_->dir(), ": it already holds raft state"));
  }
  raftpb::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(1);
  snapshot.mutable_metadata()->set_term(1);
  *snapshot.mutable_metadata()->mutable_conf_state() = conf_state;
  snapshot.set_data(std::move(data));
  return ApplySnapshot(snapshot);
}

absl::Status WalStorage::SaveReady(const raft::Ready& ready) {
  if (ready.snapshot && ready.snapshot->metadata().index() > 0) {
    if (absl::Status s = ApplySnapshot(*ready.snapshot); !s.ok()) return s;
  }
  return Append(ready.hard_state ? &*ready.hard_state : nullptr, ready.entries);
}

absl::Status WalStorage::ApplySnapshot(const raftpb::Snapshot& snapshot) {
  uint64_t index = snapshot.metadata().index();
  if (index <= wal_->snapshot_index()) return raft::ErrSnapOutOfDate();
  if (absl::Status s = PersistSnapshot(snapshot); !s.ok()) return s;
  if (absl::Status s = cache_.ApplySnapshot(snapshot); !s.ok()) return s;
  return DropObsolete(index);
}

absl::Status WalStorage::Append(const raftpb::HardState* hard_state,
                                const raft::EntryVector& entries) {
  // Like MemoryStorage::Append, entries a snapshot already covers are ignored.
  uint64_t covered = wal_->snapshot_index();
  if (!entries.empty() && entries.front().index() <= covered) {
    raft::EntryVector uncovered;
    for (const raftpb::Entry& e : entries) {
      if (e.index() > covered) uncovered.push_back(e);
    }
    return Append(hard_state, uncovered);
  }
  if (absl::Status s = wal_->Save(hard_state, entries); !s.ok()) return s;
  if (hard_state != nullptr) cache_.SetHardState(*hard_state);
  return cache_.Append(entries);
}

absl::Status WalStorage::Compact(uint64_t index, const raftpb::ConfState& conf_state,
                                 std::string data) {
  if (index <= wal_->snapshot_index()) return raft::ErrSnapOutOfDate();
  absl::StatusOr<uint64_t> term = cache_.Term(index);
  if (!term.ok()) return term.status();
  if (index > cache_.LastIndex()) return raft::ErrEntryUnavailable();
  raftpb::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(index);
  snapshot.mutable_metadata()->set_term(*term);
  *snapshot.mutable_metadata()->mutable_conf_state() = conf_state;
  snapshot.set_data(data);
  if (absl::Status s = PersistSnapshot(snapshot); !s.ok()) return s;
  absl::StatusOr<raftpb::Snapshot> cached =
      cache_.CreateSnapshot(index, &conf_state, std::move(data));
  if (!cached.ok()) return cached.status();
  const uint64_t keep_from =
      index > options_.catch_up_entries ? index - options_.catch_up_entries : 0;
  if (keep_from >= cache_.FirstIndex()) {
    if (absl::Status s = cache_.Compact(keep_from); !s.ok()) return s;
  }
  return DropObsolete(index);
}

absl::Status WalStorage::PersistSnapshot(const raftpb::Snapshot& snapshot) {
  if (absl::Status s = snapshots_->Save(snapshot); !s.ok()) return s;
  return wal_->SaveSnapshotMarker(snapshot.metadata());
}

absl::Status WalStorage::DropObsolete(uint64_t covered_index) {
  if (absl::Status s = wal_->ReleaseUpTo(covered_index); !s.ok()) return s;
  return snapshots_->PurgeKeepingNewest(options_.snapshots_to_keep);
}

}  // namespace raftkv::wal

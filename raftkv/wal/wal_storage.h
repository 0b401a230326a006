#ifndef RAFTKV_WAL_WAL_STORAGE_H_
#define RAFTKV_WAL_WAL_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftkv/raft/ready.h"
#include "raftkv/raft/storage.h"
#include "raftkv/wal/snapshot_store.h"
#include "raftkv/wal/wal.h"
#include "raftpb/raft.pb.h"

namespace raftkv::wal {

struct WalStorageOptions {
  WalOptions wal;
  // Snapshot files kept after a new one is saved (at least 1: the current one).
  size_t snapshots_to_keep = 2;
  // Where the WAL segments go; empty means dir/wal (etcd's --wal-dir, for a dedicated disk).
  std::string wal_dir;
  // Entries the cache keeps before a new snapshot's index (etcd's SnapshotCatchUpEntries), so
  // that a follower a little behind catches up from the log rather than by a whole snapshot;
  // this is what lets snapshots come often, which bounds the cached log.
  uint64_t catch_up_entries = 5000;
};

// raft::Storage backed by a Wal (dir/wal) and a SnapshotStore (dir/snap), with the live log
// cached in memory (a raft::MemoryStorage filled from the WAL at open), so a host hands it
// straight to RawNode and persists each Ready with SaveReady.
//
// Reads (the raft::Storage methods) are thread-safe and never touch the disk. The writing
// methods must be called from one thread. Each writes the disk first and updates the cache
// only once the data is durable, so raft never reads what a crash could take back.
class WalStorage : public raft::Storage {
 public:
  // Opens dir (creating it when missing), recovering the WAL and the snapshot its latest
  // marker names. Refuses (DataLoss) when that snapshot file is missing or damaged, or when the
  // WAL is (see Wal::Open). Removes snapshot files newer than the marker: a crash came between
  // writing one and recording its marker.
  static absl::StatusOr<std::unique_ptr<WalStorage>> Open(const std::string& dir,
                                                          WalStorageOptions options);

  absl::StatusOr<raft::InitialState> GetInitialState() const override;
  absl::StatusOr<raft::EntryVector> Entries(uint64_t lo, uint64_t hi,
                                            uint64_t max_size) const override;
  absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  uint64_t LastIndex() const override;
  uint64_t FirstIndex() const override;
  absl::StatusOr<raftpb::Snapshot> GetSnapshot() const override;

  // True when nothing was ever saved: a new member, to bootstrap or to join a cluster.
  // Reads the Wal, so only from the writing thread.
  bool IsEmpty() const;

  // Makes a brand-new member's initial membership durable as a snapshot at index 1, term 1
  // holding conf_state, which is how RawNode::Create learns the initial voters, and data, the
  // host's description of that snapshot. FailedPrecondition unless IsEmpty().
  absl::Status Bootstrap(const raftpb::ConfState& conf_state, std::string data = "");

  // Step 1 of handling a Ready: persists its snapshot (ApplySnapshot), then its entries and
  // hard state (Append). Returns once they are durable.
  absl::Status SaveReady(const raft::Ready& ready);

  // Persists a snapshot received from the leader (file, then WAL marker), replaces the cached
  // log with it, and releases the WAL segments and snapshot files it makes obsolete.
  // raft's ErrSnapOutOfDate when it is not newer than the current snapshot.
  absl::Status ApplySnapshot(const raftpb::Snapshot& snapshot);

  // Appends entries and the hard state (when given) in one WAL write with at most one
  // fdatasync (see Wal::Save), then caches them. Entries the snapshot already covers are
  // ignored, as MemoryStorage::Append does.
  absl::Status Append(const raftpb::HardState* hard_state, const raft::EntryVector& entries);

  // Compaction, once the state machine has durably applied index: records a snapshot at index
  // (with conf_state, the membership as of index, and data, what GetSnapshot hands a leader
  // for a lagging follower), drops cached entries older than catch_up_entries before index and
  // releases the WAL segments index covers (a restart recovers the log from index on). raft's
  // ErrSnapOutOfDate when index is not past the current snapshot.
  absl::Status Compact(uint64_t index, const raftpb::ConfState& conf_state, std::string data);

  const Wal& wal() const { return *wal_; }
  const SnapshotStore& snapshot_store() const { return *snapshots_; }

  // Construct with Open.
  WalStorage(std::unique_ptr<Wal> wal, std::unique_ptr<SnapshotStore> snapshots,
             WalStorageOptions options);

 private:
  absl::Status Recover(RecoveredState state);
  // Writes the snapshot file and then the WAL marker that makes it the current one.
  absl::Status PersistSnapshot(const raftpb::Snapshot& snapshot);
  absl::Status DropObsolete(uint64_t covered_index);

  std::unique_ptr<Wal> wal_;
  std::unique_ptr<SnapshotStore> snapshots_;
  WalStorageOptions options_;
  raft::MemoryStorage cache_;
};

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_WAL_STORAGE_H_

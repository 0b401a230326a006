#ifndef RAFTKV_MVCC_STORE_H_
#define RAFTKV_MVCC_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"
#include "raftkv/mvcc/encoding.h"
#include "raftkv/mvcc/watch_hub.h"

namespace rocksdb {
class Cache;
class ColumnFamilyHandle;
struct ColumnFamilyOptions;
class DB;
class Iterator;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace raftkv::mvcc {

// The raft position the state machine reflects: every entry up to `index` is applied.
struct AppliedIndex {
  uint64_t index = 0;
  uint64_t term = 0;
};

struct StoreOptions {
  std::string dir;  // created if missing; a checkpoint directory opens as-is
  WatchHubOptions watch;
  size_t block_cache_bytes = 32 << 20;
  size_t kv_write_buffer_bytes = 32 << 20;
  // LZ4 for values in the bottommost level. Pays off for text-like values (Kubernetes JSON
  // shrinks ~3x); costs a decompression per uncached block read for incompressible ones.
  bool compress_values = true;
  // After a compaction that deleted at least a tenth of all versions, ask RocksDB to compact
  // the touched key span so the space is returned promptly instead of whenever the LSM gets
  // to it.
  bool reclaim_space_after_compaction = true;
};

// etcd's HashKV answer: a hash of the key space as of `revision`, the same on every member
// that applied the same log whatever state its physical compaction is in.
struct HashKVResult {
  uint32_t hash = 0;
  int64_t current_revision = 0;
  int64_t compact_revision = 0;
};

class ApplyBatch;

// The replicated state machine: etcd v3 MVCC semantics on RocksDB.
//
// Column families (layouts in encoding.h):
//   kv    user key + inverted revision -> version record (value stored once, here)
//   latest user key -> newest version's revision, create revision, version, lease (live keys)
//   rev   revision -> user key: history in revision order, for watchers and compaction
//   lease lease id + user key -> "": keys attached to each lease now
//   meta  applied index/term, current revision, compact revision, finished compaction
// Why keys first rather than etcd's revision-first bucket plus in-memory index: reads at the
// current revision (nearly all of them) become one seek per key or a sequential walk, no
// index has to be rebuilt in memory at start-up, and a checkpoint is complete as it is.
//
// Durability: writes go with RocksDB's WAL disabled. The raft log is already the write-ahead
// log of the state machine, so logging the same bytes a second time would halve write
// bandwidth for nothing. The price: a crash loses memtable contents, so the store comes back
// at an older applied index, and the member replays the raft log from there. That is safe
// because each batch records its applied index atomically with its data and atomic_flush
// makes every flush a consistent cut across column families. The member must not truncate
// its raft log past durable_applied(), which Flush() and CreateCheckpoint() advance
// (RocksDB's own background flushes persist more, but are not counted: conservative).
//
// Threads: reads (Range, HashKV, KeysWithLease, Watch, revisions) from any thread, at a
// point in time, never blocking writes. Writes only through ApplyBatch, from one apply thread.
class Store : public EventHistory {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);
  // Stops background work and flushes memtables, so a clean shutdown loses nothing.
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Starts a batch of committed entries. At most one batch at a time, on the apply thread.
  ApplyBatch BeginApply();

  // A Range at a consistent point: the current revision unless request.revision is set.
  // Errors: ErrFutureRev, ErrCompacted.
  absl::StatusOr<etcdserverpb::RangeResponse> Range(
      const etcdserverpb::RangeRequest& request) const;

  // etcd's HashKV: revision 0 means current. ErrCompacted if 0 < revision <= compact
  // revision, ErrFutureRev if above the current revision.
  absl::StatusOr<HashKVResult> HashKV(int64_t revision) const;

  // The keys attached to `lease` at the current revision (for lease revocation).
  absl::StatusOr<std::vector<std::string>> KeysWithLease(int64_t lease) const;

  // Watches (see WatchHub::Watch).
  std::shared_ptr<Watcher> Watch(WatchOptions options, std::function<void()> on_ready);
  void CancelWatch(int64_t watcher_id);
  WatchHub& watch_hub() { return *hub_; }

  int64_t CurrentRevision() const override;
  int64_t CompactRevision() const override;
  absl::StatusOr<HistoryChunk> ReadHistory(const KeyRange& range, int64_t from, int64_t to,
                                           bool prev_kv, size_t max_bytes) const override;

  AppliedIndex applied() const;
  // The applied index that would survive a crash now (what the last flush persisted).
  AppliedIndex durable_applied() const;
  // Persists everything applied so far (atomic flush of all column families).
  absl::Status Flush();

  // Writes a RocksDB checkpoint of the state machine to `dir` (which must not exist) that
  // Store::Open accepts as-is: the raft snapshot payload. Called on the apply thread between
  // batches, the checkpoint holds exactly applied(); called from another thread while batches
  // are written, it holds at least the applied() of when it started (each batch is in it
  // whole or not at all). Not while RestoreFromCheckpoint runs. Hard-links files where
  // possible.
  absl::Status CreateCheckpoint(const std::string& dir);

  // Blocks until physical compaction has processed revisions up to `revision` (what etcd's
  // CompactionRequest.physical waits for).
  void WaitForCompaction(int64_t revision) const;

  // Bytes of live SST and memtable data, for tests and benchmarks.
  uint64_t ApproximateDiskBytes() const;
  // Full manual compaction of every column family (benchmarks, tests).
  absl::Status CompactAllForTesting();
  // Rewrites the database compactly (etcd's Defragment): a full compaction of every family.
  absl::Status Defragment() { return CompactAllForTesting(); }

  // Auxiliary records the server keeps with the state machine (leases, alarms), so they are
  // in every checkpoint and consistent with the applied index. Written via ApplyBatch.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanAux(
      std::string_view prefix) const;

  // Replaces the whole state machine with the checkpoint in checkpoint_dir (a snapshot from
  // the leader), in place: readers wait while it happens and watchers then catch up from the
  // new history. Call on the apply thread. The checkpoint directory is left as it is.
  absl::Status RestoreFromCheckpoint(const std::string& checkpoint_dir);
  // Records `applied` as the applied index without changing data: for a state machine that
  // starts a new raft log (restored from a snapshot file, or the bootstrap snapshot).
  absl::Status ResetAppliedIndex(AppliedIndex applied);

 private:
  friend class ApplyBatch;
  struct ConstructionKey {};  // Open is the only way in, but make_unique needs the constructor

 public:
  Store(StoreOptions options, ConstructionKey);

 private:
  absl::Status OpenDb();
  rocksdb::ColumnFamilyOptions KvFamilyOptions() const;
  absl::Status LoadMeta();
  // Records that a flush persisted everything up to `applied` (never moves backwards).
  void MarkDurable(AppliedIndex applied);
  // A single-key Range at the current revision through "latest": nullopt when that cannot
  // answer it (the key is missing, or changed by a batch not yet published).
  absl::StatusOr<std::optional<etcdserverpb::RangeResponse>> PointRangeAtCurrent(
      const etcdserverpb::RangeRequest& request, int64_t current_revision) const;
  // Called by ApplyBatch::Commit after its write.
  void Publish(int64_t revision, int64_t compact_revision, AppliedIndex applied,
               const std::vector<mvccpb::Event>& events);
  void CompactorLoop();
  absl::Status CompactPhysically(int64_t from_revision, int64_t to_revision);
  // Deletes what compaction to `compact_revision` frees among `keys`' versions; returns how
  // many versions went.
  absl::StatusOr<uint64_t> CompactKeys(const std::vector<std::string>& keys,
                                       int64_t compact_revision);

  void CloseDb();
  void StartCompactor();
  void StopCompactor();

  const StoreOptions options_;
  // Held shared by every read of db_ and exclusively while a checkpoint replaces it.
  mutable absl::Mutex db_mu_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::unique_ptr<rocksdb::DB> db_;
  // Owned; destroyed before db_ in ~Store.
  rocksdb::ColumnFamilyHandle* kv_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* rev_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* latest_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* lease_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;

  // Published after each committed batch; readers take these, then read RocksDB (which may
  // already hold newer versions: reads filter by revision, so the view stays consistent).
  std::atomic<int64_t> current_revision_{1};
  std::atomic<int64_t> compact_revision_{0};
  mutable absl::Mutex applied_mu_;
  AppliedIndex applied_ ABSL_GUARDED_BY(applied_mu_);
  AppliedIndex durable_applied_ ABSL_GUARDED_BY(applied_mu_);

  std::unique_ptr<WatchHub> hub_;

  // Physical compaction runs on its own thread; see CompactPhysically for why it needs no
  // lock against the apply loop.
  mutable absl::Mutex compact_mu_;
  int64_t scheduled_compaction_ ABSL_GUARDED_BY(compact_mu_) = 0;
  int64_t finished_compaction_ ABSL_GUARDED_BY(compact_mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(compact_mu_) = false;
  std::thread compactor_;
};

// The writes of a run of committed raft entries, applied as one RocksDB WriteBatch (plus the
// applied index and term) by Commit. Each operation sees the effects of the ones before it
// and is atomic: one that fails leaves no trace. Semantics are etcd 3.4's applier
// (etcdserver/apply.go) and mvcc store: a Put or a write Txn takes the next revision (the
// txn's writes share it with increasing sub revisions); a DeleteRange or Txn that changes
// nothing keeps the revision. Lease ids are stored as given; whether the lease exists is the
// lease module's check, made before the request gets here.
class ApplyBatch {
 public:
  ApplyBatch(ApplyBatch&&) noexcept;
  ApplyBatch& operator=(ApplyBatch&&) = delete;
  ~ApplyBatch();  // an uncommitted batch is discarded

  // Errors: ErrKeyNotFound (ignore_value/ignore_lease on a missing key).
  absl::StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  // Errors: those of its chosen branch's ranges and puts, before anything is applied.
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  // A Range that sees the batch's writes (for ranges applied through raft).
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // Sets the compact revision; reads below it fail from now on and the space is reclaimed in
  // the background after Commit. Errors: ErrCompacted (revision <= compact revision),
  // ErrFutureRev.
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);

  // The revision after the operations so far.
  int64_t revision() const { return revision_; }

  // Puts and txns check each lease they attach with this (the lease module's knowledge);
  // a failing check fails the operation before it writes, as etcd's applier does.
  void SetLeaseCheck(std::function<absl::Status(int64_t lease)> check) {
    lease_check_ = std::move(check);
  }
  // The keys attached to lease, including this batch's changes.
  absl::StatusOr<std::vector<std::string>> KeysWithLease(int64_t lease) const;
  // Auxiliary records (see Store::ScanAux), written atomically with the batch.
  absl::Status PutAux(std::string_view key, std::string_view value);
  absl::Status DeleteAux(std::string_view key);

  // Writes everything with `applied` as the new applied index, publishes the new revision
  // and hands the events to the watch hub. The batch is spent afterwards.
  absl::Status Commit(AppliedIndex applied);

 private:
  friend class Store;
  explicit ApplyBatch(Store* store);

  // Runs one request atomically inside the batch: on error its writes and events are undone.
  template <typename Fn>
  auto RunAtomically(Fn&& fn) -> decltype(fn()) {
    BeginOp();
    auto result = fn();
    EndOp(result.ok());
    return result;
  }
  void BeginOp();
  void EndOp(bool ok);

  // The revision reads see inside the current op: its start, or one more once it wrote.
  int64_t ReadRevision() const;
  // Over the batch and the database. `single_key` iterators stay within one key's versions
  // and use the bloom filters; others walk across keys.
  std::unique_ptr<rocksdb::Iterator> NewKvIterator(bool single_key) const;
  // The key as of ReadRevision(); its value is read only `with_value`.
  absl::StatusOr<std::optional<mvccpb::KeyValue>> GetLatest(std::string_view key,
                                                            bool with_value) const;
  absl::StatusOr<std::vector<mvccpb::KeyValue>> LiveKeys(const KeyRange& range) const;
  absl::Status WritePut(std::string_view key, std::string_view value, int64_t lease,
                        const std::optional<mvccpb::KeyValue>& previous, bool previous_has_value);
  absl::Status WriteDelete(const mvccpb::KeyValue& previous);

  absl::StatusOr<etcdserverpb::PutResponse> DoPut(const etcdserverpb::PutRequest& request);
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DoDeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  absl::StatusOr<etcdserverpb::RangeResponse> DoRange(const etcdserverpb::RangeRequest& request);
  absl::StatusOr<etcdserverpb::TxnResponse> DoTxn(const etcdserverpb::TxnRequest& request);
  // etcd's txn path: whether each txn (this one, then nested ones of the chosen branches, in
  // pre-order) takes its success branch. All compares see the state before the txn.
  absl::Status ComputeTxnPath(const etcdserverpb::TxnRequest& request,
                              std::vector<bool>* path) const;
  absl::StatusOr<bool> EvaluateCompare(const etcdserverpb::Compare& compare) const;
  // Fails the whole txn before any write, as etcd's checkRequests does.
  absl::Status CheckTxnBranch(const etcdserverpb::TxnRequest& request,
                              const std::vector<bool>& path, size_t* position) const;
  absl::Status ExecuteTxnBranch(const etcdserverpb::TxnRequest& request,
                                const std::vector<bool>& path, size_t* position,
                                etcdserverpb::TxnResponse* response);

  Store* store_;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch_;
  int64_t revision_;
  int64_t compact_revision_;
  int64_t op_begin_revision_ = 0;
  int64_t op_changes_ = 0;
  size_t op_events_begin_ = 0;
  std::vector<mvccpb::Event> events_;
  std::function<absl::Status(int64_t lease)> lease_check_;
  bool committed_ = false;
};

}  // namespace raftkv::mvcc

#endif  // RAFTKV_MVCC_STORE_H_

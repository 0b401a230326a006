#include "raftkv/mvcc/store.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "raftkv/mvcc/errors.h"
#include "raftkv/mvcc/read.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace raftkv::mvcc {
namespace {

constexpr char kKvFamily[] = "kv";
constexpr char kRevFamily[] = "rev";
constexpr char kLeaseFamily[] = "lease";
constexpr char kLatestFamily[] = "latest";
constexpr char kMetaFamily[] = "meta";

// Meta keys.
constexpr char kAppliedKey[] = "applied";  // BE64 index ++ BE64 term
constexpr char kCurrentRevisionKey[] = "current_revision";
constexpr char kCompactRevisionKey[] = "compact_revision";        // logical: reads below fail
constexpr char kFinishedCompactionKey[] = "finished_compaction";  // physical deletes done

// Keys visited per physical-compaction write batch: small enough that each batch is quick.
constexpr size_t kCompactionKeysPerBatch = 1000;

absl::Status ToStatus(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("rocksdb: ", std::string(what), ": ", status.ToString()));
}

std::string_view View(const rocksdb::Slice& slice) {
  return {slice.data(), slice.size()};
}

rocksdb::WriteOptions NoWalWrite() {
  rocksdb::WriteOptions options;
  // See the Store comment: the raft log is the write-ahead log of this state machine.
  options.disableWAL = true;
  return options;
}

std::string EncodeApplied(AppliedIndex applied) {
  return EncodeFixed64(applied.index) + EncodeFixed64(applied.term);
}

// Releases a RocksDB snapshot when the read is done.
class SnapshotGuard {
 public:
  explicit SnapshotGuard(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~SnapshotGuard() { db_->ReleaseSnapshot(snapshot_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// The kv family's bloom filters are per user key (the version key minus its revision), so a
// Seek for one key's versions skips every file that never held the key: puts of new keys and
// point ranges then touch almost no SST blocks.
class UserKeyPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "raftkv.UserKeyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kRevisionSuffixSize);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= 2 + kRevisionSuffixSize;
  }
};

// Iterators that stay within one key's versions (bloom filters apply).
rocksdb::ReadOptions PointRead(const rocksdb::Snapshot* snapshot = nullptr) {
  rocksdb::ReadOptions options;
  options.prefix_same_as_start = true;
  options.snapshot = snapshot;
  return options;
}

// Iterators that walk across keys.
rocksdb::ReadOptions ScanRead(const rocksdb::Snapshot* snapshot = nullptr) {
  rocksdb::ReadOptions options;
  options.total_order_seek = true;
  options.snapshot = snapshot;
  return options;
}

rocksdb::ColumnFamilyOptions LatestFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                                 size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = false;  // as for "kv"
  table.enable_index_compression = false;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_size = write_buffer_bytes;
  options.compression = rocksdb::kLZ4Compression;
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  return options;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t write_buffer_bytes, bool compress) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_size = write_buffer_bytes;
  options.max_write_buffer_number = 2;
  options.compression = compress ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  // Files where compaction left many deletes get compacted sooner (space back sooner).
  options.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(16384, 4096));
  return options;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Store: opening and closing.

Store::Store(StoreOptions options, ConstructionKey) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  auto store = std::make_unique<Store>(std::move(options), ConstructionKey());
  if (auto status = store->OpenDb(); !status.ok()) return status;
  if (auto status = store->LoadMeta(); !status.ok()) return status;
  store->hub_ =
      std::make_unique<WatchHub>(store.get(), store->CurrentRevision(), store->options_.watch);
  store->StartCompactor();
  return store;
}

absl::Status Store::OpenDb() {
  std::error_code error;
  std::filesystem::create_directories(options_.dir, error);
  if (error) return absl::InternalError("mvcc: create " + options_.dir + ": " + error.message());

  block_cache_ = rocksdb::NewLRUCache(options_.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // Every flush is a consistent cut across column families: needed because the WAL is off
  // and the applied index in "meta" must describe exactly the data in the other families.
  db_options.atomic_flush = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 2;

  const size_t small_buffer = 4 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(block_cache_, small_buffer, false)},
      {kKvFamily, KvFamilyOptions()},
      {kRevFamily, FamilyOptions(block_cache_, small_buffer * 2, true)},
      {kLeaseFamily, FamilyOptions(block_cache_, small_buffer, false)},
      {kMetaFamily, FamilyOptions(block_cache_, small_buffer, false)},
      {kLatestFamily, LatestFamilyOptions(block_cache_, small_buffer * 2)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  auto status = rocksdb::DB::Open(db_options, options_.dir, families, &handles, &raw_db);
  if (!status.ok()) return ToStatus(status, "open " + options_.dir);
  db_.reset(raw_db);
  default_cf_ = handles[0];
  kv_cf_ = handles[1];
  rev_cf_ = handles[2];
  lease_cf_ = handles[3];
  meta_cf_ = handles[4];
  latest_cf_ = handles[5];
  return absl::OkStatus();
}

rocksdb::ColumnFamilyOptions Store::KvFamilyOptions() const {
  rocksdb::ColumnFamilyOptions options =
      FamilyOptions(block_cache_, options_.kv_write_buffer_bytes, true);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;
  // Index and filter blocks live with the open table files rather than competing with data
  // in the block cache (a few MiB per million keys): once evicted, an SST's whole index
  // block had to be re-read and decompressed for one point read.
  table.cache_index_and_filter_blocks = false;
  table.enable_index_compression = false;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = false;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.prefix_extractor = std::make_shared<UserKeyPrefixTransform>();
  // Values are compressed only in the bottommost level, which holds most of the data: the
  // upper levels hold the hot recent versions every Put and point read touch, and keeping
  // them plain saves a decompression per block read there.
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression =
      options_.compress_values ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  return options;
}

absl::Status Store::LoadMeta() {
  auto read = [this](const char* key) -> absl::StatusOr<std::optional<uint64_t>> {
    std::string value;
    auto status = db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) return ToStatus(status, "read meta");
    if (value.size() < 8) return absl::DataLossError(absl::StrCat("mvcc: bad meta ", key));
    return DecodeFixed64(std::string_view(value).substr(0, 8));
  };
  auto current = read(kCurrentRevisionKey);
  auto compact = read(kCompactRevisionKey);
  auto finished = read(kFinishedCompactionKey);
  if (!current.ok()) return current.status();
  if (!compact.ok()) return compact.status();
  if (!finished.ok()) return finished.status();
  current_revision_ = static_cast<int64_t>(current->value_or(1));  // etcd starts at 1
  compact_revision_ = static_cast<int64_t>(compact->value_or(0));

  std::string applied;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_cf_, kAppliedKey, &applied);
  AppliedIndex loaded;
  if (status.ok() && applied.size() == 16) {
    loaded.index = *DecodeFixed64(std::string_view(applied).substr(0, 8));
    loaded.term = *DecodeFixed64(std::string_view(applied).substr(8, 8));
  } else if (!status.IsNotFound()) {
    return status.ok() ? absl::DataLossError("mvcc: bad applied index")
                       : ToStatus(status, "read applied index");
  }
  {
    absl::MutexLock lock(&applied_mu_);
    applied_ = durable_applied_ = loaded;
  }
  absl::MutexLock lock(&compact_mu_);
  scheduled_compaction_ = compact_revision_;
  finished_compaction_ = static_cast<int64_t>(finished->value_or(0));
  spdlog::info("mvcc: opened {} at revision {} (compacted {}, applied index {} term {})",
               options_.dir, current_revision_.load(), compact_revision_.load(), loaded.index,
               loaded.term);
  return absl::OkStatus();
}

Store::~Store() {
  StopCompactor();
  hub_.reset();
  CloseDb();
}

void Store::StartCompactor() {
  {
    absl::MutexLock lock(&compact_mu_);
    stopping_ = false;
  }
  compactor_ = std::thread([this] { CompactorLoop(); });
}

void Store::StopCompactor() {
  if (!compactor_.joinable()) return;
  {
    absl::MutexLock lock(&compact_mu_);
    stopping_ = true;
  }
  compactor_.join();
}

void Store::CloseDb() {
  if (!db_) return;
  if (auto status = Flush(); !status.ok()) {
    spdlog::error("mvcc: flush on close: {}", status.ToString());
  }
  for (auto* handle : {kv_cf_, rev_cf_, lease_cf_, meta_cf_, latest_cf_, default_cf_}) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
  db_.reset();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Store::ScanAux(
    std::string_view prefix) const {
  absl::ReaderMutexLock lock(&db_mu_);
  std::vector<std::pair<std::string, std::string>> records;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), default_cf_));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    records.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return ToStatus(it->status(), "aux scan");
  return records;
}

absl::Status Store::ResetAppliedIndex(AppliedIndex applied) {
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, kAppliedKey, EncodeApplied(applied));
  if (auto status = db_->Write(NoWalWrite(), &batch); !status.ok()) {
    return ToStatus(status, "reset applied index");
  }
  {
    absl::MutexLock lock(&applied_mu_);
    applied_ = applied;
  }
  return Flush();
}

// Copies a checkpoint into dir: SST files are immutable and hard-linked; the rest (MANIFEST,
// CURRENT, OPTIONS) is copied, because the opened database appends to its MANIFEST and must
// not change the checkpoint through a shared link.
static absl::Status CopyCheckpoint(const std::filesystem::path& from,
                                   const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(to, ec);
  fs::create_directories(to, ec);
  if (ec) return absl::InternalError("mvcc: create " + to.string() + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    const fs::path target = to / entry.path().filename();
    if (entry.path().extension() == ".sst") {
      fs::create_hard_link(entry.path(), target, ec);
      if (!ec) continue;
      ec.clear();
    }
    fs::copy_file(entry.path(), target, ec);
    if (ec) return absl::InternalError("mvcc: copy " + entry.path().string() + ": " + ec.message());
  }
  if (ec) return absl::InternalError("mvcc: read " + from.string() + ": " + ec.message());
  return absl::OkStatus();
}

absl::Status Store::RestoreFromCheckpoint(const std::string& checkpoint_dir) {
  StopCompactor();
  {
    absl::WriterMutexLock lock(&db_mu_);
    CloseDb();
    if (auto s = CopyCheckpoint(checkpoint_dir, options_.dir); !s.ok()) return s;
    if (auto s = OpenDb(); !s.ok()) return s;
    if (auto s = LoadMeta(); !s.ok()) return s;
  }
  StartCompactor();
  hub_->Resync(CurrentRevision());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Store: revisions, durability, checkpoints.

int64_t Store::CurrentRevision() const {
  return current_revision_.load();
}
int64_t Store::CompactRevision() const {
  return compact_revision_.load();
}

AppliedIndex Store::applied() const {
  absl::MutexLock lock(&applied_mu_);
  return applied_;
}

AppliedIndex Store::durable_applied() const {
  absl::MutexLock lock(&applied_mu_);
  return durable_applied_;
}

absl::Status Store::Flush() {
  const AppliedIndex before = applied();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all = {default_cf_, kv_cf_,   rev_cf_,
                                                   lease_cf_,   meta_cf_, latest_cf_};
  if (auto status = db_->Flush(flush, all); !status.ok()) return ToStatus(status, "flush");
  MarkDurable(before);
  return absl::OkStatus();
}

void Store::MarkDurable(AppliedIndex applied) {
  absl::MutexLock lock(&applied_mu_);
  // A flush and a checkpoint may run at once; the later cut must not be undone.
  if (applied.index > durable_applied_.index) durable_applied_ = applied;
}

absl::Status Store::CreateCheckpoint(const std::string& dir) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  rocksdb::Checkpoint* raw = nullptr;
  if (auto status = rocksdb::Checkpoint::Create(db_.get(), &raw); !status.ok()) {
    return ToStatus(status, "checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  const AppliedIndex before = applied();
  // log_size_for_flush 0: flush memtables first, so the files hold everything applied.
  if (auto status = checkpoint->CreateCheckpoint(dir, 0); !status.ok()) {
    return ToStatus(status, "checkpoint " + dir);
  }
  MarkDurable(before);
  return absl::OkStatus();
}

uint64_t Store::ApproximateDiskBytes() const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  uint64_t total = 0;
  // Everything sorts before this (keys are user keys and big-endian revisions).
  const std::string past_last_key(16, '\xff');
  const rocksdb::Range all("", past_last_key);
  for (auto* handle : {kv_cf_, rev_cf_, lease_cf_, meta_cf_, latest_cf_}) {
    uint64_t bytes = 0;
    db_->GetIntProperty(handle, rocksdb::DB::Properties::kTotalSstFilesSize, &bytes);
    total += bytes;
    // Data not yet flushed counts too, or the quota (--quota-backend-bytes) would only see
    // writes once a memtable fills up.
    uint64_t memtable_entries = 0;
    uint64_t memtable_bytes = 0;
    db_->GetApproximateMemTableStats(handle, all, &memtable_entries, &memtable_bytes);
    total += memtable_bytes;
  }
  return total;
}

absl::Status Store::CompactAllForTesting() {
  absl::ReaderMutexLock db_lock(&db_mu_);
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* handle : {kv_cf_, rev_cf_, lease_cf_, meta_cf_, latest_cf_}) {
    if (auto status = db_->CompactRange(options, handle, nullptr, nullptr); !status.ok()) {
      return ToStatus(status, "compact range");
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Store: reads. Each takes the published revisions after its RocksDB snapshot, so physical
// compaction (which starts only after the compact revision is published) cannot remove
// anything a read at or above the compact revision it saw needs.

absl::StatusOr<etcdserverpb::RangeResponse> Store::Range(
    const etcdserverpb::RangeRequest& request) const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  const int64_t current = CurrentRevision();
  if (request.range_end().empty() && (request.revision() == 0 || request.revision() == current)) {
    auto fast = PointRangeAtCurrent(request, current);
    if (!fast.ok()) return fast.status();
    if (fast->has_value()) return std::move(**fast);
  }
  // `current` was read before the iterator exists: every write up to it is in RocksDB before
  // it is published, so the iterator sees all of them. Reading the revision after the
  // iterator could name a write published in between that the iterator does not see.
  const rocksdb::ReadOptions read = request.range_end().empty() ? PointRead() : ScanRead();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, kv_cf_));
  return ExecuteRange(it.get(), request, current, CompactRevision());
}

absl::StatusOr<std::optional<etcdserverpb::RangeResponse>> Store::PointRangeAtCurrent(
    const etcdserverpb::RangeRequest& request, int64_t current_revision) const {
  std::string record;
  auto status = db_->Get(rocksdb::ReadOptions(), latest_cf_, request.key(), &record);
  if (status.IsNotFound()) return std::nullopt;  // maybe deleted after current_revision
  if (!status.ok()) return ToStatus(status, "read latest");
  const std::optional<LatestVersion> latest = DecodeLatestRecord(record);
  if (!latest) return absl::DataLossError("mvcc: malformed latest record");
  if (latest->revision.main > current_revision) return std::nullopt;

  std::vector<mvccpb::KeyValue> kvs(1);
  mvccpb::KeyValue& kv = kvs.front();
  if (request.keys_only() || request.count_only()) {
    kv.set_key(request.key());
    kv.set_mod_revision(latest->revision.main);
    kv.set_create_revision(latest->create_revision);
    kv.set_version(latest->version);
    kv.set_lease(latest->lease);
  } else {
    // The version it names stays: compaction keeps every key's newest put.
    status =
        db_->Get(PointRead(), kv_cf_, EncodeVersionKey(request.key(), latest->revision), &record);
    if (!status.ok()) return ToStatus(status, "read latest version");
    if (!DecodePutRecord(request.key(), latest->revision, record, false, &kv)) {
      return absl::DataLossError("mvcc: malformed version record");
    }
  }
  return FinishRange(request, std::move(kvs), 1, current_revision);
}

absl::StatusOr<HashKVResult> Store::HashKV(int64_t revision) const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  // The revision before the snapshot, so that the snapshot holds every write up to it (see
  // Range).
  HashKVResult result{0, CurrentRevision(), CompactRevision()};
  SnapshotGuard snapshot(db_.get());
  if (revision > 0 && revision <= result.compact_revision) return ErrCompacted();
  if (revision > result.current_revision) return ErrFutureRev();
  if (revision == 0) revision = result.current_revision;

  // Hash what survives compaction logically (whatever the physical compaction has done):
  // versions above the compact revision, plus each key's newest put at or below it.
  uLong crc = crc32(0L, Z_NULL, 0);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ScanRead(snapshot.get()), kv_cf_));
  std::string prefix;
  bool seen_compacted_version = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = View(it->key());
    const std::string_view value = View(it->value());
    if (VersionKeyPrefix(key) != prefix) {
      prefix.assign(VersionKeyPrefix(key));
      seen_compacted_version = false;
    }
    const int64_t main = VersionKeyRevision(key).main;
    if (main > revision) continue;
    if (main <= result.compact_revision) {
      if (seen_compacted_version) continue;
      seen_compacted_version = true;
      if (IsTombstoneRecord(value)) continue;
    }
    crc = crc32(crc, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(value.data()), static_cast<uInt>(value.size()));
  }
  if (!it->status().ok()) return ToStatus(it->status(), "hash");
  result.hash = static_cast<uint32_t>(crc);
  return result;
}

absl::StatusOr<std::vector<std::string>> Store::KeysWithLease(int64_t lease) const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  std::vector<std::string> keys;
  const std::string prefix = EncodeLeasePrefix(lease);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), lease_cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    keys.emplace_back(View(it->key()).substr(prefix.size()));
  }
  if (!it->status().ok()) return ToStatus(it->status(), "lease scan");
  return keys;
}

absl::StatusOr<HistoryChunk> Store::ReadHistory(const KeyRange& range, int64_t from, int64_t to,
                                                bool prev_kv, size_t max_bytes) const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  SnapshotGuard snapshot(db_.get());
  if (from < CompactRevision()) return ErrCompacted();
  std::unique_ptr<rocksdb::Iterator> revs(db_->NewIterator(ScanRead(snapshot.get()), rev_cf_));
  std::unique_ptr<rocksdb::Iterator> versions(db_->NewIterator(PointRead(snapshot.get()), kv_cf_));

  HistoryChunk chunk;
  chunk.next_revision = to + 1;
  size_t bytes = 0;
  for (revs->Seek(EncodeRevisionKey({from, 0})); revs->Valid(); revs->Next()) {
    const Revision revision = DecodeRevisionKey(View(revs->key()));
    if (revision.main > to) break;
    if (bytes > max_bytes && revision.main != chunk.events.back().kv().mod_revision()) {
      chunk.next_revision = revision.main;
      break;
    }
    const std::string_view user_key = View(revs->value());
    if (!range.Contains(user_key)) continue;
    const std::string version_key = EncodeVersionKey(user_key, revision);
    versions->Seek(version_key);
    if (!versions->Valid() || View(versions->key()) != version_key) {
      return absl::DataLossError("mvcc: history names a version that is missing");
    }
    mvccpb::Event& event = chunk.events.emplace_back();
    if (IsTombstoneRecord(View(versions->value()))) {
      event.set_type(mvccpb::Event::DELETE);
      event.mutable_kv()->set_key(user_key.data(), user_key.size());
      event.mutable_kv()->set_mod_revision(revision.main);
    } else {
      DecodePutRecord(user_key, revision, View(versions->value()), false, event.mutable_kv());
    }
    if (prev_kv) {
      versions->Next();  // the next older version of the same key, if history kept it
      const std::string_view older = versions->Valid() ? View(versions->key()) : "";
      if (!older.empty() && VersionKeyPrefix(older) == VersionKeyPrefix(version_key) &&
          !IsTombstoneRecord(View(versions->value()))) {
        DecodePutRecord(user_key, VersionKeyRevision(older), View(versions->value()), false,
                        event.mutable_prev_kv());
      }
    }
    bytes += EventBytes(event);
  }
  if (!revs->status().ok()) return ToStatus(revs->status(), "history");
  return chunk;
}

std::shared_ptr<Watcher> Store::Watch(WatchOptions options, std::function<void()> on_ready) {
  return hub_->Watch(std::move(options), std::move(on_ready));
}

void Store::CancelWatch(int64_t watcher_id) {
  hub_->Cancel(watcher_id);
}

// ---------------------------------------------------------------------------------------------
// Store: publishing batches and physical compaction.

ApplyBatch Store::BeginApply() {
  return ApplyBatch(this);
}

void Store::Publish(int64_t revision, int64_t compact_revision, AppliedIndex applied,
                    const std::vector<mvccpb::Event>& events) {
  current_revision_.store(revision);
  {
    absl::MutexLock lock(&applied_mu_);
    applied_ = applied;
  }
  if (compact_revision > compact_revision_.load()) {
    compact_revision_.store(compact_revision);  // before any physical delete is scheduled
    absl::MutexLock lock(&compact_mu_);
    scheduled_compaction_ = compact_revision;
  }
  if (!events.empty()) hub_->Notify(events, revision);
}

void Store::WaitForCompaction(int64_t revision) const {
  absl::MutexLock lock(&compact_mu_);
  auto done = [this, revision]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_) {
    return stopping_ || finished_compaction_ >= revision;
  };
  compact_mu_.Await(absl::Condition(&done));
}

void Store::CompactorLoop() {
  while (true) {
    int64_t from = 0, to = 0;
    {
      absl::MutexLock lock(&compact_mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_) {
        return stopping_ || scheduled_compaction_ > finished_compaction_;
      };
      compact_mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      from = finished_compaction_ + 1;
      to = scheduled_compaction_;
    }
    if (auto status = CompactPhysically(from, to); !status.ok()) {
      spdlog::error("mvcc: compaction to {} failed: {}", to, status.ToString());
      absl::MutexLock lock(&compact_mu_);
      compact_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
      continue;
    }
    absl::MutexLock lock(&compact_mu_);
    finished_compaction_ = to;
  }
}

// Deletes what a compaction to `to_revision` makes unreachable, visiting only keys written in
// [from_revision, to_revision] (older keys were settled by earlier compactions). For each key:
// its newest version at or below `to_revision` stays if it is a put; every older version and
// such a tombstone goes. This runs beside the apply loop without a lock: the apply loop only
// reads each key's newest version and only writes versions above the current revision, and
// the deleted versions are neither; reads below the compact revision already fail.
absl::Status Store::CompactPhysically(int64_t from_revision, int64_t to_revision) {
  std::unique_ptr<rocksdb::Iterator> revs(db_->NewIterator(rocksdb::ReadOptions(), rev_cf_));
  absl::flat_hash_set<std::string> pending;
  std::string lowest, highest;
  uint64_t deleted_versions = 0;
  for (revs->Seek(EncodeRevisionKey({from_revision, 0})); revs->Valid(); revs->Next()) {
    if (DecodeRevisionKey(View(revs->key())).main > to_revision) break;
    std::string key(View(revs->value()));
    if (lowest.empty() || key < lowest) lowest = key;
    if (key > highest) highest = key;
    pending.insert(std::move(key));
    if (pending.size() >= kCompactionKeysPerBatch) {
      auto deleted = CompactKeys({pending.begin(), pending.end()}, to_revision);
      if (!deleted.ok()) return deleted.status();
      deleted_versions += *deleted;
      pending.clear();
    }
  }
  if (!revs->status().ok()) return ToStatus(revs->status(), "compaction scan");
  auto deleted = CompactKeys({pending.begin(), pending.end()}, to_revision);
  if (!deleted.ok()) return deleted.status();
  deleted_versions += *deleted;
  rocksdb::WriteBatch finished;
  finished.Put(meta_cf_, kFinishedCompactionKey, EncodeFixed64(to_revision));
  if (auto status = db_->Write(NoWalWrite(), &finished); !status.ok()) {
    return ToStatus(status, "compaction marker");
  }
  // A small compaction's deletes are left to RocksDB (files with many deletes get compacted
  // sooner by the deletion collector); rewriting the key span pays off only when a good part
  // of it is garbage.
  uint64_t versions = 0;
  db_->GetIntProperty(kv_cf_, rocksdb::DB::Properties::kEstimateNumKeys, &versions);
  spdlog::info("mvcc: compacted to revision {}: {} versions deleted of about {}", to_revision,
               deleted_versions, versions);
  if (!options_.reclaim_space_after_compaction || deleted_versions * 10 < versions) {
    return absl::OkStatus();
  }

  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  const std::string rev_begin = EncodeRevisionKey({from_revision, 0});
  const std::string rev_end = EncodeRevisionKey({to_revision + 1, 0});
  const rocksdb::Slice rev_begin_slice(rev_begin), rev_end_slice(rev_end);
  if (auto status = db_->CompactRange(compact, rev_cf_, &rev_begin_slice, &rev_end_slice);
      !status.ok()) {
    return ToStatus(status, "compact rev range");
  }
  const std::string kv_begin = EncodeUserKeyPrefix(lowest);
  const std::string kv_end = EncodeUserKeyPrefix(highest) + std::string(16, '\xff');
  const rocksdb::Slice kv_begin_slice(kv_begin), kv_end_slice(kv_end);
  return ToStatus(db_->CompactRange(compact, kv_cf_, &kv_begin_slice, &kv_end_slice),
                  "compact kv range");
}

absl::StatusOr<uint64_t> Store::CompactKeys(const std::vector<std::string>& keys,
                                            int64_t compact_revision) {
  if (keys.empty()) return 0;
  uint64_t deleted = 0;
  rocksdb::WriteBatch deletes;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(PointRead(), kv_cf_));
  for (const std::string& key : keys) {
    const std::string prefix = EncodeUserKeyPrefix(key);
    bool newest = true;
    for (it->Seek(SeekKeyAtRevision(prefix, compact_revision));
         it->Valid() && VersionKeyPrefix(View(it->key())) == prefix; it->Next()) {
      const bool keep = newest && !IsTombstoneRecord(View(it->value()));
      newest = false;
      if (keep) continue;
      deletes.Delete(kv_cf_, it->key());
      ++deleted;
      deletes.Delete(rev_cf_, EncodeRevisionKey(VersionKeyRevision(View(it->key()))));
    }
    if (!it->status().ok()) return ToStatus(it->status(), "compaction read");
  }
  if (auto status = db_->Write(NoWalWrite(), &deletes); !status.ok()) {
    return ToStatus(status, "compaction write");
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// ApplyBatch.

ApplyBatch::ApplyBatch(Store* store)
    : store_(store),
      batch_(std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                            /*overwrite_key=*/true)),
      revision_(store->CurrentRevision()),
      compact_revision_(store->CompactRevision()),
      op_begin_revision_(revision_) {}

ApplyBatch::ApplyBatch(ApplyBatch&&) noexcept = default;
ApplyBatch::~ApplyBatch() = default;

int64_t ApplyBatch::ReadRevision() const {
  return op_changes_ > 0 ? op_begin_revision_ + 1 : op_begin_revision_;
}

std::unique_ptr<rocksdb::Iterator> ApplyBatch::NewKvIterator(bool single_key) const {
  rocksdb::DB* db = store_->db_.get();
  const rocksdb::ReadOptions read = single_key ? PointRead() : ScanRead();
  return std::unique_ptr<rocksdb::Iterator>(
      batch_->NewIteratorWithBase(store_->kv_cf_, db->NewIterator(read, store_->kv_cf_)));
}

absl::StatusOr<std::optional<mvccpb::KeyValue>> ApplyBatch::GetLatest(std::string_view key,
                                                                      bool with_value) const {
  rocksdb::DB* db = store_->db_.get();
  std::string record;
  auto status =
      batch_->GetFromBatchAndDB(db, rocksdb::ReadOptions(), store_->latest_cf_, key, &record);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return ToStatus(status, "read latest");
  const std::optional<LatestVersion> latest = DecodeLatestRecord(record);
  if (!latest) return absl::DataLossError("mvcc: malformed latest record");
  mvccpb::KeyValue kv;
  if (with_value) {
    status = batch_->GetFromBatchAndDB(db, PointRead(), store_->kv_cf_,
                                       EncodeVersionKey(key, latest->revision), &record);
    if (!status.ok()) return ToStatus(status, "read latest version");
    if (!DecodePutRecord(key, latest->revision, record, false, &kv)) {
      return absl::DataLossError("mvcc: malformed version record");
    }
    return kv;
  }
  kv.set_key(key.data(), key.size());
  kv.set_mod_revision(latest->revision.main);
  kv.set_create_revision(latest->create_revision);
  kv.set_version(latest->version);
  kv.set_lease(latest->lease);
  return kv;
}

absl::StatusOr<std::vector<mvccpb::KeyValue>> ApplyBatch::LiveKeys(const KeyRange& range) const {
  std::vector<mvccpb::KeyValue> kvs;
  if (range.range_end.empty()) {
    auto kv = GetLatest(range.key, /*with_value=*/true);
    if (!kv.ok()) return kv.status();
    if (kv->has_value()) kvs.push_back(std::move(**kv));
    return kvs;
  }
  auto it = NewKvIterator(/*single_key=*/false);
  auto status = ScanLive(it.get(), range, ReadRevision(),
                         [&kvs](std::string_view key, Revision mod, std::string_view record) {
                           DecodePutRecord(key, mod, record, false, &kvs.emplace_back());
                           return true;
                         });
  if (!status.ok()) return status;
  return kvs;
}

absl::Status ApplyBatch::WritePut(std::string_view key, std::string_view value, int64_t lease,
                                  const std::optional<mvccpb::KeyValue>& previous,
                                  bool previous_has_value) {
  const Revision revision{op_begin_revision_ + 1, op_changes_};
  const int64_t create = previous ? previous->create_revision() : revision.main;
  const int64_t version = previous ? previous->version() + 1 : 1;
  const int64_t previous_lease = previous ? previous->lease() : 0;
  rocksdb::Status status = batch_->Put(store_->kv_cf_, EncodeVersionKey(key, revision),
                                       EncodePutRecord(create, version, lease, value));
  if (status.ok()) status = batch_->Put(store_->rev_cf_, EncodeRevisionKey(revision), key);
  if (status.ok()) {
    status = batch_->Put(store_->latest_cf_, key,
                         EncodeLatestRecord({revision, create, version, lease}));
  }
  if (status.ok() && previous_lease != 0 && previous_lease != lease) {
    status = batch_->Delete(store_->lease_cf_, EncodeLeaseKey(previous_lease, key));
  }
  if (status.ok() && lease != 0 && lease != previous_lease) {
    status = batch_->Put(store_->lease_cf_, EncodeLeaseKey(lease, key), "");
  }
  if (!status.ok()) return ToStatus(status, "batch put");

  mvccpb::Event& event = events_.emplace_back();
  event.set_type(mvccpb::Event::PUT);
  mvccpb::KeyValue* kv = event.mutable_kv();
  kv->set_key(key.data(), key.size());
  kv->set_value(value.data(), value.size());
  kv->set_create_revision(create);
  kv->set_mod_revision(revision.main);
  kv->set_version(version);
  kv->set_lease(lease);
  // Without its value the previous version is left out; the hub then sends prev_kv watchers
  // to history for it.
  if (previous && previous_has_value) *event.mutable_prev_kv() = *previous;
  ++op_changes_;
  return absl::OkStatus();
}

absl::Status ApplyBatch::WriteDelete(const mvccpb::KeyValue& previous) {
  const Revision revision{op_begin_revision_ + 1, op_changes_};
  const std::string& key = previous.key();
  rocksdb::Status status =
      batch_->Put(store_->kv_cf_, EncodeVersionKey(key, revision), EncodeTombstoneRecord());
  if (status.ok()) status = batch_->Put(store_->rev_cf_, EncodeRevisionKey(revision), key);
  if (status.ok()) status = batch_->Delete(store_->latest_cf_, key);
  if (status.ok() && previous.lease() != 0) {
    status = batch_->Delete(store_->lease_cf_, EncodeLeaseKey(previous.lease(), key));
  }
  if (!status.ok()) return ToStatus(status, "batch delete");

  mvccpb::Event& event = events_.emplace_back();
  event.set_type(mvccpb::Event::DELETE);
  event.mutable_kv()->set_key(key);
  event.mutable_kv()->set_mod_revision(revision.main);
  *event.mutable_prev_kv() = previous;
  ++op_changes_;
  return absl::OkStatus();
}

void ApplyBatch::BeginOp() {
  batch_->SetSavePoint();
  op_begin_revision_ = revision_;
  op_changes_ = 0;
  op_events_begin_ = events_.size();
}

void ApplyBatch::EndOp(bool ok) {
  if (ok) {
    batch_->PopSavePoint();
    if (op_changes_ > 0) revision_ = op_begin_revision_ + 1;
  } else {
    batch_->RollbackToSavePoint();
    events_.resize(op_events_begin_);
  }
  op_begin_revision_ = revision_;
  op_changes_ = 0;
}

absl::StatusOr<etcdserverpb::PutResponse> ApplyBatch::Put(const etcdserverpb::PutRequest& request) {
  if (request.lease() != 0 && lease_check_) {
    if (auto status = lease_check_(request.lease()); !status.ok()) return status;
  }
  return RunAtomically([&] { return DoPut(request); });
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> ApplyBatch::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  return RunAtomically([&] { return DoDeleteRange(request); });
}

absl::StatusOr<etcdserverpb::RangeResponse> ApplyBatch::Range(
    const etcdserverpb::RangeRequest& request) {
  return DoRange(request);
}

absl::StatusOr<etcdserverpb::PutResponse> ApplyBatch::DoPut(
    const etcdserverpb::PutRequest& request) {
  // The previous value costs a read of the version data: only when someone will use it.
  const bool need_value =
      request.prev_kv() || request.ignore_value() || store_->hub_->any_prev_kv_watchers();
  auto previous = GetLatest(request.key(), need_value);
  if (!previous.ok()) return previous.status();
  if ((request.ignore_value() || request.ignore_lease()) && !previous->has_value()) {
    return ErrKeyNotFound();
  }
  const std::string& value = request.ignore_value() ? (*previous)->value() : request.value();
  const int64_t lease = request.ignore_lease() ? (*previous)->lease() : request.lease();
  etcdserverpb::PutResponse response;
  if (request.prev_kv() && previous->has_value()) *response.mutable_prev_kv() = **previous;
  if (auto status = WritePut(request.key(), value, lease, *previous, need_value); !status.ok()) {
    return status;
  }
  response.mutable_header()->set_revision(op_begin_revision_ + 1);
  return response;
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> ApplyBatch::DoDeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  auto live = LiveKeys(KeyRange{request.key(), request.range_end()});
  if (!live.ok()) return live.status();
  etcdserverpb::DeleteRangeResponse response;
  for (const mvccpb::KeyValue& kv : *live) {
    if (auto status = WriteDelete(kv); !status.ok()) return status;
  }
  response.set_deleted(static_cast<int64_t>(live->size()));
  if (request.prev_kv()) {
    for (auto& kv : *live)
      *response.add_prev_kvs() = std::move(kv);
  }
  response.mutable_header()->set_revision(ReadRevision());
  return response;
}

absl::StatusOr<etcdserverpb::RangeResponse> ApplyBatch::DoRange(
    const etcdserverpb::RangeRequest& request) {
  auto it = NewKvIterator(request.range_end().empty());
  return ExecuteRange(it.get(), request, ReadRevision(), compact_revision_);
}

absl::StatusOr<etcdserverpb::CompactionResponse> ApplyBatch::Compact(
    const etcdserverpb::CompactionRequest& request) {
  if (request.revision() <= compact_revision_) return ErrCompacted();
  if (request.revision() > revision_) return ErrFutureRev();
  compact_revision_ = request.revision();
  etcdserverpb::CompactionResponse response;
  response.mutable_header()->set_revision(revision_);
  return response;
}

absl::StatusOr<std::vector<std::string>> ApplyBatch::KeysWithLease(int64_t lease) const {
  std::vector<std::string> keys;
  const std::string prefix = EncodeLeasePrefix(lease);
  std::unique_ptr<rocksdb::Iterator> it(batch_->NewIteratorWithBase(
      store_->lease_cf_, store_->db_->NewIterator(rocksdb::ReadOptions(), store_->lease_cf_)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    keys.emplace_back(View(it->key()).substr(prefix.size()));
  }
  if (!it->status().ok()) return ToStatus(it->status(), "lease scan");
  return keys;
}

absl::Status ApplyBatch::PutAux(std::string_view key, std::string_view value) {
  return ToStatus(batch_->Put(store_->default_cf_, rocksdb::Slice(key.data(), key.size()),
                              rocksdb::Slice(value.data(), value.size())),
                  "aux put");
}

absl::Status ApplyBatch::DeleteAux(std::string_view key) {
  return ToStatus(batch_->Delete(store_->default_cf_, rocksdb::Slice(key.data(), key.size())),
                  "aux delete");
}

absl::Status ApplyBatch::Commit(AppliedIndex applied) {
  if (committed_) return absl::FailedPreconditionError("mvcc: batch already committed");
  committed_ = true;
  rocksdb::ColumnFamilyHandle* meta = store_->meta_cf_;
  rocksdb::Status status = batch_->Put(meta, kAppliedKey, EncodeApplied(applied));
  if (status.ok()) {
    status = batch_->Put(meta, kCurrentRevisionKey, EncodeFixed64(revision_));
  }
  if (status.ok() && compact_revision_ > store_->CompactRevision()) {
    status = batch_->Put(meta, kCompactRevisionKey, EncodeFixed64(compact_revision_));
  }
  if (status.ok()) status = store_->db_->Write(NoWalWrite(), batch_->GetWriteBatch());
  if (!status.ok()) return ToStatus(status, "apply");
  store_->Publish(revision_, compact_revision_, applied, events_);
  return absl::OkStatus();
}

}  // namespace raftkv::mvcc

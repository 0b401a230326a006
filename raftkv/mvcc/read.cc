#include "raftkv/mvcc/read.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "raftkv/mvcc/errors.h"
#include "rocksdb/iterator.h"

namespace raftkv::mvcc {
namespace {

using etcdserverpb::RangeRequest;

absl::Status ToStatus(const rocksdb::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError("rocksdb: " + status.ToString());
}

std::string_view View(const rocksdb::Slice& slice) {
  return {slice.data(), slice.size()};
}

bool IsVersionKey(std::string_view key) {
  return key.size() >= 2 + kRevisionSuffixSize;
}

// Past every version of the key with `prefix`: the next Seek lands on the following key.
std::string PastLastVersion(std::string_view prefix) {
  std::string key(prefix);
  key.append(kRevisionSuffixSize, '\xff');
  return key;
}

bool BeyondEnd(const KeyRange& range, std::string_view user_key) {
  if (range.range_end.empty()) return user_key != range.key;
  if (range.range_end == std::string_view("\0", 1)) return false;
  return user_key >= range.range_end;
}

// Positions `it` on the newest version at or below `revision` of the key with `prefix`,
// given that it sits on some version of that key. Returns false if there is none.
bool SeekToRevision(rocksdb::Iterator* it, const std::string& prefix, int64_t revision) {
  if (VersionKeyRevision(View(it->key())).main <= revision) return true;
  it->Seek(SeekKeyAtRevision(prefix, revision));
  return it->Valid() && VersionKeyPrefix(View(it->key())) == prefix;
}

// The keys a sort-free, filter-free request needs (one more than the limit tells `more`).
int64_t FetchLimit(const RangeRequest& request) {
  const bool fetch_all = request.sort_order() != RangeRequest::NONE ||
                         request.min_mod_revision() != 0 || request.max_mod_revision() != 0 ||
                         request.min_create_revision() != 0 || request.max_create_revision() != 0;
  if (fetch_all || request.limit() <= 0) return 0;
  return request.limit() + 1;
}

void PruneByRevisions(const RangeRequest& request, std::vector<mvccpb::KeyValue>* kvs) {
  std::erase_if(*kvs, [&request](const mvccpb::KeyValue& kv) {
    return (request.max_mod_revision() != 0 && kv.mod_revision() > request.max_mod_revision()) ||
           (request.min_mod_revision() != 0 && kv.mod_revision() < request.min_mod_revision()) ||
           (request.max_create_revision() != 0 &&
            kv.create_revision() > request.max_create_revision()) ||
           (request.min_create_revision() != 0 &&
            kv.create_revision() < request.min_create_revision());
  });
}

bool LessBy(RangeRequest::SortTarget target, const mvccpb::KeyValue& a, const mvccpb::KeyValue& b) {
  switch (target) {
    case RangeRequest::VERSION:
      return a.version() < b.version();
    case RangeRequest::CREATE:
      return a.create_revision() < b.create_revision();
    case RangeRequest::MOD:
      return a.mod_revision() < b.mod_revision();
    case RangeRequest::VALUE:
      return a.value() < b.value();
    default:
      return a.key() < b.key();
  }
}

// etcd sorts ascending when a non-key target is given without an order. Ties keep key order.
void SortKvs(const RangeRequest& request, std::vector<mvccpb::KeyValue>* kvs) {
  RangeRequest::SortOrder order = request.sort_order();
  const RangeRequest::SortTarget target = request.sort_target();
  if (target != RangeRequest::KEY && order == RangeRequest::NONE) order = RangeRequest::ASCEND;
  if (order == RangeRequest::ASCEND) {
    std::stable_sort(kvs->begin(), kvs->end(),
                     [target](const auto& a, const auto& b) { return LessBy(target, a, b); });
  } else if (order == RangeRequest::DESCEND) {
    std::stable_sort(kvs->begin(), kvs->end(),
                     [target](const auto& a, const auto& b) { return LessBy(target, b, a); });
  }
}

}  // namespace

std::string SeekKeyAtRevision(std::string_view prefix, int64_t revision) {
  std::string key(prefix);
  const std::string full = EncodeVersionKey("", {revision, std::numeric_limits<int64_t>::max()});
  key.append(full, full.size() - kRevisionSuffixSize, kRevisionSuffixSize);
  return key;
}

absl::StatusOr<std::optional<mvccpb::KeyValue>> ReadKey(rocksdb::Iterator* kv_iterator,
                                                        std::string_view key, int64_t revision) {
  const std::string prefix = EncodeUserKeyPrefix(key);
  kv_iterator->Seek(SeekKeyAtRevision(prefix, revision));
  if (!kv_iterator->Valid()) {
    if (auto status = ToStatus(kv_iterator->status()); !status.ok()) return status;
    return std::nullopt;
  }
  const std::string_view found = View(kv_iterator->key());
  if (!IsVersionKey(found) || VersionKeyPrefix(found) != prefix) return std::nullopt;
  const std::string_view record = View(kv_iterator->value());
  if (IsTombstoneRecord(record)) return std::nullopt;
  mvccpb::KeyValue kv;
  if (!DecodePutRecord(key, VersionKeyRevision(found), record, false, &kv)) {
    return absl::DataLossError("mvcc: malformed version record");
  }
  return kv;
}

absl::Status ScanLive(rocksdb::Iterator* kv_iterator, const KeyRange& range, int64_t revision,
                      const LiveVisitor& visit) {
  rocksdb::Iterator* it = kv_iterator;
  std::string prefix;
  std::string user_key;
  Revision ignored;
  // A full-length seek key (the smallest version key of `range.key`), so prefix bloom
  // filters apply to single-key iterators.
  it->Seek(SeekKeyAtRevision(EncodeUserKeyPrefix(range.key), std::numeric_limits<int64_t>::max()));
  while (it->Valid()) {
    const std::string_view found = View(it->key());
    if (!IsVersionKey(found) || !DecodeVersionKey(found, &user_key, &ignored)) {
      return absl::DataLossError("mvcc: malformed version key");
    }
    if (BeyondEnd(range, user_key)) break;
    prefix.assign(VersionKeyPrefix(found));
    if (SeekToRevision(it, prefix, revision)) {
      const std::string_view record = View(it->value());
      if (!IsTombstoneRecord(record) &&
          !visit(user_key, VersionKeyRevision(View(it->key())), record)) {
        return absl::OkStatus();
      }
      // Older versions of the same key are usually few: step once, seek past if needed.
      it->Next();
      if (it->Valid() && VersionKeyPrefix(View(it->key())) == prefix) {
        it->Seek(PastLastVersion(prefix));
      }
    }  // else `it` already sits on the next key (or the end)
  }
  return ToStatus(it->status());
}

absl::StatusOr<etcdserverpb::RangeResponse> ExecuteRange(rocksdb::Iterator* kv_iterator,
                                                         const RangeRequest& request,
                                                         int64_t current_revision,
                                                         int64_t compact_revision) {
  if (request.revision() > current_revision) return ErrFutureRev();
  const int64_t revision = request.revision() <= 0 ? current_revision : request.revision();
  if (revision < compact_revision) return ErrCompacted();

  const int64_t fetch_limit = FetchLimit(request);
  const bool count_only = request.count_only();
  std::vector<mvccpb::KeyValue> kvs;
  int64_t count = 0;
  absl::Status status = ScanLive(
      kv_iterator, KeyRange{request.key(), request.range_end()}, revision,
      [&](std::string_view user_key, Revision mod, std::string_view record) {
        ++count;
        if (count_only || (fetch_limit > 0 && static_cast<int64_t>(kvs.size()) >= fetch_limit)) {
          return true;
        }
        DecodePutRecord(user_key, mod, record, request.keys_only(), &kvs.emplace_back());
        return true;
      });
  if (!status.ok()) return status;
  return FinishRange(request, std::move(kvs), count, current_revision);
}

etcdserverpb::RangeResponse FinishRange(const RangeRequest& request,
                                        std::vector<mvccpb::KeyValue> kvs, int64_t count,
                                        int64_t current_revision) {
  if (request.count_only()) kvs.clear();
  PruneByRevisions(request, &kvs);
  SortKvs(request, &kvs);
  etcdserverpb::RangeResponse response;
  if (request.limit() > 0 && static_cast<int64_t>(kvs.size()) > request.limit()) {
    kvs.resize(request.limit());
    response.set_more(true);
  }
  response.mutable_header()->set_revision(current_revision);
  response.set_count(count);
  response.mutable_kvs()->Reserve(static_cast<int>(kvs.size()));
  for (auto& kv : kvs)
    *response.add_kvs() = std::move(kv);
  return response;
}

}  // namespace raftkv::mvcc

#ifndef RAFTKV_MVCC_READ_H_
#define RAFTKV_MVCC_READ_H_

// Read algorithms over the "kv" column family, shared by the store's snapshot reads and by
// apply batches (whose iterators merge the batch with the database). Internal to mvcc.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"
#include "raftkv/mvcc/encoding.h"
#include "raftkv/mvcc/watch_hub.h"

namespace rocksdb {
class Iterator;
}

namespace raftkv::mvcc {

// The kv-CF key to Seek to for the newest version of the key with `prefix` (from
// EncodeUserKeyPrefix) at or below `revision`.
std::string SeekKeyAtRevision(std::string_view prefix, int64_t revision);

// The latest version of `key` at or below `revision`; nullopt if absent or deleted then.
absl::StatusOr<std::optional<mvccpb::KeyValue>> ReadKey(rocksdb::Iterator* kv_iterator,
                                                        std::string_view key, int64_t revision);

// Calls `visit(user_key, mod revision, record)` for each key of `range` live at `revision`,
// in key order, until it returns false. `record` is a put record (see encoding.h).
using LiveVisitor =
    std::function<bool(std::string_view user_key, Revision revision, std::string_view record)>;
absl::Status ScanLive(rocksdb::Iterator* kv_iterator, const KeyRange& range, int64_t revision,
                      const LiveVisitor& visit);

// A RangeRequest with etcd 3.4's semantics (etcdserver/apply.go Range + mvcc rangeKeys):
// revision 0 reads at `current_revision`; ErrFutureRev above it; ErrCompacted below
// `compact_revision`; `count` counts every key in the range before the mod/create filters
// and the limit; `more` says the limit cut the (filtered, sorted) result.
absl::StatusOr<etcdserverpb::RangeResponse> ExecuteRange(rocksdb::Iterator* kv_iterator,
                                                         const etcdserverpb::RangeRequest& request,
                                                         int64_t current_revision,
                                                         int64_t compact_revision);

// The part of ExecuteRange after the scan: revision filters, sort, limit and `more`, header.
// `kvs` are the keys found (in key order), `count` how many matched before filtering.
etcdserverpb::RangeResponse FinishRange(const etcdserverpb::RangeRequest& request,
                                        std::vector<mvccpb::KeyValue> kvs, int64_t count,
                                        int64_t current_revision);

}  // namespace raftkv::mvcc

#endif  // RAFTKV_MVCC_READ_H_

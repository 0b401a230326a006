#ifndef RAFTKV_MVCC_ERRORS_H_
#define RAFTKV_MVCC_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace raftkv::mvcc {

// The errors the store reports to clients. Messages are etcd's client-visible strings
// (etcdserver/api/v3rpc/rpctypes/error.go) and codes are the gRPC codes etcd uses, so the
// server maps an absl::Status to a grpc::Status 1:1 (absl and gRPC codes share numbers) and
// clients such as etcdctl recognise the errors by text.
inline constexpr absl::string_view kCompactedMessage =
    "etcdserver: mvcc: required revision has been compacted";
inline constexpr absl::string_view kFutureRevMessage =
    "etcdserver: mvcc: required revision is a future revision";
inline constexpr absl::string_view kKeyNotFoundMessage = "etcdserver: key not found";

// OutOfRange: the requested revision is older than the compact revision.
absl::Status ErrCompacted();
bool IsCompacted(const absl::Status& status);

// OutOfRange: the requested revision is newer than the current revision.
absl::Status ErrFutureRev();
bool IsFutureRev(const absl::Status& status);

// InvalidArgument: a Put with ignore_value or ignore_lease names a key that does not exist.
absl::Status ErrKeyNotFound();
bool IsKeyNotFound(const absl::Status& status);

}  // namespace raftkv::mvcc

#endif  // RAFTKV_MVCC_ERRORS_H_

#ifndef RAFTKV_ERRORS_H_
#define RAFTKV_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace raftkv {

// Calls fail with an absl::Status whose code is the gRPC code etcd uses and whose message is
// etcd's own text (etcd's rpctypes), whether the KV is remote or embedded. The common ones:
//
//  code               message                                                   meaning
//  OutOfRange         etcdserver: mvcc: required revision has been compacted    IsCompacted
//  OutOfRange         etcdserver: mvcc: required revision is a future revision  IsFutureRevision
//  NotFound           etcdserver: requested lease not found                     IsLeaseNotFound
//  FailedPrecondition etcdserver: lease already exists
//  InvalidArgument    etcdserver: key not found (ignore_value/ignore_lease)
//  InvalidArgument    etcdserver: key is not provided
//  InvalidArgument    etcdserver: request is too large
//  InvalidArgument    etcdserver: too many operations in txn request
//  InvalidArgument    etcdserver: duplicate key given in txn request
//  ResourceExhausted  etcdserver: mvcc: database space exceeded (quota; delete + compact)
//  Unavailable        etcdserver: no leader / leader changed / request timed out /
//                     server stopped, or a transport error    absl::IsUnavailable
//  DeadlineExceeded   the call's deadline passed (a write may or may not have happened)
//  Cancelled          the KV or member is shutting down
//
// A remote client retries Unavailable itself where that is safe (see client.h), so one
// that reaches the caller means no member could serve the call in time.

inline constexpr absl::string_view kCompactedMessage =
    "etcdserver: mvcc: required revision has been compacted";
inline constexpr absl::string_view kFutureRevisionMessage =
    "etcdserver: mvcc: required revision is a future revision";
inline constexpr absl::string_view kLeaseNotFoundMessage = "etcdserver: requested lease not found";
inline constexpr absl::string_view kNoLeaderMessage = "etcdserver: no leader";
inline constexpr absl::string_view kLeaderChangedMessage = "etcdserver: leader changed";
inline constexpr absl::string_view kNoSpaceMessage = "etcdserver: mvcc: database space exceeded";

bool IsCompacted(const absl::Status& status);
bool IsFutureRevision(const absl::Status& status);
bool IsLeaseNotFound(const absl::Status& status);
bool IsNoSpace(const absl::Status& status);

}  // namespace raftkv

#endif  // RAFTKV_ERRORS_H_

#ifndef RAFTKV_SERVER_ERRORS_H_
#define RAFTKV_SERVER_ERRORS_H_

#include "absl/status/status.h"

namespace raftkv::server {

// The server's errors, with the gRPC codes and message strings of etcd 3.4
// (etcdserver/api/v3rpc/rpctypes/error.go), so an absl::Status maps to a grpc::Status 1:1
// and etcd clients recognise them. Store and lease errors carry etcd's strings already.
absl::Status ErrNoLeader();         // Unavailable "etcdserver: no leader"
absl::Status ErrTimeout();          // Unavailable "etcdserver: request timed out"
absl::Status ErrStopped();          // Unavailable "etcdserver: server stopped"
absl::Status ErrRequestTooLarge();  // InvalidArgument "etcdserver: request is too large"
absl::Status ErrTooManyOps();    // InvalidArgument "etcdserver: too many operations in txn request"
absl::Status ErrDuplicateKey();  // InvalidArgument "etcdserver: duplicate key given in txn request"
absl::Status ErrEmptyKey();      // InvalidArgument "etcdserver: key is not provided"
absl::Status ErrNoSpace();       // ResourceExhausted "etcdserver: mvcc: database space exceeded"
absl::Status ErrMemberNotFound();  // NotFound "etcdserver: member not found"
absl::Status ErrMemberExist();     // FailedPrecondition "etcdserver: member ID already exist"
absl::Status ErrPeerUrlExist();    // FailedPrecondition "etcdserver: Peer URLs already exists"
absl::Status
ErrMemberNotLearner();  // FailedPrecondition "etcdserver: can only promote a learner member"
absl::Status ErrLearnerNotReady();  // FailedPrecondition "etcdserver: can only promote a learner
                                    // member which is in sync with leader"
absl::Status
ErrTooManyLearners();  // FailedPrecondition "etcdserver: too many learner members in cluster"
absl::Status ErrUnhealthy();            // Unavailable "etcdserver: unhealthy cluster"
absl::Status ErrNotLeader();            // FailedPrecondition "etcdserver: not leader"
absl::Status ErrBadLeaderTransferee();  // FailedPrecondition "etcdserver: bad leader transferee"
absl::Status ErrAuthNotEnabled();  // FailedPrecondition "etcdserver: authentication is not enabled"
absl::Status ErrLeaderChanged();   // Unavailable "etcdserver: leader changed"

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_ERRORS_H_

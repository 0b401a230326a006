#include "raftkv/server/errors.h"

namespace raftkv::server {

absl::Status ErrNoLeader() {
  return absl::UnavailableError("etcdserver: no leader");
}
absl::Status ErrTimeout() {
  return absl::UnavailableError("etcdserver: request timed out");
}
absl::Status ErrStopped() {
  return absl::UnavailableError("etcdserver: server stopped");
}
absl::Status ErrRequestTooLarge() {
  return absl::InvalidArgumentError("etcdserver: request is too large");
}
absl::Status ErrTooManyOps() {
  return absl::InvalidArgumentError("etcdserver: too many operations in txn request");
}
absl::Status ErrDuplicateKey() {
  return absl::InvalidArgumentError("etcdserver: duplicate key given in txn request");
}
absl::Status ErrEmptyKey() {
  return absl::InvalidArgumentError("etcdserver: key is not provided");
}
absl::Status ErrNoSpace() {
  return absl::ResourceExhaustedError("etcdserver: mvcc: database space exceeded");
}
absl::Status ErrMemberNotFound() {
  return absl::NotFoundError("etcdserver: member not found");
}
absl::Status ErrMemberExist() {
  return absl::FailedPreconditionError("etcdserver: member ID already exist");
}
absl::Status ErrPeerUrlExist() {
  return absl::FailedPreconditionError("etcdserver: Peer URLs already exists");
}
absl::Status ErrMemberNotLearner() {
  return absl::FailedPreconditionError("etcdserver: can only promote a learner member");
}
absl::Status ErrLearnerNotReady() {
  return absl::FailedPreconditionError(
      "etcdserver: can only promote a learner member which is in sync with leader");
}
absl::Status ErrTooManyLearners() {
  return absl::FailedPreconditionError("etcdserver: too many learner members in cluster");
}
absl::Status ErrUnhealthy() {
  return absl::UnavailableError("etcdserver: unhealthy cluster");
}
absl::Status ErrNotLeader() {
  return absl::FailedPreconditionError("etcdserver: not leader");
}
absl::Status ErrBadLeaderTransferee() {
  return absl::FailedPreconditionError("etcdserver: bad leader transferee");
}
absl::Status ErrAuthNotEnabled() {
  return absl::FailedPreconditionError("etcdserver: authentication is not enabled");
}
absl::Status ErrLeaderChanged() {
  return absl::UnavailableError("etcdserver: leader changed");
}

}  // namespace raftkv::server

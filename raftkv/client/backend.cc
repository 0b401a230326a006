#include "raftkv/client/backend.h"

namespace raftkv::internal {

namespace pb = etcdserverpb;

absl::StatusOr<pb::RangeResponse> Backend::RangeNow(const pb::RangeRequest& request,
                                                    Deadline deadline) {
  return WaitFor<pb::RangeResponse>(
      [&](Done<pb::RangeResponse> done) { Range(request, deadline, std::move(done)); }, deadline);
}

absl::StatusOr<pb::PutResponse> Backend::PutNow(const pb::PutRequest& request, Deadline deadline) {
  return WaitFor<pb::PutResponse>(
      [&](Done<pb::PutResponse> done) { Put(request, deadline, std::move(done)); }, deadline);
}

absl::StatusOr<pb::DeleteRangeResponse> Backend::DeleteRangeNow(
    const pb::DeleteRangeRequest& request, Deadline deadline) {
  return WaitFor<pb::DeleteRangeResponse>(
      [&](Done<pb::DeleteRangeResponse> done) { DeleteRange(request, deadline, std::move(done)); },
      deadline);
}

absl::StatusOr<pb::TxnResponse> Backend::TxnNow(const pb::TxnRequest& request, Deadline deadline) {
  return WaitFor<pb::TxnResponse>(
      [&](Done<pb::TxnResponse> done) { Txn(request, deadline, std::move(done)); }, deadline);
}

absl::StatusOr<pb::CompactionResponse> Backend::CompactNow(const pb::CompactionRequest& request,
                                                           Deadline deadline) {
  return WaitFor<pb::CompactionResponse>(
      [&](Done<pb::CompactionResponse> done) { Compact(request, deadline, std::move(done)); },
      deadline);
}

absl::StatusOr<pb::LeaseGrantResponse> Backend::LeaseGrantNow(const pb::LeaseGrantRequest& request,
                                                              Deadline deadline) {
  return WaitFor<pb::LeaseGrantResponse>(
      [&](Done<pb::LeaseGrantResponse> done) { LeaseGrant(request, deadline, std::move(done)); },
      deadline);
}

absl::StatusOr<pb::LeaseRevokeResponse> Backend::LeaseRevokeNow(
    const pb::LeaseRevokeRequest& request, Deadline deadline) {
  return WaitFor<pb::LeaseRevokeResponse>(
      [&](Done<pb::LeaseRevokeResponse> done) { LeaseRevoke(request, deadline, std::move(done)); },
      deadline);
}

absl::StatusOr<pb::LeaseTimeToLiveResponse> Backend::LeaseTimeToLiveNow(
    const pb::LeaseTimeToLiveRequest& request, Deadline deadline) {
  return WaitFor<pb::LeaseTimeToLiveResponse>(
      [&](Done<pb::LeaseTimeToLiveResponse> done) {
        LeaseTimeToLive(request, deadline, std::move(done));
      },
      deadline);
}

absl::StatusOr<pb::LeaseKeepAliveResponse> Backend::LeaseKeepAliveNow(
    const pb::LeaseKeepAliveRequest& request, Deadline deadline) {
  return WaitFor<pb::LeaseKeepAliveResponse>(
      [&](Done<pb::LeaseKeepAliveResponse> done) {
        LeaseKeepAlive(request, deadline, std::move(done));
      },
      deadline);
}

}  // namespace raftkv::internal

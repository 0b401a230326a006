#include "raftkv/server/lease_service.h"

#include <mutex>

#include "raftkv/lease/lease_table.h"
#include "raftkv/server/unary_call.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

namespace {

bool IsLeaseNotFound(const absl::Status& status) {
  return status == lease::ErrLeaseNotFound();
}

// One LeaseKeepAlive stream. Requests are handled one at a time, as etcd's loop does: read,
// renew through the member, write the answer, read again.
//
// Lifetime (gRPC's callback API): gRPC holds this reactor from LeaseKeepAlive's return until
// it calls OnDone, which happens once Finish was called and every operation and reaction
// is over; OnDone deletes it. That is the one place raftkv uses `delete`: the reactor is
// created with `new` because gRPC, not raftkv, decides when it ends. A renewal in progress
// keeps it alive by delaying Finish until the member answers.
class KeepAliveReactor final
    : public grpc::ServerBidiReactor<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
 public:
  explicit KeepAliveReactor(Member* member) : member_(member) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      if (!ok) {
        // The client closed its side (etcd returns nil then) or the call was canceled.
        FinishLocked(grpc::Status::OK);
        return;
      }
      if (finished_) return;
      response_.Clear();
      *response_.mutable_header() = member_->Header();
      response_.set_id(request_.id());
      renewing_ = true;
    }
    // Outside the lock, in case the member answers on this thread.
    member_->LeaseKeepAlive(request_, [this](absl::StatusOr<LeaseKeepAliveResponse> result) {
      OnRenewed(std::move(result));
    });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "lease keepalive stream closed"));
      return;
    }
    if (!finished_) StartRead(&request_);
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    canceled_ = true;
    if (!renewing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // Finish may have been called under mu_ by another thread still inside its critical
    // section: wait for it to leave before the mutex is destroyed.
    { std::lock_guard wait_for_unlock(mu_); }
    delete this;
  }

 private:
  void OnRenewed(absl::StatusOr<LeaseKeepAliveResponse> result) {
    std::lock_guard lock(mu_);
    renewing_ = false;
    if (canceled_) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    if (!result.ok() && !IsLeaseNotFound(result.status())) {
      spdlog::debug("lease keepalive of {:x}: {}", request_.id(), result.status().ToString());
      FinishLocked(ToGrpcStatus(result.status()));
      return;
    }
    response_.set_ttl(result.ok() ? result->ttl() : 0);
    if (!finished_) StartWrite(&response_);
  }

  // Custom reactors never run reactions inline, so finishing under the lock cannot re-enter
  // it; OnDone runs on another thread and deletes only after the lock is released (std::mutex
  // may be destroyed as soon as it is unlocked).
  void FinishLocked(grpc::Status status) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  Member* const member_;
  LeaseKeepAliveRequest request_;
  LeaseKeepAliveResponse response_;
  std::mutex mu_;
  bool renewing_ = false;
  bool canceled_ = false;
  bool finished_ = false;
};

}  // namespace

grpc::ServerUnaryReactor* LeaseService::LeaseGrant(grpc::CallbackServerContext* context,
                                                   const etcdserverpb::LeaseGrantRequest* request,
                                                   etcdserverpb::LeaseGrantResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->LeaseGrant(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseRevoke(grpc::CallbackServerContext* context,
                                                    const etcdserverpb::LeaseRevokeRequest* request,
                                                    etcdserverpb::LeaseRevokeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->LeaseRevoke(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerBidiReactor<LeaseKeepAliveRequest, LeaseKeepAliveResponse>*
LeaseService::LeaseKeepAlive(grpc::CallbackServerContext* /*context*/) {
  return new KeepAliveReactor(member_);  // deletes itself in OnDone
}

grpc::ServerUnaryReactor* LeaseService::LeaseTimeToLive(
    grpc::CallbackServerContext* context, const etcdserverpb::LeaseTimeToLiveRequest* request,
    etcdserverpb::LeaseTimeToLiveResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const int64_t id = request->id();
  Done<etcdserverpb::LeaseTimeToLiveResponse> finish = FinishUnary(reactor, response);
  member_->LeaseTimeToLive(*request,
                           [id, finish = std::move(finish)](
                               absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> result) {
                             if (!result.ok() && IsLeaseNotFound(result.status())) {
                               // etcd answers an unknown lease with TTL -1, not an error.
                               etcdserverpb::LeaseTimeToLiveResponse not_found;
                               not_found.set_id(id);
                               not_found.set_ttl(-1);
                               result = std::move(not_found);
                             }
                             finish(std::move(result));
                           });
  return reactor;
}

grpc::ServerUnaryReactor* LeaseService::LeaseLeases(grpc::CallbackServerContext* context,
                                                    const etcdserverpb::LeaseLeasesRequest* request,
                                                    etcdserverpb::LeaseLeasesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->LeaseLeases(*request, FinishUnary(reactor, response));
  return reactor;
}

}  // namespace raftkv::server

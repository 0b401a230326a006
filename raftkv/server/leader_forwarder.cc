#include "raftkv/server/leader_forwarder.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "raftkv/lease/lease_table.h"

namespace raftkv::server {
namespace {

// gRPC deadlines are wall-clock time points.
std::chrono::system_clock::time_point ToSystemClock(std::chrono::steady_clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             t - std::chrono::steady_clock::now());
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

LeaderForwarder::LeaderForwarder() = default;
LeaderForwarder::~LeaderForwarder() = default;

std::shared_ptr<etcdserverpb::Lease::Stub> LeaderForwarder::StubFor(const std::string& url) {
  absl::MutexLock lock(&mu_);
  auto& stub = stubs_[url];
  if (!stub) {
    absl::string_view target = url;
    absl::ConsumePrefix(&target, "http://");
    stub = std::shared_ptr<etcdserverpb::Lease::Stub>(etcdserverpb::Lease::NewStub(
        grpc::CreateChannel(std::string(target), grpc::InsecureChannelCredentials())));
  }
  return stub;
}

void LeaderForwarder::KeepAlive(const std::string& leader_url,
                                const etcdserverpb::LeaseKeepAliveRequest& req,
                                Clock::time_point deadline,
                                Done<etcdserverpb::LeaseKeepAliveResponse> done) {
  auto stub = StubFor(leader_url);
  workers_.Submit([stub, req, deadline, done = std::move(done)] {
    grpc::ClientContext ctx;
    ctx.set_deadline(ToSystemClock(deadline));
    auto stream = stub->LeaseKeepAlive(&ctx);
    etcdserverpb::LeaseKeepAliveResponse resp;
    bool ok = stream->Write(req) && stream->Read(&resp);
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    if (!ok) return done(s.ok() ? absl::UnavailableError("leader closed the stream") : FromGrpc(s));
    if (resp.ttl() <= 0) return done(lease::ErrLeaseNotFound());
    done(resp);
  });
}

void LeaderForwarder::TimeToLive(const std::string& leader_url,
                                 const etcdserverpb::LeaseTimeToLiveRequest& req,
                                 Clock::time_point deadline,
                                 Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  auto stub = StubFor(leader_url);
  workers_.Submit([stub, req, deadline, done = std::move(done)] {
    grpc::ClientContext ctx;
    ctx.set_deadline(ToSystemClock(deadline));
    etcdserverpb::LeaseTimeToLiveResponse resp;
    grpc::Status s = stub->LeaseTimeToLive(&ctx, req, &resp);
    if (!s.ok()) return done(FromGrpc(s));
    done(resp);
  });
}

}  // namespace raftkv::server

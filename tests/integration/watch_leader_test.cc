// Watches opened with etcd's "hasleader" metadata, on a member that has lost its cluster:
// refused when the member knows no leader, ended with "etcdserver: no leader" when it stops
// knowing one, so that a client moves to a member that can still serve it. A watch without
// the metadata stays open, as in etcd.

#include <signal.h>

#include <memory>
#include <string>

#include "cluster_harness.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"

namespace raftkv::integration {
namespace {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

// One Watch stream on member i, with a watch on "k" created.
struct OpenWatch {
  std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
  std::unique_ptr<etcdserverpb::Watch::Stub> stub;
  std::unique_ptr<grpc::ClientReaderWriter<WatchRequest, WatchResponse>> stream;

  OpenWatch(LocalCluster& cluster, size_t i, bool requires_leader, milliseconds timeout) {
    if (requires_leader) context->AddMetadata("hasleader", "true");
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    stub = etcdserverpb::Watch::NewStub(cluster.ChannelTo(i));
    stream = stub->Watch(context.get());
    WatchRequest request;
    request.mutable_create_request()->set_key("k");
    stream->Write(request);
  }

  // Reads until the stream ends; returns how it ended.
  grpc::Status Drain() {
    WatchResponse response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  }
};

TEST(WatchLeaderTest, WatchesThatRequireALeaderEndWhenTheMemberLosesItsCluster) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  ASSERT_TRUE(cluster.Put("k", "v", In(milliseconds(5000))).ok());

  // Member 0 alone: its peers are killed, so it loses its leader (or its leadership).
  OpenWatch bound(cluster, 0, /*requires_leader=*/true, milliseconds(30000));
  OpenWatch unbound(cluster, 0, /*requires_leader=*/false, milliseconds(30000));
  WatchResponse created;
  ASSERT_TRUE(bound.stream->Read(&created));
  ASSERT_TRUE(created.created());
  ASSERT_TRUE(unbound.stream->Read(&created));
  ASSERT_TRUE(created.created());
  cluster.Kill(1, SIGKILL);
  cluster.Kill(2, SIGKILL);

  // Three leader checks (election timeouts) after the leader is gone, give or take one.
  const auto killed_at = Clock::now();
  grpc::Status ended = bound.Drain();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_EQ(ended.error_message(), "etcdserver: no leader");
  EXPECT_LT(Clock::now() - killed_at, 10 * cluster.election_timeout());

  // A new one is refused at once; the watch without the metadata is still open.
  OpenWatch refused(cluster, 0, /*requires_leader=*/true, milliseconds(5000));
  grpc::Status refusal = refused.Drain();
  EXPECT_EQ(refusal.error_code(), grpc::StatusCode::UNAVAILABLE) << refusal.error_message();
  EXPECT_EQ(refusal.error_message(), "etcdserver: no leader");
  unbound.context->TryCancel();
  EXPECT_EQ(unbound.Drain().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace raftkv::integration

#include "orchestrator/kubelet/pod_ips.h"

#include <gtest/gtest.h>

namespace orch::kubelet {
namespace {

TEST(PodIpAllocator, HandsOutAddressesOfTheCidrOncePerPod) {
  absl::StatusOr<PodIpAllocator> allocator = PodIpAllocator::Create("127.1.0.0/16");
  ASSERT_TRUE(allocator.ok()) << allocator.status();
  EXPECT_EQ(*allocator->Allocate("a"), "127.1.0.1");
  EXPECT_EQ(*allocator->Allocate("b"), "127.1.0.2");
  EXPECT_EQ(*allocator->Allocate("a"), "127.1.0.1");
  allocator->Release("a");
  // A released address is not handed out again at once.
  EXPECT_EQ(*allocator->Allocate("c"), "127.1.0.3");
}

TEST(PodIpAllocator, SkipsTheHostAddressAndRunsOut) {
  absl::StatusOr<PodIpAllocator> allocator = PodIpAllocator::Create("127.0.0.0/30");
  ASSERT_TRUE(allocator.ok());
  EXPECT_EQ(*allocator->Allocate("a"), "127.0.0.2");  // .0 network, .1 host, .3 broadcast
  absl::StatusOr<std::string> none = allocator->Allocate("b");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(PodIpAllocator, RestoresAddressesAfterARestart) {
  absl::StatusOr<PodIpAllocator> allocator = PodIpAllocator::Create("127.2.0.0/24");
  ASSERT_TRUE(allocator.ok());
  EXPECT_TRUE(allocator->Restore("a", "127.2.0.1"));
  EXPECT_FALSE(allocator->Restore("b", "127.2.0.1"));
  EXPECT_FALSE(allocator->Restore("c", "127.3.0.1"));
  EXPECT_EQ(*allocator->Allocate("b"), "127.2.0.2");
}

TEST(PodIpAllocator, RefusesBadCidrs) {
  EXPECT_FALSE(PodIpAllocator::Create("127.1.0.0").ok());
  EXPECT_FALSE(PodIpAllocator::Create("127.1.0.300/16").ok());
  EXPECT_FALSE(PodIpAllocator::Create("127.1.0.0/31").ok());
  EXPECT_EQ(PodIpAllocator::Create("127.1.2.3/16")->cidr(), "127.1.0.0/16");
}

}  // namespace
}  // namespace orch::kubelet

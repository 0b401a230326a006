// Unit tests of the transport's pure helpers: checksum, backoff, token bucket, addresses.

#include <chrono>

#include "gtest/gtest.h"
#include "raftkv/transport/backoff.h"
#include "raftkv/transport/peer_address.h"
#include "raftkv/transport/snapshot_sender.h"
#include "raftkv/transport/token_bucket.h"

namespace raftkv::transport {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsToTheCapWithBoundedJitter) {
  Backoff backoff(milliseconds(50), milliseconds(2000), 42);
  int64_t base = 50;
  for (int i = 0; i < 10; ++i) {
    const int64_t delay = backoff.Next().count();
    EXPECT_GE(delay, base - base / 5) << i;
    EXPECT_LE(delay, base + base / 5) << i;
    base = std::min<int64_t>(base * 2, 2000);
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next().count(), 60);
}

TEST(BackoffTest, DifferentSeedsSpreadOut) {
  Backoff a(milliseconds(1000), milliseconds(1000), 1);
  Backoff b(milliseconds(1000), milliseconds(1000), 2);
  int differences = 0;
  for (int i = 0; i < 10; ++i)
    differences += a.Next() != b.Next();
  EXPECT_GT(differences, 5);
}

TEST(TokenBucketTest, UnlimitedNeverWaits) {
  const auto now = TokenBucket::Clock::now();
  TokenBucket bucket(0, 1 << 20, now);
  EXPECT_EQ(bucket.Reserve(1 << 30, now).count(), 0);
}

TEST(TokenBucketTest, TotalTimeIsAtLeastSizeOverRate) {
  // 1 MB/s, 100 chunks of 100 KB: the last chunk may go no earlier than 10 s after the start.
  auto now = TokenBucket::Clock::now();
  const auto start = now;
  TokenBucket bucket(1'000'000, 100'000, now);
  for (int i = 0; i < 100; ++i)
    now += bucket.Reserve(100'000, now);  // wait as told
  EXPECT_GE(now - start, std::chrono::seconds(10));
  EXPECT_LE(now - start, std::chrono::milliseconds(10'001));
}

TEST(TokenBucketTest, IdleTimeBanksAtMostOneBurst) {
  auto now = TokenBucket::Clock::now();
  TokenBucket bucket(1'000'000, 100'000, now);
  now += std::chrono::seconds(60);
  EXPECT_EQ(bucket.Reserve(100'000, now).count(), 0);  // the banked burst
  EXPECT_EQ(bucket.Reserve(100'000, now), std::chrono::milliseconds(100));
}

TEST(SnapshotChunkTest, ChunksShrinkUnderALowCap) {
  EXPECT_EQ(EffectiveChunkBytes(1 << 20, 0), 1u << 20);
  EXPECT_EQ(EffectiveChunkBytes(1 << 20, 64 << 20), 1u << 20);
  EXPECT_EQ(EffectiveChunkBytes(1 << 20, 1 << 20), 256u << 10);  // a quarter second each
  EXPECT_EQ(EffectiveChunkBytes(1 << 20, 1000), 4096u);          // but not absurdly small
  EXPECT_EQ(EffectiveChunkBytes(0, 0), 4096u);
}

TEST(PeerAddressTest, ParsesTheAcceptedForms) {
  EXPECT_EQ(*ParsePeerAddress("127.0.0.1:2380"), (PeerAddress{"127.0.0.1", 2380}));
  EXPECT_EQ(*ParsePeerAddress("http://node-1.example:2380/"),
            (PeerAddress{"node-1.example", 2380}));
  EXPECT_EQ(*ParsePeerAddress("tcp://[::1]:7001"), (PeerAddress{"::1", 7001}));
  EXPECT_EQ(ToString(PeerAddress{"::1", 7001}), "[::1]:7001");
}

TEST(PeerAddressTest, RefusesBadForms) {
  for (const char* url :
       {"", "host", "host:", ":80", "host:99999", "host:x", "https://h:1", "::1:80", "[::1]80"}) {
    EXPECT_FALSE(ParsePeerAddress(url).ok()) << url;
  }
}

}  // namespace
}  // namespace raftkv::transport

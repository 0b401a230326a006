#include "raftkv/server/server_options.h"

#include <gtest/gtest.h>

#include "raftkv/server/member_id.h"

namespace raftkv::server {
namespace {

absl::StatusOr<ServerOptions> Parse(std::vector<std::string> flags) {
  flags.insert(flags.begin(), "raftkv");
  return ParseServerFlags(flags);
}

TEST(ServerOptionsTest, DefaultsMatchEtcd) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "default");
  EXPECT_EQ(o->data_dir, "default.etcd");
  EXPECT_TRUE(o->wal_dir.empty());  // <data-dir>/member/wal
  EXPECT_EQ(o->listen_client_urls[0].ToString(), "http://localhost:2379");
  EXPECT_EQ(o->initial_cluster.at("default")[0].ToString(), "http://localhost:2380");
  EXPECT_EQ(o->snapshot_count, 10000u);
  EXPECT_EQ(o->snapshot_catchup_entries, 5000u);
  EXPECT_EQ(o->ElectionTicks(), 10);
  EXPECT_EQ(o->max_request_bytes, 1572864u);
  EXPECT_EQ(o->max_txn_ops, 128u);
  EXPECT_EQ(o->quota_backend_bytes, int64_t{2} << 30);
}

TEST(ServerOptionsTest, ThreeMemberClusterFlags) {
  auto o = Parse({"--name",
                  "n2",
                  "--data-dir",
                  "/tmp/n2",
                  "--listen-client-urls",
                  "http://127.0.0.1:22379",
                  "--advertise-client-urls",
                  "http://127.0.0.1:22379",
                  "--listen-peer-urls",
                  "http://127.0.0.1:22380",
                  "--initial-advertise-peer-urls=http://127.0.0.1:22380",
                  "--initial-cluster",
                  "n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380,n3=http://127.0.0.1:32380",
                  "--initial-cluster-state",
                  "existing",
                  "--initial-cluster-token",
                  "tok",
                  "--heartbeat-interval",
                  "50",
                  "--election-timeout",
                  "500",
                  "--auto-compaction-mode",
                  "revision",
                  "--auto-compaction-retention",
                  "1000"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->initial_cluster.size(), 3u);
  EXPECT_EQ(o->initial_cluster_state, ClusterState::kExisting);
  EXPECT_TRUE(o->wal_dir.empty());
  EXPECT_EQ(o->ElectionTicks(), 10);
  EXPECT_EQ(o->auto_compaction_mode, AutoCompactionMode::kRevision);
  EXPECT_EQ(o->auto_compaction_revisions, 1000);
}

TEST(ServerOptionsTest, SnapshotCountAndCatchUpEntries) {
  auto o = Parse({"--snapshot-count", "500", "--experimental-snapshot-catchup-entries", "50"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->snapshot_count, 500u);
  EXPECT_EQ(o->snapshot_catchup_entries, 50u);
}

TEST(ServerOptionsTest, PeriodicRetentionTakesHoursOrDurations) {
  EXPECT_EQ(Parse({"--auto-compaction-retention", "2"})->auto_compaction_period,
            std::chrono::hours(2));
  EXPECT_EQ(Parse({"--auto-compaction-retention", "30m"})->auto_compaction_period,
            std::chrono::minutes(30));
  EXPECT_FALSE(Parse({"--auto-compaction-retention", "soon"}).ok());
}

TEST(ServerOptionsTest, RefusesBadFlagsWithClearMessages) {
  auto short_election = Parse({"--heartbeat-interval", "100", "--election-timeout", "300"});
  EXPECT_NE(short_election.status().message().find("at least as 5 times"), std::string::npos);
  auto missing_self = Parse({"--name", "x", "--initial-cluster", "y=http://127.0.0.1:2380"});
  EXPECT_NE(missing_self.status().message().find("couldn't find local name \"x\""),
            std::string::npos);
  auto mismatch = Parse({"--initial-cluster", "default=http://127.0.0.1:9999"});
  EXPECT_NE(mismatch.status().message().find("missing from --initial-advertise-peer-urls"),
            std::string::npos);
  EXPECT_FALSE(Parse({"--initial-cluster-state", "maybe"}).ok());
  EXPECT_FALSE(Parse({"--listen-client-urls", "127.0.0.1:2379"}).ok());
  EXPECT_FALSE(Parse({"--no-such-flag", "1"}).ok());
}

TEST(ServerOptionsTest, HelpIsReturnedNotPrinted) {
  auto help = Parse({"--help"});
  EXPECT_EQ(help.status().code(), absl::StatusCode::kCancelled);
  EXPECT_NE(help.status().message().find("--initial-cluster-token"), std::string::npos);
}

TEST(UrlTest, ParsesAndRefuses) {
  auto u = ParseUrl("http://127.0.0.1:2379/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 2379);
  EXPECT_EQ(ParseUrl("http://[::1]:80")->HostPort(), "[::1]:80");
  EXPECT_FALSE(ParseUrl("https://a:1").ok());
  EXPECT_FALSE(ParseUrl("http://a").ok());
  EXPECT_FALSE(ParseUrl("http://a:1/path").ok());
  EXPECT_FALSE(ParseUrl("http://a:99999").ok());
  EXPECT_FALSE(ParseUrlList("").ok());
  EXPECT_EQ(ParseUrlList("http://a:1, http://b:2")->size(), 2u);
}

TEST(MemberIdTest, DependsOnSortedUrlsAndToken) {
  uint64_t a = ComputeMemberId({"http://a:1", "http://b:2"}, "tok");
  EXPECT_EQ(a, ComputeMemberId({"http://b:2", "http://a:1"}, "tok"));
  EXPECT_NE(a, ComputeMemberId({"http://a:1", "http://b:2"}, "other"));
  EXPECT_NE(a, ComputeMemberId({"http://a:1"}, "tok"));
  EXPECT_EQ(ComputeClusterId("tok"), ComputeClusterId("tok"));
  EXPECT_NE(ComputeClusterId("tok"), ComputeClusterId("other"));
  EXPECT_EQ(IdToHex(0x8e9e05c52164694dULL), "8e9e05c52164694d");
}

}  // namespace
}  // namespace raftkv::server

// Bad input gets etcd's error and the cluster keeps serving: oversized requests, too many
// txn ops, unknown leases, watches from compacted revisions, malformed member URLs, a member
// of another cluster (wrong --initial-cluster-token), and a corrupted WAL on disk.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cluster_harness.h"
#include "gtest/gtest.h"

namespace raftkv::integration {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxRequestBytes = 64 * 1024;
constexpr int kMaxTxnOps = 16;

class BadInputTest : public ::testing::Test {
 protected:
  static ClusterOptions Options() {
    ClusterOptions options;
    options.extra_flags = {"--max-request-bytes=" + std::to_string(kMaxRequestBytes),
                           "--max-txn-ops=" + std::to_string(kMaxTxnOps)};
    return options;
  }

  void SetUp() override { ASSERT_TRUE(cluster_.Start(In(milliseconds(10000)))); }

  std::unique_ptr<etcdserverpb::KV::Stub> Kv(size_t i = 0) {
    return etcdserverpb::KV::NewStub(cluster_.ChannelTo(i));
  }

  grpc::Status Put(const std::string& key, const std::string& value, int64_t lease = 0) {
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    request.set_lease(lease);
    etcdserverpb::PutResponse response;
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    return Kv()->Put(&context, request, &response);
  }

  // The cluster still takes writes (through any member).
  void ExpectServing() {
    grpc::Status status = cluster_.Put("still-serving", "yes", In(milliseconds(5000)));
    EXPECT_TRUE(status.ok()) << Describe(status);
  }

  LocalCluster cluster_{Options()};
};

TEST_F(BadInputTest, PutOverMaxRequestBytesIsTooLarge) {
  grpc::Status status = Put("big", std::string(kMaxRequestBytes + 1024, 'x'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(status.error_message(), "etcdserver: request is too large");
  ExpectServing();
}

TEST_F(BadInputTest, TxnOverMaxTxnOpsHasTooManyOperations) {
  etcdserverpb::TxnRequest request;
  for (int i = 0; i <= kMaxTxnOps; ++i) {
    auto* put = request.add_success()->mutable_request_put();
    put->set_key("txn/" + std::to_string(i));
    put->set_value("v");
  }
  etcdserverpb::TxnResponse response;
  grpc::ClientContext context;
  ConfigureCall(context, milliseconds(5000));
  grpc::Status status = Kv()->Txn(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(status.error_message(), "etcdserver: too many operations in txn request");
  ExpectServing();
}

TEST_F(BadInputTest, PutWithUnknownLeaseIsLeaseNotFound) {
  grpc::Status status = Put("leased", "v", /*lease=*/0x12345);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(status.error_message(), "etcdserver: requested lease not found");
  ExpectServing();
}

TEST_F(BadInputTest, WatchFromCompactedRevisionIsCanceledWithCompactRevision) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(Put("watched", std::to_string(i)).ok());
  std::vector<std::string> keys;
  int64_t revision = 0;
  ASSERT_TRUE(cluster_.KeysWithPrefix(0, "watched", In(milliseconds(5000)), &keys, &revision).ok());
  {
    etcdserverpb::CompactionRequest request;
    request.set_revision(revision);
    etcdserverpb::CompactionResponse response;
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    ASSERT_TRUE(Kv()->Compact(&context, request, &response).ok());
  }

  // The watch goes to another member: a linearizable read there first makes sure it has
  // applied the compaction (which the Compact call waited for on member 0 only).
  const size_t watched_member = 1;
  ASSERT_TRUE(
      cluster_.KeysWithPrefix(watched_member, "watched", In(milliseconds(5000)), &keys, nullptr)
          .ok());
  auto watch = etcdserverpb::Watch::NewStub(cluster_.ChannelTo(watched_member));
  grpc::ClientContext context;
  ConfigureCall(context, milliseconds(5000));
  auto stream = watch->Watch(&context);
  etcdserverpb::WatchRequest request;
  request.mutable_create_request()->set_key("watched");
  request.mutable_create_request()->set_start_revision(2);
  ASSERT_TRUE(stream->Write(request));
  etcdserverpb::WatchResponse response;
  bool compacted = false;
  std::string seen;
  while (!compacted && stream->Read(&response)) {
    compacted = response.compact_revision() != 0;
    seen += response.ShortDebugString() + "\n";
  }
  ASSERT_TRUE(compacted) << "no response with compact_revision before the deadline; got:\n" << seen;
  EXPECT_EQ(response.compact_revision(), revision);
  EXPECT_TRUE(response.canceled());
  EXPECT_EQ(response.events_size(), 0);
  context.TryCancel();
  ExpectServing();
}

TEST_F(BadInputTest, MemberAddWithMalformedUrlIsInvalidAndChangesNothing) {
  std::vector<uint64_t> before;
  ASSERT_TRUE(cluster_.MemberIds(0, &before));
  auto stub = etcdserverpb::Cluster::NewStub(cluster_.ChannelTo(0));
  for (const char* url : {"not a url", "http://127.0.0.1:notaport", "127.0.0.1:2380"}) {
    etcdserverpb::MemberAddRequest request;
    request.add_peerurls(url);
    etcdserverpb::MemberAddResponse response;
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    grpc::Status status = stub->MemberAdd(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << url << " -> " << Describe(status);
  }
  for (size_t i = 0; i < 3; ++i) {
    std::vector<uint64_t> after;
    ASSERT_TRUE(cluster_.MemberIds(i, &after));
    EXPECT_EQ(after, before) << "member list of " << cluster_.slot(i).name;
  }
  ExpectServing();
}

TEST_F(BadInputTest, MemberWithWrongClusterTokenNeverJoins) {
  std::vector<uint64_t> before;
  ASSERT_TRUE(cluster_.MemberIds(0, &before));
  const size_t stranger = cluster_.StartStranger("some-other-cluster");
  // For several election timeouts the stranger campaigns; its messages carry the wrong
  // cluster id and must be refused, so it never learns of a leader.
  const Deadline watch_until = In(6 * cluster_.election_timeout());
  bool stranger_answered = false;
  while (Clock::now() < watch_until) {
    std::optional<uint64_t> leader = cluster_.LeaderSeenBy(stranger);
    if (leader) {
      stranger_answered = true;
      ASSERT_EQ(*leader, 0u) << "the stranger found a leader";
    }
    ExpectServing();
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(stranger_answered) << "the stranger never served Status";
  EXPECT_TRUE(cluster_.WaitForLeader(In(milliseconds(5000))));
  for (size_t i = 0; i < 3; ++i) {
    std::vector<uint64_t> after;
    ASSERT_TRUE(cluster_.MemberIds(i, &after));
    EXPECT_EQ(after, before) << "member list of " << cluster_.slot(i).name;
  }
  EXPECT_NE(cluster_.LogSince(0, 0).find("cluster id mismatch"), std::string::npos)
      << "no member logged refusing the stranger";
}

struct Damage {
  uint64_t record_offset = 0;  // where the damaged record starts
  uint64_t byte_offset = 0;    // the byte to flip: inside its payload
};

// Walks the 8-aligned records of a WAL segment (length, type, flags, reserved, crc,
// payload) and picks a payload byte of the record in the middle of the data.
std::optional<Damage> DamageInMiddleRecord(const std::string& data) {
  std::vector<std::pair<uint64_t, uint32_t>> records;  // offset, payload length
  uint64_t offset = 0;
  while (offset + 12 <= data.size()) {
    uint32_t length = 0;
    std::memcpy(&length, data.data() + offset, 4);
    if (length == 0 || offset + 12 + length > data.size()) break;
    records.emplace_back(offset, length);
    offset += (12 + length + 7) & ~uint64_t{7};
  }
  if (records.size() < 10) return std::nullopt;
  const auto& [record, length] = records[records.size() / 2];
  return Damage{record, record + 12 + length / 2};
}

TEST_F(BadInputTest, CorruptWalRefusesToStartNamingFileAndOffset) {
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(cluster_.Put("wal/" + std::to_string(i), "v", In(milliseconds(5000))).ok());
  const size_t victim = 2;
  cluster_.Kill(victim, SIGKILL);

  const fs::path wal_dir = cluster_.slot(victim).data_dir / "member" / "wal";
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(wal_dir)) {
    if (entry.path().extension() == ".wal") segments.push_back(entry.path());
  }
  ASSERT_FALSE(segments.empty()) << "no WAL segment in " << wal_dir;
  std::sort(segments.begin(), segments.end());
  const fs::path segment = segments.back();
  std::string data;
  {
    std::ifstream in(segment, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::optional<Damage> damage = DamageInMiddleRecord(data);
  ASSERT_TRUE(damage) << "too few records in " << segment;
  {
    std::fstream out(segment, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(damage->byte_offset));
    out.put(static_cast<char>(data[damage->byte_offset] ^ 0x40));
  }

  const size_t log_before = cluster_.LogSize(victim);
  cluster_.Restart(victim);
  std::optional<int> exit_status = cluster_.WaitForExit(victim, In(milliseconds(10000)));
  ASSERT_TRUE(exit_status) << "the member started on a corrupt WAL";
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) != 0)
      << "wait status " << *exit_status;
  const std::string log = cluster_.LogSince(victim, log_before);
  EXPECT_NE(log.find(segment.string()), std::string::npos) << "log names no file:\n" << log;
  EXPECT_NE(log.find("at byte offset " + std::to_string(damage->record_offset)), std::string::npos)
      << "log names not the damaged record's offset " << damage->record_offset << ":\n"
      << log;
  ExpectServing();
}

}  // namespace
}  // namespace raftkv::integration

// Disk faults against real `raftkv` processes (issue 7):
// - fsync that fails, and a full disk under the WAL (ENOSPC), injected by disk_fault_shim (an
//   LD_PRELOAD library) while the member runs: the member stops with a log line naming the
//   file, no write the cluster acknowledged is lost, and it rejoins once the disk is healthy;
// - the etcd NOSPACE behaviour of --quota-backend-bytes;
// - files damaged while the member is down: start refuses naming the file and offset, except
//   for a torn WAL tail, which it cuts off;
// - a snapshot from a peer whose checkpoint name leads out of the member's data directory.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster_harness.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "raftkv/transport/frame.h"
#include "raftkv/wal/record.h"
#include "serverpb/apply.pb.h"
#include "write_load.h"

namespace raftkv::integration {
namespace {

namespace fs = std::filesystem;

// The member's WAL directory (raftkv's default layout).
fs::path WalDir(const MemberSlot& slot) {
  return slot.data_dir / "member" / "wal";
}

// While this file exists, the shim fails the member's WAL calls.
fs::path FaultTrigger(const MemberSlot& slot) {
  return slot.data_dir.string() + ".disk-fault";
}

// Every member runs under the shim, with its faults confined to its own WAL and off until
// its trigger file appears.
ClusterOptions WithDiskFaults(const std::string& fault, int members) {
  ClusterOptions options;
  options.members = members;
  options.member_environment = [fault](const MemberSlot& slot) {
    return std::vector<std::string>{
        absl::StrCat("LD_PRELOAD=", RAFTKV_DISK_FAULT_SHIM),
        absl::StrCat("RAFTKV_DISK_FAULT=", fault),
        absl::StrCat("RAFTKV_DISK_FAULT_DIR=", WalDir(slot).string()),
        absl::StrCat("RAFTKV_DISK_FAULT_TRIGGER=", FaultTrigger(slot).string()),
        // In sanitizer builds the preloaded shim comes before the ASan runtime.
        "ASAN_OPTIONS=verify_asan_link_order=0",
    };
  };
  return options;
}

void SetFault(const MemberSlot& slot, bool on) {
  if (on) {
    std::ofstream(FaultTrigger(slot)) << "on\n";
  } else {
    fs::remove(FaultTrigger(slot));
  }
}

// The member stopped by itself (not a clean exit), and its log says why, naming the WAL.
::testing::AssertionResult StoppedNamingWal(LocalCluster& cluster, size_t i, size_t log_offset,
                                            const std::string& what) {
  std::optional<int> status = cluster.WaitForExit(i, In(milliseconds(10000)));
  if (!status) return ::testing::AssertionFailure() << "the member is still running";
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
    return ::testing::AssertionFailure() << "the member exited with status 0";
  }
  const std::string log = cluster.LogSince(i, log_offset);
  const std::string wal = WalDir(cluster.slot(i)).string();
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find("disk_fault_shim") != absl::string_view::npos) continue;
    if (line.find(what) != absl::string_view::npos && line.find(wal) != absl::string_view::npos) {
      std::printf("member %s stopped: %s\n", cluster.slot(i).name.c_str(),
                  std::string(line).c_str());
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no log line with \"" << what << "\" and " << wal << " in:\n"
         << log;
}

TEST(DiskFaultTest, FailedFsyncStopsTheLeaderWithoutLosingAcknowledgedWrites) {
  LocalCluster cluster(WithDiskFaults("fsync-eio", 3));
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  WriteLoad load(cluster, "fsync/", 3);
  ASSERT_TRUE(load.WaitForProgress(100, In(milliseconds(10000))));

  std::optional<size_t> leader = cluster.WaitForLeader(In(milliseconds(5000)));
  ASSERT_TRUE(leader);
  const size_t log_offset = cluster.LogSize(*leader);
  SetFault(cluster.slot(*leader), true);
  EXPECT_TRUE(StoppedNamingWal(cluster, *leader, log_offset, "fdatasync"));

  // The others elect a leader and go on acknowledging writes.
  ASSERT_TRUE(load.WaitForProgress(100, In(milliseconds(15000))));
  load.Stop();
  const std::vector<std::string> acknowledged = load.AcknowledgedKeys();
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (i != *leader) {
      EXPECT_TRUE(cluster.HasAllKeys(i, load.prefix(), acknowledged, In(milliseconds(10000))));
    }
  }

  SetFault(cluster.slot(*leader), false);
  cluster.Restart(*leader);
  EXPECT_TRUE(cluster.HasAllKeys(*leader, load.prefix(), acknowledged, In(milliseconds(15000))));
  EXPECT_TRUE(cluster.WaitForSameHash({0, 1, 2}, In(milliseconds(15000))));
}

// One member: every acknowledgement rests on its own WAL alone, so a write it acknowledged
// without having written it would be missing after the restart.
TEST(DiskFaultTest, FullDiskUnderTheWalStopsTheMemberAndItRecoversWhenSpaceReturns) {
  LocalCluster cluster(WithDiskFaults("enospc", 1));
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  WriteLoad load(cluster, "enospc/", 2);
  ASSERT_TRUE(load.WaitForProgress(100, In(milliseconds(10000))));

  const size_t log_offset = cluster.LogSize(0);
  SetFault(cluster.slot(0), true);
  EXPECT_TRUE(StoppedNamingWal(cluster, 0, log_offset, "No space left on device"));
  load.Stop();
  const std::vector<std::string> acknowledged = load.AcknowledgedKeys();

  SetFault(cluster.slot(0), false);
  cluster.Restart(0);
  EXPECT_TRUE(cluster.HasAllKeys(0, load.prefix(), acknowledged, In(milliseconds(15000))));
  EXPECT_TRUE(cluster.Put("enospc/after", "v", In(milliseconds(10000))).ok());
}

// --quota-backend-bytes as etcd applies it: past the quota the NOSPACE alarm is raised and
// writes fail with etcd's error, while reads and deletes go on; compaction, defragmentation
// and disarming the alarm make room for writes again.
TEST(DiskFaultTest, QuotaExceededRaisesNospaceUntilCompactDefragAndDisarm) {
  ClusterOptions options;
  options.members = 1;
  constexpr int64_t kQuotaBytes = 256 << 10;
  options.extra_flags = {absl::StrCat("--quota-backend-bytes=", kQuotaBytes)};
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  auto kv = etcdserverpb::KV::NewStub(cluster.ChannelTo(0));
  auto maintenance = etcdserverpb::Maintenance::NewStub(cluster.ChannelTo(0));

  // One try, so that a refusal is seen as it is.
  auto put_once = [&kv](const std::string& key, const std::string& value) {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    etcdserverpb::PutRequest put;
    put.set_key(key);
    put.set_value(value);
    etcdserverpb::PutResponse response;
    return kv->Put(&context, put, &response);
  };
  // Distinct values until the quota refuses one: 16 puts of 16 KiB fill it. Pseudo-random
  // bytes, so that compression cannot hide them from the quota.
  grpc::Status refused;
  int written = 0;
  for (; written < 200 && refused.ok(); ++written) {
    std::string value(16 << 10, '\0');
    uint32_t state = 2654435761u * static_cast<uint32_t>(written + 1);
    for (char& byte : value) {
      state = state * 1664525u + 1013904223u;
      byte = static_cast<char>(state >> 24);
    }
    refused = put_once(absl::StrCat("quota/", written % 64), value);
  }
  ASSERT_FALSE(refused.ok()) << "no write refused after " << written << " puts of 16 KiB";
  std::printf("quota of %lld bytes refused put number %d\n", static_cast<long long>(kQuotaBytes),
              written);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(), "etcdserver: mvcc: database space exceeded");

  {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    etcdserverpb::AlarmRequest list;
    list.set_action(etcdserverpb::AlarmRequest::GET);
    etcdserverpb::AlarmResponse alarms;
    ASSERT_TRUE(maintenance->Alarm(&context, list, &alarms).ok());
    ASSERT_EQ(alarms.alarms_size(), 1);
    EXPECT_EQ(alarms.alarms(0).alarm(), etcdserverpb::NOSPACE);
  }
  std::vector<std::string> keys;
  int64_t revision = 0;
  ASSERT_TRUE(cluster.KeysWithPrefix(0, "quota/", In(milliseconds(5000)), &keys, &revision).ok());
  EXPECT_FALSE(keys.empty());
  EXPECT_EQ(put_once("quota/more", "v").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Deletes still work; then compaction and defragmentation release the space.
  {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    etcdserverpb::DeleteRangeRequest del;
    del.set_key("quota/");
    del.set_range_end("quota0");
    etcdserverpb::DeleteRangeResponse deleted;
    ASSERT_TRUE(kv->DeleteRange(&context, del, &deleted).ok());
    EXPECT_EQ(deleted.deleted(), static_cast<int64_t>(keys.size()));
    revision = deleted.header().revision();
  }
  {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    etcdserverpb::CompactionRequest compact;
    compact.set_revision(revision);
    compact.set_physical(true);
    etcdserverpb::CompactionResponse compacted;
    ASSERT_TRUE(kv->Compact(&context, compact, &compacted).ok());
  }
  {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(30000));
    etcdserverpb::DefragmentResponse defragmented;
    ASSERT_TRUE(
        maintenance->Defragment(&context, etcdserverpb::DefragmentRequest(), &defragmented).ok());
  }
  // Still refused until the alarm is disarmed, as in etcd.
  EXPECT_EQ(put_once("quota/more", "v").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  {
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(5000));
    etcdserverpb::AlarmRequest disarm;
    disarm.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
    disarm.set_memberid(cluster.slot(0).id);
    disarm.set_alarm(etcdserverpb::NOSPACE);
    etcdserverpb::AlarmResponse alarms;
    ASSERT_TRUE(maintenance->Alarm(&context, disarm, &alarms).ok());
  }
  EXPECT_TRUE(put_once("quota/more", "v").ok());
}

// ---- Files damaged while the member is down ----

struct WalRecord {
  uint64_t offset = 0;
  wal::DecodedRecord record;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteByteAt(const fs::path& path, uint64_t offset, char byte) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(offset));
  out.put(byte);
}

fs::path LastSegment(const MemberSlot& slot) {
  std::vector<fs::path> segments;
  for (const fs::directory_entry& entry : fs::directory_iterator(WalDir(slot))) {
    if (entry.path().extension() == ".wal") segments.push_back(entry.path());
  }
  return segments.empty() ? fs::path() : *std::max_element(segments.begin(), segments.end());
}

// The intact records of a segment, in order; their payloads point into data.
std::vector<WalRecord> Records(const std::string& data) {
  std::vector<WalRecord> records;
  uint64_t offset = 0;
  WalRecord r;
  std::string why;
  while (wal::DecodeRecordAt(data, offset, &r.record, &why) == wal::DecodeOutcome::kRecord) {
    r.offset = offset;
    records.push_back(r);
    offset += r.record.framed_size;
  }
  return records;
}

// A one-member cluster holding `count` acknowledged keys, stopped.
void WriteKeysAndStop(LocalCluster& cluster, int count, std::vector<std::string>* keys) {
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  for (int k = 0; k < count; ++k) {
    std::string key = absl::StrCat("damage/", k);
    ASSERT_TRUE(cluster.Put(key, "v", In(milliseconds(5000))).ok());
    keys->push_back(key);
  }
  cluster.Kill(0, SIGKILL);
}

// Start refuses: the member exits non-zero, logging `file` and `offset_text`.
::testing::AssertionResult RefusesToStart(LocalCluster& cluster, const std::string& file,
                                          const std::string& offset_text) {
  const size_t log_offset = cluster.LogSize(0);
  cluster.Restart(0);
  std::optional<int> status = cluster.WaitForExit(0, In(milliseconds(10000)));
  if (!status) return ::testing::AssertionFailure() << "the member started";
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
    return ::testing::AssertionFailure() << "the member exited with status 0";
  }
  const std::string log = cluster.LogSince(0, log_offset);
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find(file) != absl::string_view::npos &&
        line.find(offset_text) != absl::string_view::npos) {
      std::printf("start refused: %s\n", std::string(line).c_str());
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no log line naming " << file << " and \"" << offset_text << "\" in:\n"
         << log;
}

TEST(DiskFaultTest, FlippedByteInTheMiddleOfTheWalIsRefusedAtStart) {
  ClusterOptions options;
  options.members = 1;
  LocalCluster cluster(options);
  std::vector<std::string> keys;
  ASSERT_NO_FATAL_FAILURE(WriteKeysAndStop(cluster, 40, &keys));

  const fs::path segment = LastSegment(cluster.slot(0));
  const std::string data = ReadFile(segment);
  const std::vector<WalRecord> records = Records(data);
  ASSERT_GT(records.size(), 20u);
  // An entry in the middle: later writes follow it, so it cannot pass for a torn tail.
  const WalRecord& victim = records[records.size() / 2];
  const uint64_t flipped_at =
      victim.offset + wal::kRecordHeaderSize + victim.record.payload.size() / 2;
  const char original = victim.record.payload[victim.record.payload.size() / 2];
  WriteByteAt(segment, flipped_at, static_cast<char>(original ^ 0x5a));

  EXPECT_TRUE(
      RefusesToStart(cluster, segment.string(), absl::StrCat("byte offset ", victim.offset)));

  // The refusal was about that byte: with it restored, the member starts with every key.
  WriteByteAt(segment, flipped_at, original);
  cluster.Restart(0);
  EXPECT_TRUE(cluster.HasAllKeys(0, "damage/", keys, In(milliseconds(10000))));
}

TEST(DiskFaultTest, FlippedByteInASnapshotFileIsRefusedAtStart) {
  ClusterOptions options;
  options.members = 1;
  LocalCluster cluster(options);
  std::vector<std::string> keys;
  ASSERT_NO_FATAL_FAILURE(WriteKeysAndStop(cluster, 5, &keys));

  std::vector<fs::path> snapshots;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(cluster.slot(0).data_dir / "member" / "snap")) {
    if (entry.path().extension() == ".snap") snapshots.push_back(entry.path());
  }
  ASSERT_FALSE(snapshots.empty());
  const fs::path snapshot = *std::max_element(snapshots.begin(), snapshots.end());
  const std::string data = ReadFile(snapshot);
  ASSERT_GT(data.size(), 20u);
  const uint64_t flipped_at = data.size() - 2;  // inside the checksummed payload
  WriteByteAt(snapshot, flipped_at, static_cast<char>(data[flipped_at] ^ 0x01));

  EXPECT_TRUE(RefusesToStart(cluster, snapshot.string(), "byte offset"));
}

// A torn tail (the end of the last write cut off) is what a crash leaves: the member cuts it
// off, says so, and gets what it lost back from the others.
TEST(DiskFaultTest, TruncatedWalTailIsCutOffAndTheMemberCatchesUp) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  std::vector<std::string> keys;
  for (int k = 0; k < 30; ++k) {
    std::string key = absl::StrCat("torn/", k);
    ASSERT_TRUE(cluster.Put(key, "v", In(milliseconds(5000))).ok());
    keys.push_back(key);
  }
  const size_t victim = 2;
  ASSERT_TRUE(cluster.HasAllKeys(victim, "torn/", keys, In(milliseconds(10000))));
  cluster.Kill(victim, SIGKILL);

  const fs::path segment = LastSegment(cluster.slot(victim));
  const std::string data = ReadFile(segment);
  const std::vector<WalRecord> records = Records(data);
  ASSERT_GT(records.size(), 2u);
  const WalRecord& last = records.back();
  // Cut inside the last record's payload: its checksum cannot match any more.
  const uint64_t cut_at = last.offset + wal::kRecordHeaderSize + last.record.payload.size() / 2;
  fs::resize_file(segment, cut_at);

  const size_t log_offset = cluster.LogSize(victim);
  cluster.Restart(victim);
  EXPECT_TRUE(cluster.HasAllKeys(victim, "torn/", keys, In(milliseconds(15000))));
  const std::string log = cluster.LogSince(victim, log_offset);
  EXPECT_NE(log.find(absl::StrCat("cutting torn tail of ", segment.string(), " at byte offset ",
                                  last.offset)),
            std::string::npos)
      << log;
  EXPECT_TRUE(cluster.Put("torn/after", "v", In(milliseconds(5000))).ok());
  EXPECT_TRUE(cluster.WaitForSameHash({0, 1, 2}, In(milliseconds(15000))));
}

// ---- A snapshot's checkpoint name from a peer ----

// Sends bytes to 127.0.0.1:port and returns what comes back until the peer closes (or 5 s).
std::string Exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string received;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
      received.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return received;
}

// The receiver replaces the directory a snapshot's descriptor names with the files it got:
// a name such as "../../../victim" must be refused, not followed out of the data directory.
TEST(DiskFaultTest, SnapshotFromAPeerCannotReplaceADirectoryOutsideTheMember) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  etcdserverpb::StatusResponse receiver;
  etcdserverpb::StatusResponse sender;
  ASSERT_TRUE(cluster.Status(0, &receiver).ok());
  ASSERT_TRUE(cluster.Status(1, &sender).ok());
  // <root>/m0/member/checkpoints/../../../victim is <root>/victim.
  const fs::path victim = cluster.slot(0).data_dir.parent_path() / "victim";
  fs::create_directories(victim);
  std::ofstream(victim / "precious") << "keep me\n";

  serverpb::SnapshotDescriptor descriptor;
  descriptor.set_checkpoint("../../../victim");
  raftpb::Message message;
  message.set_type(raftpb::MSG_SNAP);
  message.set_cluster_id(receiver.header().cluster_id());
  message.set_from(sender.header().member_id());
  message.set_to(receiver.header().member_id());
  message.set_term(receiver.raftterm());
  message.mutable_snapshot()->mutable_metadata()->set_index(receiver.raftindex() + 1000);
  message.mutable_snapshot()->mutable_metadata()->set_term(receiver.raftterm());
  message.mutable_snapshot()->set_data(descriptor.SerializeAsString());
  const transport::Handshake handshake{transport::StreamKind::kSnapshot,
                                       receiver.header().cluster_id(), sender.header().member_id(),
                                       receiver.header().member_id()};
  std::string stream;
  transport::AppendFrame(transport::FrameKind::kHandshake, transport::EncodeHandshake(handshake),
                         &stream);
  transport::AppendFrame(transport::FrameKind::kSnapshotCommit, message.SerializeAsString(),
                         &stream);
  const std::string reply = Exchange(cluster.slot(0).peer_port, stream);

  EXPECT_TRUE(fs::exists(victim / "precious"));
  transport::FrameDecoder decoder(1 << 20);
  decoder.Append(reply);
  absl::StatusOr<std::optional<transport::FrameView>> frame = decoder.Next();
  ASSERT_TRUE(frame.ok() && frame->has_value()) << "no reply to the snapshot";
  ASSERT_EQ((*frame)->kind, transport::FrameKind::kSnapshotAck);
  absl::StatusOr<transport::SnapshotAck> ack = transport::DecodeSnapshotAck((*frame)->body);
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(ack->accepted);
  // The member refused the snapshot and serves on.
  EXPECT_TRUE(cluster.Put("after/snapshot", "v", In(milliseconds(5000))).ok());
}

}  // namespace
}  // namespace raftkv::integration

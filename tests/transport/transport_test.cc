// Integration tests: real PeerTransports talking over loopback TCP.

#include "raftkv/transport/transport.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "asio.hpp"
#include "gtest/gtest.h"
#include "raftkv/transport/frame.h"

namespace raftkv::transport {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kCluster = 0xc0ffee;
constexpr auto kTimeout = 30s;

// Records what a transport reports; tests wait on its condition variable.
class Recorder : public TransportHandler {
 public:
  struct ReceivedSnapshot {
    raftpb::Message message;
    std::filesystem::path dir;
  };

  void OnMessage(raftpb::Message message) override {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(message));
    arrivals_.push_back(Clock::now());
    cv_.notify_all();
  }
  void OnUnreachable(uint64_t peer_id) override {
    std::lock_guard lock(mu_);
    ++unreachable_[peer_id];
    cv_.notify_all();
  }
  void OnSnapshotStatus(uint64_t peer_id, bool failed) override {
    std::lock_guard lock(mu_);
    snapshot_statuses_.emplace_back(peer_id, failed);
    snapshot_status_times_.push_back(Clock::now());
    cv_.notify_all();
  }
  absl::Status OnSnapshot(raftpb::Message message, std::filesystem::path dir) override {
    std::lock_guard lock(mu_);
    if (!snapshot_verdict_.ok()) return snapshot_verdict_;
    snapshots_.push_back({std::move(message), std::move(dir)});
    cv_.notify_all();
    return absl::OkStatus();
  }
  void OnRemovedFromCluster(uint64_t peer_id) override {
    std::lock_guard lock(mu_);
    removed_by_.insert(peer_id);
    cv_.notify_all();
  }

  // Waits until pred() (called under the lock) holds; false on timeout.
  bool WaitFor(const std::function<bool()>& pred, std::chrono::seconds timeout = kTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }
  template <typename F>
  auto Locked(F f) {
    std::lock_guard lock(mu_);
    return f();
  }

  // Forgets what was recorded.
  void Clear() {
    std::lock_guard lock(mu_);
    messages_.clear();
    arrivals_.clear();
    unreachable_.clear();
  }

  void RefuseSnapshots(absl::Status verdict) {
    std::lock_guard lock(mu_);
    snapshot_verdict_ = std::move(verdict);
  }

  // Guarded by mu_; read through Locked() or inside WaitFor predicates.
  std::vector<raftpb::Message> messages_;
  std::vector<Clock::time_point> arrivals_;
  std::map<uint64_t, int> unreachable_;
  std::set<uint64_t> removed_by_;  // peers that said this member was removed
  std::vector<std::pair<uint64_t, bool>> snapshot_statuses_;
  std::vector<Clock::time_point> snapshot_status_times_;
  std::vector<ReceivedSnapshot> snapshots_;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  absl::Status snapshot_verdict_;
};

// Polls a condition that has no notification (metrics); false on timeout.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::seconds timeout = kTimeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

raftpb::Message MakeMessage(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t index) {
  raftpb::Message message;
  message.set_type(type);
  message.set_from(from);
  message.set_to(to);
  message.set_term(1);
  message.set_index(index);
  if (type == raftpb::MSG_APP) message.add_entries()->set_data("payload-" + std::to_string(index));
  return message;
}

std::string Address(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

// A port nothing listens on (bound, read back, released).
uint16_t DeadPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  asio::error_code ec;
  acceptor.open(asio::ip::tcp::v4(), ec);
  acceptor.bind({asio::ip::make_address("127.0.0.1"), 0}, ec);
  return acceptor.local_endpoint(ec).port();
}

struct Member {
  uint64_t id = 0;
  Recorder recorder;
  std::unique_ptr<PeerTransport> transport;
  uint16_t port() const { return transport->listen_port(); }
};

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ =
        std::filesystem::temp_directory_path() /
        ("raftkv-transport-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    for (auto& member : members_)
      member->transport->Stop();
    members_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  TransportOptions Options(uint64_t id) {
    TransportOptions options;
    options.member_id = id;
    options.cluster_id = kCluster;
    options.listen_address = "127.0.0.1:0";
    options.io_threads = 2;
    options.snapshot_dir = root_ / ("member-" + std::to_string(id)) / "snap";
    options.dial_backoff_max = 200ms;  // quick reconnects keep the tests short
    return options;
  }

  // A started member.
  Member& AddMember(TransportOptions options) {
    auto member = std::make_unique<Member>();
    member->id = options.member_id;
    member->transport = std::make_unique<PeerTransport>(std::move(options), &member->recorder);
    const absl::Status started = member->transport->Start();
    EXPECT_TRUE(started.ok()) << started;
    members_.push_back(std::move(member));
    return *members_.back();
  }
  Member& AddMember(uint64_t id) { return AddMember(Options(id)); }

  // Makes a and b peers and waits until messages flow both ways. (A stream dialed before the
  // other side knew its peer is refused and redialed, losing what it carried.)
  static void Connect(Member& a, Member& b) {
    ASSERT_TRUE(a.transport->AddPeer(b.id, "http://" + Address(b.port())).ok());
    ASSERT_TRUE(b.transport->AddPeer(a.id, Address(a.port())).ok());
    auto has_message_from = [](Member& to, uint64_t from, uint64_t index) {
      return to.recorder.Locked([&] {
        for (const auto& message : to.recorder.messages_) {
          if (message.from() == from && message.index() == index) return true;
        }
        return false;
      });
    };
    ASSERT_TRUE(WaitUntil([&] {
      a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, a.id, b.id, 0)});
      b.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, b.id, a.id, 0)});
      return has_message_from(a, b.id, 0) && has_message_from(b, a.id, 0);
    }));
    // Streams deliver in order: once a last marker arrived, no warm-up message is still on
    // its way, and forgetting them is safe.
    a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, a.id, b.id, 1)});
    b.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, b.id, a.id, 1)});
    ASSERT_TRUE(
        WaitUntil([&] { return has_message_from(a, b.id, 1) && has_message_from(b, a.id, 1); }));
    a.recorder.Clear();
    b.recorder.Clear();
  }

  // Writes a file of pseudo-random bytes; returns its contents.
  static std::string WriteFile(const std::filesystem::path& path, size_t size, uint32_t seed) {
    std::filesystem::create_directories(path.parent_path());
    std::mt19937 rng(seed);
    std::string data(size, '\0');
    for (char& c : data)
      c = static_cast<char>(rng());
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
    return data;
  }
  static std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static raftpb::Message SnapshotMessage(uint64_t from, uint64_t to, uint64_t index) {
    raftpb::Message message = MakeMessage(raftpb::MSG_SNAP, from, to, 0);
    message.mutable_snapshot()->mutable_metadata()->set_index(index);
    message.mutable_snapshot()->mutable_metadata()->set_term(7);
    message.mutable_snapshot()->set_data("membership");
    return message;
  }

  std::filesystem::path root_;
  std::vector<std::unique_ptr<Member>> members_;
};

TEST_F(TransportTest, StartFailsClearlyWhenThePortIsTaken) {
  Member& a = AddMember(1);
  TransportOptions options = Options(2);
  options.listen_address = Address(a.port());
  Recorder recorder;
  PeerTransport b(options, &recorder);
  const absl::Status started = b.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable) << started;
  EXPECT_NE(started.message().find(Address(a.port())), std::string::npos) << started;
}

TEST_F(TransportTest, PeerManagementValidates) {
  Member& a = AddMember(1);
  EXPECT_EQ(a.transport->AddPeer(1, "127.0.0.1:1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.transport->AddPeer(2, "https://127.0.0.1:1").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(a.transport->AddPeer(2, "127.0.0.1:1").ok());
  EXPECT_EQ(a.transport->AddPeer(2, "127.0.0.1:2").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(a.transport->UpdatePeer(2, "127.0.0.1:3").ok());
  EXPECT_TRUE(a.transport->RemovePeer(2).ok());
  EXPECT_EQ(a.transport->RemovePeer(2).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(a.transport->UpdatePeer(2, "127.0.0.1:3").code(), absl::StatusCode::kNotFound);
}

TEST_F(TransportTest, ManySmallMessagesArriveInOrderBetweenThreeMembers) {
  constexpr uint64_t kPerPeer = 3000;
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  Member& c = AddMember(3);
  Connect(a, b);
  Connect(b, c);
  Connect(a, c);
  std::vector<Member*> all = {&a, &b, &c};
  std::map<uint64_t, TransportMetrics> before;
  for (Member* member : all)
    before[member->id] = member->transport->metrics();
  // Each member sends to both others, in batches as a raft thread would.
  std::vector<std::thread> senders;
  for (Member* from : all) {
    senders.emplace_back([from, &all] {
      for (uint64_t base = 0; base < kPerPeer; base += 50) {
        std::vector<raftpb::Message> batch;
        for (Member* to : all) {
          if (to == from) continue;
          for (uint64_t i = base; i < base + 50; ++i) {
            batch.push_back(MakeMessage(raftpb::MSG_APP, from->id, to->id, i));
          }
        }
        from->transport->Send(std::move(batch));
      }
    });
  }
  for (auto& sender : senders)
    sender.join();
  for (Member* member : all) {
    ASSERT_TRUE(member->recorder.WaitFor([&] {
      return member->recorder.messages_.size() == 2 * kPerPeer;
    })) << "member "
        << member->id << " got " << member->recorder.messages_.size();
    member->recorder.Locked([&] {
      std::map<uint64_t, uint64_t> next_index;  // per sender
      for (const raftpb::Message& message : member->recorder.messages_) {
        EXPECT_EQ(message.to(), member->id);
        EXPECT_EQ(message.cluster_id(), kCluster);
        EXPECT_EQ(message.index(), next_index[message.from()]++) << "from " << message.from();
        EXPECT_EQ(message.entries(0).data(), "payload-" + std::to_string(message.index()));
      }
      return 0;
    });
    const TransportMetrics& start = before[member->id];
    const TransportMetrics metrics = member->transport->metrics();
    EXPECT_EQ(metrics.messages_received - start.messages_received, 2 * kPerPeer);
    EXPECT_EQ(metrics.messages_dropped, start.messages_dropped);
    EXPECT_GT(metrics.bytes_sent, start.bytes_sent);
    EXPECT_TRUE(member->recorder.Locked([&] { return member->recorder.unreachable_.empty(); }));
  }
  // The senders counted every message as written (a write is counted when it completes,
  // possibly after the receiver got the bytes, hence the wait). Totals since the start would
  // not balance: a warm-up message written on a stream the peer then refused in its handshake
  // (it had not added the sender yet) counts as sent and is never received.
  EXPECT_TRUE(WaitUntil([&] {
    for (Member* member : all) {
      const uint64_t sent =
          member->transport->metrics().messages_sent - before[member->id].messages_sent;
      if (sent < 2 * kPerPeer) return false;
    }
    return true;
  }));
}

TEST_F(TransportTest, ARemovedMemberIsToldSoOnItsStreamAndWhenItDialsAgain) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  Connect(a, b);
  // b still believes it is a member (it missed the entry that removed it); a applied it.
  a.transport->MarkRemoved(2);
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.removed_by_.contains(1); }));
  EXPECT_TRUE(a.recorder.Locked([&] { return a.recorder.removed_by_.empty(); }));
  EXPECT_EQ(a.transport->AddPeer(2, Address(b.port())).code(),
            absl::StatusCode::kFailedPrecondition);

  // A fresh dial from b (as after a restart) is answered the same way.
  Member& c = AddMember(3);
  c.transport->MarkRemoved(2);
  ASSERT_TRUE(b.transport->AddPeer(3, Address(c.port())).ok());
  b.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 2, 3, 0)});
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.removed_by_.contains(3); }));
  EXPECT_TRUE(c.recorder.Locked([&] { return c.recorder.messages_.empty(); }));
}

TEST_F(TransportTest, AnUnknownSenderIsRefusedButNotToldItWasRemoved) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  ASSERT_TRUE(b.transport->AddPeer(1, Address(a.port())).ok());  // a has not added b
  b.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 2, 1, 0)});
  ASSERT_TRUE(b.recorder.WaitFor([&] { return !b.recorder.unreachable_.empty(); }));
  EXPECT_TRUE(b.recorder.Locked([&] { return b.recorder.removed_by_.empty(); }));
}

TEST_F(TransportTest, ReconnectsAfterThePeerRestarts) {
  Member& a = AddMember(1);
  auto b = std::make_unique<Member>();
  b->id = 2;
  b->transport = std::make_unique<PeerTransport>(Options(2), &b->recorder);
  ASSERT_TRUE(b->transport->Start().ok());
  const uint16_t b_port = b->port();
  ASSERT_TRUE(a.transport->AddPeer(2, Address(b_port)).ok());
  ASSERT_TRUE(b->transport->AddPeer(1, Address(a.port())).ok());
  a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
  ASSERT_TRUE(b->recorder.WaitFor([&] { return b->recorder.messages_.size() == 1; }));

  // B goes away: A notices the broken stream and reports B unreachable.
  b->transport->Stop();
  b.reset();
  ASSERT_TRUE(a.recorder.WaitFor([&] { return a.recorder.unreachable_[2] > 0; }));

  // B comes back on the same port; A's redial finds it.
  TransportOptions options = Options(2);
  options.listen_address = Address(b_port);
  Member& b2 = AddMember(options);
  ASSERT_TRUE(b2.transport->AddPeer(1, Address(a.port())).ok());
  const bool delivered = WaitUntil([&] {
    a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 1)});
    return b2.recorder.Locked([&] { return !b2.recorder.messages_.empty(); });
  });
  EXPECT_TRUE(delivered);
  // And the other direction works as well.
  b2.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT_RESP, 2, 1, 0)});
  EXPECT_TRUE(a.recorder.WaitFor([&] {
    return !a.recorder.messages_.empty() &&
           a.recorder.messages_.back().type() == raftpb::MSG_HEARTBEAT_RESP;
  }));
  EXPECT_GE(a.transport->metrics().connections_broken, 1u);
}

TEST_F(TransportTest, QueueOverflowDropsAndReportsUnreachableOncePerSend) {
  // Not started: nothing drains the queue, so the counts are exact.
  TransportOptions options = Options(1);
  options.max_queued_messages = 10;
  Recorder recorder;
  PeerTransport transport(options, &recorder);
  ASSERT_TRUE(transport.AddPeer(2, "127.0.0.1:1").ok());
  std::vector<raftpb::Message> batch;
  for (uint64_t i = 0; i < 25; ++i)
    batch.push_back(MakeMessage(raftpb::MSG_APP, 1, 2, i));
  transport.Send(std::move(batch));
  EXPECT_EQ(transport.metrics().messages_dropped, 15u);
  EXPECT_EQ(recorder.Locked([&] { return recorder.unreachable_[2]; }), 1);
  transport.Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
  EXPECT_EQ(transport.metrics().messages_dropped, 16u);
  EXPECT_EQ(recorder.Locked([&] { return recorder.unreachable_[2]; }), 2);
}

TEST_F(TransportTest, QueueIsBoundedInBytesToo) {
  TransportOptions options = Options(1);
  options.max_queued_bytes = 1000;
  Recorder recorder;
  PeerTransport transport(options, &recorder);
  ASSERT_TRUE(transport.AddPeer(2, "127.0.0.1:1").ok());
  std::vector<raftpb::Message> batch;
  for (uint64_t i = 0; i < 10; ++i) {
    raftpb::Message message = MakeMessage(raftpb::MSG_APP, 1, 2, i);
    message.mutable_entries(0)->set_data(std::string(300, 'x'));
    batch.push_back(std::move(message));
  }
  transport.Send(std::move(batch));
  EXPECT_EQ(transport.metrics().messages_dropped, 7u);  // three ~320-byte frames fit
  EXPECT_EQ(recorder.Locked([&] { return recorder.unreachable_[2]; }), 1);
}

TEST_F(TransportTest, MessagesToADeadPeerAreDroppedAndReported) {
  TransportOptions options = Options(1);
  options.max_queued_messages = 10;
  Member& a = AddMember(options);
  ASSERT_TRUE(a.transport->AddPeer(2, Address(DeadPort())).ok());
  std::vector<raftpb::Message> batch;
  for (uint64_t i = 0; i < 100; ++i)
    batch.push_back(MakeMessage(raftpb::MSG_APP, 1, 2, i));
  a.transport->Send(std::move(batch));
  EXPECT_GE(a.transport->metrics().messages_dropped, 90u);
  EXPECT_TRUE(a.recorder.WaitFor([&] { return a.recorder.unreachable_[2] > 0; }));
  // The failed dials drop the rest as well.
  EXPECT_TRUE(WaitUntil([&] { return a.transport->metrics().messages_dropped == 100; }));
  EXPECT_GE(a.transport->metrics().dial_failures, 1u);
}

TEST_F(TransportTest, UnknownDestinationIsDroppedWithoutUnreachable) {
  Member& a = AddMember(1);
  a.transport->Send({MakeMessage(raftpb::MSG_APP, 1, 9, 0)});
  EXPECT_EQ(a.transport->metrics().messages_dropped, 1u);
  EXPECT_TRUE(a.recorder.Locked([&] { return a.recorder.unreachable_.empty(); }));
}

TEST_F(TransportTest, UpdatePeerRedialsTheNewAddress) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  ASSERT_TRUE(a.transport->AddPeer(2, Address(DeadPort())).ok());
  ASSERT_TRUE(b.transport->AddPeer(1, Address(a.port())).ok());
  ASSERT_TRUE(a.transport->UpdatePeer(2, Address(b.port())).ok());
  EXPECT_TRUE(WaitUntil([&] {
    a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
    return b.recorder.Locked([&] { return !b.recorder.messages_.empty(); });
  }));
}

TEST_F(TransportTest, MemberOfAnotherClusterIsRefused) {
  Member& a = AddMember(1);
  TransportOptions options = Options(2);
  options.cluster_id = kCluster + 1;
  Member& b = AddMember(options);
  ASSERT_TRUE(a.transport->AddPeer(2, Address(b.port())).ok());
  ASSERT_TRUE(b.transport->AddPeer(1, Address(a.port())).ok());
  // A keeps trying; B refuses every handshake, so nothing is delivered either way.
  ASSERT_TRUE(WaitUntil([&] {
    a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
    b.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 2, 1, 0)});
    return a.transport->metrics().connections_rejected >= 1 &&
           b.transport->metrics().connections_rejected >= 1;
  }));
  EXPECT_TRUE(a.recorder.WaitFor([&] { return a.recorder.unreachable_[2] > 0; }));
  EXPECT_TRUE(a.recorder.Locked([&] { return a.recorder.messages_.empty(); }));
  EXPECT_TRUE(b.recorder.Locked([&] { return b.recorder.messages_.empty(); }));
  EXPECT_EQ(a.transport->metrics().messages_received, 0u);
  EXPECT_EQ(b.transport->metrics().messages_received, 0u);
}

// A hand-driven peer speaking the wire protocol, to send what a PeerTransport never would.
class RawPeer {
 public:
  explicit RawPeer(uint16_t port) : socket_(io_) {
    asio::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  void Write(const std::string& bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  void Handshake(uint64_t cluster, uint64_t from, uint64_t to) {
    std::string wire;
    AppendFrame(FrameKind::kHandshake,
                EncodeHandshake({.cluster_id = cluster, .sender_id = from, .receiver_id = to}),
                &wire);
    Write(wire);
  }
  void SendMessage(const raftpb::Message& message) {
    std::string wire;
    AppendMessageFrame(message, &wire);
    Write(wire);
  }
  // Everything the listener sends until it closes the connection.
  std::string ReadUntilClosed() {
    std::string received;
    std::array<char, 4096> buffer;
    for (;;) {
      asio::error_code ec;
      const size_t n = socket_.read_some(asio::buffer(buffer), ec);
      received.append(buffer.data(), n);
      if (ec) return received;
    }
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

TEST_F(TransportTest, RelayedRequestsKeepTheirOriginalSender) {
  // Member 1 relays to 2 a proposal and a read index that member 3 sent it (as a follower
  // does for its leader); a relayed message from a stranger, or any other type, is refused.
  Member& b = AddMember(2);
  ASSERT_TRUE(b.transport->AddPeer(1, "127.0.0.1:1").ok());
  ASSERT_TRUE(b.transport->AddPeer(3, "127.0.0.1:1").ok());
  RawPeer raw(b.port());
  raw.Handshake(kCluster, 1, 2);
  raftpb::Message proposal = MakeMessage(raftpb::MSG_PROP, 3, 2, 0);
  raftpb::Message read_index = MakeMessage(raftpb::MSG_READ_INDEX, 3, 2, 1);
  raftpb::Message from_stranger = MakeMessage(raftpb::MSG_PROP, 4, 2, 2);
  raftpb::Message not_relayed = MakeMessage(raftpb::MSG_APP, 3, 2, 3);
  raftpb::Message last = MakeMessage(raftpb::MSG_APP, 1, 2, 4);
  for (raftpb::Message message : {proposal, read_index, from_stranger, not_relayed, last}) {
    message.set_cluster_id(kCluster);
    raw.SendMessage(message);
  }
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.messages_.size() >= 3; }));
  std::vector<uint64_t> indexes = b.recorder.Locked([&] {
    std::vector<uint64_t> out;
    for (const auto& m : b.recorder.messages_)
      out.push_back(m.index());
    return out;
  });
  EXPECT_EQ(indexes, (std::vector<uint64_t>{0, 1, 4}));
  EXPECT_EQ(b.transport->metrics().messages_rejected, 2u);
}

TEST_F(TransportTest, EachMessageIsCheckedOnArrival) {
  Member& b = AddMember(2);
  ASSERT_TRUE(b.transport->AddPeer(1, "127.0.0.1:1").ok());
  RawPeer raw(b.port());
  raw.Handshake(kCluster, 1, 2);
  raftpb::Message wrong_cluster = MakeMessage(raftpb::MSG_APP, 1, 2, 0);
  wrong_cluster.set_cluster_id(kCluster + 1);
  raftpb::Message wrong_receiver = MakeMessage(raftpb::MSG_APP, 1, 3, 1);
  wrong_receiver.set_cluster_id(kCluster);
  raftpb::Message wrong_sender = MakeMessage(raftpb::MSG_APP, 4, 2, 2);
  wrong_sender.set_cluster_id(kCluster);
  raftpb::Message good = MakeMessage(raftpb::MSG_APP, 1, 2, 3);
  good.set_cluster_id(kCluster);
  for (const auto& message : {wrong_cluster, wrong_receiver, wrong_sender, good}) {
    raw.SendMessage(message);
  }
  ASSERT_TRUE(b.recorder.WaitFor([&] { return !b.recorder.messages_.empty(); }));
  EXPECT_EQ(b.recorder.Locked([&] { return b.recorder.messages_.size(); }), 1u);
  EXPECT_EQ(b.recorder.Locked([&] { return b.recorder.messages_[0].index(); }), 3u);
  EXPECT_EQ(b.transport->metrics().messages_rejected, 3u);
}

// The frame the listener sent before closing, if any.
std::optional<std::pair<FrameKind, std::string>> LastFrame(const std::string& wire) {
  FrameDecoder decoder(1 << 20);
  decoder.Append(wire);
  std::optional<std::pair<FrameKind, std::string>> last;
  for (;;) {
    auto frame = decoder.Next();
    if (!frame.ok() || !frame->has_value()) return last;
    last.emplace((*frame)->kind, std::string((*frame)->body));
  }
}

TEST_F(TransportTest, HandshakeOfAnotherClusterIsRefusedWithAReason) {
  Member& b = AddMember(2);
  ASSERT_TRUE(b.transport->AddPeer(1, "127.0.0.1:1").ok());
  RawPeer raw(b.port());
  raw.Handshake(kCluster + 1, 1, 2);
  raw.SendMessage(MakeMessage(raftpb::MSG_APP, 1, 2, 0));  // unread input must not lose the reason
  const auto reply = LastFrame(raw.ReadUntilClosed());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->first, FrameKind::kReject);
  EXPECT_NE(reply->second.find("cluster id mismatch"), std::string::npos) << reply->second;
  EXPECT_EQ(b.transport->metrics().connections_rejected, 1u);
}

TEST_F(TransportTest, HandshakeFromWrongReceiverOrUnknownMemberIsRefused) {
  Member& b = AddMember(2);
  ASSERT_TRUE(b.transport->AddPeer(1, "127.0.0.1:1").ok());
  {
    RawPeer raw(b.port());
    raw.Handshake(kCluster, 1, 3);
    const auto reply = LastFrame(raw.ReadUntilClosed());
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->second.find("wrong receiver"), std::string::npos) << reply->second;
  }
  {
    RawPeer raw(b.port());
    raw.Handshake(kCluster, 5, 2);
    const auto reply = LastFrame(raw.ReadUntilClosed());
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->second.find("not a peer"), std::string::npos) << reply->second;
  }
  EXPECT_EQ(b.transport->metrics().connections_rejected, 2u);
}

TEST_F(TransportTest, OversizedFrameClosesTheConnection) {
  TransportOptions options = Options(2);
  options.max_frame_bytes = 4096;
  Member& b = AddMember(options);
  ASSERT_TRUE(b.transport->AddPeer(1, "127.0.0.1:1").ok());
  RawPeer raw(b.port());
  raw.Handshake(kCluster, 1, 2);
  std::string header;
  AppendFrameHeader(FrameKind::kRaftMessage, 1 << 30, &header);  // 1 GiB announced, none sent
  raw.Write(header);
  raw.ReadUntilClosed();  // returns because the listener closed
  EXPECT_EQ(b.transport->metrics().protocol_errors, 1u);
  EXPECT_EQ(b.transport->metrics().messages_received, 0u);
}

TEST_F(TransportTest, GarbageInsteadOfAHandshakeClosesTheConnection) {
  Member& b = AddMember(2);
  RawPeer raw(b.port());
  raw.Write("GET / HTTP/1.1\r\nHost: raftkv\r\n\r\n");
  raw.ReadUntilClosed();
  EXPECT_EQ(b.transport->metrics().protocol_errors, 1u);
}

TEST_F(TransportTest, SnapshotFilesArriveIntactWithinTheRateCap) {
  constexpr uint64_t kCap = 8 << 20;
  TransportOptions options = Options(1);
  options.snapshot_bytes_per_second = kCap;
  options.snapshot_chunk_bytes = 256 << 10;
  Member& a = AddMember(options);
  Member& b = AddMember(2);
  Connect(a, b);
  const std::filesystem::path payload = root_ / "checkpoint";
  std::map<std::string, std::string> files = {
      {"CURRENT", WriteFile(payload / "CURRENT", 16, 1)},
      {"empty", WriteFile(payload / "empty", 0, 2)},
      {"MANIFEST-000005", WriteFile(payload / "MANIFEST-000005", 100'000, 3)},
      {"sst/000012.sst", WriteFile(payload / "sst" / "000012.sst", (3 << 20) + 123, 4)},
  };
  uint64_t total = 0;
  for (const auto& [name, data] : files)
    total += data.size();

  const auto start = Clock::now();
  a.transport->SendSnapshot(SnapshotMessage(1, 2, 42), payload);
  ASSERT_TRUE(a.recorder.WaitFor([&] { return !a.recorder.snapshot_statuses_.empty(); }));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(a.recorder.Locked([&] { return a.recorder.snapshot_statuses_[0]; }),
            std::make_pair(uint64_t{2}, false));
  // The cap: no faster than total / cap.
  EXPECT_GE(std::chrono::duration<double>(elapsed).count(), static_cast<double>(total) / kCap);

  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.snapshots_.size() == 1; }));
  const auto received = b.recorder.Locked([&] { return b.recorder.snapshots_[0]; });
  EXPECT_EQ(received.message.snapshot().metadata().index(), 42u);
  EXPECT_EQ(received.message.snapshot().data(), "membership");
  EXPECT_EQ(received.message.cluster_id(), kCluster);
  EXPECT_EQ(received.dir.parent_path(), root_ / "member-2" / "snap");
  size_t received_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(received.dir)) {
    if (entry.is_regular_file()) ++received_files;
  }
  EXPECT_EQ(received_files, files.size());
  for (const auto& [name, data] : files) {
    EXPECT_EQ(ReadFile(received.dir / name), data) << name;
  }
  EXPECT_EQ(a.transport->metrics().snapshots_sent, 1u);
  EXPECT_EQ(a.transport->metrics().snapshot_bytes_sent, total);
  EXPECT_EQ(b.transport->metrics().snapshots_received, 1u);
  EXPECT_EQ(b.transport->metrics().snapshot_bytes_received, total);
  std::printf("snapshot of %llu bytes at a cap of %llu B/s took %.3f s\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(kCap),
              std::chrono::duration<double>(elapsed).count());
}

TEST_F(TransportTest, HeartbeatsFlowWhileASnapshotStreams) {
  TransportOptions options = Options(1);
  options.snapshot_bytes_per_second = 2 << 20;
  options.snapshot_chunk_bytes = 128 << 10;
  Member& a = AddMember(options);
  Member& b = AddMember(2);
  Connect(a, b);
  const std::filesystem::path payload = root_ / "big";
  const std::string data = WriteFile(payload / "data.sst", 5 << 20, 9);  // ~2.5 s at the cap

  a.transport->SendSnapshot(SnapshotMessage(1, 2, 100), payload);
  uint64_t index = 0;
  while (!a.recorder.Locked([&] { return !a.recorder.snapshot_statuses_.empty(); })) {
    a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, index++)});
    std::this_thread::sleep_for(10ms);  // a heartbeat interval, not an assertion
    ASSERT_LT(index, 10'000u) << "snapshot never finished";
  }
  const auto done = a.recorder.Locked([&] { return a.recorder.snapshot_status_times_[0]; });
  EXPECT_FALSE(a.recorder.Locked([&] { return a.recorder.snapshot_statuses_[0].second; }));
  const size_t during = b.recorder.Locked([&] {
    size_t n = 0;
    for (const auto& arrival : b.recorder.arrivals_)
      n += arrival < done;
    return n;
  });
  // Over ~2.5 s about 250 were sent; even a loaded machine delivers a good share of them.
  EXPECT_GE(during, 20u) << "of " << index << " heartbeats sent during the snapshot";
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.snapshots_.size() == 1; }));
  EXPECT_EQ(ReadFile(b.recorder.Locked([&] { return b.recorder.snapshots_[0].dir; }) / "data.sst"),
            data);
}

TEST_F(TransportTest, SnapshotRefusedByTheReceiverFailsAndLeavesNoFiles) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  Connect(a, b);
  b.recorder.RefuseSnapshots(absl::FailedPreconditionError("already newer"));
  const std::filesystem::path payload = root_ / "checkpoint";
  WriteFile(payload / "CURRENT", 16, 1);
  a.transport->SendSnapshot(SnapshotMessage(1, 2, 42), payload);
  ASSERT_TRUE(a.recorder.WaitFor([&] { return !a.recorder.snapshot_statuses_.empty(); }));
  EXPECT_EQ(a.recorder.Locked([&] { return a.recorder.snapshot_statuses_[0]; }),
            std::make_pair(uint64_t{2}, true));
  const std::filesystem::path snap_dir = root_ / "member-2" / "snap";
  EXPECT_TRUE(WaitUntil([&] { return std::filesystem::is_empty(snap_dir); }));
  EXPECT_EQ(b.transport->metrics().snapshots_receive_failed, 1u);
}

TEST_F(TransportTest, SnapshotFailuresAreReported) {
  Member& a = AddMember(1);
  ASSERT_TRUE(a.transport->AddPeer(2, Address(DeadPort())).ok());
  // The peer is down.
  a.transport->SendSnapshot(SnapshotMessage(1, 2, 1), {});
  // The payload is missing.
  a.transport->SendSnapshot(SnapshotMessage(1, 2, 2), root_ / "no-such-dir");
  // The peer is unknown, whether the snapshot is given to SendSnapshot or Send.
  a.transport->SendSnapshot(SnapshotMessage(1, 3, 3), {});
  a.transport->Send({SnapshotMessage(1, 3, 4)});
  ASSERT_TRUE(a.recorder.WaitFor([&] { return a.recorder.snapshot_statuses_.size() == 4; }));
  a.recorder.Locked([&] {
    for (const auto& [peer, failed] : a.recorder.snapshot_statuses_)
      EXPECT_TRUE(failed);
    return 0;
  });
  EXPECT_EQ(a.transport->metrics().snapshots_send_failed, 4u);
}

TEST_F(TransportTest, SnapMessageGivenToSendTravelsOnTheSnapshotStream) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  Connect(a, b);
  a.transport->Send({SnapshotMessage(1, 2, 77)});
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.snapshots_.size() == 1; }));
  const auto received = b.recorder.Locked([&] { return b.recorder.snapshots_[0]; });
  EXPECT_EQ(received.message.snapshot().metadata().index(), 77u);
  EXPECT_TRUE(std::filesystem::is_empty(received.dir));
  EXPECT_TRUE(a.recorder.WaitFor([&] { return a.recorder.snapshot_statuses_.size() == 1; }));
  EXPECT_TRUE(b.recorder.Locked([&] { return b.recorder.messages_.empty(); }));
}

TEST_F(TransportTest, RemovedPeerCanNoLongerConnect) {
  Member& a = AddMember(1);
  Member& b = AddMember(2);
  Connect(a, b);
  a.transport->Send({MakeMessage(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.messages_.size() == 1; }));
  ASSERT_TRUE(b.transport->RemovePeer(1).ok());
  // A's existing stream stays up until it breaks; a fresh dial is refused.
  ASSERT_TRUE(a.transport->UpdatePeer(2, Address(b.port())).ok());
  EXPECT_TRUE(WaitUntil([&] { return b.transport->metrics().connections_rejected >= 1; }));
}

TEST_F(TransportTest, LoopbackThroughputOfSmallAppends) {
  constexpr uint64_t kMessages = 200'000;
  TransportOptions options = Options(1);
  options.max_queued_messages = kMessages;
  Member& a = AddMember(options);
  Member& b = AddMember(2);
  Connect(a, b);
  const auto start = Clock::now();
  for (uint64_t base = 0; base < kMessages; base += 100) {
    std::vector<raftpb::Message> batch;
    for (uint64_t i = base; i < base + 100; ++i) {
      batch.push_back(MakeMessage(raftpb::MSG_APP, 1, 2, i));
    }
    a.transport->Send(std::move(batch));
  }
  ASSERT_TRUE(b.recorder.WaitFor([&] { return b.recorder.messages_.size() == kMessages; }));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const TransportMetrics metrics = a.transport->metrics();
  std::printf("%llu small MsgApp in %.3f s: %.0f messages/s, %.1f MB/s on the wire\n",
              static_cast<unsigned long long>(kMessages), seconds, kMessages / seconds,
              metrics.bytes_sent / seconds / 1e6);
  EXPECT_EQ(metrics.messages_dropped, 0u);
}

}  // namespace
}  // namespace raftkv::transport

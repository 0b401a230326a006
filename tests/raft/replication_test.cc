// Log replication: per-follower flow control, size caps, fast backtracking and the commit rule.

#include <gtest/gtest.h>

#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::MakeEntries;
using test::MakeMsg;
using test::Network;
using test::NewStorage;
using test::TestNode;

const Progress& ProgressOf(Network& net, uint64_t leader, uint64_t id) {
  return net.node(leader).raft().tracker().progress.at(id);
}

size_t CountAppendsWithEntries(const Network& net, uint64_t to) {
  size_t n = 0;
  for (const auto& m : net.delivered()) {
    n += m.type() == raftpb::MSG_APP && m.to() == to && m.entries_size() > 0 ? 1 : 0;
  }
  return n;
}

size_t CountRejections(const Network& net, uint64_t from) {
  size_t n = 0;
  for (const auto& m : net.delivered()) {
    n += m.type() == raftpb::MSG_APP_RESP && m.from() == from && m.reject() ? 1 : 0;
  }
  return n;
}

// A storage whose log holds the bootstrap entry followed by entries of the given terms.
std::unique_ptr<MemoryStorage> StorageWithLog(const std::vector<uint64_t>& voters,
                                              const std::vector<uint64_t>& terms,
                                              uint64_t hard_term) {
  auto storage = NewStorage(voters);
  EXPECT_TRUE(storage->Append(MakeEntries(test::kBootstrapIndex + 1, terms)).ok());
  raftpb::HardState hs;
  hs.set_term(hard_term);
  hs.set_commit(test::kBootstrapIndex);
  storage->SetHardState(hs);
  return storage;
}

std::vector<uint64_t> Repeat(uint64_t term, size_t n) {
  return std::vector<uint64_t>(n, term);
}

std::vector<uint64_t> Concat(std::vector<std::vector<uint64_t>> parts) {
  std::vector<uint64_t> out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::vector<uint64_t> LogTerms(const TestNode& n) {
  std::vector<uint64_t> out;
  const RaftLog& log = n.raft().log();
  for (uint64_t i = log.FirstIndex(); i <= log.LastIndex(); ++i) {
    out.push_back(*log.Term(i));
  }
  return out;
}

TEST(ReplicationTest, ProbeSendsOneAppendUntilTheFollowerAnswers) {
  Network net({1, 2, 3});
  net.DropFrom(2, 1);
  net.Campaign(1);
  EXPECT_EQ(ProgressOf(net, 1, 2).state, ProgressState::kProbe);
  EXPECT_TRUE(ProgressOf(net, 1, 2).IsPaused());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(net.Propose(1, "x").ok());
  }
  // Only the probe carrying the leader's first entry went out; the proposals waited.
  EXPECT_EQ(CountAppendsWithEntries(net, 2), 1u);
  EXPECT_EQ(CountAppendsWithEntries(net, 3), 4u);

  // A heartbeat response proves the follower alive: the next probe carries everything.
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(ProgressOf(net, 1, 2).state, ProgressState::kReplicate);
  EXPECT_EQ(ProgressOf(net, 1, 2).match, net.node(1).raft().log().LastIndex());
  EXPECT_EQ(net.node(2).applied_data().size(), 3u);
}

TEST(ReplicationTest, ReplicateStreamsAppendsWithoutWaitingForAcks) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_EQ(ProgressOf(net, 1, 2).state, ProgressState::kReplicate);
  net.DropFrom(2, 1);
  net.ClearDelivered();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(net.Propose(1, "x").ok());
  }
  EXPECT_EQ(CountAppendsWithEntries(net, 2), 5u);
  EXPECT_EQ(ProgressOf(net, 1, 2).inflights.Count(), 5u);
}

TEST(ReplicationTest, InflightCountLimitPausesTheFollower) {
  Network net({1, 2, 3}, [](Config& c) { c.max_inflight_msgs = 3; });
  net.Campaign(1);
  net.DropFrom(2, 1);
  net.ClearDelivered();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.Propose(1, "x").ok());
  }
  EXPECT_EQ(CountAppendsWithEntries(net, 2), 3u);
  EXPECT_TRUE(ProgressOf(net, 1, 2).IsPaused());

  // Acknowledgements open the window again and the follower catches up.
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(ProgressOf(net, 1, 2).match, net.node(1).raft().log().LastIndex());
  EXPECT_EQ(net.node(2).applied_data().size(), 10u);
}

TEST(ReplicationTest, InflightByteLimitPausesTheFollower) {
  Network net({1, 2, 3}, [](Config& c) { c.max_inflight_bytes = 2500; });
  net.Campaign(1);
  net.DropFrom(2, 1);
  net.ClearDelivered();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.Propose(1, std::string(1000, 'x')).ok());
  }
  // 2000 bytes in flight still leave room; 3000 do not.
  EXPECT_EQ(CountAppendsWithEntries(net, 2), 3u);
  EXPECT_TRUE(ProgressOf(net, 1, 2).IsPaused());
  EXPECT_EQ(CountAppendsWithEntries(net, 3), 10u);

  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(net.node(2).applied_data().size(), 10u);
}

TEST(ReplicationTest, MaxSizePerMsgCapsTheBytesOfEachAppend) {
  const std::string payload(1000, 'x');
  const uint64_t cap = 2 * EntrySize(test::MakeEntry(0, 0, payload));
  Network net({1, 2, 3}, [cap](Config& c) { c.max_size_per_msg = cap; });
  net.Campaign(1);
  net.Isolate(2);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.Propose(1, payload).ok());
  }
  net.Recover();
  net.ClearDelivered();
  net.Heartbeat(1);

  size_t appends = 0;
  for (const auto& m : net.delivered()) {
    if (m.type() != raftpb::MSG_APP || m.to() != 2 || m.entries_size() == 0) continue;
    ++appends;
    uint64_t bytes = 0;
    for (const auto& e : m.entries()) {
      bytes += EntrySize(e);
    }
    EXPECT_LE(bytes, cap);
  }
  EXPECT_GE(appends, 5u);
  EXPECT_EQ(net.node(2).applied_data().size(), 10u);
}

TEST(ReplicationTest, OversizedEntryStillTravelsAlone) {
  Network net({1, 2}, [](Config& c) { c.max_size_per_msg = 10; });
  net.Campaign(1);
  net.ClearDelivered();
  ASSERT_TRUE(net.Propose(1, std::string(100, 'y')).ok());
  EXPECT_EQ(CountAppendsWithEntries(net, 2), 1u);
  EXPECT_EQ(net.node(2).applied_data().size(), 1u);
}

TEST(ReplicationTest, DivergentFollowerIsFixedInOneRoundTripPerTerm) {
  // The leader's log: 50 entries of term 2, then 50 of term 5. The follower diverged after 20
  // entries of term 2 into 100 of term 3 and 100 of term 4. Backtracking one entry at a time
  // would take 80 round trips; the hints skip a whole term each.
  const auto leader_terms = Concat({Repeat(2, 50), Repeat(5, 50)});
  Network net({});
  net.Add(1, StorageWithLog({1, 2, 3}, leader_terms, 5));
  net.Add(2, StorageWithLog({1, 2, 3}, Concat({Repeat(2, 20), Repeat(3, 100), Repeat(4, 100)}), 4));
  net.Add(3, StorageWithLog({1, 2, 3}, leader_terms, 5));
  net.Campaign(1);
  ASSERT_EQ(net.Leader(), 1u);

  EXPECT_EQ(CountRejections(net, 2), 2u);
  EXPECT_EQ(LogTerms(net.node(2)), LogTerms(net.node(1)));
  EXPECT_EQ(net.node(2).raft().log().committed(), net.node(1).raft().log().LastIndex());
}

TEST(ReplicationTest, ShortFollowerLogIsFixedInOneRoundTrip) {
  const auto leader_terms = Concat({Repeat(2, 50), Repeat(5, 50)});
  Network net({});
  net.Add(1, StorageWithLog({1, 2, 3}, leader_terms, 5));
  net.Add(2, StorageWithLog({1, 2, 3}, Repeat(2, 10), 2));
  net.Add(3, StorageWithLog({1, 2, 3}, leader_terms, 5));
  net.Campaign(1);
  EXPECT_EQ(CountRejections(net, 2), 1u);
  EXPECT_EQ(LogTerms(net.node(2)), LogTerms(net.node(1)));
}

TEST(ReplicationTest, FollowerHandlesAppends) {
  struct Case {
    uint64_t index, log_term, commit;
    std::vector<uint64_t> terms;  // of the entries, from index + 1
    uint64_t want_index;
    bool want_reject;
    uint64_t want_commit;
  };
  // The follower's log: (1,1) bootstrap, (2,1), (3,2); committed 1.
  std::vector<Case> cases = {
      // The previous entry does not match.
      {3, 3, 3, {}, 3, true, 1},
      {4, 3, 3, {}, 4, true, 1},
      // Matches: commit follows the leader up to the last entry the message vouches for.
      {2, 1, 3, {}, 2, false, 2},
      {1, 1, 3, {2}, 2, false, 2},
      {3, 2, 3, {2}, 4, false, 3},
      {3, 2, 4, {2}, 4, false, 4},
      {3, 2, 4, {}, 3, false, 3},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    TestNode n(1, StorageWithLog({1, 2}, {1, 2}, 2));
    raftpb::Message app = MakeMsg(raftpb::MSG_APP, 2, 1, 2);
    app.set_index(c.index);
    app.set_log_term(c.log_term);
    app.set_commit(c.commit);
    for (const auto& e : MakeEntries(c.index + 1, c.terms)) {
      *app.add_entries() = e;
    }
    ASSERT_TRUE(n.node().Step(app).ok());
    auto msgs = n.ProcessReady();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].type(), raftpb::MSG_APP_RESP);
    EXPECT_EQ(msgs[0].index(), c.want_index);
    EXPECT_EQ(msgs[0].reject(), c.want_reject);
    EXPECT_EQ(n.raft().log().committed(), c.want_commit);
  }
}

TEST(ReplicationTest, AppendBehindTheCommitIsAnsweredWithTheCommit) {
  TestNode n(1, StorageWithLog({1, 2}, {1, 2}, 2));
  raftpb::Message app = MakeMsg(raftpb::MSG_APP, 2, 1, 2);
  app.set_index(3);
  app.set_log_term(2);
  app.set_commit(3);
  ASSERT_TRUE(n.node().Step(app).ok());
  n.ProcessReady();
  raftpb::Message stale = MakeMsg(raftpb::MSG_APP, 2, 1, 2);
  stale.set_index(1);
  stale.set_log_term(1);
  ASSERT_TRUE(n.node().Step(stale).ok());
  auto msgs = n.ProcessReady();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_FALSE(msgs[0].reject());
  EXPECT_EQ(msgs[0].index(), 3u);
}

TEST(ReplicationTest, HeartbeatNeverCommitsBeyondTheFollowersMatch) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  const uint64_t committed = net.node(1).raft().log().committed();
  net.Recover();
  net.SetFilter([](const raftpb::Message& m) { return m.type() != raftpb::MSG_APP; });
  net.ClearDelivered();
  net.Heartbeat(1);
  for (const auto& m : net.delivered()) {
    if (m.type() != raftpb::MSG_HEARTBEAT) continue;
    if (m.to() == 3) {
      EXPECT_LT(m.commit(), committed);
    } else {
      EXPECT_EQ(m.commit(), committed);
    }
  }
}

// The Figure 8 scenario of the Raft paper. S1, leader in term 4, replicates its term-2 entry to
// a majority. It must not count that as committed: S5, which holds a term-3 entry at the same
// index, can still be elected by that majority and overwrite the entry.
class Figure8Test : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<uint64_t> all = {1, 2, 3, 4, 5};
    auto one_entry_per_append = [](Config& c) { c.max_size_per_msg = 1; };
    net_.Add(1, StorageWithLog(all, {2}, 3), one_entry_per_append);
    for (uint64_t id : {2, 3, 4}) {
      net_.Add(id, StorageWithLog(all, {}, 3), one_entry_per_append);
    }
    net_.Add(5, StorageWithLog(all, {3}, 3), one_entry_per_append);
    // S5 is down, and S1's own term-4 entry reaches nobody who could accept it.
    net_.SetFilter([this](const raftpb::Message& m) {
      if (m.to() == 5 || m.from() == 5) return false;
      bool carries_term4 = false;
      for (const auto& e : m.entries()) {
        carries_term4 |= e.term() == 4;
      }
      return !(carries_term4 && net_.node(m.to()).raft().log().LastIndex() >= 2);
    });
    net_.Campaign(1);
    ASSERT_EQ(net_.Leader(), 1u);
    ASSERT_EQ(net_.node(1).term(), 4u);
  }

  Network net_{std::vector<uint64_t>{}};
};

TEST_F(Figure8Test, OldTermEntryOnAMajorityIsNotCommitted) {
  for (uint64_t id : {2, 3, 4}) {
    EXPECT_EQ(ProgressOf(net_, 1, id).match, 2u) << id;
    EXPECT_EQ(*net_.node(id).raft().log().Term(2), 2u) << id;
  }
  EXPECT_EQ(net_.node(1).raft().log().committed(), test::kBootstrapIndex);
  net_.Heartbeat(1);
  EXPECT_EQ(net_.node(1).raft().log().committed(), test::kBootstrapIndex);
}

TEST_F(Figure8Test, WhyItMustNotBe) {
  net_.Recover();
  net_.Isolate(1);
  net_.Campaign(5);  // term 4: everyone already voted
  net_.Campaign(5);  // term 5: S5's term-3 entry is more up to date than their term-2 one
  ASSERT_EQ(net_.Leader(), 5u);
  for (uint64_t id : {2, 3, 4}) {
    EXPECT_EQ(*net_.node(id).raft().log().Term(2), 3u) << id;
  }
}

TEST_F(Figure8Test, CommittingAnEntryOfTheCurrentTermCommitsThePreviousOnes) {
  net_.SetFilter([](const raftpb::Message& m) { return m.to() != 5 && m.from() != 5; });
  net_.Heartbeat(1);
  EXPECT_EQ(net_.node(1).raft().log().committed(), 3u);
  EXPECT_EQ(net_.node(2).raft().log().committed(), 3u);
}

TEST(ReplicationTest, UnreachableFollowerFallsBackToProbing) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_EQ(ProgressOf(net, 1, 2).state, ProgressState::kReplicate);
  net.node(1).node().ReportUnreachable(2);
  EXPECT_EQ(ProgressOf(net, 1, 2).state, ProgressState::kProbe);
  EXPECT_EQ(ProgressOf(net, 1, 2).next, ProgressOf(net, 1, 2).match + 1);
}

TEST(ReplicationTest, RestartedFollowerCatchesUpWithoutReapplying) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(1, "a").ok());
  net.Isolate(3);
  net.node(3).Restart();
  ASSERT_TRUE(net.Propose(1, "b").ok());
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(net.node(3).applied_data(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(net.node(3).term(), net.node(1).term());
}

}  // namespace
}  // namespace raftkv::raft

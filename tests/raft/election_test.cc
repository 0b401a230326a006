// Leader election: randomized timeouts, the voting rules, PreVote, CheckQuorum and the lease.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::Configure;
using test::MakeEntries;
using test::MakeMsg;
using test::Network;
using test::NewStorage;
using test::TestNode;

constexpr int kElectionTick = 10;

void PreVote(Config& c) {
  c.pre_vote = true;
}
void CheckQuorum(Config& c) {
  c.check_quorum = true;
}
void PreVoteAndCheckQuorum(Config& c) {
  c.pre_vote = true;
  c.check_quorum = true;
}

TEST(ElectionTimeoutTest, RandomizedTimeoutsLieInOneToTwoElectionTimeouts) {
  std::set<int> seen;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    TestNode n(1, NewStorage({1, 2, 3}), [seed](Config& c) { c.random_seed = seed; });
    // Every change of term resets the timer with a fresh random timeout.
    for (uint64_t term = 2; term < 30; ++term) {
      ASSERT_TRUE(n.mutable_raft().Step(MakeMsg(raftpb::MSG_HEARTBEAT, 2, 1, term)).ok());
      int timeout = n.raft().randomized_election_timeout();
      EXPECT_GE(timeout, kElectionTick);
      EXPECT_LT(timeout, 2 * kElectionTick);
      seen.insert(timeout);
    }
  }
  // The timeouts are spread over the range, which is what breaks split votes.
  EXPECT_GE(seen.size(), 8u);
}

TEST(ElectionTimeoutTest, FollowerCampaignsWhenItsTimeoutElapses) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(seed);
    TestNode n(1, NewStorage({1, 2, 3}), [seed](Config& c) { c.random_seed = seed; });
    const int timeout = n.raft().randomized_election_timeout();
    for (int i = 1; i < timeout; ++i) {
      n.node().Tick();
    }
    EXPECT_EQ(n.state(), StateType::kFollower);
    n.node().Tick();
    EXPECT_EQ(n.state(), StateType::kCandidate);
    size_t votes = 0;
    for (const auto& m : n.ProcessReady()) {
      votes += m.type() == raftpb::MSG_VOTE ? 1 : 0;
    }
    EXPECT_EQ(votes, 2u);
  }
}

TEST(ElectionTimeoutTest, SameSeedReplaysTheSameTimeouts) {
  auto timeouts = [](uint64_t seed) {
    TestNode n(1, NewStorage({1, 2, 3}), [seed](Config& c) { c.random_seed = seed; });
    std::vector<int> out;
    for (uint64_t term = 2; term < 10; ++term) {
      EXPECT_TRUE(n.mutable_raft().Step(MakeMsg(raftpb::MSG_HEARTBEAT, 2, 1, term)).ok());
      out.push_back(n.raft().randomized_election_timeout());
    }
    return out;
  };
  EXPECT_EQ(timeouts(7), timeouts(7));
  EXPECT_NE(timeouts(7), timeouts(8));
}

// Ticks every member until one is leader; returns the number of rounds it took.
int TickUntilLeader(Network& net, int max_rounds) {
  for (int round = 1; round <= max_rounds; ++round) {
    net.TickAll();
    if (net.Leader() != kNone) return round;
  }
  return -1;
}

TEST(ElectionTest, ElectionsConvergeToOneLeaderFollowedByAll) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    Network net({1, 2, 3, 4, 5}, [seed](Config& c) { c.random_seed = seed * 100 + c.id; });
    int rounds = TickUntilLeader(net, 2 * kElectionTick);
    ASSERT_GT(rounds, 0);
    EXPECT_GE(rounds, kElectionTick);
    const uint64_t leader = net.Leader();
    for (uint64_t id : net.ids()) {
      EXPECT_EQ(net.node(id).raft().lead(), leader) << id;
      EXPECT_EQ(net.node(id).term(), net.node(leader).term()) << id;
    }
  }
}

TEST(ElectionTest, SplitVoteIsResolvedByALaterElection) {
  Network net({1, 2, 3, 4});
  ASSERT_TRUE(net.node(1).node().Campaign().ok());
  ASSERT_TRUE(net.node(2).node().Campaign().ok());
  std::vector<raftpb::Message> requests = net.node(1).ProcessReady();
  for (auto& m : net.node(2).ProcessReady()) {
    requests.push_back(std::move(m));
  }
  // 3 hears from 1 first and 4 from 2 first: each candidate gets two of four votes.
  std::stable_partition(requests.begin(), requests.end(), [](const raftpb::Message& m) {
    return (m.from() == 1 && m.to() == 3) || (m.from() == 2 && m.to() == 4);
  });
  net.Send(std::move(requests));
  EXPECT_EQ(net.Leader(), kNone);
  EXPECT_EQ(net.node(1).term(), 2u);
  EXPECT_EQ(net.node(2).term(), 2u);

  ASSERT_GT(TickUntilLeader(net, 2 * kElectionTick), 0);
  EXPECT_EQ(net.node(net.Leader()).term(), 3u);
}

// Under random partitions that change over time, no term ever has two leaders.
void CheckOneLeaderPerTerm(const Configure& configure, uint64_t seed) {
  Network net({1, 2, 3, 4, 5}, [&](Config& c) {
    if (configure) configure(c);
    c.random_seed = seed * 10 + c.id;
  });
  std::mt19937_64 rng(seed);
  std::set<std::pair<uint64_t, uint64_t>> blocked;
  std::map<uint64_t, uint64_t> leader_of_term;
  bool violated = false;
  auto check = [&] {
    for (uint64_t id : net.ids()) {
      if (net.node(id).state() != StateType::kLeader) continue;
      auto [it, inserted] = leader_of_term.emplace(net.node(id).term(), id);
      if (!inserted && it->second != id) violated = true;
    }
  };
  net.SetFilter([&](const raftpb::Message& m) {
    check();
    return !blocked.contains({m.from(), m.to()});
  });
  for (int round = 0; round < 400; ++round) {
    if (round % 25 == 0) {
      blocked.clear();
      for (uint64_t a = 1; a <= 5; ++a) {
        for (uint64_t b = 1; b <= 5; ++b) {
          if (a != b && rng() % 3 == 0) blocked.insert({a, b});
        }
      }
    }
    if (round % 7 == 0 && net.Leader() != kNone) (void)net.Propose(net.Leader(), "x");
    net.TickAll();
    check();
  }
  EXPECT_FALSE(violated);
  // The partitions forced several elections, so the property was exercised.
  EXPECT_GE(leader_of_term.size(), 3u);
}

TEST(ElectionTest, AtMostOneLeaderPerTermUnderChangingPartitions) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    CheckOneLeaderPerTerm({}, seed);
    CheckOneLeaderPerTerm(PreVoteAndCheckQuorum, seed);
  }
}

TEST(ElectionTest, CandidateWithStaleLogLoses) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Recover();
  net.Isolate(1);

  net.Campaign(3);
  // 2 has an entry 3 lacks and refuses; 3 cannot get a majority.
  EXPECT_NE(net.node(3).state(), StateType::kLeader);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_VOTE_RESP, 2, 3), 1u);

  net.Campaign(2);
  EXPECT_EQ(net.Leader(), 2u);
  EXPECT_EQ(net.node(3).applied_data(), std::vector<std::string>{"x"});
}

TEST(VoteTest, GrantsOnlyToCandidatesWithLogsAtLeastAsUpToDate) {
  struct Case {
    std::vector<uint64_t> voter_terms;  // terms of the voter's entries after the bootstrap
    uint64_t cand_last_term, cand_last_index;
    bool want_reject;
  };
  std::vector<Case> cases = {
      // Same last term: the longer (or equal) log wins.
      {{1}, 1, 2, false},
      {{1}, 1, 3, false},
      {{1, 1}, 1, 2, true},
      // The candidate's last term is higher: granted whatever the lengths.
      {{1}, 2, 2, false},
      {{1}, 2, 3, false},
      {{1, 1}, 2, 2, false},
      // The voter's last term is higher: refused whatever the lengths.
      {{2}, 1, 2, true},
      {{2}, 1, 3, true},
      {{2, 1}, 1, 2, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    auto storage = NewStorage({1, 2});
    ASSERT_TRUE(storage->Append(MakeEntries(2, c.voter_terms)).ok());
    raftpb::HardState hs;
    hs.set_term(2);
    hs.set_commit(test::kBootstrapIndex);
    storage->SetHardState(hs);
    TestNode n(1, std::move(storage));
    raftpb::Message vote = MakeMsg(raftpb::MSG_VOTE, 2, 1, 3);
    vote.set_log_term(c.cand_last_term);
    vote.set_index(c.cand_last_index);
    ASSERT_TRUE(n.node().Step(vote).ok());
    auto msgs = n.ProcessReady();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].type(), raftpb::MSG_VOTE_RESP);
    EXPECT_EQ(msgs[0].reject(), c.want_reject);
    EXPECT_EQ(msgs[0].term(), 3u);
  }
}

TEST(VoteTest, VotesAtMostOncePerTerm) {
  TestNode n(1, NewStorage({1, 2, 3}));
  auto vote_from = [&](uint64_t from) {
    raftpb::Message v = MakeMsg(raftpb::MSG_VOTE, from, 1, 2);
    v.set_log_term(1);
    v.set_index(1);
    EXPECT_TRUE(n.node().Step(v).ok());
    auto msgs = n.ProcessReady();
    EXPECT_EQ(msgs.size(), 1u);
    return !msgs.empty() && !msgs[0].reject();
  };
  EXPECT_TRUE(vote_from(2));
  EXPECT_FALSE(vote_from(3));
  EXPECT_TRUE(vote_from(2));  // a repeated request gets the same answer
  EXPECT_EQ(n.raft().vote(), 2u);
  // The vote is part of the persisted hard state.
  EXPECT_EQ(n.storage().GetInitialState()->hard_state.vote(), 2u);
}

TEST(PreVoteTest, ElectionGoesThroughPreCandidate) {
  TestNode n(1, NewStorage({1, 2, 3}), PreVote);
  ASSERT_TRUE(n.node().Campaign().ok());
  EXPECT_EQ(n.state(), StateType::kPreCandidate);
  EXPECT_EQ(n.term(), 1u);  // asking costs no term
  auto msgs = n.ProcessReady();
  ASSERT_EQ(msgs.size(), 2u);
  for (const auto& m : msgs) {
    EXPECT_EQ(m.type(), raftpb::MSG_PRE_VOTE);
    EXPECT_EQ(m.term(), 2u);  // the term it would campaign in
  }
  raftpb::Message grant = MakeMsg(raftpb::MSG_PRE_VOTE_RESP, 2, 1, 2);
  ASSERT_TRUE(n.node().Step(grant).ok());
  EXPECT_EQ(n.state(), StateType::kCandidate);
  EXPECT_EQ(n.term(), 2u);
}

TEST(PreVoteTest, RejoiningMemberWithStaleLogNeitherDisruptsNorBumpsTerms) {
  Network net({1, 2, 3}, PreVote);
  net.Campaign(1);
  ASSERT_EQ(net.Leader(), 1u);
  const uint64_t term = net.node(1).term();
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());

  // Many election timeouts alone: only pre-votes, which cost no term.
  net.Tick(3, 10 * kElectionTick);
  EXPECT_EQ(net.node(3).term(), term);

  net.Recover();
  net.ClearDelivered();
  net.Campaign(3);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_VOTE), 0u);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.node(1).term(), term);
  EXPECT_EQ(net.node(2).term(), term);
  EXPECT_EQ(net.node(3).term(), term);

  net.Heartbeat(1);
  EXPECT_EQ(net.node(3).raft().lead(), 1u);
  EXPECT_EQ(net.node(3).applied_data(), std::vector<std::string>{"x"});
}

TEST(PreVoteTest, WithoutPreVoteARejoiningMemberDeposesTheLeader) {
  // The disruption that PreVote exists to prevent.
  Network net({1, 2, 3});
  net.Campaign(1);
  const uint64_t term = net.node(1).term();
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Tick(3, 10 * kElectionTick);
  EXPECT_GT(net.node(3).term(), term + 1);

  net.Recover();
  net.Campaign(3);
  EXPECT_GT(net.node(1).term(), term);
  EXPECT_NE(net.node(1).state(), StateType::kLeader);
}

TEST(PreVoteTest, UpToDateRejoiningMemberIsHeldOffByTheLease) {
  Network net({1, 2, 3}, PreVoteAndCheckQuorum);
  net.Campaign(1);
  const uint64_t term = net.node(1).term();
  net.Isolate(3);
  net.Tick(3, 10 * kElectionTick);
  EXPECT_EQ(net.node(3).term(), term);

  // 3's log is as good as anyone's, but 1 and 2 heard from a leader recently.
  net.Recover();
  net.ClearDelivered();
  net.Campaign(3);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.node(1).term(), term);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_PRE_VOTE_RESP), 0u);
}

TEST(CheckQuorumTest, LeaderThatCannotReachAQuorumStepsDown) {
  Network net({1, 2, 3}, CheckQuorum);
  net.Campaign(1);
  net.Isolate(1);
  // The first check sees the followers' earlier replies; the next sees none.
  net.Tick(1, kElectionTick);
  EXPECT_EQ(net.node(1).state(), StateType::kLeader);
  net.Tick(1, kElectionTick);
  EXPECT_EQ(net.node(1).state(), StateType::kFollower);
  EXPECT_EQ(net.node(1).raft().lead(), kNone);
}

TEST(CheckQuorumTest, LeaderWithAQuorumStaysLeader) {
  Network net({1, 2, 3}, CheckQuorum);
  net.Campaign(1);
  net.Isolate(3);
  net.Tick(1, 10 * kElectionTick);
  EXPECT_EQ(net.node(1).state(), StateType::kLeader);
}

TEST(CheckQuorumTest, WithoutCheckQuorumAnIsolatedLeaderStaysLeader) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.Isolate(1);
  net.Tick(1, 10 * kElectionTick);
  EXPECT_EQ(net.node(1).state(), StateType::kLeader);
}

TEST(LeaderLeaseTest, MembersThatHeardFromTheLeaderIgnoreVotes) {
  Network net({1, 2, 3}, CheckQuorum);
  net.Campaign(1);
  const uint64_t term = net.node(1).term();

  net.ClearDelivered();
  net.Campaign(3);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.node(1).term(), term);
  EXPECT_EQ(net.node(2).term(), term);
  EXPECT_EQ(net.node(3).term(), term + 1);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_VOTE_RESP), 0u);

  // Once 2 has gone an election timeout without the leader, the lease is over.
  net.Isolate(1);
  net.node(2).mutable_raft().set_randomized_election_timeout(100 * kElectionTick);
  net.Tick(2, kElectionTick);
  net.Campaign(3);
  EXPECT_EQ(net.node(3).state(), StateType::kLeader);
}

TEST(LeaderLeaseTest, LeaderTransferCampaignIgnoresTheLease) {
  Network net({1, 2, 3}, CheckQuorum);
  net.Campaign(1);
  net.TransferLeader(1, 2);
  EXPECT_EQ(net.Leader(), 2u);
  EXPECT_EQ(net.node(1).raft().lead(), 2u);
}

TEST(CheckQuorumTest, StaleLeaderLearnsTheNewTermFromAnyReply) {
  Network net({1, 2, 3}, PreVoteAndCheckQuorum);
  net.Campaign(1);
  const uint64_t old_term = net.node(1).term();
  net.Isolate(1);
  // 2 and 3 stop hearing from 1 and elect 2.
  for (uint64_t id : {2, 3}) {
    net.node(id).mutable_raft().set_randomized_election_timeout(100 * kElectionTick);
    net.Tick(id, kElectionTick);
  }
  net.Campaign(2);
  ASSERT_EQ(net.node(2).state(), StateType::kLeader);
  ASSERT_GT(net.node(2).term(), old_term);
  ASSERT_EQ(net.node(1).state(), StateType::kLeader);

  // Its heartbeats of the old term are answered with the new one, and it steps down.
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(net.node(1).state(), StateType::kFollower);
  EXPECT_EQ(net.node(1).term(), net.node(2).term());
  EXPECT_EQ(net.Leader(), 2u);
}

TEST(CheckQuorumTest, IsolatedCandidateWithAHigherTermIsFreedOnRejoining) {
  Network net({1, 2, 3}, CheckQuorum);
  net.Campaign(1);
  net.Isolate(3);
  net.Tick(3, 10 * kElectionTick);
  const uint64_t stuck_term = net.node(3).term();
  ASSERT_GT(stuck_term, net.node(1).term());

  // The leader's heartbeat is answered with the higher term, so it steps down and a new
  // election at a term the rejoined member can accept follows.
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(net.node(1).state(), StateType::kFollower);
  EXPECT_EQ(net.node(1).term(), stuck_term);
  ASSERT_GT(TickUntilLeader(net, 4 * kElectionTick), 0);
  const uint64_t leader = net.Leader();
  EXPECT_GT(net.node(leader).term(), stuck_term);
  EXPECT_EQ(net.node(3).raft().lead(), leader);
}

}  // namespace
}  // namespace raftkv::raft

#include "raftkv/raft/tracker.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace raftkv::raft {

std::string TrackerConfig::DebugString() const {
  std::string s = absl::StrCat("voters=", voters.DebugString());
  if (!learners.empty()) absl::StrAppend(&s, " learners=(", absl::StrJoin(learners, " "), ")");
  if (!learners_next.empty()) {
    absl::StrAppend(&s, " learners_next=(", absl::StrJoin(learners_next, " "), ")");
  }
  if (auto_leave) absl::StrAppend(&s, " autoleave");
  return s;
}

raftpb::ConfState ProgressTracker::ConfState() const {
  raftpb::ConfState cs;
  for (uint64_t id : config.voters.incoming.ids())
    cs.add_voters(id);
  for (uint64_t id : config.voters.outgoing.ids())
    cs.add_voters_outgoing(id);
  for (uint64_t id : config.learners)
    cs.add_learners(id);
  for (uint64_t id : config.learners_next)
    cs.add_learners_next(id);
  cs.set_auto_leave(config.auto_leave);
  return cs;
}

uint64_t ProgressTracker::Committed() const {
  return config.voters.CommittedIndex([this](uint64_t id) -> std::optional<uint64_t> {
    auto it = progress.find(id);
    if (it == progress.end()) return std::nullopt;
    return it->second.match;
  });
}

bool ProgressTracker::QuorumActive() const {
  absl::flat_hash_map<uint64_t, bool> votes;
  for (const auto& [id, pr] : progress) {
    if (!pr.is_learner) votes[id] = pr.recent_active;
  }
  return config.voters.Vote(votes) == VoteResult::kWon;
}

std::vector<uint64_t> ProgressTracker::VoterNodes() const {
  auto ids = config.voters.IDs();
  return {ids.begin(), ids.end()};
}

std::vector<uint64_t> ProgressTracker::LearnerNodes() const {
  return {config.learners.begin(), config.learners.end()};
}

ProgressTracker::Tally ProgressTracker::TallyVotes() const {
  Tally t{0, 0, VoteResult::kPending};
  for (const auto& [id, pr] : progress) {
    if (pr.is_learner) continue;
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    if (it->second) {
      ++t.granted;
    } else {
      ++t.rejected;
    }
  }
  t.result = config.voters.Vote(votes_);
  return t;
}

}  // namespace raftkv::raft

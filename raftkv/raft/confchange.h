#ifndef RAFTKV_RAFT_CONFCHANGE_H_
#define RAFTKV_RAFT_CONFCHANGE_H_

#include <utility>

#include "absl/status/statusor.h"
#include "raftkv/raft/tracker.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

using ConfigAndProgress = std::pair<TrackerConfig, ProgressMap>;

// Computes the membership that results from a change, without touching the tracker it reads.
// Every result satisfies the tracker's invariants or the call fails and changes nothing.
class Changer {
 public:
  Changer(const ProgressTracker& tracker, uint64_t last_index)
      : tracker_(tracker), last_index_(last_index) {}

  // Enters joint consensus: the current voters become the outgoing config and ccs are applied
  // to the incoming one.
  absl::StatusOr<ConfigAndProgress> EnterJoint(
      bool auto_leave,
      const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>& ccs) const;
  // Leaves joint consensus: the outgoing config is dropped.
  absl::StatusOr<ConfigAndProgress> LeaveJoint() const;
  // Applies changes that alter the voters by at most one member, without joint consensus.
  absl::StatusOr<ConfigAndProgress> Simple(
      const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>& ccs) const;

 private:
  absl::Status Apply(TrackerConfig& cfg, ProgressMap& prs,
                     const google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>& ccs) const;
  void MakeVoter(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const;
  void MakeLearner(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const;
  void Remove(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const;
  void InitProgress(TrackerConfig& cfg, ProgressMap& prs, uint64_t id, bool learner) const;

  const ProgressTracker& tracker_;
  uint64_t last_index_;
};

// Rebuilds membership from a ConfState (on restart or snapshot), into tracker.
absl::Status RestoreConfState(ProgressTracker& tracker, uint64_t last_index,
                              const raftpb::ConfState& cs);

// Whether cc enters joint consensus, and if so whether it leaves it automatically.
bool EntersJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave);
// Whether cc is the empty change that leaves joint consensus.
bool LeavesJoint(const raftpb::ConfChangeV2& cc);

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_CONFCHANGE_H_

#ifndef RAFTKV_SERVER_MEMBERSHIP_H_
#define RAFTKV_SERVER_MEMBERSHIP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "raftkv/server/server_options.h"
#include "raftpb/raft.pb.h"
#include "serverpb/apply.pb.h"

namespace raftkv::server {

// The cluster's members as this member has applied them: ids, names, URLs, learner or voter,
// and the ids removed for good (a removed id may never come back, as in etcd).
//
// Changes come only from applying committed membership changes, in log order, so every
// member holds the same table at the same index. Validation is deterministic for that
// reason: a change that is invalid when applied is invalid everywhere and skipped everywhere.
// Thread-safe: the raft thread changes it, any thread reads it.
class ClusterMembership {
 public:
  ClusterMembership() = default;

  // Replaces the whole table (bootstrap, restart, snapshot).
  void Reset(const std::vector<serverpb::Member>& members, const std::set<uint64_t>& removed);

  // Whether `cc` (with its MemberChange context) may be applied now; etcd's error otherwise.
  absl::Status Validate(const raftpb::ConfChangeSingle& cc, const serverpb::Member& member) const;
  // Applies a validated change.
  void Apply(const raftpb::ConfChangeSingle& cc, const serverpb::MemberChange& change);

  std::optional<serverpb::Member> Find(uint64_t id) const;
  std::vector<serverpb::Member> List() const;  // by id
  std::set<uint64_t> Removed() const;
  bool IsRemoved(uint64_t id) const;

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, serverpb::Member> members_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> removed_ ABSL_GUARDED_BY(mu_);
};

// The members a new cluster starts with (--initial-cluster), as the bootstrap snapshot's
// descriptor, and their ids as raft voters in *conf_state.
serverpb::SnapshotDescriptor InitialMembership(const ServerOptions& options,
                                               raftpb::ConfState* conf_state);

// The most learners a cluster may have at once (etcd's maxLearners).
inline constexpr int kMaxLearners = 1;

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_MEMBERSHIP_H_

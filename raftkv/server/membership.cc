#include "raftkv/server/membership.h"

#include <algorithm>

#include "raftkv/server/errors.h"
#include "raftkv/server/member_id.h"

namespace raftkv::server {
namespace {

bool SharesPeerUrl(const serverpb::Member& a, const serverpb::Member& b) {
  for (const auto& u : a.peer_urls()) {
    if (std::find(b.peer_urls().begin(), b.peer_urls().end(), u) != b.peer_urls().end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

serverpb::SnapshotDescriptor InitialMembership(const ServerOptions& options,
                                               raftpb::ConfState* conf_state) {
  serverpb::SnapshotDescriptor descriptor;
  for (const auto& [name, urls] : options.initial_cluster) {
    serverpb::Member* m = descriptor.add_members();
    m->set_name(name);
    std::vector<std::string> strings;
    for (const auto& u : urls)
      strings.push_back(u.ToString());
    for (const auto& u : strings)
      m->add_peer_urls(u);
    m->set_id(ComputeMemberId(strings, options.initial_cluster_token));
    conf_state->add_voters(m->id());
  }
  return descriptor;
}

void ClusterMembership::Reset(const std::vector<serverpb::Member>& members,
                              const std::set<uint64_t>& removed) {
  absl::MutexLock lock(&mu_);
  members_.clear();
  for (const auto& m : members)
    members_[m.id()] = m;
  removed_ = removed;
}

absl::Status ClusterMembership::Validate(const raftpb::ConfChangeSingle& cc,
                                         const serverpb::Member& member) const {
  absl::MutexLock lock(&mu_);
  uint64_t id = cc.node_id();
  if (removed_.contains(id)) return ErrMemberNotFound();
  auto it = members_.find(id);
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
    case raftpb::CONF_CHANGE_ADD_NODE: {
      bool promote = it != members_.end() && cc.type() == raftpb::CONF_CHANGE_ADD_NODE &&
                     it->second.is_learner();
      if (promote) return absl::OkStatus();
      if (it != members_.end()) {
        return cc.type() == raftpb::CONF_CHANGE_ADD_NODE ? ErrMemberNotLearner() : ErrMemberExist();
      }
      for (const auto& [other_id, other] : members_) {
        if (SharesPeerUrl(other, member)) return ErrPeerUrlExist();
      }
      if (cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE) {
        int learners = static_cast<int>(std::count_if(
            members_.begin(), members_.end(), [](const auto& m) { return m.second.is_learner(); }));
        if (learners >= kMaxLearners) return ErrTooManyLearners();
      }
      return absl::OkStatus();
    }
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      return it == members_.end() ? ErrMemberNotFound() : absl::OkStatus();
    case raftpb::CONF_CHANGE_UPDATE_NODE: {
      if (it == members_.end()) return ErrMemberNotFound();
      for (const auto& [other_id, other] : members_) {
        if (other_id != id && SharesPeerUrl(other, member)) return ErrPeerUrlExist();
      }
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("unknown membership change type");
  }
}

void ClusterMembership::Apply(const raftpb::ConfChangeSingle& cc,
                              const serverpb::MemberChange& change) {
  const serverpb::Member& member = change.member();
  absl::MutexLock lock(&mu_);
  uint64_t id = cc.node_id();
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE: {
      auto it = members_.find(id);
      if (it != members_.end()) {
        it->second.set_is_learner(cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE);
        return;
      }
      serverpb::Member& m = members_[id];
      m = member;
      m.set_id(id);
      m.set_is_learner(cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE);
      return;
    }
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      members_.erase(id);
      removed_.insert(id);
      return;
    case raftpb::CONF_CHANGE_UPDATE_NODE:
      if (auto it = members_.find(id); it != members_.end()) {
        if (change.publish()) {
          it->second.set_name(member.name());
          *it->second.mutable_client_urls() = member.client_urls();
        } else {
          *it->second.mutable_peer_urls() = member.peer_urls();
        }
      }
      return;
    default:
      return;
  }
}

std::optional<serverpb::Member> ClusterMembership::Find(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

std::vector<serverpb::Member> ClusterMembership::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<serverpb::Member> out;
  out.reserve(members_.size());
  for (const auto& [id, m] : members_)
    out.push_back(m);
  return out;
}

std::set<uint64_t> ClusterMembership::Removed() const {
  absl::MutexLock lock(&mu_);
  return removed_;
}

bool ClusterMembership::IsRemoved(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  return removed_.contains(id);
}

}  // namespace raftkv::server

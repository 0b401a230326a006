#include "orchestrator/scheduler/cache.h"

#include <utility>

#include "orchestrator/api/object.h"

namespace orch::scheduler {

absl::Status SchedulerCache::AddOrUpdateNode(const api::Json& node) {
  std::lock_guard lock(mu_);
  const std::string name = api::NameOf(node);
  auto it = nodes_.find(name);
  if (it != nodes_.end()) return it->second->SetNode(node);
  auto info = std::make_unique<NodeInfo>(name);
  if (absl::Status status = info->SetNode(node); !status.ok()) return status;
  nodes_.emplace(name, std::move(info));
  node_list_stale_ = true;
  return absl::OkStatus();
}

void SchedulerCache::RemoveNode(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  it->second->ClearNode();
  DropPlaceholderIfEmptyLocked(name);
}

void SchedulerCache::AddOrUpdatePod(const PodInfo& pod) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(pod.key);
  if (it != pods_.end() && it->second.node->name() == pod.node_name &&
      it->second.usage.uid == pod.uid) {
    it->second.assumed = false;
    return;
  }
  if (it != pods_.end()) UnplaceLocked(pod.key);
  PlaceLocked(pod.key, pod.Usage(), NodeEntryLocked(pod.node_name), /*assumed=*/false);
}

void SchedulerCache::RemovePod(const std::string& key) {
  std::lock_guard lock(mu_);
  UnplaceLocked(key);
}

Placement SchedulerCache::ScheduleAndAssume(const PodInfo& pod, absl::BitGenRef random) {
  std::lock_guard lock(mu_);
  if (auto placed = pods_.find(pod.key); placed != pods_.end()) {
    return {
        .already_placed = true, .node_name = placed->second.node->name(), .failure_message = ""};
  }
  if (node_list_stale_) {
    node_list_.clear();
    for (const auto& [name, node] : nodes_)
      node_list_.push_back(node.get());
    node_list_stale_ = false;
  }
  const OwnerPodCounts* owner_counts = nullptr;
  if (!pod.owner_uid.empty()) {
    auto it = owner_counts_.find(pod.owner_uid);
    if (it != owner_counts_.end()) owner_counts = &it->second;
  }
  Decision decision = SelectNode(pod, node_list_, owner_counts, random, next_start_index_);
  if (!node_list_.empty()) {
    next_start_index_ = (next_start_index_ + decision.nodes_examined) % node_list_.size();
  }
  if (decision.node == nullptr) {
    return {.node_name = "", .failure_message = std::move(decision.failure_message)};
  }
  PlaceLocked(pod.key, pod.Usage(), *nodes_.at(decision.node->name()), /*assumed=*/true);
  return {.node_name = decision.node->name(), .failure_message = ""};
}

void SchedulerCache::ForgetAssumedPod(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it != pods_.end() && it->second.assumed) UnplaceLocked(key);
}

bool SchedulerCache::IsAssumed(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  return it != pods_.end() && it->second.assumed;
}

bool SchedulerCache::IsPlaced(const std::string& key) const {
  std::lock_guard lock(mu_);
  return pods_.contains(key);
}

size_t SchedulerCache::NodeCount() const {
  std::lock_guard lock(mu_);
  size_t count = 0;
  for (const auto& [name, node] : nodes_)
    count += node->has_node() ? 1 : 0;
  return count;
}

std::optional<NodeUsage> SchedulerCache::Usage(const std::string& node_name) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node_name);
  if (it == nodes_.end()) return std::nullopt;
  return NodeUsage{it->second->pod_count(), it->second->requested()};
}

NodeInfo& SchedulerCache::NodeEntryLocked(const std::string& name) {
  auto [it, inserted] = nodes_.try_emplace(name);
  if (inserted) {
    it->second = std::make_unique<NodeInfo>(name);
    node_list_stale_ = true;
  }
  return *it->second;
}

void SchedulerCache::PlaceLocked(const std::string& key, PodUsage usage, NodeInfo& node,
                                 bool assumed) {
  node.AddPod(usage);
  if (!usage.owner_uid.empty()) ++owner_counts_[usage.owner_uid][&node];
  pods_.insert_or_assign(key, PlacedPod{std::move(usage), &node, assumed});
}

void SchedulerCache::UnplaceLocked(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  NodeInfo& node = *it->second.node;
  node.RemovePod(it->second.usage);
  if (const std::string& owner = it->second.usage.owner_uid; !owner.empty()) {
    auto owner_it = owner_counts_.find(owner);
    if (owner_it != owner_counts_.end()) {
      auto count = owner_it->second.find(&node);
      if (count != owner_it->second.end() && --count->second <= 0) owner_it->second.erase(count);
      if (owner_it->second.empty()) owner_counts_.erase(owner_it);
    }
  }
  const std::string node_name = node.name();
  pods_.erase(it);
  DropPlaceholderIfEmptyLocked(node_name);
}

void SchedulerCache::DropPlaceholderIfEmptyLocked(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end() || it->second->has_node() || it->second->pod_count() > 0) return;
  nodes_.erase(it);
  node_list_stale_ = true;
}

}  // namespace orch::scheduler

#include "orchestrator/scheduler/algorithm.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace orch::scheduler {
namespace {

constexpr int64_t kMaxNodeScore = 100;

bool IsDoNotScheduleEffect(const std::string& effect) {
  return effect == "NoSchedule" || effect == "NoExecute";
}

bool MatchesNodeSelectorAndAffinity(const PodInfo& pod, const NodeInfo& node) {
  if (pod.node_selector.empty() && !pod.required_node_affinity.has_value()) return true;
  const api::Json& labels = node.labels();
  for (const auto& [key, value] : pod.node_selector) {
    const api::Json* label = api::Member(labels, key);
    if (label == nullptr || !label->is_string() || label->get_ref<const std::string&>() != value) {
      return false;
    }
  }
  return !pod.required_node_affinity.has_value() ||
         api::NodeMatchesTerms(*pod.required_node_affinity, node.node());
}

// NodeResourcesFit: every resource that is short is a reason, as upstream reports them.
bool FitsResources(const PodInfo& pod, const NodeInfo& node, std::vector<std::string>* reasons) {
  const Resources& request = pod.requests;
  const Resources& allocatable = node.allocatable();
  const Resources& requested = node.requested();
  bool fits = true;
  auto insufficient = [&](const std::string& resource) {
    fits = false;
    if (reasons != nullptr) reasons->push_back(absl::StrCat("Insufficient ", resource));
  };
  if (node.pod_count() + 1 > allocatable.pods) {
    fits = false;
    if (reasons != nullptr) reasons->push_back(kReasonTooManyPods);
  }
  if (request.milli_cpu > 0 && request.milli_cpu > allocatable.milli_cpu - requested.milli_cpu) {
    insufficient("cpu");
  }
  if (request.memory > 0 && request.memory > allocatable.memory - requested.memory) {
    insufficient("memory");
  }
  if (request.ephemeral_storage > 0 &&
      request.ephemeral_storage > allocatable.ephemeral_storage - requested.ephemeral_storage) {
    insufficient("ephemeral-storage");
  }
  for (const auto& [name, value] : request.scalars) {
    if (value == 0) continue;
    auto offered = allocatable.scalars.find(name);
    auto used = requested.scalars.find(name);
    const int64_t free = (offered == allocatable.scalars.end() ? 0 : offered->second) -
                         (used == requested.scalars.end() ? 0 : used->second);
    if (value > free) insufficient(name);
  }
  return fits;
}

int64_t LeastRequested(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}

}  // namespace

FilterCode FilterNode(const PodInfo& pod, const NodeInfo& node, std::vector<std::string>* reasons) {
  auto fail = [&](FilterCode code, std::string reason) {
    if (reasons != nullptr) reasons->push_back(std::move(reason));
    return code;
  };
  if (node.unschedulable() && !pod.Tolerates({kTaintUnschedulable, "", "NoSchedule"})) {
    return fail(FilterCode::kUnresolvable, kReasonUnschedulable);
  }
  for (const api::Taint& taint : node.taints()) {
    if (IsDoNotScheduleEffect(taint.effect) && !pod.Tolerates(taint)) {
      return fail(FilterCode::kUnresolvable, absl::StrCat("node(s) had untolerated taint {",
                                                          taint.key, ": ", taint.value, "}"));
    }
  }
  if (!MatchesNodeSelectorAndAffinity(pod, node)) {
    return fail(FilterCode::kUnresolvable, kReasonNodeAffinity);
  }
  return FitsResources(pod, node, reasons) ? FilterCode::kFits : FilterCode::kUnschedulable;
}

int64_t LeastAllocatedScore(const PodInfo& pod, const NodeInfo& node) {
  const int64_t cpu = LeastRequested(node.scoring_milli_cpu() + pod.scoring_milli_cpu,
                                     node.allocatable().milli_cpu);
  const int64_t memory =
      LeastRequested(node.scoring_memory() + pod.scoring_memory, node.allocatable().memory);
  return (cpu + memory) / 2;
}

int64_t BalancedAllocationScore(const PodInfo& pod, const NodeInfo& node) {
  double fractions[2];
  int count = 0;
  auto add = [&](int64_t requested, int64_t allocatable) {
    if (allocatable == 0) return;
    fractions[count++] = std::min(1.0, static_cast<double>(requested) / allocatable);
  };
  add(node.scoring_milli_cpu() + pod.scoring_milli_cpu, node.allocatable().milli_cpu);
  add(node.scoring_memory() + pod.scoring_memory, node.allocatable().memory);
  const double deviation = count == 2 ? std::abs(fractions[0] - fractions[1]) / 2 : 0.0;
  return static_cast<int64_t>((1 - deviation) * kMaxNodeScore);
}

int64_t CountIntolerablePreferNoSchedule(const PodInfo& pod, const NodeInfo& node) {
  int64_t count = 0;
  for (const api::Taint& taint : node.taints()) {
    if (taint.effect != "PreferNoSchedule") continue;
    const bool tolerated = std::any_of(
        pod.tolerations.begin(), pod.tolerations.end(), [&](const api::Toleration& toleration) {
          return (toleration.effect.empty() || toleration.effect == "PreferNoSchedule") &&
                 toleration.Tolerates(taint);
        });
    if (!tolerated) ++count;
  }
  return count;
}

std::string FitErrorMessage(const Diagnosis& diagnosis) {
  if (diagnosis.num_nodes == 0) return kNoNodesAvailable;
  auto histogram = [](const std::map<std::string, int64_t>& counts) {
    std::vector<std::string> entries;
    for (const auto& [reason, count] : counts) {
      if (count > 0) entries.push_back(absl::StrCat(count, " ", reason));
    }
    std::sort(entries.begin(), entries.end());  // upstream sorts the "N reason" strings
    return absl::StrJoin(entries, ", ");
  };
  std::string message =
      absl::StrCat("0/", diagnosis.num_nodes,
                   " nodes are available: ", histogram(diagnosis.reason_counts), ". preemption: ");
  if (diagnosis.preemption_never) {
    absl::StrAppend(&message, "not eligible due to preemptionPolicy=Never.");
    return message;
  }
  absl::StrAppend(
      &message, "0/", diagnosis.num_nodes, " nodes are available: ",
      histogram({{"Preemption is not helpful for scheduling", diagnosis.unresolvable_nodes},
                 {"No preemption victims found for incoming pod", diagnosis.resolvable_nodes}}),
      ".");
  return message;
}

size_t FeasibleNodesToFind(size_t num_nodes) {
  constexpr size_t kMinFeasibleNodes = 100;
  constexpr int64_t kMinPercentage = 5;
  if (num_nodes < kMinFeasibleNodes) return num_nodes;
  const int64_t percentage =
      std::max<int64_t>(kMinPercentage, 50 - static_cast<int64_t>(num_nodes) / 125);
  return std::max(kMinFeasibleNodes, num_nodes * percentage / 100);
}

Decision SelectNode(const PodInfo& pod, std::span<const NodeInfo* const> nodes,
                    const OwnerPodCounts* owner_counts, absl::BitGenRef random,
                    size_t start_index) {
  const size_t wanted = FeasibleNodesToFind(nodes.size());
  std::vector<const NodeInfo*> feasible;
  feasible.reserve(std::min(wanted, nodes.size()));
  Diagnosis diagnosis;
  diagnosis.preemption_never = pod.preemption_never;
  std::vector<std::string> reasons;
  size_t examined = 0;
  for (; examined < nodes.size() && feasible.size() < wanted; ++examined) {
    const NodeInfo* node = nodes[(start_index + examined) % nodes.size()];
    if (!node->has_node()) continue;
    ++diagnosis.num_nodes;
    reasons.clear();
    switch (FilterNode(pod, *node, &reasons)) {
      case FilterCode::kFits:
        feasible.push_back(node);
        continue;
      case FilterCode::kUnschedulable:
        ++diagnosis.resolvable_nodes;
        break;
      case FilterCode::kUnresolvable:
        ++diagnosis.unresolvable_nodes;
        break;
    }
    for (std::string& reason : reasons)
      ++diagnosis.reason_counts[std::move(reason)];
  }
  if (feasible.empty()) return {nullptr, FitErrorMessage(diagnosis), examined};
  if (feasible.size() == 1) return {feasible.front(), "", examined};

  // Spread and taint scores are normalized by their maximum over the feasible nodes.
  std::vector<int64_t> owner_pods(feasible.size(), 0);
  std::vector<int64_t> intolerable(feasible.size(), 0);
  int64_t max_owner_pods = 0;
  int64_t max_intolerable = 0;
  for (size_t i = 0; i < feasible.size(); ++i) {
    if (owner_counts != nullptr) {
      auto it = owner_counts->find(feasible[i]);
      if (it != owner_counts->end()) owner_pods[i] = it->second;
    }
    intolerable[i] = CountIntolerablePreferNoSchedule(pod, *feasible[i]);
    max_owner_pods = std::max(max_owner_pods, owner_pods[i]);
    max_intolerable = std::max(max_intolerable, intolerable[i]);
  }
  const NodeInfo* best = nullptr;
  int64_t best_score = -1;
  int64_t ties = 0;
  for (size_t i = 0; i < feasible.size(); ++i) {
    NodeScores scores;
    scores.least_allocated = LeastAllocatedScore(pod, *feasible[i]);
    scores.balanced_allocation = BalancedAllocationScore(pod, *feasible[i]);
    scores.spread = max_owner_pods == 0
                        ? kMaxNodeScore
                        : kMaxNodeScore * (max_owner_pods - owner_pods[i]) / max_owner_pods;
    scores.taint_toleration =
        max_intolerable == 0 ? kMaxNodeScore
                             : kMaxNodeScore - kMaxNodeScore * intolerable[i] / max_intolerable;
    const int64_t total = scores.Total();
    if (total > best_score) {
      best = feasible[i];
      best_score = total;
      ties = 1;
    } else if (total == best_score && absl::Uniform<int64_t>(random, 0, ++ties) == 0) {
      best = feasible[i];
    }
  }
  return {best, "", examined};
}

}  // namespace orch::scheduler

#include "orchestrator/controllers/node_lifecycle_logic.h"

#include "orchestrator/api/object.h"
#include "orchestrator/api/types.h"

namespace orch::controllers {
namespace {

using api::Json;

bool IsManagedTaint(std::string_view key) {
  return key == kUnreachableTaint || key == kNotReadyTaint || key == kUnschedulableTaint;
}

// The NoExecute taint of an unhealthy node, if any.
std::optional<api::Taint> NoExecuteTaintFor(const Json& node) {
  const std::string ready = api::ConditionStatus(node, "Ready");
  if (ready == "Unknown") return api::Taint{std::string(kUnreachableTaint), "", "NoExecute"};
  if (ready == "False") return api::Taint{std::string(kNotReadyTaint), "", "NoExecute"};
  return std::nullopt;
}

}  // namespace

std::optional<Json> WithStatusUnknown(const Json& node, absl::Time now) {
  if (api::ConditionStatus(node, "Ready") == "Unknown") return std::nullopt;
  Json updated = node;
  Json conditions = api::ArrayAt(node, {"status", "conditions"});
  if (api::FindCondition(conditions, "Ready") == nullptr) {
    conditions.push_back({{"type", "Ready"}});
  }
  const std::string timestamp = api::FormatTimestamp(now);
  for (Json& condition : conditions) {
    condition["status"] = "Unknown";
    condition["reason"] = "NodeStatusUnknown";
    condition["message"] = "Kubelet stopped posting node status.";
    condition["lastTransitionTime"] = timestamp;
    if (!condition.contains("lastHeartbeatTime")) condition["lastHeartbeatTime"] = timestamp;
  }
  api::EnsureObject(updated, "status")["conditions"] = std::move(conditions);
  return updated;
}

Json DesiredTaints(const Json& node, absl::Time now) {
  const Json& existing = api::ArrayAt(node, {"spec", "taints"});
  std::vector<api::Taint> wanted;
  const std::string ready = api::ConditionStatus(node, "Ready");
  if (ready == "Unknown" || ready == "False") {
    const std::string key(ready == "Unknown" ? kUnreachableTaint : kNotReadyTaint);
    wanted.push_back({key, "", "NoSchedule"});
    wanted.push_back({key, "", "NoExecute"});
  }
  if (api::BoolAt(node, {"spec", "unschedulable"})) {
    wanted.push_back({std::string(kUnschedulableTaint), "", "NoSchedule"});
  }
  Json taints = Json::array();
  for (const Json& taint : existing) {
    if (!IsManagedTaint(api::StringAt(taint, {"key"}))) taints.push_back(taint);
  }
  for (const api::Taint& taint : wanted) {
    const Json* kept = nullptr;
    for (const Json& have : existing) {
      if (api::StringAt(have, {"key"}) == taint.key &&
          api::StringAt(have, {"effect"}) == taint.effect) {
        kept = &have;
      }
    }
    if (kept != nullptr) {
      taints.push_back(*kept);
      continue;
    }
    Json entry = {{"key", taint.key}, {"effect", taint.effect}};
    if (taint.effect == "NoExecute") entry["timeAdded"] = api::FormatTimestamp(now);
    taints.push_back(std::move(entry));
  }
  return taints;
}

bool NodeIsUnhealthy(const Json& node) {
  const std::string ready = api::ConditionStatus(node, "Ready");
  return ready == "Unknown" || ready == "False";
}

std::optional<absl::Time> PodEvictionTime(const Json& pod, const Json& node,
                                          absl::Time unhealthy_since,
                                          absl::Duration eviction_timeout) {
  if (api::IsBeingDeleted(pod)) return std::nullopt;
  std::optional<api::Taint> taint = NoExecuteTaintFor(node);
  if (!taint.has_value()) return std::nullopt;
  std::optional<absl::Time> evict_at = unhealthy_since + eviction_timeout;
  for (const Json& entry : api::ArrayAt(pod, {"spec", "tolerations"})) {
    api::Toleration toleration;
    toleration.key = api::StringAt(entry, {"key"});
    toleration.op = api::StringAt(entry, {"operator"}, "Equal");
    toleration.value = api::StringAt(entry, {"value"});
    toleration.effect = api::StringAt(entry, {"effect"});
    if (!toleration.Tolerates(*taint)) continue;
    std::optional<int64_t> seconds = api::IntAt(entry, {"tolerationSeconds"});
    if (!seconds.has_value()) return std::nullopt;
    evict_at = unhealthy_since + absl::Seconds(std::max<int64_t>(*seconds, 0));
  }
  return evict_at;
}

}  // namespace orch::controllers

#include "orchestrator/controllers/node_lifecycle_controller.h"

#include <set>

#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/controllers/node_lifecycle_logic.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {
namespace {

using api::Json;

const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}

}  // namespace

NodeLifecycleController::NodeLifecycleController(ControllerContext context)
    : context_(context),
      nodes_(context.informers.For(api::Kind::kNode)),
      leases_(context.informers.For(api::Kind::kLease)),
      pods_(context.informers.For(api::Kind::kPod)) {}

NodeLifecycleController::~NodeLifecycleController() {
  Stop();
}

void NodeLifecycleController::Run() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      MonitorNodes(absl::Now());
      lock.lock();
      wake_.wait_for(lock, absl::ToChronoMilliseconds(context_.options.node_monitor_period),
                     [this] { return stopping_; });
    }
  });
}

void NodeLifecycleController::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeLifecycleController::MonitorNodes(absl::Time now) {
  std::set<std::string> present;
  for (const client::Informer::SharedObject& node : nodes_.ListShared()) {
    present.insert(api::NameOf(*node));
    MonitorNode(*node, now);
  }
  std::erase_if(heartbeats_, [&](const auto& entry) { return !present.contains(entry.first); });
  std::erase_if(unhealthy_since_,
                [&](const auto& entry) { return !present.contains(entry.first); });
}

void NodeLifecycleController::MonitorNode(const Json& observed, absl::Time now) {
  const std::string name = api::NameOf(observed);
  // List items may come without apiVersion and kind; updates and events need them.
  Json node = observed;
  node["apiVersion"] = "v1";
  node["kind"] = "Node";
  client::Informer::SharedObject lease = leases_.GetShared(api::Cat("kube-node-lease/", name));
  const std::string renew_time =
      lease != nullptr ? api::StringAt(*lease, {"spec", "renewTime"}) : "";
  auto [heartbeat, first_seen] = heartbeats_.try_emplace(name, Heartbeat{renew_time, now});
  if (!first_seen && heartbeat->second.renew_time != renew_time) {
    heartbeat->second = Heartbeat{renew_time, now};
  }
  if (now - heartbeat->second.observed > context_.options.node_monitor_grace_period) {
    if (std::optional<Json> unknown = WithStatusUnknown(node, now)) {
      absl::StatusOr<Json> written = context_.client.UpdateStatus(Nodes(), *unknown);
      if (!written.ok()) {
        spdlog::warn("controller-manager: nodelifecycle cannot mark node {} Unknown: {}", name,
                     written.status().ToString());
        return;
      }
      spdlog::info(
          "controller-manager: nodelifecycle node {} stopped renewing its Lease for {}: "
          "NotReady (Unknown)",
          name, absl::FormatDuration(now - heartbeat->second.observed));
      context_.events.Record(node, "Normal", "NodeNotReady",
                             api::Cat("Node ", name, " status is now: NodeNotReady"));
      node = *std::move(written);
      node["apiVersion"] = "v1";
      node["kind"] = "Node";
    }
  }
  Json taints = DesiredTaints(node, now);
  if (taints != api::ArrayAt(node, {"spec", "taints"})) {
    Json updated = node;
    if (taints.empty()) {
      updated["spec"].erase("taints");
    } else {
      api::EnsureObject(updated, "spec")["taints"] = taints;
    }
    absl::StatusOr<Json> written = context_.client.Update(Nodes(), updated);
    if (!written.ok()) {
      // A conflict means the kubelet or a user wrote meanwhile; the next pass retries.
      spdlog::debug("controller-manager: nodelifecycle taints of {}: {}", name,
                    written.status().ToString());
    } else {
      spdlog::info("controller-manager: nodelifecycle node {} taints now {}", name, taints.dump());
    }
  }
  if (NodeIsUnhealthy(node)) {
    unhealthy_since_.try_emplace(name, now);
    EvictPods(node, now);
  } else {
    unhealthy_since_.erase(name);
  }
}

void NodeLifecycleController::EvictPods(const Json& node, absl::Time now) {
  const std::string name = api::NameOf(node);
  const absl::Time since = unhealthy_since_.at(name);
  for (const client::Informer::SharedObject& cached_pod :
       pods_.ByIndexShared(kNodeNameIndex, name)) {
    const Json& pod = *cached_pod;
    std::optional<absl::Time> evict_at =
        PodEvictionTime(pod, node, since, context_.options.pod_eviction_timeout);
    if (!evict_at.has_value() || now < *evict_at) continue;
    client::DeleteOptions options;
    options.precondition_uid = api::UidOf(pod);
    absl::Status deleted = context_.client
                               .Delete(api::ResourceFor(api::Kind::kPod), api::NamespaceOf(pod),
                                       api::NameOf(pod), options)
                               .status();
    if (!deleted.ok() && !client::IsNotFound(deleted) && !client::IsConflict(deleted)) {
      spdlog::warn("controller-manager: nodelifecycle cannot evict pod {} from node {}: {}",
                   client::ObjectCacheKey(pod), name, deleted.ToString());
      continue;
    }
    spdlog::info("controller-manager: nodelifecycle evicted pod {} from unhealthy node {}",
                 client::ObjectCacheKey(pod), name);
    Json involved = pod;
    involved["apiVersion"] = "v1";
    involved["kind"] = "Pod";
    context_.events.Record(involved, "Normal", "TaintManagerEviction",
                           api::Cat("Marking for deletion Pod ", client::ObjectCacheKey(pod)));
  }
}

}  // namespace orch::controllers

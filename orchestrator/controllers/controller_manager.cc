#include "orchestrator/controllers/controller_manager.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/text.h"
#include "orchestrator/controllers/deployment_controller.h"
#include "orchestrator/controllers/garbage_collector.h"
#include "orchestrator/controllers/namespace_controller.h"
#include "orchestrator/controllers/node_lifecycle_controller.h"
#include "orchestrator/controllers/replica_set_controller.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {

const std::vector<std::string>& AllControllerNames() {
  static const std::vector<std::string> names = {"deployment", "replicaset", "nodelifecycle",
                                                 "garbagecollector", "namespace"};
  return names;
}

absl::StatusOr<std::set<std::string>> ParseControllerList(std::string_view text) {
  std::set<std::string> enabled;
  const std::vector<std::string>& all = AllControllerNames();
  const std::string list(text);
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::string item(part);
    const bool disable = !item.empty() && item.front() == '-';
    if (disable) item.erase(0, 1);
    if (item == "*" && !disable) {
      enabled.insert(all.begin(), all.end());
      continue;
    }
    if (std::find(all.begin(), all.end(), item) == all.end()) {
      return absl::InvalidArgumentError(
          api::Cat("unknown controller \"", item, "\"; known: ", absl::StrJoin(all, ", ")));
    }
    if (disable) {
      enabled.erase(item);
    } else {
      enabled.insert(item);
    }
  }
  return enabled;
}

ControllerManager::ControllerManager(client::Client& client, std::set<std::string> enabled,
                                     ControllerOptions options)
    : client_(client), events_(client, "controller-manager"), informers_(client) {
  ControllerContext context{client_, informers_, events_, options};
  // Registration order is start order; the garbage collector goes last so that the
  // workload controllers' handlers see objects first.
  if (enabled.contains("namespace"))
    controllers_.push_back(std::make_unique<NamespaceController>(context));
  if (enabled.contains("replicaset"))
    controllers_.push_back(std::make_unique<ReplicaSetController>(context));
  if (enabled.contains("deployment"))
    controllers_.push_back(std::make_unique<DeploymentController>(context));
  if (enabled.contains("nodelifecycle"))
    controllers_.push_back(std::make_unique<NodeLifecycleController>(context));
  if (enabled.contains("garbagecollector"))
    controllers_.push_back(std::make_unique<GarbageCollector>(context));
}

ControllerManager::~ControllerManager() {
  Stop();
}

absl::Status ControllerManager::Start(absl::Duration sync_timeout) {
  informers_.Start();
  if (!informers_.WaitForSync(absl::Now() + sync_timeout)) {
    informers_.Stop();
    return absl::DeadlineExceededError("controller-manager: informers did not sync");
  }
  for (const std::unique_ptr<Controller>& controller : controllers_) {
    controller->Run();
    spdlog::info("controller-manager: started {}", controller->name());
  }
  running_ = true;
  return absl::OkStatus();
}

void ControllerManager::Stop() {
  if (running_) {
    for (auto it = controllers_.rbegin(); it != controllers_.rend(); ++it)
      (*it)->Stop();
    running_ = false;
  }
  informers_.Stop();
}

}  // namespace orch::controllers

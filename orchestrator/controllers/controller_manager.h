// The controllers of one controller-manager process over shared informers: built and
// registered, informers started and synced, then the controllers run; Stop ends them in
// reverse order. Leader election is the caller's (main.cc): only the leader runs a manager.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/event_recorder.h"
#include "orchestrator/controllers/controller.h"

namespace orch::controllers {

// Every controller, by the names --controllers uses (Kubernetes' names).
const std::vector<std::string>& AllControllerNames();

// --controllers: "*" (every one), "a,b", or "*,-a" (every one but a).
absl::StatusOr<std::set<std::string>> ParseControllerList(std::string_view text);

class ControllerManager {
 public:
  ControllerManager(client::Client& client, std::set<std::string> enabled,
                    ControllerOptions options);
  ~ControllerManager();  // Stop()
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Starts informers and, once they have synced (DeadlineExceeded after `sync_timeout`),
  // the controllers.
  absl::Status Start(absl::Duration sync_timeout = absl::Seconds(60));
  void Stop();

 private:
  client::Client& client_;
  client::EventRecorder events_;
  SharedInformers informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  bool running_ = false;
};

}  // namespace orch::controllers

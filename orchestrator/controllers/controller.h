// What every controller of the controller-manager shares: the API client, the shared
// informers, the event recorder and the options; and the life cycle the manager drives.
#pragma once

#include <string_view>

#include "absl/time/time.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/event_recorder.h"
#include "orchestrator/controllers/shared_informers.h"

namespace orch::controllers {

struct ControllerOptions {
  int workers = 4;  // per controller with a work queue
  // Node lifecycle (contract "Nodes and kubelets").
  absl::Duration node_monitor_grace_period = absl::Seconds(40);
  absl::Duration pod_eviction_timeout = absl::Seconds(30);
  absl::Duration node_monitor_period = absl::Seconds(5);
  // Namespace deletion: how soon a namespace whose objects are still going is looked at again.
  absl::Duration namespace_recheck_delay = absl::Seconds(1);
};

struct ControllerContext {
  client::Client& client;
  SharedInformers& informers;
  client::EventRecorder& events;
  ControllerOptions options;
};

// A controller registers its informers and handlers in its constructor (before the shared
// informers start); Run starts its workers once the informers have synced.
class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string_view name() const = 0;
  virtual void Run() = 0;
  // Stops the workers; handlers may still enqueue afterwards, which is ignored.
  virtual void Stop() = 0;
};

}  // namespace orch::controllers

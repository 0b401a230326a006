// Records core/v1 Events about objects, as the components of Kubernetes do ("Scheduled",
// "FailedScheduling", "Pulled", "Started", "Killing", "BackOff", "ScalingReplicaSet", ...).
// A repeat of the same (object, type, reason, message) within ten minutes bumps the existing
// Event's count and lastTimestamp rather than creating another. Writes go out on a
// background thread so a controller never waits for them; failures are logged, not returned.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "orchestrator/api/json.h"
#include "orchestrator/client/client.h"

namespace orch::client {

class EventRecorder {
 public:
  // `component` is source.component and reportingController ("default-scheduler", "kubelet");
  // `host` is source.host (the node name, for the kubelet), may be "".
  EventRecorder(Client& client, std::string component, std::string host = "");
  ~EventRecorder();  // sends what is queued, then stops
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `type` is "Normal" or "Warning". The Event goes to the object's namespace ("default"
  // for cluster-scoped objects, as Kubernetes does).
  void Record(const api::Json& object, std::string_view type, std::string_view reason,
              std::string_view message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::client

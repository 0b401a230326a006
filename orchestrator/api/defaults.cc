#include "orchestrator/api/defaults.h"

#include <set>

#include "orchestrator/api/object.h"
#include "orchestrator/api/quantity.h"

namespace orch::api {
namespace {

// The image's tag is "latest" or absent (and no digest): Kubernetes then pulls Always.
bool PullsAlways(const std::string& image) {
  if (image.find('@') != std::string::npos) return false;
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return true;
  return image.substr(colon + 1) == "latest";
}

void DefaultProbe(Json& probe) {
  if (!probe.is_object()) return;
  SetIfAbsent(probe, "timeoutSeconds", 1);
  SetIfAbsent(probe, "periodSeconds", 10);
  SetIfAbsent(probe, "successThreshold", 1);
  SetIfAbsent(probe, "failureThreshold", 3);
  if (Json* http = probe.contains("httpGet") ? &probe["httpGet"] : nullptr;
      http != nullptr && http->is_object()) {
    SetIfAbsent(*http, "path", "/");
    SetIfAbsent(*http, "scheme", "HTTP");
  }
}

void DefaultContainer(Json& container, bool host_network) {
  if (!container.is_object()) return;
  SetIfAbsent(container, "terminationMessagePath", "/dev/termination-log");
  SetIfAbsent(container, "terminationMessagePolicy", "File");
  SetIfAbsent(container, "imagePullPolicy",
              PullsAlways(StringAt(container, {"image"})) ? "Always" : "IfNotPresent");
  Json& resources = EnsureObject(container, "resources");
  // Requests default to limits, resource by resource (SetDefaults_Pod).
  if (const Json* limits = Member(resources, "limits");
      limits != nullptr && limits->is_object() && !limits->empty()) {
    Json& requests = EnsureObject(resources, "requests");
    for (const auto& [name, limit] : limits->items())
      SetIfAbsent(requests, name, limit);
  }
  if (Json* ports = container.contains("ports") ? &container["ports"] : nullptr;
      ports != nullptr && ports->is_array()) {
    for (Json& port : *ports) {
      if (!port.is_object()) continue;
      SetIfAbsent(port, "protocol", "TCP");
      if (host_network && port.contains("containerPort")) {
        SetIfAbsent(port, "hostPort", port["containerPort"]);
      }
    }
  }
  for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (container.contains(probe)) DefaultProbe(container[std::string(probe)]);
  }
  if (Json* env = container.contains("env") ? &container["env"] : nullptr;
      env != nullptr && env->is_array()) {
    for (Json& variable : *env) {
      if (Json* field_ref = MemberAt(variable, {"valueFrom", "fieldRef"}) != nullptr
                                ? &variable["valueFrom"]["fieldRef"]
                                : nullptr;
          field_ref != nullptr && field_ref->is_object()) {
        SetIfAbsent(*field_ref, "apiVersion", "v1");
      }
    }
  }
}

void DefaultVolume(Json& volume) {
  if (!volume.is_object()) return;
  // A volume names one source besides "name"; none means an emptyDir.
  if (volume.size() == 1 && volume.contains("name")) volume["emptyDir"] = Json::object();
  for (std::string_view source : {"configMap", "secret"}) {
    if (Json* found = volume.contains(source) ? &volume[std::string(source)] : nullptr;
        found != nullptr && found->is_object()) {
      SetIfAbsent(*found, "defaultMode", 420);
    }
  }
}

void DefaultTemplate(Json& workload) {
  Json& spec = EnsureObject(workload, "spec");
  if (spec.contains("template") && spec["template"].is_object()) {
    ApplyPodSpecDefaults(EnsureObject(spec["template"], "spec"));
  }
}

void CopyMember(Json& to, const Json& from, std::string_view key) {
  if (const Json* value = Member(from, key)) {
    to[std::string(key)] = *value;
  } else if (to.is_object()) {
    to.erase(std::string(key));
  }
}

bool HasStatusSubresource(Kind kind) {
  const ResourceInfo& info = ResourceFor(kind);
  return info.FindSubresource("status") != nullptr;
}

}  // namespace

void ApplyPodSpecDefaults(Json& spec) {
  if (!spec.is_object()) spec = Json::object();
  SetIfAbsent(spec, "restartPolicy", "Always");
  SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
  SetIfAbsent(spec, "dnsPolicy", "ClusterFirst");
  SetIfAbsent(spec, "schedulerName", "default-scheduler");
  SetIfAbsent(spec, "securityContext", Json::object());
  SetIfAbsent(spec, "enableServiceLinks", true);
  bool host_network = BoolAt(spec, {"hostNetwork"});
  for (std::string_view list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[std::string(list)].is_array()) {
      for (Json& container : spec[std::string(list)])
        DefaultContainer(container, host_network);
    }
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (Json& volume : spec["volumes"])
      DefaultVolume(volume);
  }
}

void ApplyDefaults(Kind kind, Json& object) {
  if (!object.is_object()) return;
  switch (kind) {
    case Kind::kPod:
      ApplyPodSpecDefaults(EnsureObject(object, "spec"));
      return;
    case Kind::kDeployment: {
      Json& spec = EnsureObject(object, "spec");
      SetIfAbsent(spec, "replicas", 1);
      Json& strategy = EnsureObject(spec, "strategy");
      SetIfAbsent(strategy, "type", "RollingUpdate");
      if (strategy["type"] == "RollingUpdate") {
        Json& rolling = EnsureObject(strategy, "rollingUpdate");
        SetIfAbsent(rolling, "maxUnavailable", "25%");
        SetIfAbsent(rolling, "maxSurge", "25%");
      }
      SetIfAbsent(spec, "revisionHistoryLimit", 10);
      SetIfAbsent(spec, "progressDeadlineSeconds", 600);
      DefaultTemplate(object);
      return;
    }
    case Kind::kReplicaSet:
      SetIfAbsent(EnsureObject(object, "spec"), "replicas", 1);
      DefaultTemplate(object);
      return;
    case Kind::kNamespace: {
      SetIfAbsent(EnsureObject(object, "status"), "phase", "Active");
      std::string name = NameOf(object);
      if (!name.empty()) {
        EnsureObject(EnsureObject(object, "metadata"), "labels")["kubernetes.io/metadata.name"] =
            name;
      }
      return;
    }
    case Kind::kNode: {
      const Json* capacity = MemberAt(object, {"status", "capacity"});
      if (capacity != nullptr && capacity->is_object()) {
        SetIfAbsent(object["status"], "allocatable", *capacity);
      }
      return;
    }
    default:
      return;
  }
}

std::string PodQosClass(const Json& pod) {
  // Guaranteed: every container sets cpu and memory limits equal to requests.
  // BestEffort: no container sets any cpu or memory request or limit.
  bool any_set = false;
  bool guaranteed = true;
  for (std::string_view list : {"containers", "initContainers"}) {
    for (const Json& container : ArrayAt(pod, {"spec", list})) {
      const Json& requests = ObjectAt(container, {"resources", "requests"});
      const Json& limits = ObjectAt(container, {"resources", "limits"});
      for (std::string_view resource : {"cpu", "memory"}) {
        const Json* request = Member(requests, resource);
        const Json* limit = Member(limits, resource);
        bool request_set =
            request != nullptr && !Quantity::FromJson(*request).value_or(Quantity()).IsZero();
        bool limit_set =
            limit != nullptr && !Quantity::FromJson(*limit).value_or(Quantity()).IsZero();
        any_set = any_set || request_set || limit_set;
        if (!limit_set) {
          guaranteed = false;
        } else if (request_set && Quantity::FromJson(*request).value_or(Quantity()) !=
                                      Quantity::FromJson(*limit).value_or(Quantity())) {
          guaranteed = false;
        }
      }
    }
  }
  if (!any_set) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void PrepareForCreate(Kind kind, Json& object) {
  if (!object.is_object()) return;
  switch (kind) {
    case Kind::kPod:
      object["status"] = {{"phase", "Pending"}, {"qosClass", PodQosClass(object)}};
      return;
    case Kind::kDeployment:
    case Kind::kReplicaSet:
      object["status"] = Json::object();
      EnsureObject(object, "metadata")["generation"] = 1;
      return;
    case Kind::kNamespace: {
      Json& spec = EnsureObject(object, "spec");
      Json& finalizers = spec["finalizers"];
      if (!finalizers.is_array()) finalizers = Json::array();
      bool present = false;
      for (const Json& finalizer : finalizers)
        present = present || finalizer == "kubernetes";
      if (!present) finalizers.push_back("kubernetes");
      return;
    }
    default:
      return;
  }
}

void PrepareForUpdate(Kind kind, Json& updated, const Json& existing) {
  if (!updated.is_object()) return;
  Json& metadata = EnsureObject(updated, "metadata");
  const Json& old_metadata = ObjectAt(existing, {"metadata"});
  for (std::string_view key : {"uid", "creationTimestamp", "deletionTimestamp",
                               "deletionGracePeriodSeconds", "generation"}) {
    CopyMember(metadata, old_metadata, key);
  }
  if (HasStatusSubresource(kind)) CopyMember(updated, existing, "status");
  if (kind == Kind::kNamespace) {
    // Namespace finalizers change only through /finalize.
    const Json* old_finalizers = MemberAt(existing, {"spec", "finalizers"});
    Json& spec = EnsureObject(updated, "spec");
    if (old_finalizers != nullptr) {
      spec["finalizers"] = *old_finalizers;
    } else {
      spec.erase("finalizers");
    }
  }
  if (kind == Kind::kDeployment || kind == Kind::kReplicaSet) {
    bool changed = ObjectAt(updated, {"spec"}) != ObjectAt(existing, {"spec"});
    if (kind == Kind::kDeployment) {
      changed = changed || AnnotationsOf(updated) != AnnotationsOf(existing);
    }
    if (changed) metadata["generation"] = GenerationOf(existing) + 1;
  }
}

Json PrepareForStatusUpdate(const Json& updated, const Json& existing) {
  Json result = existing;
  CopyMember(result, updated, "status");
  if (const Json* version = MemberAt(updated, {"metadata", "resourceVersion"})) {
    EnsureObject(result, "metadata")["resourceVersion"] = *version;
  }
  return result;
}

}  // namespace orch::api

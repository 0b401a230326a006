// Defaulting and the create/update resets of the server's strategies, as Kubernetes applies
// them to the served kinds (pkg/apis/*/v1/defaults.go and pkg/registry/*/strategy.go).
#pragma once

#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

// Fills what Kubernetes defaults, in place, never overwriting a value the client set:
// Pod: restartPolicy Always, terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst,
//   schedulerName, enableServiceLinks, securityContext {}; containers: imagePullPolicy (Always
//   for :latest or untagged images, else IfNotPresent), terminationMessagePath/Policy,
//   resources {} with requests defaulted from limits, ports protocol TCP, probe timings
//   (timeout 1, period 10, success 1, failure 3), httpGet path "/" and scheme HTTP,
//   fieldRef apiVersion v1; volumes without a source get emptyDir.
// Deployment: replicas 1, strategy RollingUpdate with maxUnavailable/maxSurge 25%,
//   revisionHistoryLimit 10, progressDeadlineSeconds 600, and its pod template.
// ReplicaSet: replicas 1 and its pod template. Namespace: phase Active and the
//   kubernetes.io/metadata.name label. Node: allocatable from capacity.
void ApplyDefaults(Kind kind, Json& object);
// Pod spec defaults alone (for pod templates).
void ApplyPodSpecDefaults(Json& spec);

// The create strategy: Pod status becomes {phase: Pending, qosClass}; Deployment and
// ReplicaSet status is cleared and generation set to 1; Namespace gains the "kubernetes"
// finalizer. Other kinds keep what the client sent.
void PrepareForCreate(Kind kind, Json& object);

// An update of the main resource: server-owned metadata (uid, creationTimestamp,
// deletionTimestamp, deletionGracePeriodSeconds, generation) comes from `existing`; the
// status of kinds with a status subresource is kept from `existing`; Deployment and
// ReplicaSet generation is bumped when the spec (for Deployment also annotations) changed.
void PrepareForUpdate(Kind kind, Json& updated, const Json& existing);

// An update through the status subresource: `existing` with the status (and, to carry the
// precondition, resourceVersion) of `updated`.
Json PrepareForStatusUpdate(const Json& updated, const Json& existing);

// The pod's QoS class: Guaranteed, Burstable or BestEffort, as Kubernetes computes it.
std::string PodQosClass(const Json& pod);

}  // namespace orch::api

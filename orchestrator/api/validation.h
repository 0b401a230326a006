// Validation of the served kinds as Kubernetes validates them (pkg/apis/*/validation): each
// problem is a FieldError with upstream's path and message; StatusInvalid (status.h) turns the
// list into the 422 answer. Run it after ApplyDefaults, as the server does.
#pragma once

#include "orchestrator/api/field_errors.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

// A new object of `kind`: metadata (name syntax per kind, namespace presence, labels,
// annotations, owner references, finalizers), then the kind's spec rules.
FieldErrors ValidateCreate(Kind kind, const Json& object);
// An update: everything ValidateCreate checks, plus immutable fields (name, namespace, uid,
// creationTimestamp; workload selectors; pod spec except images, activeDeadlineSeconds,
// added tolerations and terminationGracePeriodSeconds).
FieldErrors ValidateUpdate(Kind kind, const Json& updated, const Json& existing);

// Pieces the API server needs on their own.
FieldErrors ValidatePodSpec(const Json& spec, const FieldPath& path);
// A metav1.LabelSelector object at `path` (operators, keys, values).
FieldErrors ValidateLabelSelectorObject(const Json& selector, const FieldPath& path);
FieldErrors ValidateLabels(const Json& labels, const FieldPath& path);
// autoscaling/v1 Scale (the scale subresource's body).
FieldErrors ValidateScale(const Json& scale);
// DeleteOptions (a DELETE body or query): propagationPolicy, orphanDependents, dryRun. The
// server reports these as StatusInvalid({"meta.k8s.io", "DeleteOptions"}, "", errors).
FieldErrors ValidateDeleteOptions(const Json& options);

}  // namespace orch::api

// Server-side apply (PATCH with application/apply-patch+yaml), as structured-merge-diff does
// it for the kinds served here: the applied document is a manager's whole intent. Fields it
// sets that another manager owns with a different value are conflicts (refused unless
// forced, when ownership moves to the applier); fields the manager applied before and no
// longer applies are removed unless someone else owns them; the rest merges into the live
// object by the schema's list keys (field_schema.h), and the manager's Apply entry in
// metadata.managedFields becomes exactly the applied fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/status.h"

namespace orch::api {

struct ApplyConflict {
  std::string manager;      // the other manager
  std::string api_version;  // of its managedFields entry
  std::string field;  // ".spec.replicas", ".spec.template.spec.containers[name=\"web\"].image"
  std::vector<std::string> path;  // the same as FieldsV1 path elements
  size_t entry = 0;               // the other manager's index in metadata.managedFields
};

struct ApplyOutcome {
  Json object;  // the merged object; null when there are conflicts and no force
  std::vector<ApplyConflict> conflicts;
};

// `live` is null when the object does not exist yet (apply creates it).
ApplyOutcome ServerSideApply(const Json* live, const Json& applied, std::string_view manager,
                             bool force, absl::Time now);

// 409 Conflict as the real server words it: "Apply failed with 1 conflict: conflict with
// \"m\" using apps/v1: .spec.replicas", one FieldManagerConflict cause per field.
Json StatusApplyConflict(const std::vector<ApplyConflict>& conflicts);

}  // namespace orch::api

// YAML <-> JSON for manifests (`apply -f`) and `-o yaml` output. Plain scalars resolve as
// Kubernetes' YAML reader (go-yaml v2, YAML 1.1) does: null, booleans (true/yes/on...),
// integers (decimal, 0x, 0o, leading-0 octal), floats; quoted scalars stay strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"

namespace orch::api {

// Every document of a multi-document stream ("---"), skipping empty ones, as kubectl does.
absl::StatusOr<std::vector<Json>> YamlToJsonDocuments(std::string_view yaml);
// Exactly one document (an empty stream is an error).
absl::StatusOr<Json> YamlToJson(std::string_view yaml);
// Block-style YAML; strings that would read back as another type are quoted.
std::string JsonToYaml(const Json& document);
// Several documents joined with "---" lines.
std::string JsonToYamlDocuments(const std::vector<Json>& documents);

}  // namespace orch::api

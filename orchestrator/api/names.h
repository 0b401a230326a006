// Name and label syntax checks with Kubernetes' messages (apimachinery util/validation).
// Each returns the list of problems; empty means valid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace orch::api {

std::vector<std::string> IsDns1123Subdomain(std::string_view value);  // pod, deployment names
std::vector<std::string> IsDns1123Label(std::string_view value);      // namespace, container
std::vector<std::string> IsQualifiedName(std::string_view value);     // label and annotation keys
std::vector<std::string> IsValidLabelValue(std::string_view value);
// Environment variable names: printable ASCII except '=' (Kubernetes 1.32 relaxed rule).
std::vector<std::string> IsEnvVarName(std::string_view value);
// IANA service names (container port names): at most 15 characters, a-z0-9 and '-'.
std::vector<std::string> IsValidPortName(std::string_view value);

}  // namespace orch::api

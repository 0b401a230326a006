// What a container runs: the program (from its image, see below), the arguments and the
// environment, worked out from the pod before anything starts.
//
// Images: there are no container images on this machine. `image: NAME[:TAG]` names an
// executable NAME in the kubelet's image directory (--image-dir); a registry prefix and a tag
// or digest are ignored ("docker.io/library/sh:1.0" is "sh"). No `command`: the image's
// executable runs with `args`. With `command`: command[0] is looked up in the image directory
// first, then in PATH (as is when it holds a '/'), and runs with command[1:] + args.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"

namespace orch::kubelet {

// "registry/path/name:tag@digest" -> "name".
std::string ImageName(std::string_view image);

// The executable an image names. NotFound, with a message naming the directory, when there is
// no such executable.
absl::StatusOr<std::filesystem::path> ResolveImage(const std::filesystem::path& image_dir,
                                                   std::string_view image);

// Looks `program` up in the image directory, then in `path_variable` (PATH syntax).
absl::StatusOr<std::filesystem::path> ResolveProgram(const std::filesystem::path& image_dir,
                                                     std::string_view program,
                                                     std::string_view path_variable);

// Kubernetes' $(VAR) expansion: a defined variable is replaced, an undefined one is left as
// written, and $$ is an escaped $.
std::string ExpandVariables(std::string_view text,
                            const std::map<std::string, std::string>& variables);

// The pod facts a container's environment can refer to.
struct PodFacts {
  const api::Json* pod = nullptr;  // the pod document (metadata, labels, annotations)
  std::string node_name;
  std::string pod_ip;
  std::string host_ip;
};

// The environment in order: PATH and HOME, POD_IP, POD_NAME, POD_NAMESPACE, NODE_NAME,
// HOSTNAME, then the container's env with $(VAR) expansion and valueFrom.fieldRef.
// InvalidArgument (the kubelet's CreateContainerConfigError) for a valueFrom it cannot serve.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ContainerEnvironment(
    const api::Container& container, const PodFacts& facts, std::string_view path_variable);

// The argv of the container: program path first. Errors: the image's (NotFound) or command's.
absl::StatusOr<std::vector<std::string>> ContainerArgv(
    const api::Container& container, const std::filesystem::path& image_dir,
    const std::vector<std::pair<std::string, std::string>>& environment);

}  // namespace orch::kubelet

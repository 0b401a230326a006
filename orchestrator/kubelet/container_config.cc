#include "orchestrator/kubelet/container_config.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"

namespace orch::kubelet {
namespace {

bool IsExecutableFile(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

// metadata.labels['app'] -> ("labels", "app").
bool ParseMapReference(std::string_view field_path, std::string_view map_name, std::string* key) {
  const std::string prefix = absl::StrCat("metadata.", std::string(map_name), "['");
  if (!field_path.starts_with(prefix) || !field_path.ends_with("']")) return false;
  *key = std::string(field_path.substr(prefix.size(), field_path.size() - prefix.size() - 2));
  return true;
}

absl::StatusOr<std::string> FieldRefValue(std::string_view field_path, const PodFacts& facts) {
  const api::Json& pod = facts.pod != nullptr ? *facts.pod : api::Json::object();
  if (field_path == "metadata.name") return api::NameOf(pod);
  if (field_path == "metadata.namespace") return api::NamespaceOf(pod);
  if (field_path == "metadata.uid") return api::UidOf(pod);
  if (field_path == "spec.nodeName") return facts.node_name;
  if (field_path == "spec.serviceAccountName")
    return api::StringAt(pod, {"spec", "serviceAccountName"});
  if (field_path == "status.podIP") return facts.pod_ip;
  if (field_path == "status.hostIP") return facts.host_ip;
  std::string key;
  if (ParseMapReference(field_path, "labels", &key)) {
    return api::StringAt(api::LabelsOf(pod), {key});
  }
  if (ParseMapReference(field_path, "annotations", &key)) {
    return api::StringAt(api::AnnotationsOf(pod), {key});
  }
  return absl::InvalidArgumentError(
      absl::StrCat("fieldRef ", std::string(field_path), " is not supported by this kubelet"));
}

}  // namespace

std::string ImageName(std::string_view image) {
  if (size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  if (size_t slash = image.rfind('/'); slash != std::string_view::npos) {
    image = image.substr(slash + 1);
  }
  if (size_t colon = image.find(':'); colon != std::string_view::npos) {
    image = image.substr(0, colon);
  }
  return std::string(image);
}

absl::StatusOr<std::filesystem::path> ResolveImage(const std::filesystem::path& image_dir,
                                                   std::string_view image) {
  const std::string name = ImageName(image);
  if (!name.empty() && name != "." && name != "..") {
    std::filesystem::path candidate = image_dir / name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("image \"", std::string(image),
                                          "\" not found: no executable \"", name,
                                          "\" in the image directory ", image_dir.string(),
                                          " (images are local executables on this node)"));
}

absl::StatusOr<std::filesystem::path> ResolveProgram(const std::filesystem::path& image_dir,
                                                     std::string_view program,
                                                     std::string_view path_variable) {
  if (program.empty()) return absl::InvalidArgumentError("command[0] is empty");
  if (program.find('/') != std::string_view::npos) {
    if (IsExecutableFile(std::filesystem::path(program))) return std::filesystem::path(program);
    return absl::NotFoundError(
        absl::StrCat("command \"", std::string(program), "\" is not an executable file"));
  }
  std::filesystem::path in_images = image_dir / program;
  if (IsExecutableFile(in_images)) return in_images;
  const std::string path_list(path_variable);
  for (absl::string_view dir : absl::StrSplit(path_list, ':', absl::SkipEmpty())) {
    std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / program;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("command \"", std::string(program),
                                          "\" not found in the image directory ",
                                          image_dir.string(), " or in PATH"));
}

std::string ExpandVariables(std::string_view text,
                            const std::map<std::string, std::string>& variables) {
  std::string out;
  for (size_t index = 0; index < text.size();) {
    if (text[index] != '$' || index + 1 == text.size()) {
      out.push_back(text[index++]);
      continue;
    }
    if (text[index + 1] == '$') {
      out.push_back('$');
      index += 2;
      continue;
    }
    if (text[index + 1] == '(') {
      const size_t close = text.find(')', index + 2);
      if (close != std::string_view::npos) {
        const std::string name(text.substr(index + 2, close - index - 2));
        if (auto found = variables.find(name); found != variables.end()) {
          out += found->second;
        } else {
          out.append(text.substr(index, close - index + 1));
        }
        index = close + 1;
        continue;
      }
    }
    out.push_back(text[index++]);
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ContainerEnvironment(
    const api::Container& container, const PodFacts& facts, std::string_view path_variable) {
  const api::Json& pod = facts.pod != nullptr ? *facts.pod : api::Json::object();
  std::vector<std::pair<std::string, std::string>> environment = {
      {"PATH", std::string(path_variable)},
      {"HOME", "/"},
      {"POD_IP", facts.pod_ip},
      {"POD_NAME", api::NameOf(pod)},
      {"POD_NAMESPACE", api::NamespaceOf(pod)},
      {"NODE_NAME", facts.node_name},
      {"HOSTNAME", api::NameOf(pod)},
  };
  std::map<std::string, std::string> defined;
  for (const auto& [name, value] : environment)
    defined[name] = value;
  for (const api::EnvVar& variable : container.env) {
    std::string value;
    if (!variable.value_from.is_null()) {
      const api::Json* field_ref = api::Member(variable.value_from, "fieldRef");
      if (field_ref == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "env ", variable.name, ": only valueFrom.fieldRef is supported by this kubelet, not ",
            variable.value_from.dump()));
      }
      absl::StatusOr<std::string> from_field =
          FieldRefValue(api::StringAt(*field_ref, {"fieldPath"}), facts);
      if (!from_field.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("env ", variable.name, ": ", from_field.status().message()));
      }
      value = *std::move(from_field);
    } else {
      value = ExpandVariables(variable.value, defined);
    }
    defined[variable.name] = value;
    bool replaced = false;
    for (auto& [name, existing] : environment) {
      if (name == variable.name) {
        existing = value;
        replaced = true;
      }
    }
    if (!replaced) environment.emplace_back(variable.name, std::move(value));
  }
  return environment;
}

absl::StatusOr<std::vector<std::string>> ContainerArgv(
    const api::Container& container, const std::filesystem::path& image_dir,
    const std::vector<std::pair<std::string, std::string>>& environment) {
  std::map<std::string, std::string> variables(environment.begin(), environment.end());
  std::string path_variable = variables["PATH"];
  std::vector<std::string> argv;
  if (container.command.empty()) {
    absl::StatusOr<std::filesystem::path> image = ResolveImage(image_dir, container.image);
    if (!image.ok()) return image.status();
    argv.push_back(image->string());
  } else {
    absl::StatusOr<std::filesystem::path> program =
        ResolveProgram(image_dir, ExpandVariables(container.command[0], variables), path_variable);
    if (!program.ok()) return program.status();
    argv.push_back(program->string());
    for (size_t index = 1; index < container.command.size(); ++index) {
      argv.push_back(ExpandVariables(container.command[index], variables));
    }
  }
  for (const std::string& arg : container.args)
    argv.push_back(ExpandVariables(arg, variables));
  return argv;
}

}  // namespace orch::kubelet

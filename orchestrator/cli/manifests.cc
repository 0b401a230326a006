#include "orchestrator/cli/manifests.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "orchestrator/api/text.h"
#include "orchestrator/api/yaml.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;
namespace fs = std::filesystem;

bool IsManifestFile(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

absl::Status AddText(std::string_view source, std::string_view text,
                     std::vector<Manifest>& manifests) {
  absl::StatusOr<std::vector<Json>> objects = ParseManifestText(text);
  if (!objects.ok())
    return absl::InvalidArgumentError(
        Cat("error parsing ", source, ": ", objects.status().message()));
  for (Json& object : *objects)
    manifests.push_back({std::string(source), std::move(object)});
  return absl::OkStatus();
}

absl::Status AddFile(const fs::path& path, std::vector<Manifest>& manifests) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(Cat("the path \"", path.string(), "\" cannot be read"));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return AddText(path.string(), text, manifests);
}

}  // namespace

absl::StatusOr<std::vector<Json>> ParseManifestText(std::string_view text) {
  absl::StatusOr<std::vector<Json>> documents = api::YamlToJsonDocuments(text);
  if (!documents.ok()) return documents.status();
  std::vector<Json> objects;
  for (Json& document : *documents) {
    if (document.is_null()) continue;
    if (!document.is_object())
      return absl::InvalidArgumentError("a document is not an object (kind, apiVersion, ...)");
    const std::string kind = document.value("kind", "");
    if (kind.ends_with("List") && document.contains("items") && document["items"].is_array()) {
      for (Json& item : document["items"])
        objects.push_back(std::move(item));
      continue;
    }
    if (kind.empty() || document.value("apiVersion", "").empty())
      return absl::InvalidArgumentError(Cat("Object 'Kind' is missing in '", document.dump(), "'"));
    objects.push_back(std::move(document));
  }
  return objects;
}

absl::StatusOr<std::vector<Manifest>> LoadManifests(const std::vector<std::string>& paths,
                                                    std::istream& stdin_stream) {
  std::vector<Manifest> manifests;
  for (const std::string& path : paths) {
    absl::Status added;
    if (path == "-") {
      std::string text((std::istreambuf_iterator<char>(stdin_stream)),
                       std::istreambuf_iterator<char>());
      added = AddText("STDIN", text, manifests);
    } else if (fs::is_directory(path)) {
      std::vector<fs::path> files;
      for (const fs::directory_entry& entry : fs::directory_iterator(path))
        if (entry.is_regular_file() && IsManifestFile(entry.path())) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        added = AddFile(file, manifests);
        if (!added.ok()) break;
      }
    } else if (fs::exists(path)) {
      added = AddFile(path, manifests);
    } else {
      added = absl::NotFoundError(Cat("the path \"", path, "\" does not exist"));
    }
    if (!added.ok()) return added;
  }
  return manifests;
}

}  // namespace orch::cli

#include "orchestrator/cli/manifests.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

TEST(Manifests, ParsesMultiDocumentYamlJsonAndLists) {
  absl::StatusOr<std::vector<api::Json>> objects = ParseManifestText(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\n"
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n"
      "    name: p\n");
  ASSERT_TRUE(objects.ok()) << objects.status();
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[1]["kind"], "Pod");
  objects = ParseManifestText(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}})");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ((*objects)[0]["metadata"]["name"], "b");
  EXPECT_FALSE(ParseManifestText("metadata:\n  name: x\n").ok());
  EXPECT_FALSE(ParseManifestText("a: [").ok());
}

TEST(Manifests, LoadsFilesDirectoriesAndStdin) {
  const fs::path directory =
      fs::temp_directory_path() / ("orch-cli-manifests-" + std::to_string(getpid()));
  fs::create_directories(directory);
  std::ofstream(directory / "b.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n";
  std::ofstream(directory / "a.json")
      << R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}})";
  std::ofstream(directory / "notes.txt") << "not a manifest";
  std::istringstream stdin_stream("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n");
  absl::StatusOr<std::vector<Manifest>> manifests =
      LoadManifests({directory.string(), "-"}, stdin_stream);
  ASSERT_TRUE(manifests.ok()) << manifests.status();
  ASSERT_EQ(manifests->size(), 3u);
  EXPECT_EQ((*manifests)[0].object["metadata"]["name"], "a");
  EXPECT_EQ((*manifests)[1].object["metadata"]["name"], "b");
  EXPECT_EQ((*manifests)[2].source, "STDIN");
  EXPECT_EQ(LoadManifests({(directory / "missing.yaml").string()}, stdin_stream).status().message(),
            "the path \"" + (directory / "missing.yaml").string() + "\" does not exist");
  fs::remove_all(directory);
}

}  // namespace
}  // namespace orch::cli

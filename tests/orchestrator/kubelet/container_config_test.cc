#include "orchestrator/kubelet/container_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace orch::kubelet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class ImageDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("orch-images-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::filesystem::create_symlink("/bin/sh", dir_ / "sh");
    std::ofstream(dir_ / "notexec") << "data";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(ImageName, DropsRegistryTagAndDigest) {
  EXPECT_EQ(ImageName("sh"), "sh");
  EXPECT_EQ(ImageName("http-server:1.0"), "http-server");
  EXPECT_EQ(ImageName("docker.io/library/sh:1.0"), "sh");
  EXPECT_EQ(ImageName("localhost:5000/tools/sh@sha256:abc"), "sh");
}

TEST_F(ImageDir, ResolvesExecutablesAndExplainsUnknownImages) {
  EXPECT_EQ(*ResolveImage(dir_, "sh:latest"), dir_ / "sh");
  absl::StatusOr<std::filesystem::path> missing = ResolveImage(dir_, "nginx:1.25");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(dir_.string()));
  EXPECT_THAT(missing.status().message(), HasSubstr("\"nginx\""));
  EXPECT_FALSE(ResolveImage(dir_, "notexec").ok());
  EXPECT_FALSE(ResolveImage(dir_, "..").ok());
}

TEST_F(ImageDir, CommandComesFromTheImageDirectoryThenPath) {
  api::Container container;
  container.image = "sh";
  container.command = {"sh", "-c", "echo $(GREETING) $$HOME $(UNDEFINED)"};
  container.args = {"x"};
  std::vector<std::pair<std::string, std::string>> env = {{"PATH", "/usr/bin:/bin"},
                                                          {"GREETING", "hi"}};
  EXPECT_THAT(*ContainerArgv(container, dir_, env),
              ElementsAre((dir_ / "sh").string(), "-c", "echo hi $HOME $(UNDEFINED)", "x"));
  container.command = {"true"};
  container.args = {};
  absl::StatusOr<std::vector<std::string>> from_path = ContainerArgv(container, dir_, env);
  ASSERT_TRUE(from_path.ok()) << from_path.status();
  EXPECT_THAT((*from_path)[0], HasSubstr("/true"));
  container.command = {};
  container.args = {"-c", "exit 0"};
  EXPECT_THAT(*ContainerArgv(container, dir_, env),
              ElementsAre((dir_ / "sh").string(), "-c", "exit 0"));
  container.command = {"no-such-program-anywhere"};
  EXPECT_EQ(ContainerArgv(container, dir_, env).status().code(), absl::StatusCode::kNotFound);
}

TEST(ContainerEnvironment, HasPodFactsExpansionAndFieldRefs) {
  api::Json pod = {
      {"metadata",
       {{"name", "web-1"}, {"namespace", "prod"}, {"uid", "u-1"}, {"labels", {{"app", "web"}}}}}};
  api::Container container;
  container.env = {{"A", "1", nullptr},
                   {"B", "$(A)-$(POD_NAME)", nullptr},
                   {"MY_NODE", "", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}},
                   {"MY_IP", "", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}},
                   {"APP", "", {{"fieldRef", {{"fieldPath", "metadata.labels['app']"}}}}},
                   {"POD_NAME", "override", nullptr}};
  PodFacts facts{&pod, "node-1", "127.1.0.5", "127.0.0.1"};
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> env =
      ContainerEnvironment(container, facts, "/bin");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(
      *env, ElementsAre(Pair("PATH", "/bin"), Pair("HOME", "/"), Pair("POD_IP", "127.1.0.5"),
                        Pair("POD_NAME", "override"), Pair("POD_NAMESPACE", "prod"),
                        Pair("NODE_NAME", "node-1"), Pair("HOSTNAME", "web-1"), Pair("A", "1"),
                        Pair("B", "1-web-1"), Pair("MY_NODE", "node-1"), Pair("MY_IP", "127.1.0.5"),
                        Pair("APP", "web")));
  container.env = {{"S", "", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}};
  EXPECT_EQ(ContainerEnvironment(container, facts, "/bin").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orch::kubelet

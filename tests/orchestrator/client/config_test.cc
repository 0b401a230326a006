#include "orchestrator/client/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "orchestrator/api/yaml.h"

namespace orch::client {
namespace {

TEST(ParseServerUrlTest, AcceptsHttpUrlsAndHostPort) {
  absl::StatusOr<ClientConfig> url = ParseServerUrl("http://127.0.0.1:6443");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 6443);
  absl::StatusOr<ClientConfig> bare = ParseServerUrl("localhost:8080/");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->host, "localhost");
  EXPECT_EQ(bare->port, 8080);
  absl::StatusOr<ClientConfig> v6 = ParseServerUrl("http://[::1]:6443");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
}

TEST(ParseServerUrlTest, RefusesWhatItCannotServe) {
  for (const char* bad : {"https://127.0.0.1:6443", "ftp://x:1", "127.0.0.1", "http://:6443",
                          "http://h:0", "http://h:70000", "http://h:12/path", "h:port"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseServerUrl(bad).status())) << bad;
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() / ("orch-config-test-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string WriteText(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(directory_);
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path directory_;
};

TEST_F(ConfigFileTest, WrittenFilesLoadBackAndLookLikeKubeconfig) {
  ClientConfig config;
  config.host = "127.0.0.1";
  config.port = 7443;
  const std::string path = (directory_ / "nested" / "config").string();
  ASSERT_TRUE(WriteConfigFile(path, config).ok());
  absl::StatusOr<ClientConfig> loaded = LoadConfigFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->host, "127.0.0.1");
  EXPECT_EQ(loaded->port, 7443);

  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  absl::StatusOr<api::Json> document = api::YamlToJson(text);
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(api::StringAt(*document, {"kind"}), "Config");
  EXPECT_EQ(api::StringAt(*document, {"current-context"}), "orch");
  EXPECT_EQ(api::StringAt(api::ArrayAt(*document, {"clusters"})[0], {"cluster", "server"}),
            "http://127.0.0.1:7443");
  EXPECT_EQ(api::StringAt(api::ArrayAt(*document, {"users"})[0], {"name"}), "orch");
}

TEST_F(ConfigFileTest, TheCurrentContextPicksTheCluster) {
  const std::string path = WriteText("config", R"(apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "http://10.0.0.1:1111"}
- name: two
  cluster:
    server: http://127.0.0.2:2222
contexts:
- name: a
  context: {cluster: one, user: u}
- name: b
  context: {cluster: two, user: u}
current-context: b
)");
  absl::StatusOr<ClientConfig> loaded = LoadConfigFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->host, "127.0.0.2");
  EXPECT_EQ(loaded->port, 2222);
}

TEST_F(ConfigFileTest, WhatIsMissingIsNamed) {
  const std::string no_context = WriteText("a", "current-context: x\ncontexts: []\n");
  absl::Status error = LoadConfigFile(no_context).status();
  EXPECT_TRUE(absl::IsInvalidArgument(error));
  EXPECT_NE(error.message().find("no context named \"x\""), std::string_view::npos) << error;
  EXPECT_NE(error.message().find(no_context), std::string_view::npos) << error;

  const std::string no_cluster =
      WriteText("b", "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n");
  EXPECT_NE(LoadConfigFile(no_cluster).status().message().find("no known cluster"),
            std::string_view::npos);

  const std::string https =
      WriteText("c",
                "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
                "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n");
  EXPECT_TRUE(absl::IsInvalidArgument(LoadConfigFile(https).status()));
  EXPECT_FALSE(LoadConfigFile((directory_ / "absent").string()).ok());
}

TEST_F(ConfigFileTest, DefaultPathPrefersOrchconfigThenHome) {
  const std::string explicit_file = WriteText("explicit", "current-context: x\n");
  std::filesystem::create_directories(directory_ / "home" / ".orch");
  std::ofstream(directory_ / "home" / ".orch" / "config") << "current-context: y\n";
  setenv("HOME", (directory_ / "home").c_str(), 1);
  setenv("ORCHCONFIG", explicit_file.c_str(), 1);
  EXPECT_EQ(DefaultConfigPath().value_or(""), explicit_file);
  unsetenv("ORCHCONFIG");
  EXPECT_EQ(DefaultConfigPath().value_or(""), (directory_ / "home" / ".orch" / "config").string());
  setenv("HOME", (directory_ / "nowhere").c_str(), 1);
  EXPECT_TRUE(absl::IsNotFound(DefaultConfigPath().status()));
}

TEST_F(ConfigFileTest, ResolveTakesTheServerThenTheFileThenTheDefaults) {
  ClientConfig config;
  config.port = 7001;
  const std::string file = (directory_ / "kubeconfig").string();
  std::filesystem::create_directories(directory_);
  ASSERT_TRUE(WriteConfigFile(file, config).ok());
  unsetenv("ORCHCONFIG");
  setenv("HOME", (directory_ / "nowhere").c_str(), 1);

  EXPECT_EQ(ResolveClientConfig("http://127.0.0.1:7002", file).value().port, 7002);
  EXPECT_EQ(ResolveClientConfig("", file).value().port, 7001);
  EXPECT_EQ(ResolveClientConfig("", "").value().port, 6443);
  setenv("ORCHCONFIG", file.c_str(), 1);
  EXPECT_EQ(ResolveClientConfig("", "").value().port, 7001);
  unsetenv("ORCHCONFIG");
  EXPECT_FALSE(ResolveClientConfig("", (directory_ / "missing").string()).ok());
}

}  // namespace
}  // namespace orch::client

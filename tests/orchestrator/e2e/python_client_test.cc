// Debian's python3-kubernetes against the orchestrator's API server (python_client_check.py
// holds the checks; this runs it against an in-process API server).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch {
namespace {

TEST(PythonClientTest, ListCreatePatchDeleteAndWatchPodsAndDeployments) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string command =
      std::string("/usr/bin/python3 ") + PYTHON_CLIENT_CHECK + " " + (*server)->url() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), read);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
}

}  // namespace
}  // namespace orch

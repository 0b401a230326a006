// The fixture of the kubectl e2e tests: orch-apiserver with an embedded raftkv store on free
// ports, the preinstalled kubectl (v1.32) with a fresh HOME, and curl for what kubectl does
// not send.
#pragma once
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

extern char** environ;

namespace orch::apiserver::kubectl_e2e {

constexpr const char* kKubectl = "/usr/bin/kubectl";

inline uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class KubectlTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kKubectl, X_OK) != 0) GTEST_SKIP() << "no kubectl at " << kKubectl;
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("orch-apiserver-e2e-", getpid(), "-", FreePort());
    std::filesystem::create_directories(directory_);
    // A free port can be taken by someone else before the server binds it: then the server
    // exits, and another pair of ports is tried.
    for (int start = 0; start < 3; ++start) {
      if (StartServer()) return;
    }
    FAIL() << "orch-apiserver did not answer on 127.0.0.1:" << port_;
  }

  // Starts orch-apiserver on fresh free ports; true once kubectl gets an answer from it.
  bool StartServer() {
    port_ = FreePort();
    // A peer port of its own: the embedded store's default (2380) may be taken.
    // A store of its own too: a failed start may have bootstrapped one with the old peer port.
    const std::string store =
        absl::StrCat("embedded://", (directory_ / absl::StrCat("store-", port_)).string(),
                     "?peer=http://127.0.0.1:", FreePort());
    const std::string listen = absl::StrCat("127.0.0.1:", port_);
    std::vector<std::string> args = {ORCH_APISERVER_BINARY, "--store", store, "--listen", listen};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&server_pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      server_pid_ = 0;
      return false;
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (Kubectl("version").exit_code == 0) return true;
      if (waitpid(server_pid_, nullptr, WNOHANG) == server_pid_) {
        server_pid_ = 0;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  void TearDown() override {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      int status = 0;
      waitpid(server_pid_, &status, 0);
    }
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  // kubectl with a fresh HOME (no discovery cache shared between tests).
  CommandResult Kubectl(const std::string& arguments) {
    return RunShell(absl::StrCat("HOME=", directory_.string(), " ", kKubectl,
                                 " --server=http://127.0.0.1:", port_, " ", arguments));
  }

  // curl with a JSON body: the output is the response body, then the HTTP status code.
  CommandResult Curl(const std::string& method, const std::string& path,
                     const std::string& body = "") {
    std::string command = absl::StrCat("curl -s -w '\\n%{http_code}' -X ", method,
                                       " 'http://127.0.0.1:", port_, path, "'");
    if (!body.empty()) {
      absl::StrAppend(&command, " -H 'Content-Type: application/json' -d '", body, "'");
    }
    return RunShell(command);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = (directory_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path directory_;
  uint16_t port_ = 0;
  pid_t server_pid_ = -1;
};

constexpr const char* kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx
)";

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
)";

}  // namespace orch::apiserver::kubectl_e2e

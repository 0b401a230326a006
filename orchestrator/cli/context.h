// What every orch command works with: its parsed command line, the API client, the namespace,
// the streams; and kubectl's way of reporting errors.
#pragma once

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orchestrator/cli/command_line.h"
#include "orchestrator/client/client.h"

namespace orch::cli {

inline constexpr std::string_view kClientVersion = "v1.32.4-orch";

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

struct Context {
  CommandLine line;
  std::unique_ptr<client::Client> client;
  std::string namespace_name;  // -n, else "default"
  bool namespace_given = false;
  Streams streams;
  std::string server_url;  // "http://host:port"

  // Words after the verb (and sub-verb for "rollout status", "create namespace", ...).
  std::vector<std::string> Args(size_t verb_words) const;
};

// The configured client: --server, else --kubeconfig, else $ORCHCONFIG / ~/.orch/config,
// else http://127.0.0.1:6443; --request-timeout applies to every non-streaming request.
absl::StatusOr<client::ClientConfig> ConfigFor(const CommandLine& line);

// kubectl's error lines: "Error from server (NotFound): pods \"x\" not found" for answers
// from the server, "The connection to the server ... was refused" when there was none,
// "error: ..." for everything else.
std::string ErrorLine(const absl::Status& status, std::string_view server_url);

// A command: returns the exit code after printing its output and errors.
using Command = int (*)(Context& context);

}  // namespace orch::cli

namespace orch::cli {

// Prints ErrorLine to the error stream; returns the exit code 1.
int Fail(Context& context, const absl::Status& status);
// The namespace a request about `resource` uses: "" for cluster-scoped ones, "" for every
// namespace with -A, else -n or "default".
std::string NamespaceFor(const Context& context, const api::ResourceInfo& resource,
                         bool all_namespaces = false);
// Polls until `name` is gone (NotFound, or another object with a new uid) or `timeout`
// passes (DeadlineExceeded).
absl::Status WaitUntilDeleted(Context& context, const api::ResourceInfo& resource,
                              std::string_view namespace_name, std::string_view name,
                              std::string_view uid, absl::Duration timeout);

}  // namespace orch::cli

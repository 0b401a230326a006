// kubectl-style command lines: verbs and positional words, then flags in any order
// ("-n ns", "--namespace=ns", "-oyaml", "--wait=false", "-A"). Which flags take a value is
// declared per command, as kubectl's cobra flag sets do, so "-f" can be a file for apply and
// "follow" for logs.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orch::cli {

struct FlagSpec {
  // Spellings that take a value ("n", "namespace", "f", "filename", ...), without dashes.
  std::set<std::string, std::less<>> with_value;
  // Spellings that are switches ("A", "all-namespaces", "w", "watch", ...).
  std::set<std::string, std::less<>> switches;
  // Short spelling -> long name, so lookups use one name ("n" -> "namespace").
  std::map<std::string, std::string, std::less<>> aliases;
};

class CommandLine {
 public:
  // Splits `args` (without the program name) by `spec`. Unknown flags are InvalidArgument
  // ("unknown flag: --x", as kubectl prints it). "--" ends the flags.
  static absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& args,
                                           const FlagSpec& spec);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view name) const;
  // The last value given (kubectl: the last one wins), or `fallback`.
  std::string Value(std::string_view name, std::string_view fallback = "") const;
  // Every value given, in order ("-f a.yaml -f b.yaml").
  std::vector<std::string> Values(std::string_view name) const;
  // A switch: absent = false, "-w" or "--watch" = true, "--watch=false" = false.
  absl::StatusOr<bool> Switch(std::string_view name, bool fallback = false) const;
  absl::StatusOr<int64_t> Int(std::string_view name, int64_t fallback) const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string, std::less<>> flags_;
};

// The flags every command takes (server, kubeconfig, namespace, request-timeout) plus the
// command's own.
FlagSpec WithGlobalFlags(FlagSpec spec);

// kubectl's --request-timeout / --timeout syntax: "0" (none), "30" (seconds), "1m30s", "500ms".
// The first word that is not a flag or a global flag's value: the verb ("" when none).
std::string FindVerb(const std::vector<std::string>& args);
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

}  // namespace orch::cli

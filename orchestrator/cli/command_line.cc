#include "orchestrator/cli/command_line.h"

#include <charconv>
#include <optional>

#include "orchestrator/api/text.h"

namespace orch::cli {
namespace {

using api::Cat;

const FlagSpec& GlobalFlags() {
  static const FlagSpec* const kGlobal =
      new FlagSpec{{"server", "s", "kubeconfig", "namespace", "n", "request-timeout"},
                   {},
                   {{"s", "server"}, {"n", "namespace"}}};
  return *kGlobal;
}

std::string Canonical(const FlagSpec& spec, std::string_view spelling) {
  auto alias = spec.aliases.find(spelling);
  return alias == spec.aliases.end() ? std::string(spelling) : alias->second;
}

absl::Status UnknownFlag(std::string_view arg) {
  return absl::InvalidArgumentError(Cat("unknown flag: ", arg));
}

}  // namespace

FlagSpec WithGlobalFlags(FlagSpec spec) {
  const FlagSpec& global = GlobalFlags();
  spec.with_value.insert(global.with_value.begin(), global.with_value.end());
  spec.aliases.insert(global.aliases.begin(), global.aliases.end());
  return spec;
}

std::string FindVerb(const std::vector<std::string>& args) {
  const FlagSpec& global = GlobalFlags();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return i + 1 < args.size() ? args[i + 1] : "";
    if (arg.size() < 2 || arg[0] != '-') return arg;
    const bool is_long = arg[1] == '-';
    std::string_view name = std::string_view(arg).substr(is_long ? 2 : 1);
    if (name.find('=') != std::string_view::npos) continue;
    // "-nfoo" carries its value; "-n foo" and "--server foo" take the next word.
    if (!is_long && name.size() > 1) continue;
    if (global.with_value.contains(name)) ++i;
  }
  return "";
}

absl::StatusOr<CommandLine> CommandLine::Parse(const std::vector<std::string>& args,
                                               const FlagSpec& spec) {
  CommandLine line;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      line.positional_.insert(line.positional_.end(), args.begin() + static_cast<long>(i) + 1,
                              args.end());
      break;
    }
    // "-" alone is a word (apply -f -, handled as the flag's value below).
    if (arg.size() < 2 || arg[0] != '-') {
      line.positional_.push_back(arg);
      continue;
    }
    const bool is_long = arg[1] == '-';
    std::string_view body = std::string_view(arg).substr(is_long ? 2 : 1);
    std::string_view name = body;
    std::optional<std::string> value;
    if (size_t equals = body.find('='); equals != std::string_view::npos) {
      name = body.substr(0, equals);
      value = std::string(body.substr(equals + 1));
    } else if (!is_long && body.size() > 1 && !spec.with_value.contains(body) &&
               !spec.switches.contains(body)) {
      // "-oyaml", "-nkube-system": a one-letter flag with its value attached.
      name = body.substr(0, 1);
      value = std::string(body.substr(1));
    }
    if (spec.with_value.contains(name)) {
      if (!value) {
        if (i + 1 >= args.size())
          return absl::InvalidArgumentError(Cat("flag needs an argument: ", arg));
        value = args[++i];
      }
    } else if (spec.switches.contains(name)) {
      if (!value) value = "true";
    } else {
      return UnknownFlag(arg);
    }
    line.flags_.emplace(Canonical(spec, name), *value);
  }
  return line;
}

bool CommandLine::Has(std::string_view name) const {
  return flags_.contains(name);
}

std::string CommandLine::Value(std::string_view name, std::string_view fallback) const {
  auto [begin, end] = flags_.equal_range(name);
  if (begin == end) return std::string(fallback);
  return std::prev(end)->second;
}

std::vector<std::string> CommandLine::Values(std::string_view name) const {
  std::vector<std::string> values;
  auto [begin, end] = flags_.equal_range(name);
  for (auto it = begin; it != end; ++it)
    values.push_back(it->second);
  return values;
}

absl::StatusOr<bool> CommandLine::Switch(std::string_view name, bool fallback) const {
  if (!Has(name)) return fallback;
  const std::string value = Value(name);
  if (value == "true" || value == "1" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "0" || value == "False" || value == "FALSE") return false;
  return absl::InvalidArgumentError(Cat("invalid argument \"", value, "\" for \"--", name,
                                        "\" flag: strconv.ParseBool: parsing \"", value,
                                        "\": invalid syntax"));
}

absl::StatusOr<int64_t> CommandLine::Int(std::string_view name, int64_t fallback) const {
  if (!Has(name)) return fallback;
  const std::string value = Value(name);
  int64_t parsed = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size())
    return absl::InvalidArgumentError(Cat("invalid argument \"", value, "\" for \"--", name,
                                          "\" flag: strconv.ParseInt: parsing \"", value,
                                          "\": invalid syntax"));
  return parsed;
}

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text) {
  absl::Duration duration;
  // A bare number is seconds, as kubectl's --request-timeout takes it.
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos)
    return absl::Seconds(std::stoll(std::string(text)));
  if (absl::ParseDuration(std::string(text), &duration)) return duration;
  return absl::InvalidArgumentError(Cat("invalid duration \"", text, "\""));
}

}  // namespace orch::cli

#include "orchestrator/api/names.h"

#include "absl/strings/ascii.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

constexpr std::string_view kDns1123LabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kDns1123SubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr std::string_view kQualifiedNameMessage =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr std::string_view kLabelValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

std::string MaxLength(size_t max) {
  return Cat("must be no more than ", max, " characters");
}

bool LowerAlnum(char c) {
  return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesLabel(std::string_view value) {
  if (value.empty() || !LowerAlnum(value.front()) || !LowerAlnum(value.back())) return false;
  for (char c : value) {
    if (!LowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view value) {
  if (value.empty() || !absl::ascii_isalnum(value.front()) || !absl::ascii_isalnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> IsDns1123Label(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > 63) errors.push_back(MaxLength(63));
  if (!MatchesLabel(value)) errors.emplace_back(kDns1123LabelMessage);
  return errors;
}

std::vector<std::string> IsDns1123Subdomain(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > 253) errors.push_back(MaxLength(253));
  bool matches = !value.empty();
  size_t start = 0;
  while (matches) {
    size_t dot = value.find('.', start);
    matches = MatchesLabel(value.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!matches) errors.emplace_back(kDns1123SubdomainMessage);
  return errors;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errors;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errors.push_back(Cat("a qualified name ", kQualifiedNameMessage,
                           " with an optional DNS subdomain prefix and '/' (e.g. "
                           "'example.com/MyName')"));
      return errors;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errors.emplace_back("prefix part must be non-empty");
    } else {
      for (const std::string& message : IsDns1123Subdomain(prefix)) {
        errors.push_back(Cat("prefix part ", message));
      }
    }
  }
  if (name.empty()) {
    errors.emplace_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errors.push_back(Cat("name part ", MaxLength(63)));
  }
  if (!name.empty() && !MatchesQualifiedNamePart(name)) {
    errors.push_back(Cat("name part ", kQualifiedNameMessage));
  }
  return errors;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > 63) errors.push_back(MaxLength(63));
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errors.emplace_back(kLabelValueMessage);
  }
  return errors;
}

std::vector<std::string> IsEnvVarName(std::string_view value) {
  std::vector<std::string> errors;
  bool valid = !value.empty();
  for (char c : value) {
    if (c < ' ' || c > '~' || c == '=') valid = false;
  }
  if (!valid) {
    errors.emplace_back(
        "a valid environment variable name must consist only of printable ASCII characters "
        "other than '='");
  }
  return errors;
}

std::vector<std::string> IsValidPortName(std::string_view value) {
  std::vector<std::string> errors;
  if (value.empty() || value.size() > 15) {
    errors.emplace_back("must be no more than 15 characters");
  }
  bool has_letter = false;
  bool chars_ok = true;
  for (char c : value) {
    if (c >= 'a' && c <= 'z') has_letter = true;
    if (!LowerAlnum(c) && c != '-') chars_ok = false;
  }
  if (!chars_ok)
    errors.emplace_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.find("--") != std::string_view::npos) {
    errors.emplace_back("must not contain consecutive hyphens");
  }
  if (!has_letter) errors.emplace_back("must contain at least one letter (a-z)");
  if (!value.empty() && (value.front() == '-' || value.back() == '-')) {
    errors.emplace_back("must not begin or end with a hyphen");
  }
  return errors;
}

}  // namespace orch::api

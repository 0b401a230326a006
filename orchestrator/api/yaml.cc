#include "orchestrator/api/yaml.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>

#include "absl/strings/ascii.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

bool IsOneOf(std::string_view text, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (text == option) return true;
  }
  return false;
}

bool AllDigits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = base == 16  ? absl::ascii_isxdigit(c)
              : base == 8 ? (c >= '0' && c <= '7')
                          : absl::ascii_isdigit(c);
    if (!ok) return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool LooksLikeFloat(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  size_t exponent = text.find_first_of("eE");
  std::string_view mantissa = text.substr(0, exponent);
  if (exponent != std::string_view::npos) {
    std::string_view power = text.substr(exponent + 1);
    if (!power.empty() && (power[0] == '-' || power[0] == '+')) power.remove_prefix(1);
    if (!AllDigits(power, 10)) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return AllDigits(mantissa, 10);
  std::string_view whole = mantissa.substr(0, dot);
  std::string_view fraction = mantissa.substr(dot + 1);
  if (whole.empty()) return AllDigits(fraction, 10);
  return AllDigits(whole, 10) && (fraction.empty() || AllDigits(fraction, 10));
}

// The JSON value of a plain (unquoted) scalar, as YAML 1.1 resolves it.
Json ResolvePlain(const std::string& text) {
  if (IsOneOf(text, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (IsOneOf(text, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})) return true;
  if (IsOneOf(text, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})) {
    return false;
  }
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'o') {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  if (AllDigits(digits, base)) {
    errno = 0;
    std::string owned(digits);
    long long value = std::strtoll(owned.c_str(), nullptr, base);
    if (errno == 0) return static_cast<int64_t>(negative ? -value : value);
  }
  if (LooksLikeFloat(text)) {
    double value = std::strtod(text.c_str(), nullptr);
    if (std::isfinite(value)) return value;
  }
  return text;
}

absl::StatusOr<Json> NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (!IsValidUtf8(text)) {
        return absl::InvalidArgumentError(
            Cat("yaml: line ", node.Mark().line + 1, ": invalid UTF-8 in a scalar"));
      }
      // "!" marks a quoted scalar; an explicit !!str tag also keeps the text.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return Json(text);
      return ResolvePlain(text);
    }
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const YAML::Node& element : node) {
        absl::StatusOr<Json> value = NodeToJson(element);
        if (!value.ok()) return value.status();
        array.push_back(*std::move(value));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar() || !IsValidUtf8(entry.first.Scalar())) {
          return absl::InvalidArgumentError(
              Cat("yaml: line ", entry.first.Mark().line + 1, ": map keys must be UTF-8 scalars"));
        }
        absl::StatusOr<Json> value = NodeToJson(entry.second);
        if (!value.ok()) return value.status();
        object[entry.first.Scalar()] = *std::move(value);
      }
      return object;
    }
  }
  return Json(nullptr);
}

// Whether a string must be quoted to read back as the same string.
bool NeedsQuotes(const std::string& text) {
  if (!ResolvePlain(text).is_string()) return true;
  if (text.empty() || absl::ascii_isspace(text.front()) || absl::ascii_isspace(text.back())) {
    return true;
  }
  return false;
}

void Emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, member] : value.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        Emit(out, member);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const Json& element : value)
        Emit(out, element);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      if (text.find('\n') != std::string::npos) {
        out << YAML::Literal << text;
      } else {
        if (NeedsQuotes(text)) out << YAML::DoubleQuoted;
        out << text;
      }
      return;
    }
    case Json::value_t::null:
      out << YAML::Null;
      return;
    default:  // numbers and booleans: JSON's text is valid plain YAML of the same type
      out << value.dump();
      return;
  }
}

}  // namespace

absl::StatusOr<std::vector<Json>> YamlToJsonDocuments(std::string_view yaml) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(
        Cat("error converting YAML to JSON: yaml: line ", error.mark.line + 1, ": ", error.msg));
  }
  std::vector<Json> documents;
  for (const YAML::Node& node : nodes) {
    absl::StatusOr<Json> document = NodeToJson(node);
    if (!document.ok()) return document.status();
    if (document->is_null()) continue;
    documents.push_back(*std::move(document));
  }
  return documents;
}

absl::StatusOr<Json> YamlToJson(std::string_view yaml) {
  absl::StatusOr<std::vector<Json>> documents = YamlToJsonDocuments(yaml);
  if (!documents.ok()) return documents.status();
  if (documents->size() != 1) {
    return absl::InvalidArgumentError(Cat("expected one YAML document, found ", documents->size()));
  }
  return std::move(documents->front());
}

std::string JsonToYaml(const Json& document) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, document);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

std::string JsonToYamlDocuments(const std::vector<Json>& documents) {
  std::string text;
  for (size_t i = 0; i < documents.size(); ++i) {
    if (i > 0) text += "---\n";
    text += JsonToYaml(documents[i]);
  }
  return text;
}

}  // namespace orch::api

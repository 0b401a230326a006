#include "orchestrator/api/selector.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "orchestrator/api/names.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

using Operator = LabelSelector::Operator;
using Requirement = LabelSelector::Requirement;

// Tokens of upstream's selector lexer.
enum class Token {
  kIdentifier,
  kNot,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kComma,
  kOpenParen,
  kCloseParen,
  kGreater,
  kLess,
  kIn,
  kNotIn,
  kEnd
};

struct Lexeme {
  Token token;
  std::string text;
};

bool IsSpecial(char c) {
  return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>';
}

std::vector<Lexeme> Lex(std::string_view text) {
  std::vector<Lexeme> out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (absl::ascii_isspace(c)) {
      ++i;
    } else if (c == '!' && i + 1 < text.size() && text[i + 1] == '=') {
      out.push_back({Token::kNotEquals, "!="});
      i += 2;
    } else if (c == '=' && i + 1 < text.size() && text[i + 1] == '=') {
      out.push_back({Token::kDoubleEquals, "=="});
      i += 2;
    } else if (IsSpecial(c)) {
      static constexpr std::pair<char, Token> kSingles[] = {
          {'!', Token::kNot},       {'=', Token::kEquals},     {',', Token::kComma},
          {'(', Token::kOpenParen}, {')', Token::kCloseParen}, {'>', Token::kGreater},
          {'<', Token::kLess}};
      for (const auto& [ch, token] : kSingles) {
        if (ch == c) out.push_back({token, std::string(1, c)});
      }
      ++i;
    } else {
      size_t start = i;
      while (i < text.size() && !IsSpecial(text[i]) && !absl::ascii_isspace(text[i]))
        ++i;
      std::string word(text.substr(start, i - start));
      Token token = word == "in"      ? Token::kIn
                    : word == "notin" ? Token::kNotIn
                                      : Token::kIdentifier;
      out.push_back({token, std::move(word)});
    }
  }
  out.push_back({Token::kEnd, ""});
  return out;
}

absl::Status ValidateRequirement(const Requirement& requirement) {
  std::vector<std::string> key_errors = IsQualifiedName(requirement.key);
  if (!key_errors.empty()) {
    return absl::InvalidArgumentError(
        Cat("unable to parse requirement: key: Invalid value: ", Json(requirement.key).dump(), ": ",
            Join(key_errors, "; ")));
  }
  switch (requirement.op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (requirement.values.empty()) {
        return absl::InvalidArgumentError(
            "unable to parse requirement: values: Invalid value: []: for 'in', 'notin' "
            "operators, values set can't be empty");
      }
      break;
    case Operator::kEquals:
    case Operator::kNotEquals:
      if (requirement.values.size() != 1) {
        return absl::InvalidArgumentError(
            "unable to parse requirement: values: Invalid value: exact-match compatibility "
            "requires one single value");
      }
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!requirement.values.empty()) {
        return absl::InvalidArgumentError(
            "unable to parse requirement: values: Invalid value: values set must be empty for "
            "exists and does not exist");
      }
      break;
    case Operator::kGt:
    case Operator::kLt: {
      int64_t number = 0;
      if (requirement.values.size() != 1 || !ParseInt(requirement.values[0], number)) {
        return absl::InvalidArgumentError(
            "unable to parse requirement: values[0]: Invalid value: for 'Gt', 'Lt' operators, "
            "the value must be an integer");
      }
      return absl::OkStatus();
    }
  }
  for (size_t i = 0; i < requirement.values.size(); ++i) {
    std::vector<std::string> value_errors = IsValidLabelValue(requirement.values[i]);
    if (!value_errors.empty()) {
      return absl::InvalidArgumentError(Cat(
          "unable to parse requirement: values[", i, "][", requirement.key, "]: Invalid value: ",
          Json(requirement.values[i]).dump(), ": ", Join(value_errors, "; ")));
    }
  }
  return absl::OkStatus();
}

void Normalize(Requirement& requirement) {
  std::sort(requirement.values.begin(), requirement.values.end());
  requirement.values.erase(std::unique(requirement.values.begin(), requirement.values.end()),
                           requirement.values.end());
}

absl::Status Unexpected(const Lexeme& found, std::string_view expected) {
  return absl::InvalidArgumentError(Cat("found '", found.text, "', expected: ", expected));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexemes_(Lex(text)) {}

  absl::StatusOr<std::vector<Requirement>> Parse() {
    std::vector<Requirement> requirements;
    if (Peek().token == Token::kEnd) return requirements;
    while (true) {
      absl::StatusOr<Requirement> requirement = ParseRequirement();
      if (!requirement.ok()) return requirement.status();
      Normalize(*requirement);
      if (absl::Status valid = ValidateRequirement(*requirement); !valid.ok()) return valid;
      requirements.push_back(*std::move(requirement));
      const Lexeme& next = Next();
      if (next.token == Token::kEnd) return requirements;
      if (next.token != Token::kComma) return Unexpected(next, "',' or 'end of string'");
    }
  }

 private:
  const Lexeme& Peek() const { return lexemes_[position_]; }
  const Lexeme& Next() {
    const Lexeme& lexeme = lexemes_[position_];
    if (lexeme.token != Token::kEnd) ++position_;
    return lexeme;
  }

  absl::StatusOr<Requirement> ParseRequirement() {
    Requirement requirement;
    const Lexeme& first = Next();
    if (first.token == Token::kNot) {
      const Lexeme& key = Next();
      if (key.token != Token::kIdentifier) return Unexpected(key, "identifier");
      requirement.key = key.text;
      requirement.op = Operator::kDoesNotExist;
      return requirement;
    }
    if (first.token != Token::kIdentifier) return Unexpected(first, "!, identifier");
    requirement.key = first.text;
    Token after = Peek().token;
    if (after == Token::kComma || after == Token::kEnd) {
      requirement.op = Operator::kExists;
      return requirement;
    }
    const Lexeme& op = Next();
    switch (op.token) {
      case Token::kEquals:
      case Token::kDoubleEquals:
      case Token::kNotEquals:
      case Token::kGreater:
      case Token::kLess: {
        requirement.op = op.token == Token::kNotEquals ? Operator::kNotEquals
                         : op.token == Token::kGreater ? Operator::kGt
                         : op.token == Token::kLess    ? Operator::kLt
                                                       : Operator::kEquals;
        // An exact match may compare with the empty value: "a=" matches label a: "".
        const Lexeme& value = Peek();
        if (value.token == Token::kIdentifier || value.token == Token::kIn ||
            value.token == Token::kNotIn) {
          requirement.values.push_back(Next().text);
        } else if (value.token == Token::kComma || value.token == Token::kEnd) {
          requirement.values.emplace_back();
        } else {
          return Unexpected(value, "identifier");
        }
        return requirement;
      }
      case Token::kIn:
      case Token::kNotIn: {
        requirement.op = op.token == Token::kIn ? Operator::kIn : Operator::kNotIn;
        const Lexeme& open = Next();
        if (open.token != Token::kOpenParen) return Unexpected(open, "'('");
        return ParseValueSet(std::move(requirement));
      }
      default:
        return Unexpected(op, "in, notin, =, ==, !=, gt, lt");
    }
  }

  // After "(": values separated by commas up to ")"; "()" is the set {""} as upstream.
  absl::StatusOr<Requirement> ParseValueSet(Requirement requirement) {
    bool expect_value = true;
    while (true) {
      const Lexeme& lexeme = Next();
      switch (lexeme.token) {
        case Token::kIdentifier:
        case Token::kIn:
        case Token::kNotIn:
          if (!expect_value) return Unexpected(lexeme, "',' or ')'");
          requirement.values.push_back(lexeme.text);
          expect_value = false;
          break;
        case Token::kComma:
          if (expect_value) requirement.values.emplace_back();
          expect_value = true;
          break;
        case Token::kCloseParen:
          if (expect_value) requirement.values.emplace_back();
          return requirement;
        default:
          return Unexpected(lexeme, "',', ')' or identifier");
      }
    }
  }

  std::vector<Lexeme> lexemes_;
  size_t position_ = 0;
};

bool RequirementMatches(const Requirement& requirement, const Json& labels) {
  const Json* label = Member(labels, requirement.key);
  bool has = label != nullptr && label->is_string();
  std::string value = has ? label->get<std::string>() : "";
  auto in_values = [&] {
    return std::binary_search(requirement.values.begin(), requirement.values.end(), value);
  };
  switch (requirement.op) {
    case Operator::kExists:
      return has;
    case Operator::kDoesNotExist:
      return !has;
    case Operator::kEquals:
    case Operator::kIn:
      return has && in_values();
    case Operator::kNotEquals:
    case Operator::kNotIn:
      return !has || !in_values();
    case Operator::kGt:
    case Operator::kLt: {
      int64_t actual = 0;
      int64_t bound = 0;
      if (!has || !ParseInt(value, actual) || !ParseInt(requirement.values[0], bound)) {
        return false;
      }
      return requirement.op == Operator::kGt ? actual > bound : actual < bound;
    }
  }
  return false;
}

std::string RequirementText(const Requirement& requirement) {
  std::string values = Join(requirement.values, ",");
  switch (requirement.op) {
    case Operator::kExists:
      return requirement.key;
    case Operator::kDoesNotExist:
      return Cat("!", requirement.key);
    case Operator::kEquals:
      return Cat(requirement.key, "=", values);
    case Operator::kNotEquals:
      return Cat(requirement.key, "!=", values);
    case Operator::kIn:
      return Cat(requirement.key, " in (", values, ")");
    case Operator::kNotIn:
      return Cat(requirement.key, " notin (", values, ")");
    case Operator::kGt:
      return Cat(requirement.key, ">", values);
    case Operator::kLt:
      return Cat(requirement.key, "<", values);
  }
  return "";
}

}  // namespace

LabelSelector LabelSelector::Nothing() {
  LabelSelector selector;
  selector.nothing_ = true;
  return selector;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  Parser parser(text);
  absl::StatusOr<std::vector<Requirement>> requirements = parser.Parse();
  if (!requirements.ok()) {
    return absl::InvalidArgumentError(Cat("unable to parse label selector ",
                                          Json(std::string(text)).dump(), ": ",
                                          requirements.status().message()));
  }
  LabelSelector selector;
  selector.requirements_ = *std::move(requirements);
  std::stable_sort(selector.requirements_.begin(), selector.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return selector;
}

absl::StatusOr<LabelSelector> LabelSelector::FromObject(const Json* selector) {
  if (selector == nullptr || selector->is_null()) return Nothing();
  if (!selector->is_object())
    return absl::InvalidArgumentError("a label selector must be an object");
  LabelSelector out;
  for (const auto& [key, value] : ObjectAt(*selector, {"matchLabels"}).items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(Cat("matchLabels[", key, "] must be a string"));
    }
    out.requirements_.push_back({key, Operator::kEquals, {value.get<std::string>()}});
  }
  for (const Json& expression : ArrayAt(*selector, {"matchExpressions"})) {
    Requirement requirement;
    requirement.key = StringAt(expression, {"key"});
    std::string op = StringAt(expression, {"operator"});
    if (op == "In") {
      requirement.op = Operator::kIn;
    } else if (op == "NotIn") {
      requirement.op = Operator::kNotIn;
    } else if (op == "Exists") {
      requirement.op = Operator::kExists;
    } else if (op == "DoesNotExist") {
      requirement.op = Operator::kDoesNotExist;
    } else {
      return absl::InvalidArgumentError(
          Cat(Json(op).dump(), " is not a valid label selector operator"));
    }
    for (const Json& value : ArrayAt(expression, {"values"})) {
      if (value.is_string()) requirement.values.push_back(value.get<std::string>());
    }
    out.requirements_.push_back(std::move(requirement));
  }
  for (Requirement& requirement : out.requirements_) {
    Normalize(requirement);
    if (absl::Status valid = ValidateRequirement(requirement); !valid.ok()) return valid;
  }
  std::stable_sort(out.requirements_.begin(), out.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return out;
}

bool LabelSelector::Matches(const Json& labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return RequirementMatches(r, labels); });
}

std::string LabelSelector::ToString() const {
  return Join(requirements_, ",",
              [](std::string& out, const Requirement& r) { out.append(RequirementText(r)); });
}

std::string FormatLabelSelector(const Json* selector) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::FromObject(selector);
  if (!parsed.ok()) return "<error>";
  std::string text = parsed->ToString();
  return text.empty() ? "<none>" : text;
}

// ---- field selectors ----

namespace {

// Splits on unescaped `separator`; escapes (\, \= \! \\) are kept for the next step.
std::vector<std::string> SplitUnescaped(std::string_view text, char separator) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back().push_back(text[i]);
      parts.back().push_back(text[++i]);
    } else if (text[i] == separator) {
      parts.emplace_back();
    } else {
      parts.back().push_back(text[i]);
    }
  }
  return parts;
}

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out.push_back(text[i]);
  }
  return out;
}

// Position of the first unescaped occurrence of `op` in `term`.
size_t FindUnescaped(std::string_view term, std::string_view op) {
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '\\') {
      ++i;
      continue;
    }
    if (term.substr(i, op.size()) == op) return i;
  }
  return std::string_view::npos;
}

std::string BoolText(const Json& object, std::initializer_list<std::string_view> path) {
  return BoolAt(object, path) ? "true" : "false";
}

}  // namespace

std::vector<std::string_view> FieldLabels(Kind kind) {
  std::vector<std::string_view> labels = {"metadata.name"};
  if (ResourceFor(kind).namespaced) labels.push_back("metadata.namespace");
  switch (kind) {
    case Kind::kPod:
      labels.insert(labels.end(),
                    {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                     "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                     "status.podIP", "status.nominatedNodeName"});
      break;
    case Kind::kEvent:
      labels.insert(labels.end(),
                    {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion",
                     "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                     "reportingComponent", "source", "type"});
      break;
    case Kind::kNode:
      labels.push_back("spec.unschedulable");
      break;
    case Kind::kNamespace:
      labels.push_back("status.phase");
      break;
    case Kind::kReplicaSet:
      labels.push_back("status.replicas");
      break;
    default:
      break;
  }
  return labels;
}

bool SupportsFieldLabel(Kind kind, std::string_view field) {
  const std::vector<std::string_view> labels = FieldLabels(kind);
  return std::find(labels.begin(), labels.end(), field) != labels.end();
}

Json SelectableFields(Kind kind, const Json& object) {
  Json view = Json::object();
  // Each field label is the member at its dotted path (Event's "source" reads the whole
  // source object), so copying those paths keeps every value FieldLabelValue reads.
  std::vector<std::string_view> paths = FieldLabels(kind);
  paths.push_back("metadata.labels");
  for (std::string_view path : paths) {
    const std::vector<std::string> parts = SplitUnescaped(path, '.');
    const Json* value = &object;
    for (const std::string& part : parts) {
      value = Member(*value, part);
      if (value == nullptr) break;
    }
    if (value == nullptr) continue;
    Json* copy = &view;
    for (size_t i = 0; i + 1 < parts.size(); ++i)
      copy = &EnsureObject(*copy, parts[i]);
    (*copy)[parts.back()] = *value;
  }
  return view;
}

std::string FieldLabelValue(Kind kind, const Json& object, std::string_view field) {
  if (field == "metadata.name") return StringAt(object, {"metadata", "name"});
  if (field == "metadata.namespace") return StringAt(object, {"metadata", "namespace"});
  if (kind == Kind::kPod && field == "spec.hostNetwork")
    return BoolText(object, {"spec", "hostNetwork"});
  if (kind == Kind::kNode && field == "spec.unschedulable") {
    return BoolText(object, {"spec", "unschedulable"});
  }
  if (kind == Kind::kReplicaSet && field == "status.replicas") {
    return std::to_string(IntAt(object, {"status", "replicas"}).value_or(0));
  }
  if (kind == Kind::kEvent && field == "source") {
    return StringAt(object, {"source", "component"});
  }
  // Every other supported label is a string at the dotted path.
  std::vector<std::string> parts = SplitUnescaped(field, '.');
  const Json* value = &object;
  for (const std::string& part : parts) {
    value = Member(*value, part);
    if (value == nullptr) return "";
  }
  return value->is_string() ? value->get<std::string>() : "";
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text,
                                                   const ResourceInfo& resource) {
  FieldSelector selector;
  selector.kind_ = resource.id;
  if (text.empty()) return selector;
  for (const std::string& term : SplitUnescaped(text, ',')) {
    if (term.empty()) continue;
    Term parsed;
    size_t at = FindUnescaped(term, "!=");
    size_t op_size = 2;
    parsed.equals = at == std::string::npos;
    if (parsed.equals) {
      at = FindUnescaped(term, "==");
      if (at == std::string::npos) {
        at = FindUnescaped(term, "=");
        op_size = 1;
      }
    }
    if (at == std::string::npos) {
      return absl::InvalidArgumentError(
          Cat("invalid selector: '", text, "'; can't understand '", term, "'"));
    }
    parsed.field = Unescape(std::string_view(term).substr(0, at));
    parsed.value = Unescape(std::string_view(term).substr(at + op_size));
    if (!SupportsFieldLabel(resource.id, parsed.field)) {
      return absl::InvalidArgumentError(Cat("field label not supported: ", parsed.field));
    }
    selector.terms_.push_back(std::move(parsed));
  }
  return selector;
}

bool FieldSelector::Matches(const Json& object) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& term) {
    return (FieldLabelValue(kind_, object, term.field) == term.value) == term.equals;
  });
}

std::optional<std::string> FieldSelector::RequiredValue(std::string_view field) const {
  for (const Term& term : terms_) {
    if (term.equals && term.field == field) return term.value;
  }
  return std::nullopt;
}

}  // namespace orch::api

#include "orchestrator/api/field_validation.h"

#include <algorithm>
#include <set>

#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

std::string ChildPath(std::string_view parent, std::string_view field) {
  return parent.empty() ? std::string(field) : Cat(parent, ".", field);
}

std::string IndexPath(std::string_view parent, std::string_view index) {
  return Cat(parent, "[", index, "]");
}

std::string UnknownField(std::string_view path) {
  return Cat("unknown field \"", path, "\"");
}

// Walks `value` as `type` describes it, collecting unknown fields. `patch`: skip directives
// and null (deleting) values, as merge patches and strategic merge patches carry them.
class UnknownFieldWalker {
 public:
  UnknownFieldWalker(const SchemaSet& schemas, bool patch) : schemas_(schemas), patch_(patch) {}

  void Walk(const SchemaType& type, const Json& value, const std::string& path) {
    switch (type.shape) {
      case SchemaType::Shape::kPrimitive:
        return;
      case SchemaType::Shape::kReference:
        if (const SchemaDefinition* definition = schemas_.Find(type.name)) {
          WalkObject(*definition, value, path);
        }
        return;
      case SchemaType::Shape::kList:
        if (!value.is_array()) return;
        for (size_t i = 0; i < value.size(); ++i)
          Walk(*type.element, value[i], IndexPath(path, std::to_string(i)));
        return;
      case SchemaType::Shape::kMap:
        if (!value.is_object()) return;
        for (const auto& [key, entry] : value.items())
          Walk(*type.element, entry, IndexPath(path, key));
        return;
    }
  }

  void WalkObject(const SchemaDefinition& definition, const Json& value, const std::string& path) {
    if (definition.scalar || !value.is_object()) return;
    for (const auto& [key, field] : value.items()) {
      if (patch_ && (key.starts_with("$") || field.is_null())) continue;
      const std::string field_path = ChildPath(path, key);
      const SchemaProperty* property = definition.FindProperty(key);
      if (property == nullptr) {
        problems_.push_back(UnknownField(field_path));
        continue;
      }
      Walk(property->type, field, field_path);
    }
  }

  std::vector<std::string> TakeProblems() && { return std::move(problems_); }

 private:
  const SchemaSet& schemas_;
  const bool patch_;
  std::vector<std::string> problems_;
};

// A JSON pointer's tokens ("/spec/containers/0" -> spec, containers, 0), unescaped.
std::vector<std::string> PointerTokens(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (!pointer.starts_with('/')) return tokens;
  pointer.remove_prefix(1);
  for (;;) {
    const size_t end = pointer.find('/');
    std::string token;
    for (size_t i = 0; i < std::min(end, pointer.size()); ++i) {
      const bool escape = pointer[i] == '~' && i + 1 < pointer.size();
      if (escape && pointer[i + 1] == '1') {
        token += '/';
        ++i;
      } else if (escape && pointer[i + 1] == '0') {
        token += '~';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    tokens.push_back(std::move(token));
    if (end == std::string_view::npos) return tokens;
    pointer.remove_prefix(end + 1);
  }
}

// Follows a JSON patch path through the schema. Returns the type at its end (with the field
// path so far), or nullopt when the path leaves the schema (an unknown field, reported) or
// enters free-form data.
std::optional<std::pair<SchemaType, std::string>> ResolvePointer(
    const SchemaSet& schemas, const SchemaType& root, const std::vector<std::string>& tokens,
    std::vector<std::string>& problems) {
  SchemaType type = root;
  std::string path;
  for (const std::string& token : tokens) {
    if (type.shape == SchemaType::Shape::kList || type.shape == SchemaType::Shape::kMap) {
      path = IndexPath(path, token);
      SchemaType element = *type.element;
      type = std::move(element);
      continue;
    }
    if (type.shape == SchemaType::Shape::kPrimitive) return std::nullopt;
    const SchemaDefinition* definition = schemas.Find(type.name);
    if (definition == nullptr || definition->scalar) return std::nullopt;
    path = ChildPath(path, token);
    const SchemaProperty* property = definition->FindProperty(token);
    if (property == nullptr) {
      problems.push_back(UnknownField(path));
      return std::nullopt;
    }
    type = property->type;
  }
  return std::make_pair(std::move(type), std::move(path));
}

SchemaType ReferenceTo(const SchemaDefinition& definition) {
  SchemaType type;
  type.shape = SchemaType::Shape::kReference;
  type.name = definition.name;
  return type;
}

// nlohmann::json SAX events, tracking the members seen in each open object.
class DuplicateFieldFinder : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(true); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    Frame& frame = frames_.back();
    frame.key = name;
    if (!frame.keys.insert(name).second) {
      duplicates_.push_back(Cat("duplicate field \"", ChildPath(frame.path, name), "\""));
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed_ = true;
    return false;
  }

  std::vector<std::string> TakeDuplicates() && {
    if (failed_) return {};
    return std::move(duplicates_);
  }

 private:
  struct Frame {
    bool object = false;
    std::string path;
    std::set<std::string> keys;
    std::string key;
    size_t index = 0;
  };

  // The path of the value that starts now.
  std::string NextPath() const {
    if (frames_.empty()) return "";
    const Frame& frame = frames_.back();
    if (frame.object) return ChildPath(frame.path, frame.key);
    return IndexPath(frame.path, std::to_string(frame.index));
  }

  bool Value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }

  bool Open(bool object) {
    Frame frame;
    frame.object = object;
    frame.path = NextPath();
    frames_.push_back(std::move(frame));
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return Value();
  }

  std::vector<Frame> frames_;
  std::vector<std::string> duplicates_;
  bool failed_ = false;
};

}  // namespace

std::optional<FieldValidationDirective> ParseFieldValidation(std::string_view value) {
  if (value.empty() || value == "Warn") return FieldValidationDirective::kWarn;
  if (value == "Strict") return FieldValidationDirective::kStrict;
  if (value == "Ignore") return FieldValidationDirective::kIgnore;
  return std::nullopt;
}

FieldError UnsupportedFieldValidation(std::string_view value) {
  return NotSupported(FieldPath("fieldValidation"), std::string(value),
                      {"", "Ignore", "Strict", "Warn"});
}

std::vector<std::string> UnknownFields(const SchemaSet& schemas, const SchemaDefinition& definition,
                                       const Json& object) {
  UnknownFieldWalker walker(schemas, /*patch=*/false);
  walker.WalkObject(definition, object, "");
  return std::move(walker).TakeProblems();
}

std::vector<std::string> UnknownPatchFields(const SchemaSet& schemas,
                                            const SchemaDefinition& definition, const Json& patch) {
  UnknownFieldWalker walker(schemas, /*patch=*/true);
  walker.WalkObject(definition, patch, "");
  return std::move(walker).TakeProblems();
}

std::vector<std::string> UnknownJsonPatchFields(const SchemaSet& schemas,
                                                const SchemaDefinition& definition,
                                                const Json& operations) {
  std::vector<std::string> problems;
  if (!operations.is_array()) return problems;
  for (const Json& operation : operations) {
    const std::string op = StringAt(operation, {"op"});
    if (op != "add" && op != "replace" && op != "copy" && op != "move") continue;
    std::optional<std::pair<SchemaType, std::string>> target = ResolvePointer(
        schemas, ReferenceTo(definition), PointerTokens(StringAt(operation, {"path"})), problems);
    const Json* value = Member(operation, "value");
    if (!target.has_value() || value == nullptr || (op != "add" && op != "replace")) continue;
    UnknownFieldWalker walker(schemas, /*patch=*/false);
    walker.Walk(target->first, *value, target->second);
    for (std::string& problem : std::move(walker).TakeProblems())
      problems.push_back(std::move(problem));
  }
  return problems;
}

std::vector<std::string> DuplicateFields(std::string_view json_text) {
  DuplicateFieldFinder finder;
  Json::sax_parse(json_text, &finder, nlohmann::detail::input_format_t::json, /*strict=*/true);
  return std::move(finder).TakeDuplicates();
}

std::string StrictDecodingMessage(const std::vector<std::string>& problems) {
  return Cat("strict decoding error: ", Join(problems, ", "));
}

}  // namespace orch::api

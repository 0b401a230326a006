#include "orchestrator/api/json.h"

#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

const Json& EmptyArray() {
  static const Json* const kEmpty = new Json(Json::array());
  return *kEmpty;
}

const Json& EmptyObject() {
  static const Json* const kEmpty = new Json(Json::object());
  return *kEmpty;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xe  ? 3
                    : (byte >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? byte : byte & (0xff >> (length + 1));
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::StatusOr<Json> ParseJson(std::string_view text) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // Parse again with exceptions only to learn where it failed: the error path is rare.
    try {
      Json ignored = Json::parse(text);
      (void)ignored;
    } catch (const Json::parse_error& error) {
      return absl::InvalidArgumentError(
          Cat("invalid JSON at byte ", error.byte, ": ", error.what()));
    }
    return absl::InvalidArgumentError("invalid JSON");
  }
  return parsed;
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const Json* MemberAt(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* current = &object;
  for (std::string_view key : path) {
    current = Member(*current, key);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string StringAt(const Json& object, std::initializer_list<std::string_view> path,
                     std::string_view fallback) {
  const Json* value = MemberAt(object, path);
  if (value == nullptr || !value->is_string()) return std::string(fallback);
  return value->get<std::string>();
}

std::optional<int64_t> IntAt(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* value = MemberAt(object, path);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

bool BoolAt(const Json& object, std::initializer_list<std::string_view> path, bool fallback) {
  const Json* value = MemberAt(object, path);
  if (value == nullptr || !value->is_boolean()) return fallback;
  return value->get<bool>();
}

const Json& ArrayAt(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* value = MemberAt(object, path);
  return value != nullptr && value->is_array() ? *value : EmptyArray();
}

const Json& ObjectAt(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* value = MemberAt(object, path);
  return value != nullptr && value->is_object() ? *value : EmptyObject();
}

Json& EnsureObject(Json& object, std::string_view key) {
  if (!object.is_object()) object = Json::object();
  Json& member = object[std::string(key)];
  if (!member.is_object()) member = Json::object();
  return member;
}

void SetIfAbsent(Json& object, std::string_view key, Json value) {
  if (!object.is_object()) object = Json::object();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) object[std::string(key)] = std::move(value);
}

}  // namespace orch::api

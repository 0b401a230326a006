// JSON documents are the object model: every API object is held as the JSON the client sent
// (plus what the server adds), so fields this code does not know survive every round trip.
// These helpers read documents without throwing, whatever shape a client sent.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace orch::api {

using Json = nlohmann::json;

// Whether `text` is well-formed UTF-8; nlohmann::json refuses to serialize strings that are
// not, so text from YAML or protobuf is checked before it enters a document.
bool IsValidUtf8(std::string_view text);

// Parses one JSON document; a syntax error is InvalidArgument naming the byte offset.
absl::StatusOr<Json> ParseJson(std::string_view text);

// The member `key` of `object`, or null when `object` is not an object or lacks the key.
const Json* Member(const Json& object, std::string_view key);
// Follows object members; null as soon as one is missing.
const Json* MemberAt(const Json& object, std::initializer_list<std::string_view> path);

// Typed reads that fall back when the member is absent or of another type.
std::string StringAt(const Json& object, std::initializer_list<std::string_view> path,
                     std::string_view fallback = "");
std::optional<int64_t> IntAt(const Json& object, std::initializer_list<std::string_view> path);
bool BoolAt(const Json& object, std::initializer_list<std::string_view> path,
            bool fallback = false);
// The array at `path`, or an empty array.
const Json& ArrayAt(const Json& object, std::initializer_list<std::string_view> path);
// The object at `path`, or an empty object.
const Json& ObjectAt(const Json& object, std::initializer_list<std::string_view> path);

// The object member `key` of `object`, created (as {}) when absent or not an object; `object`
// itself becomes an object if it was null.
Json& EnsureObject(Json& object, std::string_view key);
// Sets `key` to `value` only when it is absent or null (how defaulting fills fields).
void SetIfAbsent(Json& object, std::string_view key, Json value);

}  // namespace orch::api

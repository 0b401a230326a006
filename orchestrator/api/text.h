// String building for this library. This abseil build has its own absl::string_view (not
// std::string_view), so absl::StrCat/StrJoin do not take std::string_view; these do.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace orch::api {

namespace text_internal {
template <typename Part>
void AppendOne(std::string& out, const Part& part) {
  if constexpr (std::is_same_v<Part, char>) {
    out.push_back(part);
  } else if constexpr (std::is_arithmetic_v<Part>) {
    out += std::to_string(part);
  } else if constexpr (requires {
                         part.data();
                         part.size();
                       }) {
    out.append(part.data(), part.size());  // std::string, std::string_view, absl::string_view
  } else {
    out += std::string_view(part);
  }
}
}  // namespace text_internal

template <typename... Parts>
void Append(std::string& out, const Parts&... parts) {
  (text_internal::AppendOne(out, parts), ...);
}

template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  Append(out, parts...);
  return out;
}

// Joins the elements of `range`, each turned into text by `format(std::string&, element)`.
template <typename Range, typename Format>
std::string Join(const Range& range, std::string_view separator, Format format) {
  std::string out;
  bool first = true;
  for (const auto& element : range) {
    if (!first) out += separator;
    first = false;
    format(out, element);
  }
  return out;
}

template <typename Range>
std::string Join(const Range& range, std::string_view separator) {
  return Join(range, separator,
              [](std::string& out, const auto& element) { Append(out, element); });
}

// The whole of `text` as a decimal integer, or false.
inline bool ParseInt(std::string_view text, int64_t& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace orch::api

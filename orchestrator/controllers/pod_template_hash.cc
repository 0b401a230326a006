#include "orchestrator/controllers/pod_template_hash.h"

#include <array>

namespace orch::controllers {

api::Json CanonicalTemplate(const api::Json& value) {
  if (value.is_object()) {
    api::Json out = api::Json::object();
    for (const auto& [key, member] : value.items()) {
      api::Json canonical = CanonicalTemplate(member);
      if (canonical.is_null() || (canonical.is_object() && canonical.empty())) continue;
      out[key] = std::move(canonical);
    }
    return out;
  }
  if (value.is_array()) {
    api::Json out = api::Json::array();
    for (const api::Json& element : value)
      out.push_back(CanonicalTemplate(element));
    return out;
  }
  return value;
}

uint32_t Fnv32a(std::string_view bytes, uint32_t hash) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 16777619u;
  }
  return hash;
}

std::string SafeEncodeString(std::string_view text) {
  static constexpr std::string_view kAlphanumerics = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  out.reserve(text.size());
  for (unsigned char byte : text)
    out.push_back(kAlphanumerics[byte % kAlphanumerics.size()]);
  return out;
}

std::string ComputePodTemplateHash(const api::Json& pod_template,
                                   std::optional<int64_t> collision_count) {
  uint32_t hash = Fnv32a(CanonicalTemplate(pod_template).dump());
  if (collision_count.has_value()) {
    const auto count = static_cast<uint32_t>(*collision_count);
    std::array<char, 8> bytes{};
    for (size_t i = 0; i < 4; ++i)
      bytes[i] = static_cast<char>((count >> (8 * i)) & 0xff);
    hash = Fnv32a(std::string_view(bytes.data(), bytes.size()), hash);
  }
  return SafeEncodeString(std::to_string(hash));
}

api::Json TemplateWithoutHash(const api::Json& pod_template) {
  api::Json out = pod_template;
  if (!out.is_object() || !out.contains("metadata") || !out["metadata"].is_object()) return out;
  api::Json& metadata = out["metadata"];
  if (metadata.contains("labels") && metadata["labels"].is_object()) {
    metadata["labels"].erase(std::string(kPodTemplateHashLabel));
    if (metadata["labels"].empty()) metadata.erase("labels");
  }
  return out;
}

bool TemplatesEqualIgnoringHash(const api::Json& a, const api::Json& b) {
  return CanonicalTemplate(TemplateWithoutHash(a)) == CanonicalTemplate(TemplateWithoutHash(b));
}

}  // namespace orch::controllers

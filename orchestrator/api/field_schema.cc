#include "orchestrator/api/field_schema.h"

#include <map>
#include <set>

#include "orchestrator/api/text.h"

namespace orch::api {

// Object-valued fields that are maps (their entries are owned one by one, with a "." for the
// map itself); every other object is a struct.
bool IsMapField(std::string_view field) {
  static const std::set<std::string_view> kMaps = {"labels",      "annotations", "nodeSelector",
                                                   "matchLabels", "limits",      "requests",
                                                   "capacity",    "allocatable", "data"};
  return kMaps.contains(field);
}

// Lists whose elements are owned one by one: by these keys, or (empty) as a set of scalars.
// Other lists are atomic.
const std::vector<std::string>* ListKeys(std::string_view field) {
  static const std::map<std::string_view, std::vector<std::string>> kKeys = {
      {"containers", {"name"}},
      {"initContainers", {"name"}},
      {"ephemeralContainers", {"name"}},
      {"env", {"name"}},
      {"ports", {"containerPort", "protocol"}},
      {"volumes", {"name"}},
      {"volumeMounts", {"mountPath"}},
      {"conditions", {"type"}},
      {"ownerReferences", {"uid"}},
      {"imagePullSecrets", {"name"}},
      {"podIPs", {"ip"}},
      {"hostIPs", {"ip"}},
      {"finalizers", {}}};
  auto it = kKeys.find(field);
  return it == kKeys.end() ? nullptr : &it->second;
}

// "k:{...}" for an element: its key fields (protocol defaults to TCP, as the schema does).
std::string ElementKey(const Json& element, const std::vector<std::string>& keys) {
  Json key = Json::object();
  for (const std::string& name : keys) {
    if (const Json* value = Member(element, name)) {
      key[name] = *value;
    } else if (name == "protocol") {
      key[name] = "TCP";
    }
  }
  return Cat("k:", key.dump());
}

}  // namespace orch::api

// The little of Kubernetes' OpenAPI schema that field ownership needs: which objects are
// maps, which lists are keyed (and by what) or sets, and how a list element is named in a
// field path. Shared by managedFields bookkeeping and server-side apply.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/api/json.h"

namespace orch::api {

// Object-valued fields that are maps (their entries are owned one by one, with a "." for the
// map itself); every other object is a struct.
bool IsMapField(std::string_view field);

// Lists whose elements are owned one by one: by these keys, or (empty) as a set of scalars.
// Other lists are atomic. Null for atomic lists.
const std::vector<std::string>* ListKeys(std::string_view field);

// "k:{...}" for an element: its key fields (protocol defaults to TCP, as the schema does).
std::string ElementKey(const Json& element, const std::vector<std::string>& keys);

}  // namespace orch::api

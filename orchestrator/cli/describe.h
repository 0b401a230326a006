// kubectl describe's layouts for pods, deployments, replicasets, nodes and namespaces, from
// the objects the command fetched (no requests here), ending with the object's Events.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::cli {

struct DescribeInput {
  api::Json object;
  api::Json events = api::Json::array();  // Events whose involvedObject is the object
  // Deployments: their ReplicaSets; ReplicaSets and nodes: their pods.
  api::Json related = api::Json::array();
};

// The text kubectl prints for `describe <kind> <name>` at `now` (ages of events).
std::string Describe(api::Kind kind, const DescribeInput& input, absl::Time now);

// Go's text/tabwriter as kubectl describe uses it (minwidth 0, padding 2): a column is aligned
// over each run of consecutive lines that have a cell there.
std::string AlignTabs(std::string_view text, size_t min_width, size_t padding);

}  // namespace orch::cli

// Server-side printing: the Table (meta.k8s.io/v1) kubectl asks for with as=Table, with the
// columns and cells the real API server produces for each kind (pkg/printers). Every row
// carries all columns; kubectl hides priority > 0 ones unless -o wide.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

struct TableColumn {
  std::string_view name;
  std::string_view type;    // "string" or "integer"
  std::string_view format;  // "name" for the Name column
  std::string_view description;
  int priority;  // 0: always shown; 1: -o wide
};

const std::vector<TableColumn>& TableColumns(Kind kind);
Json TableColumnDefinitions(Kind kind);

// The cells of one object's row, computed at `now` (ages).
Json TableCells(Kind kind, const Json& object, absl::Time now);

// What each row's "object" holds (the includeObject query parameter).
enum class IncludeObject { kNone, kMetadata, kObject };

// {"cells": [...], "object": PartialObjectMetadata | the object}, plus row conditions for
// finished pods as upstream.
Json TableRow(Kind kind, const Json& object, absl::Time now,
              IncludeObject include = IncludeObject::kMetadata);

// The whole Table; `with_column_definitions` false gives the later tables of a watch, which
// upstream sends without columns.
Json TableDocument(Kind kind, const std::vector<Json>& objects, std::string_view resource_version,
                   std::string_view continue_token, absl::Time now,
                   IncludeObject include = IncludeObject::kMetadata,
                   bool with_column_definitions = true);

// apimachinery's duration.HumanDuration ("45s", "3m10s", "5h", "3d4h", "2y") and
// translateTimestampSince ("<unknown>" for an absent time).
std::string HumanDuration(absl::Duration duration);
std::string AgeSince(const std::optional<absl::Time>& time, absl::Time now);

}  // namespace orch::api

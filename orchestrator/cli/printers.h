// kubectl's output formats: the server's Table as aligned columns (kubectl's tabwriter:
// padding 3, minimum width 6, the last column unpadded), -o name, -o json, -o yaml.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::cli {

enum class OutputFormat { kTable, kWide, kName, kJson, kYaml };

// "", "wide", "name", "json", "yaml"; InvalidArgument with kubectl's message otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view text);

struct TableOptions {
  bool wide = false;            // show priority > 0 columns
  bool with_namespace = false;  // -A: a NAMESPACE column first, from rows[].object
  bool with_kind = false;       // several types asked for: names print as "pod/x"
  bool with_headers = true;
};

// Prints Tables (meta.k8s.io/v1) as kubectl does. Column widths only grow across calls, so
// the rows of a watch stay aligned with the header printed first.
class TablePrinter {
 public:
  TablePrinter(const api::ResourceInfo& resource, TableOptions options);
  // Prints the rows of `table`, with the header the first time (when the table has
  // columnDefinitions; later watch tables carry none and reuse the first's).
  void Print(const api::Json& table, std::ostream& out);

 private:
  std::vector<std::string> Header() const;
  std::vector<std::string> RowCells(const api::Json& row) const;

  const api::ResourceInfo& resource_;
  TableOptions options_;
  api::Json columns_ = api::Json::array();
  std::vector<size_t> shown_;  // indexes of the columns shown
  bool header_printed_ = false;
  std::vector<size_t> widths_;
};

// Lays out rows as kubectl's tabwriter does: each column as wide as its widest cell plus 3
// (at least 6), the last column as is. `widths` carries the widths between calls.
void WriteAligned(const std::vector<std::vector<std::string>>& rows, std::vector<size_t>& widths,
                  std::ostream& out);

// `object` as -o json prints it (4-space indent, keys sorted) and -o yaml.
std::string FormatJson(const api::Json& object);
std::string FormatYaml(const api::Json& object);
// The objects of one get: one object alone, several as kubectl's {"kind":"List"} document.
api::Json AsOutputDocument(std::vector<api::Json> objects, bool single_object);
// Items of a list come without kind/apiVersion; -o json/yaml prints them with.
api::Json WithTypeMeta(api::Json object, const api::ResourceInfo& resource);

}  // namespace orch::cli

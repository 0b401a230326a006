#include "orchestrator/cli/printers.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "orchestrator/api/text.h"
#include "orchestrator/api/yaml.h"
#include "orchestrator/cli/resource_names.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

constexpr size_t kPadding = 3;
constexpr size_t kMinWidth = 6;

std::string CellText(const Json& cell) {
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_null()) return "<none>";
  return cell.dump();
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view text) {
  if (text.empty()) return OutputFormat::kTable;
  if (text == "wide") return OutputFormat::kWide;
  if (text == "name") return OutputFormat::kName;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return absl::InvalidArgumentError(
      Cat("unable to match a printer suitable for the output format \"", text,
          "\", allowed formats are: json,name,wide,yaml"));
}

void WriteAligned(const std::vector<std::vector<std::string>>& rows, std::vector<size_t>& widths,
                  std::ostream& out) {
  for (const std::vector<std::string>& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i + 1 < row.size(); ++i)
      widths[i] = std::max({widths[i], row[i].size() + kPadding, kMinWidth});
  }
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size(), ' ');
    }
    out << line << "\n";
  }
}

TablePrinter::TablePrinter(const api::ResourceInfo& resource, TableOptions options)
    : resource_(resource), options_(options) {}

std::vector<std::string> TablePrinter::Header() const {
  std::vector<std::string> header;
  if (options_.with_namespace) header.push_back("NAMESPACE");
  for (size_t index : shown_)
    header.push_back(absl::AsciiStrToUpper(columns_[index].value("name", "")));
  return header;
}

std::vector<std::string> TablePrinter::RowCells(const Json& row) const {
  std::vector<std::string> cells;
  if (options_.with_namespace)
    cells.push_back(api::StringAt(row, {"object", "metadata", "namespace"}));
  const Json& values = api::ArrayAt(row, {"cells"});
  for (size_t index : shown_) {
    std::string text = index < values.size() ? CellText(values[index]) : "";
    if (options_.with_kind && columns_[index].value("format", "") == "name")
      text = QualifiedName(resource_, text);
    cells.push_back(std::move(text));
  }
  return cells;
}

void TablePrinter::Print(const Json& table, std::ostream& out) {
  const Json& definitions = api::ArrayAt(table, {"columnDefinitions"});
  if (!definitions.empty() && columns_.empty()) {
    columns_ = definitions;
    for (size_t i = 0; i < columns_.size(); ++i)
      if (options_.wide || columns_[i].value("priority", 0) == 0) shown_.push_back(i);
  }
  std::vector<std::vector<std::string>> lines;
  if (!header_printed_ && options_.with_headers) lines.push_back(Header());
  header_printed_ = true;
  for (const Json& row : api::ArrayAt(table, {"rows"}))
    lines.push_back(RowCells(row));
  WriteAligned(lines, widths_, out);
}

std::string FormatJson(const Json& object) {
  return object.dump(4) + "\n";
}

std::string FormatYaml(const Json& object) {
  return api::JsonToYaml(object);
}

Json AsOutputDocument(std::vector<Json> objects, bool single_object) {
  if (single_object && objects.size() == 1) return std::move(objects.front());
  return {{"apiVersion", "v1"},
          {"kind", "List"},
          {"items", std::move(objects)},
          {"metadata", {{"resourceVersion", ""}}}};
}

Json WithTypeMeta(Json object, const api::ResourceInfo& resource) {
  if (object.is_object()) {
    object["apiVersion"] = resource.ApiVersion();
    object["kind"] = std::string(resource.kind);
  }
  return object;
}

}  // namespace orch::cli

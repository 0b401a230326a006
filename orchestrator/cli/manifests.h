// The objects named by -f: files, directories (their .yaml, .yml and .json files, sorted, not
// recursive, as kubectl without -R), "-" for standard input; YAML may hold several documents
// and a "kind: List" expands to its items.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"

namespace orch::cli {

struct Manifest {
  std::string source;  // the file it came from ("-" for stdin)
  api::Json object;
};

// Every object of every path, in order. InvalidArgument naming the file on a parse error,
// NotFound (kubectl's `the path "x" does not exist`) for a missing path.
absl::StatusOr<std::vector<Manifest>> LoadManifests(const std::vector<std::string>& paths,
                                                    std::istream& stdin_stream);

// The objects of one text (YAML or JSON, several documents, Lists expanded).
absl::StatusOr<std::vector<api::Json>> ParseManifestText(std::string_view text);

}  // namespace orch::cli

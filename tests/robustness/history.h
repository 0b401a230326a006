// A history of key-value operations as clients saw them: each operation's request, when it
// was invoked and when it completed, and its response, or nothing when the outcome is unknown
// (a timeout or an unavailable member: the operation may or may not have taken effect).
//
// Every operation is a transaction: compares, then the success or the failure ops. A plain
// Put, Range or DeleteRange is a transaction with no compares and one success op, which is
// how etcd applies them too.
//
// On disk a history is JSON lines, one operation per line (see docs/robustness.md).

#ifndef RAFTKV_TESTS_ROBUSTNESS_HISTORY_H_
#define RAFTKV_TESTS_ROBUSTNESS_HISTORY_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace raftkv::robustness {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;

  bool operator==(const KeyValue&) const = default;
};

// A compare on one key, with etcd's meaning: a missing key has version, create and mod
// revision 0, and every compare of its value is false.
struct Compare {
  enum class Target { kValue, kVersion, kCreateRevision, kModRevision };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };
  std::string key;
  Target target = Target::kValue;
  Result result = Result::kEqual;
  std::string value;   // kValue
  int64_t number = 0;  // the other targets
};

struct RequestOp {
  enum class Kind { kRange, kPut, kDelete };
  Kind kind = Kind::kRange;
  std::string key;
  // Empty: `key` alone. Otherwise the half-open range [key, range_end).
  std::string range_end;
  std::string value;  // kPut
};

struct Request {
  std::vector<Compare> compares;
  std::vector<RequestOp> success;
  std::vector<RequestOp> failure;
};

struct ResponseOp {
  std::vector<KeyValue> kvs;  // kRange: the keys found, in key order
  int64_t deleted = 0;        // kDelete
};

struct Response {
  bool succeeded = true;  // which branch ran; true when there are no compares
  std::vector<ResponseOp> ops;
  int64_t revision = 0;  // the response header's revision
};

struct Operation {
  int client = 0;
  // Nanoseconds on one monotonic clock shared by all clients.
  int64_t call_ns = 0;
  int64_t return_ns = 0;
  Request request;
  std::optional<Response> response;  // nothing: indeterminate
};

using History = std::vector<Operation>;

// True when no branch of the request writes (only ranges).
bool IsReadOnly(const Request& request);

// One line of the history file, and back. Keys and values must be valid UTF-8.
std::string ToJsonLine(const Operation& op);
absl::StatusOr<Operation> FromJsonLine(const std::string& line);

absl::Status WriteHistory(const std::filesystem::path& path, const History& history);
absl::StatusOr<History> ReadHistory(const std::filesystem::path& path);

// A short human-readable form, e.g. "c3 put(k1, v7) -> rev 12 [t 1.204s..1.209s]".
std::string Describe(const Operation& op);

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_HISTORY_H_

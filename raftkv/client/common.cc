// The small pieces of the public API: option helpers, txn builders, error predicates.

#include <string>

#include "absl/strings/match.h"
#include "raftkv/errors.h"
#include "raftkv/options.h"
#include "raftkv/txn.h"

namespace raftkv {

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

namespace {
Compare MakeCompare(Compare::Target target, std::string_view key, Compare::Result result,
                    int64_t number) {
  Compare c;
  c.target = target;
  c.key = std::string(key);
  c.result = result;
  c.number = number;
  return c;
}
}  // namespace

Compare Compare::Value(std::string_view key, Result result, std::string_view value) {
  Compare c = MakeCompare(Target::kValue, key, result, 0);
  c.value = std::string(value);
  return c;
}
Compare Compare::Version(std::string_view key, Result result, int64_t version) {
  return MakeCompare(Target::kVersion, key, result, version);
}
Compare Compare::CreateRevision(std::string_view key, Result result, int64_t revision) {
  return MakeCompare(Target::kCreateRevision, key, result, revision);
}
Compare Compare::ModRevision(std::string_view key, Result result, int64_t revision) {
  return MakeCompare(Target::kModRevision, key, result, revision);
}
Compare Compare::Lease(std::string_view key, Result result, int64_t lease) {
  return MakeCompare(Target::kLease, key, result, lease);
}

Op Op::Get(std::string_view key, RangeOptions options) {
  Op op;
  op.type = Type::kGet;
  op.key = std::string(key);
  op.range = std::move(options);
  return op;
}
Op Op::Put(std::string_view key, std::string_view value, PutOptions options) {
  Op op;
  op.type = Type::kPut;
  op.key = std::string(key);
  op.value = std::string(value);
  op.put = options;
  return op;
}
Op Op::Delete(std::string_view key, DeleteOptions options) {
  Op op;
  op.type = Type::kDelete;
  op.key = std::string(key);
  op.del = std::move(options);
  return op;
}

bool IsCompacted(const absl::Status& status) {
  return absl::IsOutOfRange(status) && status.message() == kCompactedMessage;
}
bool IsFutureRevision(const absl::Status& status) {
  return absl::IsOutOfRange(status) && status.message() == kFutureRevisionMessage;
}
bool IsLeaseNotFound(const absl::Status& status) {
  return absl::IsNotFound(status) && status.message() == kLeaseNotFoundMessage;
}
bool IsNoSpace(const absl::Status& status) {
  return absl::IsResourceExhausted(status) && status.message() == kNoSpaceMessage;
}

}  // namespace raftkv

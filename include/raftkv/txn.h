#ifndef RAFTKV_TXN_H_
#define RAFTKV_TXN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "raftkv/key_value.h"
#include "raftkv/options.h"
#include "raftkv/results.h"

namespace raftkv {

// One condition of a transaction, on a key (or on every key of [key, range_end), all of which
// must satisfy it). A missing key has version, create and mod revision 0, lease 0 and never
// matches a value comparison.
struct Compare {
  enum class Result { kEqual, kNotEqual, kGreater, kLess };
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };

  Target target = Target::kVersion;
  Result result = Result::kEqual;
  std::string key{};
  std::string range_end{};
  int64_t number = 0;   // for every target but kValue
  std::string value{};  // for kValue

  static Compare Value(std::string_view key, Result result, std::string_view value);
  static Compare Version(std::string_view key, Result result, int64_t version);
  static Compare CreateRevision(std::string_view key, Result result, int64_t revision);
  static Compare ModRevision(std::string_view key, Result result, int64_t revision);
  static Compare Lease(std::string_view key, Result result, int64_t lease);
};

// One operation of a transaction branch. The deadline fields of its options are ignored:
// the transaction's own call options count.
struct Op {
  enum class Type { kGet, kPut, kDelete };

  Type type = Type::kGet;
  std::string key{};
  std::string value{};  // kPut
  RangeOptions range;   // kGet (serializable is ignored: a txn is always linearizable)
  PutOptions put;       // kPut
  DeleteOptions del;    // kDelete

  static Op Get(std::string_view key, RangeOptions options = {});
  static Op Put(std::string_view key, std::string_view value, PutOptions options = {});
  static Op Delete(std::string_view key, DeleteOptions options = {});
};

// If every compare holds, the `success` ops run, else the `failure` ops; atomically, at one
// revision (writes take a single new revision). A key may be written at most once per branch.
struct TxnRequest {
  std::vector<Compare> compare{};
  std::vector<Op> success{};
  std::vector<Op> failure{};
};

// The result of one op, in the order of the branch that ran; `type` says which field is set.
struct OpResponse {
  Op::Type type = Op::Type::kGet;
  GetResponse get;
  PutResponse put;
  DeleteResponse del;
};

struct TxnResponse {
  ResponseHeader header;
  bool succeeded = false;  // whether the compares held (the success branch ran)
  std::vector<OpResponse> responses;
};

}  // namespace raftkv

#endif  // RAFTKV_TXN_H_

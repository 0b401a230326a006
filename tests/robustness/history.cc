#include "history.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace raftkv::robustness {
namespace {

using nlohmann::json;

const char* TargetName(Compare::Target t) {
  switch (t) {
    case Compare::Target::kValue:
      return "value";
    case Compare::Target::kVersion:
      return "version";
    case Compare::Target::kCreateRevision:
      return "create";
    case Compare::Target::kModRevision:
      return "mod";
  }
  return "?";
}

const char* ResultName(Compare::Result r) {
  switch (r) {
    case Compare::Result::kEqual:
      return "=";
    case Compare::Result::kGreater:
      return ">";
    case Compare::Result::kLess:
      return "<";
    case Compare::Result::kNotEqual:
      return "!=";
  }
  return "?";
}

const char* KindName(RequestOp::Kind k) {
  switch (k) {
    case RequestOp::Kind::kRange:
      return "range";
    case RequestOp::Kind::kPut:
      return "put";
    case RequestOp::Kind::kDelete:
      return "delete";
  }
  return "?";
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(const std::string& name, const Enum (&all)[N],
                               const char* (*name_of)(Enum)) {
  for (Enum e : all) {
    if (name == name_of(e)) return e;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown name \"", name, "\""));
}

constexpr Compare::Target kTargets[] = {Compare::Target::kValue, Compare::Target::kVersion,
                                        Compare::Target::kCreateRevision,
                                        Compare::Target::kModRevision};
constexpr Compare::Result kResults[] = {Compare::Result::kEqual, Compare::Result::kGreater,
                                        Compare::Result::kLess, Compare::Result::kNotEqual};
constexpr RequestOp::Kind kKinds[] = {RequestOp::Kind::kRange, RequestOp::Kind::kPut,
                                      RequestOp::Kind::kDelete};

json OpsToJson(const std::vector<RequestOp>& ops) {
  json out = json::array();
  for (const RequestOp& op : ops) {
    json j = {{"kind", KindName(op.kind)}, {"key", op.key}};
    if (!op.range_end.empty()) j["end"] = op.range_end;
    if (op.kind == RequestOp::Kind::kPut) j["value"] = op.value;
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<std::vector<RequestOp>> OpsFromJson(const json& in) {
  std::vector<RequestOp> ops;
  for (const json& j : in) {
    RequestOp op;
    auto kind = ParseName(j.at("kind").get<std::string>(), kKinds, KindName);
    if (!kind.ok()) return kind.status();
    op.kind = *kind;
    op.key = j.at("key").get<std::string>();
    op.range_end = j.value("end", "");
    op.value = j.value("value", "");
    ops.push_back(std::move(op));
  }
  return ops;
}

std::string DescribeOps(const std::vector<RequestOp>& ops) {
  std::string out;
  for (const RequestOp& op : ops) {
    if (!out.empty()) out += "; ";
    absl::StrAppend(&out, KindName(op.kind), "(", op.key);
    if (!op.range_end.empty()) absl::StrAppend(&out, "..", op.range_end);
    if (op.kind == RequestOp::Kind::kPut) absl::StrAppend(&out, ", ", op.value);
    out += ")";
  }
  return out;
}

std::string DescribeResponseOp(const ResponseOp& op, RequestOp::Kind kind) {
  if (kind == RequestOp::Kind::kDelete) return absl::StrCat("deleted ", op.deleted);
  if (kind == RequestOp::Kind::kPut) return "ok";
  std::string out = "[";
  for (const KeyValue& kv : op.kvs) {
    if (out.size() > 1) out += " ";
    absl::StrAppend(&out, kv.key, "=", kv.value, "@c", kv.create_revision, "/m", kv.mod_revision,
                    "/v", kv.version);
  }
  return out + "]";
}

}  // namespace

bool IsReadOnly(const Request& request) {
  for (const auto* branch : {&request.success, &request.failure}) {
    for (const RequestOp& op : *branch) {
      if (op.kind != RequestOp::Kind::kRange) return false;
    }
  }
  return true;
}

std::string ToJsonLine(const Operation& op) {
  json compares = json::array();
  for (const Compare& c : op.request.compares) {
    json j = {{"key", c.key}, {"target", TargetName(c.target)}, {"result", ResultName(c.result)}};
    if (c.target == Compare::Target::kValue) {
      j["value"] = c.value;
    } else {
      j["number"] = c.number;
    }
    compares.push_back(std::move(j));
  }
  json line = {{"client", op.client},
               {"call", op.call_ns},
               {"return", op.return_ns},
               {"compares", std::move(compares)},
               {"success", OpsToJson(op.request.success)},
               {"failure", OpsToJson(op.request.failure)}};
  if (op.response) {
    json results = json::array();
    for (const ResponseOp& r : op.response->ops) {
      json kvs = json::array();
      for (const KeyValue& kv : r.kvs) {
        kvs.push_back({{"key", kv.key},
                       {"value", kv.value},
                       {"create", kv.create_revision},
                       {"mod", kv.mod_revision},
                       {"version", kv.version}});
      }
      results.push_back({{"kvs", std::move(kvs)}, {"deleted", r.deleted}});
    }
    line["response"] = {{"succeeded", op.response->succeeded},
                        {"revision", op.response->revision},
                        {"ops", std::move(results)}};
  }
  return line.dump();
}

absl::StatusOr<Operation> FromJsonLine(const std::string& text) {
  json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (line.is_discarded() || !line.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  try {
    Operation op;
    op.client = line.at("client").get<int>();
    op.call_ns = line.at("call").get<int64_t>();
    op.return_ns = line.at("return").get<int64_t>();
    for (const json& j : line.at("compares")) {
      Compare c;
      c.key = j.at("key").get<std::string>();
      auto target = ParseName(j.at("target").get<std::string>(), kTargets, TargetName);
      if (!target.ok()) return target.status();
      auto result = ParseName(j.at("result").get<std::string>(), kResults, ResultName);
      if (!result.ok()) return result.status();
      c.target = *target;
      c.result = *result;
      c.value = j.value("value", "");
      c.number = j.value("number", int64_t{0});
      op.request.compares.push_back(std::move(c));
    }
    auto success = OpsFromJson(line.at("success"));
    if (!success.ok()) return success.status();
    auto failure = OpsFromJson(line.at("failure"));
    if (!failure.ok()) return failure.status();
    op.request.success = *std::move(success);
    op.request.failure = *std::move(failure);
    if (line.contains("response")) {
      const json& r = line["response"];
      Response response;
      response.succeeded = r.at("succeeded").get<bool>();
      response.revision = r.at("revision").get<int64_t>();
      for (const json& j : r.at("ops")) {
        ResponseOp result;
        result.deleted = j.value("deleted", int64_t{0});
        for (const json& kv : j.at("kvs")) {
          result.kvs.push_back({kv.at("key").get<std::string>(), kv.at("value").get<std::string>(),
                                kv.at("create").get<int64_t>(), kv.at("mod").get<int64_t>(),
                                kv.at("version").get<int64_t>()});
        }
        response.ops.push_back(std::move(result));
      }
      const auto& branch = response.succeeded ? op.request.success : op.request.failure;
      if (response.ops.size() != branch.size()) {
        return absl::InvalidArgumentError("response ops do not match the branch that ran");
      }
      op.response = std::move(response);
    }
    return op;
  } catch (const json::exception& e) {
    // nlohmann reports a missing or mistyped field only by throwing; it stops here.
    return absl::InvalidArgumentError(e.what());
  }
}

absl::Status WriteHistory(const std::filesystem::path& path, const History& history) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  for (const Operation& op : history)
    out << ToJsonLine(op) << '\n';
  out.flush();
  if (!out) return absl::DataLossError(absl::StrCat("short write to ", path.string()));
  return absl::OkStatus();
}

absl::StatusOr<History> ReadHistory(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  History history;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto op = FromJsonLine(line);
    if (!op.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":", number, ": ", op.status().message()));
    }
    history.push_back(*std::move(op));
  }
  return history;
}

std::string Describe(const Operation& op) {
  std::string out = absl::StrCat("c", op.client, " ");
  const Request& r = op.request;
  if (!r.compares.empty()) {
    out += "txn(if ";
    for (size_t i = 0; i < r.compares.size(); ++i) {
      const Compare& c = r.compares[i];
      if (i > 0) out += " && ";
      absl::StrAppend(&out, TargetName(c.target), "(", c.key, ") ", ResultName(c.result), " ",
                      c.target == Compare::Target::kValue ? c.value : absl::StrCat(c.number));
    }
    absl::StrAppend(&out, " then ", DescribeOps(r.success), " else ", DescribeOps(r.failure), ")");
  } else {
    out += DescribeOps(r.success);
  }
  if (!op.response) {
    out += " -> unknown";
  } else {
    const auto& branch = op.response->succeeded ? r.success : r.failure;
    out += " -> ";
    if (!r.compares.empty()) out += op.response->succeeded ? "then " : "else ";
    for (size_t i = 0; i < branch.size() && i < op.response->ops.size(); ++i) {
      if (i > 0) out += "; ";
      out += DescribeResponseOp(op.response->ops[i], branch[i].kind);
    }
    absl::StrAppend(&out, " @rev ", op.response->revision);
  }
  absl::StrAppendFormat(&out, " [t %.6fs..", static_cast<double>(op.call_ns) / 1e9);
  if (op.response) {
    absl::StrAppendFormat(&out, "%.6fs]", static_cast<double>(op.return_ns) / 1e9);
  } else {
    out += "?]";
  }
  return out;
}

}  // namespace raftkv::robustness

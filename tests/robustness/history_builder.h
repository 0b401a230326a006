// Hand-made histories for the checker's tests: one call per operation, times in plain
// numbers (the checker only compares them).

#ifndef RAFTKV_TESTS_ROBUSTNESS_HISTORY_BUILDER_H_
#define RAFTKV_TESTS_ROBUSTNESS_HISTORY_BUILDER_H_

#include <optional>
#include <string>
#include <utility>

#include "history.h"

namespace raftkv::robustness {

struct Span {
  int64_t call;
  int64_t ret;
};

class HistoryBuilder {
 public:
  HistoryBuilder& Put(int client, Span t, const std::string& key, const std::string& value,
                      int64_t revision) {
    return Add(client, t, Plain({RequestOp::Kind::kPut, key, "", value}),
               Response{true, {ResponseOp{}}, revision});
  }
  // A put whose outcome the client never learned.
  HistoryBuilder& LostPut(int client, int64_t call, const std::string& key,
                          const std::string& value) {
    return Add(client, {call, call}, Plain({RequestOp::Kind::kPut, key, "", value}), std::nullopt);
  }
  HistoryBuilder& Get(int client, Span t, const std::string& key, std::optional<KeyValue> found,
                      int64_t revision) {
    ResponseOp result;
    if (found) result.kvs.push_back(*found);
    return Add(client, t, Plain({RequestOp::Kind::kRange, key, "", ""}),
               Response{true, {result}, revision});
  }
  HistoryBuilder& Range(int client, Span t, const std::string& key, const std::string& end,
                        std::vector<KeyValue> found, int64_t revision) {
    return Add(client, t, Plain({RequestOp::Kind::kRange, key, end, ""}),
               Response{true, {ResponseOp{std::move(found), 0}}, revision});
  }
  HistoryBuilder& Delete(int client, Span t, const std::string& key, int64_t deleted,
                         int64_t revision) {
    return Add(client, t, Plain({RequestOp::Kind::kDelete, key, "", ""}),
               Response{true, {ResponseOp{{}, deleted}}, revision});
  }
  HistoryBuilder& Txn(int client, Span t, Request request, std::optional<Response> response) {
    return Add(client, t, std::move(request), std::move(response));
  }

  History Build() const { return history_; }

 private:
  static Request Plain(RequestOp op) { return Request{{}, {std::move(op)}, {}}; }

  HistoryBuilder& Add(int client, Span t, Request request, std::optional<Response> response) {
    history_.push_back({client, t.call, t.ret, std::move(request), std::move(response)});
    return *this;
  }

  History history_;
};

inline KeyValue Kv(const std::string& key, const std::string& value, int64_t create, int64_t mod,
                   int64_t version) {
  return {key, value, create, mod, version};
}

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_HISTORY_BUILDER_H_

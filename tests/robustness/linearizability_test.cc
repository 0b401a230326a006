#include "linearizability.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <random>

#include "gtest/gtest.h"
#include "history_builder.h"

namespace raftkv::robustness {
namespace {

using Kind = RequestOp::Kind;

void ExpectLinearizable(const History& h) {
  CheckResult r = CheckLinearizable(h);
  EXPECT_EQ(r.verdict, Verdict::kLinearizable) << r.explanation;
}

// Rejected, and the explanation names the operation that gives the anomaly away.
void ExpectViolation(const History& h, size_t culprit) {
  CheckResult r = CheckLinearizable(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_NE(std::find(r.culprits.begin(), r.culprits.end(), culprit), r.culprits.end())
      << "culprit #" << culprit << " not named in:\n"
      << r.explanation;
}

Request CasPut(const std::string& key, const std::string& expected, const std::string& value) {
  return Request{{{key, Compare::Target::kValue, Compare::Result::kEqual, expected, 0}},
                 {{Kind::kPut, key, "", value}},
                 {{Kind::kRange, key, "", ""}}};
}

TEST(Linearizability, SequentialPutGetDelete) {
  ExpectLinearizable(HistoryBuilder()
                         .Put(1, {0, 1}, "k", "v1", 2)
                         .Get(1, {2, 3}, "k", Kv("k", "v1", 2, 2, 1), 2)
                         .Put(1, {4, 5}, "k", "v2", 3)
                         .Get(2, {6, 7}, "k", Kv("k", "v2", 2, 3, 2), 3)
                         .Delete(1, {8, 9}, "k", 1, 4)
                         .Get(2, {10, 11}, "k", std::nullopt, 4)
                         .Delete(1, {12, 13}, "k", 0, 4)
                         .Build());
}

TEST(Linearizability, ConcurrentReadMaySeeEitherWrite) {
  HistoryBuilder base;
  base.Put(1, {0, 10}, "k", "v1", 2).Put(2, {0, 10}, "k", "v2", 3);
  ExpectLinearizable(HistoryBuilder(base).Get(3, {1, 2}, "k", Kv("k", "v1", 2, 2, 1), 2).Build());
  ExpectLinearizable(HistoryBuilder(base).Get(3, {1, 2}, "k", Kv("k", "v2", 2, 3, 2), 3).Build());
  ExpectLinearizable(HistoryBuilder(base).Get(3, {1, 2}, "k", std::nullopt, 1).Build());
}

TEST(Linearizability, RejectsStaleReadAcrossKeys) {
  // The read of b reports a revision older than a write to a that completed before it.
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "b", "v0", 2)
                      .Put(1, {2, 3}, "a", "v1", 3)
                      .Get(2, {4, 5}, "b", Kv("b", "v0", 2, 2, 1), 2)
                      .Build(),
                  2);
}

TEST(Linearizability, RejectsStaleValue) {
  // Revision claimed current, but the value is the overwritten one.
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v1", 2)
                      .Put(1, {2, 3}, "k", "v2", 3)
                      .Get(2, {4, 5}, "k", Kv("k", "v1", 2, 2, 1), 3)
                      .Build(),
                  2);
}

TEST(Linearizability, RejectsLostWrite) {
  ExpectViolation(
      HistoryBuilder().Put(1, {0, 1}, "k", "v1", 2).Get(2, {2, 3}, "k", std::nullopt, 2).Build(),
      1);
}

TEST(Linearizability, RejectsValueNeverWritten) {
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v1", 2)
                      .Get(2, {2, 3}, "k", Kv("k", "ghost", 2, 2, 1), 2)
                      .Build(),
                  1);
}

TEST(Linearizability, RejectsWriteSeenThenUnseen) {
  // The put is long, so either order is fine for each read alone; not for both.
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 100}, "k", "v1", 2)
                      .Get(2, {10, 11}, "k", Kv("k", "v1", 2, 2, 1), 2)
                      .Get(3, {20, 21}, "k", std::nullopt, 2)
                      .Build(),
                  2);
}

TEST(Linearizability, RejectsWrongMetadata) {
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v1", 2)
                      .Put(1, {2, 3}, "k", "v2", 3)
                      .Get(2, {4, 5}, "k", Kv("k", "v2", 2, 3, 1), 3)  // version 2, not 1
                      .Build(),
                  2);
}

TEST(Linearizability, RejectsTwoWritesAtOneRevision) {
  ExpectViolation(
      HistoryBuilder().Put(1, {0, 1}, "a", "v1", 2).Put(2, {0, 1}, "b", "v2", 2).Build(), 1);
}

TEST(Linearizability, RejectsWrongDeleteCount) {
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v1", 2)
                      .Delete(1, {2, 3}, "k", 1, 3)
                      .Delete(2, {4, 5}, "k", 1, 4)
                      .Build(),
                  2);
}

TEST(Linearizability, CompareAndSetChain) {
  ExpectLinearizable(
      HistoryBuilder()
          .Put(1, {0, 1}, "k", "v0", 2)
          .Txn(1, {2, 10}, CasPut("k", "v0", "vA"), Response{true, {ResponseOp{}}, 3})
          .Txn(2, {2, 10}, CasPut("k", "v0", "vB"),
               Response{false, {ResponseOp{{Kv("k", "vA", 2, 3, 2)}, 0}}, 3})
          .Build());
}

TEST(Linearizability, RejectsTwoCompareAndSetsFromOneValue) {
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v0", 2)
                      .Txn(1, {2, 10}, CasPut("k", "v0", "vA"), Response{true, {ResponseOp{}}, 3})
                      .Txn(2, {2, 10}, CasPut("k", "v0", "vB"), Response{true, {ResponseOp{}}, 4})
                      .Build(),
                  2);
}

TEST(Linearizability, RejectsTxnThatTookTheWrongBranch) {
  // Compare on mod revision: k was written at 2, so "mod(k) = 3" is false.
  Request request{{{"k", Compare::Target::kModRevision, Compare::Result::kEqual, "", 3}},
                  {{Kind::kPut, "k", "", "v1"}},
                  {}};
  ExpectViolation(HistoryBuilder()
                      .Put(1, {0, 1}, "k", "v0", 2)
                      .Txn(1, {2, 3}, request, Response{true, {ResponseOp{}}, 3})
                      .Build(),
                  1);
}

TEST(Linearizability, MultiKeyTxnIsAtomic) {
  // A txn moves a token from a to b; a range over both must never see it in neither place.
  Request move{{{"a", Compare::Target::kValue, Compare::Result::kEqual, "token", 0}},
               {{Kind::kDelete, "a", "", ""}, {Kind::kPut, "b", "", "token2"}},
               {}};
  HistoryBuilder base;
  base.Put(1, {0, 1}, "a", "token", 2)
      .Txn(1, {2, 10}, move, Response{true, {ResponseOp{{}, 1}, ResponseOp{}}, 3});
  ExpectLinearizable(
      HistoryBuilder(base).Range(2, {3, 4}, "a", "c", {Kv("b", "token2", 3, 3, 1)}, 3).Build());
  ExpectLinearizable(
      HistoryBuilder(base).Range(2, {3, 4}, "a", "c", {Kv("a", "token", 2, 2, 1)}, 2).Build());
  ExpectViolation(HistoryBuilder(base).Range(2, {3, 4}, "a", "c", {}, 3).Build(), 2);
}

TEST(Linearizability, IndeterminatePutMayHaveHappened) {
  ExpectLinearizable(HistoryBuilder()
                         .LostPut(1, 0, "k", "v1")
                         .Get(2, {5, 6}, "k", std::nullopt, 1)
                         .Get(2, {7, 8}, "k", Kv("k", "v1", 2, 2, 1), 2)
                         .Build());
}

TEST(Linearizability, IndeterminatePutNeedNotHaveHappened) {
  ExpectLinearizable(HistoryBuilder()
                         .LostPut(1, 0, "k", "v1")
                         .Put(2, {5, 6}, "k", "v2", 2)
                         .Get(2, {7, 8}, "k", Kv("k", "v2", 2, 2, 1), 2)
                         .Build());
}

TEST(Linearizability, IndeterminatePutMustHaveHappened) {
  // Version 2 means two puts; only the lost one can be the other (the fast pass that leaves
  // unobserved lost writes out fails here, the exact pass must accept).
  ExpectLinearizable(HistoryBuilder()
                         .LostPut(1, 0, "k", "lost")
                         .Put(2, {5, 6}, "k", "v2", 4)
                         .Get(2, {7, 8}, "k", Kv("k", "v2", 3, 4, 2), 4)
                         .Build());
}

TEST(Linearizability, RejectsIndeterminatePutSeenBeforeItsInvocation) {
  ExpectViolation(HistoryBuilder()
                      .Get(2, {0, 1}, "k", Kv("k", "v1", 2, 2, 1), 2)
                      .LostPut(1, 5, "k", "v1")
                      .Build(),
                  0);
}

TEST(Linearizability, RejectsIndeterminatePutSeenThenUnseen) {
  ExpectViolation(HistoryBuilder()
                      .LostPut(1, 0, "k", "v1")
                      .Get(2, {5, 6}, "k", Kv("k", "v1", 2, 2, 1), 2)
                      .Get(2, {7, 8}, "k", std::nullopt, 2)
                      .Build(),
                  2);
}

TEST(History, JsonLinesRoundTrip) {
  History h = HistoryBuilder()
                  .Put(1, {0, 1}, "k", "v\"1\n", 2)
                  .LostPut(2, 3, "k", "v2")
                  .Txn(3, {4, 5}, CasPut("k", "v0", "vA"),
                       Response{false, {ResponseOp{{Kv("k", "v\"1\n", 2, 2, 1)}, 0}}, 2})
                  .Delete(1, {6, 7}, "k", 1, 3)
                  .Build();
  const auto path = std::filesystem::path(::testing::TempDir()) / "history.jsonl";
  ASSERT_TRUE(WriteHistory(path, h).ok());
  auto back = ReadHistory(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), h.size());
  for (size_t i = 0; i < h.size(); ++i)
    EXPECT_EQ(ToJsonLine((*back)[i]), ToJsonLine(h[i]));
  EXPECT_FALSE(FromJsonLine("{\"client\": 1}").ok());
  EXPECT_FALSE(FromJsonLine("not json").ok());
}

// ---------------------------------------------------------------------------------------
// Random histories that are linearizable by construction: each operation takes effect at a
// random point inside its interval, on a sequential model of etcd's store. The checker must
// accept every one (no false alarm) and do it quickly at the size of a soak run.

class SequentialStore {
 public:
  Response Execute(const Request& request) {
    bool succeeded = true;
    for (const Compare& c : request.compares)
      succeeded = succeeded && Holds(c);
    const auto& ops = succeeded ? request.success : request.failure;
    Response response{succeeded, {}, revision_};
    const int64_t next = revision_ + 1;
    bool wrote = false;
    for (const RequestOp& op : ops) {
      ResponseOp result;
      auto first = kvs_.lower_bound(op.key);
      auto last = op.range_end.empty() ? kvs_.upper_bound(op.key) : kvs_.lower_bound(op.range_end);
      if (op.kind == Kind::kRange) {
        for (auto it = first; it != last; ++it)
          result.kvs.push_back(it->second);
      } else if (op.kind == Kind::kDelete) {
        result.deleted = std::distance(first, last);
        kvs_.erase(first, last);
        wrote = wrote || result.deleted > 0;
      } else {
        KeyValue& kv = kvs_[op.key];
        if (kv.version == 0) kv = KeyValue{op.key, "", next, 0, 0};
        kv.value = op.value;
        kv.mod_revision = next;
        ++kv.version;
        wrote = true;
      }
      response.ops.push_back(std::move(result));
    }
    if (wrote) revision_ = response.revision = next;
    return response;
  }

  std::optional<KeyValue> Get(const std::string& key) const {
    auto it = kvs_.find(key);
    return it == kvs_.end() ? std::nullopt : std::optional<KeyValue>(it->second);
  }

 private:
  bool Holds(const Compare& c) const {
    auto it = kvs_.find(c.key);
    if (it == kvs_.end() && c.target == Compare::Target::kValue) return false;
    KeyValue kv = it == kvs_.end() ? KeyValue{} : it->second;
    auto cmp = [&](auto a, auto b) {
      switch (c.result) {
        case Compare::Result::kEqual:
          return a == b;
        case Compare::Result::kGreater:
          return a > b;
        case Compare::Result::kLess:
          return a < b;
        case Compare::Result::kNotEqual:
          return a != b;
      }
      return false;
    };
    switch (c.target) {
      case Compare::Target::kValue:
        return cmp(kv.value, c.value);
      case Compare::Target::kVersion:
        return cmp(kv.version, c.number);
      case Compare::Target::kCreateRevision:
        return cmp(kv.create_revision, c.number);
      case Compare::Target::kModRevision:
        return cmp(kv.mod_revision, c.number);
    }
    return false;
  }

  std::map<std::string, KeyValue> kvs_;
  int64_t revision_ = 1;
};

History RandomLinearizableHistory(uint32_t seed, int clients, int ops_per_client,
                                  double lost_fraction) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  auto pick = [&](int n) { return std::uniform_int_distribution<>(0, n - 1)(rng); };
  constexpr int kGroups = 8, kKeysPerGroup = 3;
  struct Planned {
    Operation op;
    int64_t effect;  // when it takes effect; -1: a lost op that never did
    bool lost;       // the client never learns the outcome
  };
  std::vector<Planned> planned;
  int value_counter = 0;
  for (int c = 0; c < clients; ++c) {
    int64_t t = pick(100);
    for (int i = 0; i < ops_per_client; ++i) {
      const std::string group = "g" + std::to_string(pick(kGroups)) + "/";
      auto key = [&] { return group + std::to_string(pick(kKeysPerGroup)); };
      Request r;
      const int kind = pick(100);
      const std::string value = "v" + std::to_string(value_counter++);
      if (kind < 35) {
        r.success = {{Kind::kPut, key(), "", value}};
      } else if (kind < 65) {
        r.success = {{Kind::kRange, key(), "", ""}};
      } else if (kind < 70) {
        r.success = {{Kind::kDelete, key(), "", ""}};
      } else if (kind < 80) {
        r.success = {{Kind::kRange, group, group + "~", ""}};
      } else {
        const std::string k = key();
        auto target = static_cast<Compare::Target>(pick(4));
        r.compares = {{k, target, static_cast<Compare::Result>(pick(4)),
                       "v" + std::to_string(std::max(0, value_counter - 1 - pick(30))), pick(6)}};
        r.success = {{Kind::kPut, k, "", value}, {Kind::kRange, key(), "", ""}};
        r.failure = {{Kind::kRange, k, "", ""}};
      }
      const int64_t call = t;
      const int64_t ret = call + 1 + pick(50);
      t = ret + pick(5);
      const bool lost = chance(lost_fraction);
      planned.push_back({Operation{c, call, ret, std::move(r), std::nullopt},
                         lost && chance(0.5) ? -1 : call + pick(static_cast<int>(ret - call)),
                         lost});
    }
  }
  std::vector<size_t> order(planned.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return planned[a].effect < planned[b].effect; });
  SequentialStore store;
  History h;
  for (size_t i : order) {
    Planned& p = planned[i];
    if (p.effect >= 0) {
      Response response = store.Execute(p.op.request);
      if (!p.lost) p.op.response = std::move(response);
    }
    h.push_back(std::move(p.op));
  }
  return h;
}

TEST(Linearizability, AcceptsRandomLinearizableHistories) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const double lost = seed % 3 == 0 ? 0.1 : seed % 2 ? 0.05 : 0.0;
    History h = RandomLinearizableHistory(seed, 6, 200, lost);
    CheckResult r = CheckLinearizable(h);
    EXPECT_EQ(r.verdict, Verdict::kLinearizable) << "seed " << seed << ":\n" << r.explanation;
  }
}

TEST(Linearizability, ChecksTwentyThousandOperations) {
  History h = RandomLinearizableHistory(7, 16, 1250, 0.02);
  const auto start = std::chrono::steady_clock::now();
  CheckResult r = CheckLinearizable(h);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  EXPECT_EQ(r.verdict, Verdict::kLinearizable) << r.explanation;
  std::cout << h.size() << " operations, " << r.partitions << " partitions (largest "
            << r.largest_partition << "), " << r.search_steps << " search steps, " << took.count()
            << " ms\n";
}

TEST(Linearizability, RejectsCorruptedRandomHistory) {
  // A read that returns a value written only after the read completed is never linearizable.
  History h = RandomLinearizableHistory(3, 6, 200, 0.0);
  std::map<std::string, std::pair<std::string, int64_t>> last_put;  // key -> value, call time
  for (const Operation& op : h) {
    if (op.request.compares.empty() && op.request.success[0].kind == Kind::kPut) {
      last_put[op.request.success[0].key] = {op.request.success[0].value, op.call_ns};
    }
  }
  for (size_t i = 0; i < h.size(); ++i) {
    Operation& op = h[i];
    if (!op.request.compares.empty() || op.request.success[0].kind != Kind::kRange ||
        !op.request.success[0].range_end.empty() || op.response->ops[0].kvs.empty()) {
      continue;
    }
    auto it = last_put.find(op.request.success[0].key);
    if (it == last_put.end() || it->second.second <= op.return_ns) continue;
    op.response->ops[0].kvs[0].value = it->second.first;
    CheckResult r = CheckLinearizable(h);
    EXPECT_EQ(r.verdict, Verdict::kViolation);
    return;
  }
  FAIL() << "no read to corrupt";
}

}  // namespace
}  // namespace raftkv::robustness

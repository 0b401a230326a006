// Randomized: the store against a plain in-memory model of etcd's MVCC semantics over
// thousands of operations (puts, deletes, txns, ranges at past revisions, compactions,
// restarts, checkpoints).

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "fixture.h"
#include "raftkv/mvcc/errors.h"

namespace raftkv::mvcc::testing {
namespace {

using etcdserverpb::RangeRequest;

// Every version of every key, the obvious way.
class Model {
 public:
  int64_t revision() const { return revision_; }
  int64_t compact_revision() const { return compact_; }

  std::optional<mvccpb::KeyValue> Latest(const std::string& key, int64_t at) const {
    auto it = history_.find(key);
    if (it == history_.end()) return std::nullopt;
    std::optional<mvccpb::KeyValue> found;
    for (const auto& [kv, tombstone] : it->second) {
      if (kv.mod_revision() > at) break;
      found = tombstone ? std::nullopt : std::optional<mvccpb::KeyValue>(kv);
    }
    return found;
  }
  std::vector<mvccpb::KeyValue> Live(const std::string& key, const std::string& end,
                                     int64_t at) const {
    std::vector<mvccpb::KeyValue> kvs;
    for (const auto& [k, versions] : history_) {
      if (!KeyRange{key, end}.Contains(k)) continue;
      if (auto kv = Latest(k, at)) kvs.push_back(*kv);
    }
    return kvs;
  }
  // One write request's changes happen at the next revision.
  void Put(const std::string& key, const std::string& value, int64_t lease, int64_t sub) {
    auto previous = Latest(key, revision_ + 1);
    mvccpb::KeyValue kv;
    kv.set_key(key);
    kv.set_value(value);
    kv.set_lease(lease);
    kv.set_mod_revision(revision_ + 1);
    kv.set_create_revision(previous ? previous->create_revision() : revision_ + 1);
    kv.set_version(previous ? previous->version() + 1 : 1);
    history_[key].push_back({kv, false});
    (void)sub;
  }
  int64_t Delete(const std::string& key, const std::string& end) {
    auto live = Live(key, end, revision_ + 1);
    for (const auto& kv : live) {
      mvccpb::KeyValue tomb;
      tomb.set_key(kv.key());
      tomb.set_mod_revision(revision_ + 1);
      history_[kv.key()].push_back({tomb, true});
    }
    return static_cast<int64_t>(live.size());
  }
  void Bump() { ++revision_; }
  void Compact(int64_t revision) { compact_ = revision; }

  RangeRequest::SortTarget target = RangeRequest::KEY;

 private:
  std::map<std::string, std::vector<std::pair<mvccpb::KeyValue, bool>>> history_;
  int64_t revision_ = 1;
  int64_t compact_ = 0;
};

std::string Describe(const mvccpb::KeyValue& kv) {
  return kv.key() + "=" + kv.value() + " c" + std::to_string(kv.create_revision()) + " m" +
         std::to_string(kv.mod_revision()) + " v" + std::to_string(kv.version()) + " l" +
         std::to_string(kv.lease());
}

class ModelTest : public StoreTest {
 protected:
  std::mt19937_64 rng_{20240611};
  Model model_;

  int Uniform(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  std::string RandomKey() {
    char key[8];
    snprintf(key, sizeof key, "k%02d", Uniform(40));
    return key;
  }
  std::string RandomEnd(const std::string& key) {
    switch (Uniform(4)) {
      case 0:
        return "";
      case 1:
        return std::string("\0", 1);
      default: {
        std::string end = RandomKey();
        return end > key ? end : key + "5";
      }
    }
  }

  void RandomPut(ApplyBatch& batch) {
    const std::string key = RandomKey();
    const std::string value = "v" + std::to_string(Uniform(1000));
    const int64_t lease = Uniform(3) == 0 ? Uniform(4) : 0;
    ASSERT_TRUE(batch.Put(PutReq(key, value, lease)).ok());
    model_.Put(key, value, lease, 0);
    model_.Bump();
  }

  void RandomDelete(ApplyBatch& batch) {
    const std::string key = RandomKey();
    const std::string end = Uniform(2) ? RandomEnd(key) : "";
    auto response = batch.DeleteRange(DeleteReq(key, end));
    ASSERT_TRUE(response.ok());
    const int64_t deleted = model_.Delete(key, end);
    ASSERT_EQ(response->deleted(), deleted);
    if (deleted > 0) model_.Bump();
    ASSERT_EQ(response->header().revision(), model_.revision());
  }

  void RandomTxn(ApplyBatch& batch) {
    const std::string key = RandomKey();
    auto current = model_.Latest(key, model_.revision());
    const int64_t guess = current && Uniform(2) ? current->version() : Uniform(3);
    etcdserverpb::TxnRequest request;
    auto* compare = request.add_compare();
    compare->set_key(key);
    compare->set_target(etcdserverpb::Compare::VERSION);
    compare->set_result(etcdserverpb::Compare::EQUAL);
    compare->set_version(guess);
    const std::string a = RandomKey(), b = a + "x";
    *request.add_success()->mutable_request_put() = PutReq(a, "t1");
    *request.add_success()->mutable_request_put() = PutReq(b, "t2");
    *request.add_failure()->mutable_request_delete_range() = DeleteReq(key);
    auto response = batch.Txn(request);
    ASSERT_TRUE(response.ok());
    const bool expect = (current ? current->version() : 0) == guess;
    ASSERT_EQ(response->succeeded(), expect);
    if (expect) {
      model_.Put(a, "t1", 0, 0);
      model_.Put(b, "t2", 0, 1);
      model_.Bump();
    } else if (model_.Delete(key, "") > 0) {
      model_.Bump();
    }
    ASSERT_EQ(response->header().revision(), model_.revision());
  }

  void RandomCompact(ApplyBatch& batch) {
    const int64_t low = model_.compact_revision() + 1;
    if (low > model_.revision()) return;
    const int64_t target = low + Uniform(static_cast<int>(model_.revision() - low + 1));
    etcdserverpb::CompactionRequest request;
    request.set_revision(target);
    ASSERT_TRUE(batch.Compact(request).ok());
    model_.Compact(target);
  }

  void CheckRandomRange() {
    RangeRequest request = RangeReq(RandomKey());
    request.set_range_end(RandomEnd(request.key()));
    const int64_t low = std::max<int64_t>(model_.compact_revision(), 1);
    if (Uniform(2)) {
      request.set_revision(low + Uniform(static_cast<int>(model_.revision() - low + 1)));
    }
    request.set_limit(Uniform(3) == 0 ? 1 + Uniform(4) : 0);
    const bool sort_by_mod = Uniform(3) == 0;
    if (sort_by_mod) {
      request.set_sort_target(RangeRequest::MOD);
      request.set_sort_order(RangeRequest::DESCEND);
    }
    const int flags = Uniform(8);
    request.set_keys_only(flags == 0);
    request.set_count_only(flags == 1);
    auto response = store_->Range(request);
    ASSERT_TRUE(response.ok()) << response.status();
    const int64_t at = request.revision() == 0 ? model_.revision() : request.revision();
    std::vector<mvccpb::KeyValue> expected = model_.Live(request.key(), request.range_end(), at);
    ASSERT_EQ(response->count(), static_cast<int64_t>(expected.size()));
    if (sort_by_mod) {
      std::stable_sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
        return x.mod_revision() > y.mod_revision();
      });
    }
    if (request.count_only()) expected.clear();
    if (request.keys_only()) {
      for (auto& kv : expected)
        kv.clear_value();
    }
    const bool more =
        request.limit() > 0 && static_cast<int64_t>(expected.size()) > request.limit();
    if (more) expected.resize(request.limit());
    ASSERT_EQ(response->more(), more);
    ASSERT_EQ(response->kvs_size(), static_cast<int>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(Describe(response->kvs(static_cast<int>(i))), Describe(expected[i])) << "at " << at;
    }
    ASSERT_EQ(response->header().revision(), model_.revision());
  }

  void CheckCompactedReadsFail() {
    if (model_.compact_revision() <= 1) return;
    auto response = store_->Range(RangeReq("k00", "", model_.compact_revision() - 1));
    ASSERT_TRUE(IsCompacted(response.status()));
  }
};

TEST_F(ModelTest, ThousandsOfRandomOperations) {
  const int kBatches = 3000;
  for (int round = 0; round < kBatches; ++round) {
    ApplyBatch batch = store_->BeginApply();
    const int ops = 1 + Uniform(4);
    for (int i = 0; i < ops; ++i) {
      const int dice = Uniform(100);
      if (dice < 50) {
        ASSERT_NO_FATAL_FAILURE(RandomPut(batch));
      } else if (dice < 70) {
        ASSERT_NO_FATAL_FAILURE(RandomDelete(batch));
      } else if (dice < 95) {
        ASSERT_NO_FATAL_FAILURE(RandomTxn(batch));
      } else if (dice < 97) {
        ASSERT_NO_FATAL_FAILURE(RandomCompact(batch));
      }
    }
    ASSERT_EQ(batch.revision(), model_.revision());
    ASSERT_TRUE(batch.Commit({++index_, 1}).ok());
    ASSERT_EQ(store_->CurrentRevision(), model_.revision());
    for (int i = 0; i < 3; ++i)
      ASSERT_NO_FATAL_FAILURE(CheckRandomRange());
    ASSERT_NO_FATAL_FAILURE(CheckCompactedReadsFail());
    if (round % 400 == 399) {
      Reopen();
      ASSERT_EQ(store_->CurrentRevision(), model_.revision());
      ASSERT_EQ(store_->CompactRevision(), model_.compact_revision());
      ASSERT_EQ(store_->applied().index, index_);
    }
    if (round % 1000 == 999) {  // a checkpoint answers like the store
      const std::string path = dir_.path("checkpoint" + std::to_string(round));
      ASSERT_TRUE(store_->CreateCheckpoint(path).ok());
      auto copy = OpenStore(path);
      ASSERT_EQ(copy->HashKV(0)->hash, store_->HashKV(0)->hash);
    }
  }
}

}  // namespace
}  // namespace raftkv::mvcc::testing

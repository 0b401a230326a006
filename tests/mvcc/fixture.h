#ifndef RAFTKV_TESTS_MVCC_FIXTURE_H_
#define RAFTKV_TESTS_MVCC_FIXTURE_H_

#include <string>
#include <vector>

#include "test_util.h"

namespace raftkv::mvcc::testing {

// A store where each call is one committed entry (its own ApplyBatch).
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenStore(dir_.path()); }

  template <typename Fn>
  auto Apply(Fn&& fn) {
    ApplyBatch batch = store_->BeginApply();
    auto result = fn(batch);
    EXPECT_TRUE(batch.Commit({++index_, 1}).ok());
    return result;
  }

  etcdserverpb::PutResponse Put(const std::string& key, const std::string& value,
                                int64_t lease = 0) {
    auto response = Apply([&](ApplyBatch& b) { return b.Put(PutReq(key, value, lease)); });
    EXPECT_TRUE(response.ok()) << response.status();
    return response.value_or(etcdserverpb::PutResponse());
  }
  absl::StatusOr<etcdserverpb::PutResponse> PutWith(const etcdserverpb::PutRequest& request) {
    return Apply([&](ApplyBatch& b) { return b.Put(request); });
  }
  etcdserverpb::DeleteRangeResponse Delete(const std::string& key, const std::string& end = "",
                                           bool prev_kv = false) {
    auto request = DeleteReq(key, end);
    request.set_prev_kv(prev_kv);
    auto response = Apply([&](ApplyBatch& b) { return b.DeleteRange(request); });
    EXPECT_TRUE(response.ok()) << response.status();
    return response.value_or(etcdserverpb::DeleteRangeResponse());
  }
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request) {
    return Apply([&](ApplyBatch& b) { return b.Txn(request); });
  }
  absl::Status Compact(int64_t revision) {
    etcdserverpb::CompactionRequest request;
    request.set_revision(revision);
    return Apply([&](ApplyBatch& b) { return b.Compact(request); }).status();
  }
  etcdserverpb::RangeResponse Get(const etcdserverpb::RangeRequest& request) {
    auto response = store_->Range(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.value_or(etcdserverpb::RangeResponse());
  }
  std::vector<std::string> Keys(const etcdserverpb::RangeResponse& response) {
    std::vector<std::string> keys;
    for (const auto& kv : response.kvs())
      keys.push_back(kv.key());
    return keys;
  }
  void Reopen() {
    store_.reset();
    store_ = OpenStore(dir_.path());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  uint64_t index_ = 0;
};

}  // namespace raftkv::mvcc::testing

#endif  // RAFTKV_TESTS_MVCC_FIXTURE_H_

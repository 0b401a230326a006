#ifndef RAFTKV_TESTS_MVCC_TEST_UTIL_H_
#define RAFTKV_TESTS_MVCC_TEST_UTIL_H_

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "raftkv/mvcc/store.h"

namespace raftkv::mvcc::testing {

// A fresh directory under the build tree, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(RAFTKV_TEST_TMP_DIR) /
            (std::string(info ? info->name() : "t") + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& child = "db") const { return (path_ / child).string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<Store> OpenStore(const std::string& dir, WatchHubOptions watch = {}) {
  StoreOptions options;
  options.dir = dir;
  options.watch = watch;
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

inline etcdserverpb::PutRequest PutReq(const std::string& key, const std::string& value,
                                       int64_t lease = 0) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  return request;
}

inline etcdserverpb::RangeRequest RangeReq(const std::string& key, const std::string& end = "",
                                           int64_t revision = 0) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  request.set_range_end(end);
  request.set_revision(revision);
  return request;
}

inline etcdserverpb::DeleteRangeRequest DeleteReq(const std::string& key,
                                                  const std::string& end = "") {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  request.set_range_end(end);
  return request;
}

}  // namespace raftkv::mvcc::testing

#endif  // RAFTKV_TESTS_MVCC_TEST_UTIL_H_

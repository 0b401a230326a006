// A steady write load on a LocalCluster: a few threads each putting keys of its own
// ("<prefix><thread>/<sequence>"), remembering which puts the cluster acknowledged. A put that
// fails is not retried under the same key; it may or may not have been applied.

#ifndef RAFTKV_TESTS_INTEGRATION_WRITE_LOAD_H_
#define RAFTKV_TESTS_INTEGRATION_WRITE_LOAD_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster_harness.h"

namespace raftkv::integration {

class WriteLoad {
 public:
  WriteLoad(LocalCluster& cluster, std::string prefix, int threads);
  ~WriteLoad();  // Stop()
  WriteLoad(const WriteLoad&) = delete;
  WriteLoad& operator=(const WriteLoad&) = delete;

  void Stop();
  size_t acknowledged() const;
  size_t failed() const { return failed_; }
  std::vector<std::string> AcknowledgedKeys() const;
  const std::string& prefix() const { return prefix_; }
  // Waits until `more` puts beyond those acknowledged now are acknowledged.
  ::testing::AssertionResult WaitForProgress(size_t more, Deadline deadline) const;

 private:
  void Run(int thread);

  LocalCluster& cluster_;
  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> failed_{0};
  mutable std::mutex mu_;
  std::vector<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

}  // namespace raftkv::integration

#endif  // RAFTKV_TESTS_INTEGRATION_WRITE_LOAD_H_

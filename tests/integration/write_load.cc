#include "write_load.h"

#include <cstdio>

namespace raftkv::integration {

WriteLoad::WriteLoad(LocalCluster& cluster, std::string prefix, int threads)
    : cluster_(cluster), prefix_(std::move(prefix)) {
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, t] { Run(t); });
}

WriteLoad::~WriteLoad() {
  Stop();
}

void WriteLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WriteLoad::Run(int thread) {
  for (int sequence = 0; !stop_; ++sequence) {
    char key[64];
    std::snprintf(key, sizeof(key), "%s%02d/%08d", prefix_.c_str(), thread, sequence);
    // One per-call deadline per member tried; a put still failing after two seconds (the
    // whole cluster down, say) is given up under this key.
    grpc::Status status = cluster_.Put(key, "value-of-" + std::string(key), In(milliseconds(2000)));
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      acknowledged_.push_back(key);
    } else {
      ++failed_;
    }
  }
}

size_t WriteLoad::acknowledged() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledged_.size();
}

std::vector<std::string> WriteLoad::AcknowledgedKeys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledged_;
}

::testing::AssertionResult WriteLoad::WaitForProgress(size_t more, Deadline deadline) const {
  const size_t target = acknowledged() + more;
  while (acknowledged() < target) {
    if (Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "writes stalled: " << acknowledged() << " acknowledged, waiting for " << target
             << " (" << failed_ << " failed)";
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return ::testing::AssertionSuccess();
}

}  // namespace raftkv::integration

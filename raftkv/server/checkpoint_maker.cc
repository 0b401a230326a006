#include "raftkv/server/checkpoint_maker.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include "raftkv/mvcc/store.h"

namespace raftkv::server {

CheckpointMaker::CheckpointMaker(mvcc::Store* store, std::string dir, Done done)
    : store_(store), dir_(std::move(dir)), done_(std::move(done)), thread_([this] { Loop(); }) {}

CheckpointMaker::~CheckpointMaker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool CheckpointMaker::TryStart(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (job_ || stopping_) return false;
    job_ = std::move(job);
  }
  changed_.notify_all();
  return true;
}

void CheckpointMaker::WaitIdle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !job_; });
}

void CheckpointMaker::Loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return job_ || stopping_; });
    if (!job_) return;
    const Job job = *job_;
    lock.unlock();
    Make(job);
    lock.lock();
    job_.reset();
    changed_.notify_all();
  }
}

void CheckpointMaker::Make(const Job& job) {
  const std::string dir = (std::filesystem::path(dir_) / job.name).string();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  const auto started = std::chrono::steady_clock::now();
  const absl::Status status = store_->CreateCheckpoint(dir);
  done_(job, status,
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                              started));
}

}  // namespace raftkv::server

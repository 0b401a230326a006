#ifndef RAFTKV_CLIENT_EXECUTOR_H_
#define RAFTKV_CLIENT_EXECUTOR_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace raftkv::internal {

// A fixed set of threads running submitted tasks in order of submission. The destructor runs
// every task already submitted, then joins.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace raftkv::internal

#endif  // RAFTKV_CLIENT_EXECUTOR_H_

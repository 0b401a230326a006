// A few threads drive every client of `raftkv-bench` through gRPC completion queues, so a
// thousand concurrent clients cost a thousand small state machines, not a thousand threads.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>
#include <vector>

namespace raftkv::bench {

// Every tag put on a completion queue is a CompletionHandler: the owner of the operation that
// completed. It runs on the queue's thread.
class CompletionHandler {
 public:
  virtual void OnComplete(bool ok) = 0;

 protected:
  ~CompletionHandler() = default;
};

class CompletionThreads {
 public:
  explicit CompletionThreads(int threads);
  ~CompletionThreads();
  CompletionThreads(const CompletionThreads&) = delete;
  CompletionThreads& operator=(const CompletionThreads&) = delete;

  // Queue for the `index`-th client (round-robin over the threads).
  grpc::CompletionQueue* QueueFor(size_t index) { return queues_[index % queues_.size()].get(); }

  // Shuts the queues down and joins the threads once every pending operation has completed.
  void Stop();

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

}  // namespace raftkv::bench

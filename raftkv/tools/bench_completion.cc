#include "bench_completion.h"

#include <algorithm>

namespace raftkv::bench {
namespace {

void Drive(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
    static_cast<CompletionHandler*>(tag)->OnComplete(ok);
  }
}

}  // namespace

CompletionThreads::CompletionThreads(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  for (auto& queue : queues_) {
    threads_.emplace_back(Drive, queue.get());
  }
}

CompletionThreads::~CompletionThreads() {
  Stop();
}

void CompletionThreads::Stop() {
  if (threads_.empty()) return;
  for (auto& queue : queues_)
    queue->Shutdown();
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
}

}  // namespace raftkv::bench

#ifndef RAFTKV_EMBED_DEADLINE_TIMER_H_
#define RAFTKV_EMBED_DEADLINE_TIMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "raftkv/options.h"

namespace raftkv::internal {

// Runs callbacks at deadlines, on one thread of its own. The destructor drops what has not
// fired yet.
class DeadlineTimer {
 public:
  using Id = std::pair<Deadline, uint64_t>;

  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Calls `fire` at `deadline` unless Cancel(id) comes first.
  Id At(Deadline deadline, std::function<void()> fire);
  void Cancel(const Id& id);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<Id, std::function<void()>> pending_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace raftkv::internal

#endif  // RAFTKV_EMBED_DEADLINE_TIMER_H_

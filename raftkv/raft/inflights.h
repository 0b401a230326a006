#ifndef RAFTKV_RAFT_INFLIGHTS_H_
#define RAFTKV_RAFT_INFLIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace raftkv::raft {

// The appends sent to one follower and not yet acknowledged: a bounded window by count and,
// optionally, by bytes. Each element is the last index of one MsgApp.
class Inflights {
 public:
  // max_bytes == 0 means no byte limit.
  Inflights(size_t max_count, uint64_t max_bytes) : size_(max_count), max_bytes_(max_bytes) {}

  void Add(uint64_t index, uint64_t bytes);
  // Frees every inflight append with index <= to.
  void FreeLE(uint64_t to);
  // Frees the oldest inflight append (a heartbeat response proves the follower is alive).
  void FreeFirstOne();
  bool Full() const { return count_ == size_ || (max_bytes_ != 0 && bytes_ >= max_bytes_); }
  size_t Count() const { return count_; }
  void Reset() {
    count_ = 0;
    start_ = 0;
    bytes_ = 0;
  }

 private:
  struct Flight {
    uint64_t index;
    uint64_t bytes;
  };
  size_t start_ = 0;
  size_t count_ = 0;
  uint64_t bytes_ = 0;
  size_t size_;
  uint64_t max_bytes_;
  std::vector<Flight> buffer_;  // ring buffer, grown on demand up to size_
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_INFLIGHTS_H_

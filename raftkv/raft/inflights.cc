#include "raftkv/raft/inflights.h"

#include <algorithm>

#include "raftkv/raft/panic.h"

namespace raftkv::raft {

void Inflights::Add(uint64_t index, uint64_t bytes) {
  RAFT_ASSERT(count_ < size_, "cannot add into a full inflights window");
  size_t next = start_ + count_;
  if (next >= size_) next -= size_;
  if (next >= buffer_.size()) {
    // Grow lazily: most followers never fill the window.
    buffer_.resize(std::min(std::max({buffer_.size() * 2, next + 1, size_t{1}}), size_));
  }
  buffer_[next] = Flight{index, bytes};
  ++count_;
  bytes_ += bytes;
}

void Inflights::FreeLE(uint64_t to) {
  if (count_ == 0 || to < buffer_[start_].index) return;
  size_t idx = start_;
  size_t i = 0;
  uint64_t freed = 0;
  for (; i < count_; ++i) {
    if (to < buffer_[idx].index) break;
    freed += buffer_[idx].bytes;
    if (++idx >= size_) idx -= size_;
  }
  count_ -= i;
  bytes_ -= freed;
  start_ = count_ == 0 ? 0 : idx;
}

void Inflights::FreeFirstOne() {
  if (count_ > 0) FreeLE(buffer_[start_].index);
}

}  // namespace raftkv::raft

#include "raftkv/raft/read_only.h"

namespace raftkv::raft {

void ReadIndexBatch::Add(uint64_t index, raftpb::Message m) {
  std::string ctx = m.entries(0).data();
  if (pending_.contains(ctx)) return;
  pending_.emplace(ctx, Request{index, std::move(m), {}});
  queue_.push_back(std::move(ctx));
}

const absl::flat_hash_map<uint64_t, bool>* ReadIndexBatch::RecvAck(uint64_t id,
                                                                   const std::string& ctx) {
  auto it = pending_.find(ctx);
  if (it == pending_.end()) return nullptr;
  it->second.acks[id] = true;
  return &it->second.acks;
}

std::vector<ReadIndexBatch::Request> ReadIndexBatch::Advance(const std::string& ctx) {
  std::vector<Request> out;
  size_t n = 0;
  bool found = false;
  for (const auto& c : queue_) {
    ++n;
    if (c == ctx) {
      found = true;
      break;
    }
  }
  if (!found) return out;
  for (size_t i = 0; i < n; ++i) {
    auto node = pending_.extract(queue_.front());
    out.push_back(std::move(node.mapped()));
    queue_.pop_front();
  }
  return out;
}

std::string ReadIndexBatch::LastPendingContext() const {
  return queue_.empty() ? std::string() : queue_.back();
}

void ReadIndexBatch::Clear() {
  pending_.clear();
  queue_.clear();
}

}  // namespace raftkv::raft

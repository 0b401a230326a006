#include "raftkv/transport/context.h"

namespace raftkv::transport {

TransportMetrics MetricsCounters::Read() const {
  TransportMetrics m;
  m.messages_sent = messages_sent.load(std::memory_order_relaxed);
  m.messages_received = messages_received.load(std::memory_order_relaxed);
  m.messages_dropped = messages_dropped.load(std::memory_order_relaxed);
  m.messages_rejected = messages_rejected.load(std::memory_order_relaxed);
  m.bytes_sent = bytes_sent.load(std::memory_order_relaxed);
  m.bytes_received = bytes_received.load(std::memory_order_relaxed);
  m.dial_failures = dial_failures.load(std::memory_order_relaxed);
  m.connections_broken = connections_broken.load(std::memory_order_relaxed);
  m.connections_rejected = connections_rejected.load(std::memory_order_relaxed);
  m.protocol_errors = protocol_errors.load(std::memory_order_relaxed);
  m.snapshots_sent = snapshots_sent.load(std::memory_order_relaxed);
  m.snapshots_send_failed = snapshots_send_failed.load(std::memory_order_relaxed);
  m.snapshots_received = snapshots_received.load(std::memory_order_relaxed);
  m.snapshots_receive_failed = snapshots_receive_failed.load(std::memory_order_relaxed);
  m.snapshot_bytes_sent = snapshot_bytes_sent.load(std::memory_order_relaxed);
  m.snapshot_bytes_received = snapshot_bytes_received.load(std::memory_order_relaxed);
  return m;
}

bool LogThrottle::Allow(uint64_t peer_id, Event event) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, inserted] = last_.try_emplace({peer_id, event}, now);
  if (inserted) return true;
  if (now - it->second < interval_) return false;
  it->second = now;
  return true;
}

}  // namespace raftkv::transport

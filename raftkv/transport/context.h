#ifndef RAFTKV_TRANSPORT_CONTEXT_H_
#define RAFTKV_TRANSPORT_CONTEXT_H_

// Internal to raftkv/transport: what every connection of one PeerTransport shares.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "raftkv/transport/transport.h"
#include "spdlog/spdlog.h"

namespace raftkv::transport {

struct MetricsCounters {
  std::atomic<uint64_t> messages_sent{0};
  std::atomic<uint64_t> messages_received{0};
  std::atomic<uint64_t> messages_dropped{0};
  std::atomic<uint64_t> messages_rejected{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> dial_failures{0};
  std::atomic<uint64_t> connections_broken{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> snapshots_sent{0};
  std::atomic<uint64_t> snapshots_send_failed{0};
  std::atomic<uint64_t> snapshots_received{0};
  std::atomic<uint64_t> snapshots_receive_failed{0};
  std::atomic<uint64_t> snapshot_bytes_sent{0};
  std::atomic<uint64_t> snapshot_bytes_received{0};

  TransportMetrics Read() const;
};

// Adds to a counter; relaxed, since counters order nothing.
inline void Count(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Lets a recurring warning through once per interval per (peer, event).
class LogThrottle {
 public:
  enum class Event {
    kDialFailed,
    kBroken,
    kRejectedByPeer,
    kRejectedHandshake,
    kRejectedMessage,
    kDropped,
    kUnknownPeer,
    kProtocolError,
  };
  explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}
  bool Allow(uint64_t peer_id, Event event);

 private:
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  absl::flat_hash_map<std::pair<uint64_t, Event>, std::chrono::steady_clock::time_point> last_;
};

struct TransportContext {
  TransportContext(TransportOptions opts, TransportHandler* h)
      : options(std::move(opts)),
        handler(h),
        logger(options.logger ? options.logger : spdlog::default_logger()),
        throttle(options.log_interval) {}

  uint64_t id() const { return options.member_id; }
  // Handler calls stop as soon as the transport starts stopping.
  bool stopping() const { return stopping_flag.load(std::memory_order_acquire); }

  const TransportOptions options;
  TransportHandler* const handler;
  const std::shared_ptr<spdlog::logger> logger;
  MetricsCounters metrics;
  LogThrottle throttle;
  std::atomic<bool> stopping_flag{false};
  std::atomic<uint64_t> next_incoming_snapshot{0};
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_CONTEXT_H_

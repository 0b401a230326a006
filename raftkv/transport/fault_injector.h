// Test-only faults on a member's outgoing raft messages: drop, delay or lose those to a
// given peer, as the rules in a file say. Robustness tests rewrite the file while the member
// runs to partition the cluster (symmetric: both sides drop; one-way: one side drops) or to
// slow links down. Enabled only by raftkv's hidden --experimental-fault-file flag; without it
// the transport has no injector at all.
//
// The rules file, one rule per line ('#' starts a comment; peer is a member id in hex, or '*'
// for every peer):
//   drop to <peer>               every message to peer vanishes
//   delay to <peer> <n>ms        messages to peer leave n milliseconds late (order kept)
//   loss to <peer> <p>%          each message to peer vanishes with probability p
// An empty or missing file means no faults. The file is re-read when its contents change
// (polled every 50 ms); a file that does not parse is logged and the previous rules stay.

#ifndef RAFTKV_TRANSPORT_FAULT_INJECTOR_H_
#define RAFTKV_TRANSPORT_FAULT_INJECTOR_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "raftpb/raft.pb.h"

namespace spdlog {
class logger;
}

namespace raftkv::transport {

struct FaultRule {
  enum class Kind { kDrop, kDelay, kLoss };
  Kind kind = Kind::kDrop;
  uint64_t peer = 0;  // 0: every peer
  std::chrono::milliseconds delay{0};
  double loss = 0;  // probability in [0, 1]
};

absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view text);

class FaultInjector {
 public:
  using Clock = std::chrono::steady_clock;
  // Sends messages whose delay is over; called from the injector's own thread.
  using Deliver = std::function<void(std::vector<raftpb::Message>)>;

  FaultInjector(std::filesystem::path rules_file, uint64_t member_id, Deliver deliver,
                std::shared_ptr<spdlog::logger> logger);
  ~FaultInjector();  // Stop()
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Starts polling the file (read once before returning) and delivering delayed messages.
  void Start();
  // Joins the thread; delayed messages not yet due are dropped.
  void Stop();

  // The messages to send now. Dropped and lost ones are gone; delayed ones come back through
  // Deliver. Snapshot messages pass (their stream is gated by BlocksSnapshotsTo).
  std::vector<raftpb::Message> Filter(std::vector<raftpb::Message> messages);
  // True when a drop rule cuts this member off from peer: a snapshot sent there must fail.
  bool BlocksSnapshotsTo(uint64_t peer);

 private:
  void Run();
  void ReloadIfChanged();
  const FaultRule* RuleFor(uint64_t peer, FaultRule::Kind kind) const;

  const std::filesystem::path rules_file_;
  const uint64_t member_id_;
  const Deliver deliver_;
  std::shared_ptr<spdlog::logger> logger_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<FaultRule> rules_;
  std::string rules_text_;
  std::mt19937_64 random_;
  // Delayed messages by the time they are due; equal times keep their order.
  std::multimap<Clock::time_point, raftpb::Message> delayed_;
  std::thread thread_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_FAULT_INJECTOR_H_

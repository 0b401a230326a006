#ifndef RAFTKV_RAFT_READ_ONLY_H_
#define RAFTKV_RAFT_READ_ONLY_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

enum class ReadOnlyOption {
  // ReadIndex: leadership is confirmed by a heartbeat round with a quorum.
  kSafe,
  // Leadership is assumed for the rest of the election timeout after a quorum was heard
  // from. Only sound with CheckQuorum and bounded clock drift; Config enforces the former.
  kLeaseBased,
};

// A linearizable read may be served once the applied index reaches `index`.
struct ReadState {
  uint64_t index;
  std::string request_ctx;
};

// The ReadIndex requests a leader is confirming. Requests arriving while a round is in flight
// share the next heartbeat round: the heartbeat carries the newest request's context, and an
// acknowledgement of it confirms every request queued before it too.
class ReadIndexBatch {
 public:
  struct Request {
    uint64_t index;
    raftpb::Message req;  // the MsgReadIndex, kept to answer a forwarded request
    absl::flat_hash_map<uint64_t, bool> acks;  // id -> acked, in the form quorums count
  };

  // Queues a request at the current commit index; a duplicate context is ignored.
  void Add(uint64_t index, raftpb::Message m);
  // Records an ack of the heartbeat carrying ctx; returns the acks so far (null if unknown).
  const absl::flat_hash_map<uint64_t, bool>* RecvAck(uint64_t id, const std::string& ctx);
  // Dequeues and returns every request up to and including the one with ctx.
  std::vector<Request> Advance(const std::string& ctx);
  // The context of the newest pending request, or empty.
  std::string LastPendingContext() const;
  void Clear();

 private:
  absl::flat_hash_map<std::string, Request> pending_;
  std::deque<std::string> queue_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_READ_ONLY_H_

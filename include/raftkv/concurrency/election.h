#ifndef RAFTKV_CONCURRENCY_ELECTION_H_
#define RAFTKV_CONCURRENCY_ELECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftkv/concurrency/session.h"

namespace raftkv::concurrency {

// Leader election, key for key etcd's concurrency.Election, so it interoperates with
// `etcdctl elect NAME [PROPOSAL]`: each candidate puts "<name>/<lease hex>" with its
// proposal as value; the key with the lowest create revision is the leader, and its value
// is what the leader proclaims. Errors: FailedPrecondition "election: not leader" (Proclaim
// without leading), NotFound "election: no leader" (Leader with no candidate).
// One Election object serves one candidate; not thread-safe (Observe may run beside).
class Election {
 public:
  Election(Session& session, std::string_view name);

  // Waits until this session is the leader, announcing `value`. Deadline{}: no limit; on
  // DeadlineExceeded the candidacy is withdrawn.
  absl::Status Campaign(std::string_view value, Deadline deadline = {});
  // Changes the leader's value without a new election.
  absl::Status Proclaim(std::string_view value, Deadline deadline = {});
  // Gives up leadership (or candidacy). Idempotent.
  absl::Status Resign(Deadline deadline = {});
  // The current leader's key and value.
  absl::StatusOr<KeyValue> Leader(Deadline deadline = {});

  // Calls `on_leader` with the leader's key-value each time the leader or its value changes,
  // on a thread of its own, until the returned handle is destroyed.
  class Observer {
   public:
    virtual ~Observer() = default;
  };
  std::unique_ptr<Observer> Observe(std::function<void(const KeyValue&)> on_leader);

  const std::string& key() const { return key_; }  // empty when not campaigning
  int64_t revision() const { return revision_; }

 private:
  Session& session_;
  const std::string prefix_;  // "<name>/"
  std::string key_;
  int64_t revision_ = 0;
};

}  // namespace raftkv::concurrency

#endif  // RAFTKV_CONCURRENCY_ELECTION_H_

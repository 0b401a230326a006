#ifndef RAFTKV_EMBEDDED_MEMBER_H_
#define RAFTKV_EMBEDDED_MEMBER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftkv/kv.h"

namespace raftkv {

// How an embedded member runs: the `raftkv` server's flags (etcd's), as fields. URLs are
// "http://host:port".
struct MemberOptions {
  std::string name = "default";
  std::string data_dir;                                  // required
  std::vector<std::string> listen_peer_urls;             // e.g. {"http://127.0.0.1:2380"}
  std::vector<std::string> initial_advertise_peer_urls;  // empty: listen_peer_urls
  // Name -> peer URLs of every initial member; empty: this member alone.
  std::map<std::string, std::vector<std::string>> initial_cluster;
  bool join_existing = false;  // --initial-cluster-state existing (after a MemberAdd)
  std::string initial_cluster_token = "etcd-cluster";
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  uint64_t snapshot_count = 10000;
  int64_t quota_backend_bytes = int64_t{2} << 30;
  // Also serve etcd's gRPC API to other processes on these URLs (empty: only this process
  // uses the member). advertise_client_urls empty: listen_client_urls.
  std::vector<std::string> listen_client_urls;
  std::vector<std::string> advertise_client_urls;
  // How often idle watches created with progress_notify hear their revision (etcd's
  // --experimental-watch-progress-notify-interval), embedded and over gRPC alike.
  std::chrono::milliseconds watch_progress_notify_interval{std::chrono::minutes(10)};
  // Default timeout of the KV's calls made without a deadline.
  std::chrono::milliseconds request_timeout{5000};
};

struct MemberInfo {
  uint64_t id = 0;
  std::string name;  // empty until the member has started and published it
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct MemberStatus {
  uint64_t id = 0;
  uint64_t cluster_id = 0;
  uint64_t leader = 0;  // 0: no leader known
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  int64_t revision = 0;
  int64_t db_size = 0;
  bool is_learner = false;
  std::vector<std::string> errors;  // active alarms, e.g. NOSPACE
};

// A cluster member running inside this process: the same member as the `raftkv` binary,
// with its KV calls going straight to it (no gRPC hop). Thread-safe.
class EmbeddedMember {
 public:
  // Opens or creates the member's data, joins or bootstraps its cluster, and returns once it
  // serves: it has published itself to the cluster, or no leader appeared within two
  // election timeouts (a member that cannot reach its cluster still serves, to say so).
  static absl::StatusOr<std::unique_ptr<EmbeddedMember>> Start(const MemberOptions& options);
  // Stop().
  ~EmbeddedMember();
  EmbeddedMember(const EmbeddedMember&) = delete;
  EmbeddedMember& operator=(const EmbeddedMember&) = delete;

  // The member's KV. Valid until the EmbeddedMember is destroyed; after Stop its calls fail
  // with Unavailable "etcdserver: server stopped". Watches and keep-alives must be destroyed
  // before the EmbeddedMember.
  KV& kv();

  uint64_t id() const;
  uint64_t cluster_id() const;
  // The client ports actually bound (listen_client_urls with port 0 pick a free one).
  std::vector<int> client_ports() const;

  // Membership, through raft (any member may be asked). A new member must then be started
  // with join_existing = true and the initial_cluster the add returned.
  absl::StatusOr<std::vector<MemberInfo>> MemberList();
  absl::StatusOr<MemberInfo> MemberAdd(const std::vector<std::string>& peer_urls,
                                       bool is_learner = false);
  absl::Status MemberRemove(uint64_t id);
  // Fails with FailedPrecondition while the learner is not in sync with the leader yet.
  absl::Status MemberPromote(uint64_t id);
  absl::StatusOr<MemberStatus> Status();
  // Asks the leader (this member must be it) to hand leadership to `id`.
  absl::Status MoveLeader(uint64_t id);
  // True once this member applied its own removal: it should be stopped.
  bool IsRemoved() const;

  // Stops serving gRPC clients (calls in progress get up to a second), then the member:
  // pending calls fail with "server stopped", the data is flushed. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit EmbeddedMember(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace raftkv

#endif  // RAFTKV_EMBEDDED_MEMBER_H_

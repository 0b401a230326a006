#ifndef RAFTKV_SERVER_SERVER_OPTIONS_H_
#define RAFTKV_SERVER_SERVER_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raftkv/server/url.h"

namespace raftkv::server {

enum class ClusterState { kNew, kExisting };
enum class AutoCompactionMode { kPeriodic, kRevision };

// How a member runs. Field names, meanings and defaults follow etcd 3.4's flags, so that a
// script that starts etcd can start raftkv by changing the binary's name.
struct ServerOptions {
  std::string name = "default";
  std::string data_dir;  // default: "<name>.etcd"
  std::string wal_dir;   // empty: "<data_dir>/member/wal"
  std::vector<Url> listen_client_urls;
  std::vector<Url> advertise_client_urls;
  std::vector<Url> listen_peer_urls;
  std::vector<Url> initial_advertise_peer_urls;
  std::vector<Url> listen_metrics_urls;  // empty: /metrics and /health on the client URLs
  // Member name -> its peer URLs.
  std::map<std::string, std::vector<Url>> initial_cluster;
  ClusterState initial_cluster_state = ClusterState::kNew;
  std::string initial_cluster_token = "etcd-cluster";
  // etcd 3.6's default (3.4: 100000): with snapshot_catchup_entries kept past each
  // snapshot, the raft log held in memory stays under 15000 entries.
  uint64_t snapshot_count = 10000;
  // Raft log entries kept in memory before each snapshot's index, so a follower that is a
  // little behind catches up from the log instead of a whole snapshot (etcd's
  // --experimental-snapshot-catchup-entries).
  uint64_t snapshot_catchup_entries = 5000;
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  int64_t quota_backend_bytes = int64_t{2} << 30;
  uint64_t max_request_bytes = 1572864;
  uint32_t max_txn_ops = 128;
  AutoCompactionMode auto_compaction_mode = AutoCompactionMode::kPeriodic;
  // kPeriodic: keep this much history (0: off). kRevision: keep this many revisions.
  std::chrono::milliseconds auto_compaction_period{0};
  int64_t auto_compaction_revisions = 0;
  std::string log_level = "info";
  // Tests only (hidden flag): a file of rules that drop, delay or lose this member's outgoing
  // raft messages per peer, re-read while running (raftkv/transport/fault_injector.h).
  std::string experimental_fault_file;

  // The election timeout in heartbeat ticks (raft's election_tick).
  int ElectionTicks() const { return static_cast<int>(election_timeout / heartbeat_interval); }
};

// Parses etcd-style flags (args[0] is the program name). Every problem is an
// InvalidArgument error naming the flag, as etcd's messages do. `--help` returns a
// Cancelled status whose message is the usage text.
absl::StatusOr<ServerOptions> ParseServerFlags(const std::vector<std::string>& args);

// Parses --initial-cluster: "name=http://host:port,name2=http://host:port,...".
absl::StatusOr<std::map<std::string, std::vector<Url>>> ParseInitialCluster(
    const std::string& text);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_SERVER_OPTIONS_H_

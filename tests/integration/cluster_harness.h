// A cluster of real `raftkv` processes on 127.0.0.1 for fault tests: start, kill, restart,
// add and remove members, and talk to them over etcd's gRPC API with per-call deadlines.
//
// Process control (Start, Kill, Restart, AddMember, ...) must be called from the test's main
// thread: children die with the thread that forked them (PR_SET_PDEATHSIG), which is what
// keeps a crashed or timed-out test from leaving members behind. The client calls (Put,
// ClientTargets, ...) are safe from any thread.

#ifndef RAFTKV_TESTS_INTEGRATION_CLUSTER_HARNESS_H_
#define RAFTKV_TESTS_INTEGRATION_CLUSTER_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace raftkv::integration {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using std::chrono::milliseconds;

inline Deadline In(milliseconds from_now) {
  return Clock::now() + from_now;
}

// A loopback port nobody listens on now. Ports handed out before by this process are
// skipped, so that members of one test never collide with each other.
int PickFreePort();

struct MemberSlot;

struct ClusterOptions {
  int members = 3;
  std::string token = "raftkv-it";
  int heartbeat_ms = 50;
  int election_ms = 500;
  int64_t snapshot_count = 10000;
  // More raftkv flags for every member, e.g. "--max-txn-ops=16".
  std::vector<std::string> extra_flags;
  // More environment ("NAME=value") for a member's process, given its slot (name, data dir),
  // on every start; e.g. LD_PRELOAD of a library that injects disk faults.
  std::function<std::vector<std::string>(const MemberSlot&)> member_environment;
  // Gives each member a file of fault rules (--experimental-fault-file), see SetFaultRules.
  bool fault_files = false;
  // Where each member lives, by name: its IP address (unset: 127.0.0.1), and a command its
  // process starts under, e.g. {"/usr/sbin/ip", "netns", "exec", "<namespace>"} (unset: none).
  std::function<std::string(const std::string& name)> member_host;
  std::function<std::vector<std::string>(const std::string& name)> member_launcher;
};

// One slot per member ever started; a slot keeps its name, ports and data across restarts.
struct MemberSlot {
  std::string name;
  std::string host = "127.0.0.1";
  int client_port = 0;
  int peer_port = 0;
  std::filesystem::path data_dir;
  std::filesystem::path log_path;
  std::filesystem::path fault_file;  // empty unless ClusterOptions::fault_files
  std::string token;
  pid_t pid = -1;
  uint64_t id = 0;  // learned from the cluster (MemberAdd or a response header)
  bool learner = false;
  bool removed = false;
  // --initial-cluster and --initial-cluster-state of the first start (ignored on restart).
  std::string initial_cluster;
  std::string initial_state = "new";
  std::shared_ptr<grpc::Channel> channel;

  std::string ClientUrl() const;
  std::string PeerUrl() const;
};

// A member a client may send requests to.
struct ClientTarget {
  size_t index = 0;
  std::shared_ptr<grpc::Channel> channel;
};

class LocalCluster {
 public:
  explicit LocalCluster(ClusterOptions options = {});
  // Kills every member still running; prints the tail of each log if the test failed.
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  const ClusterOptions& options() const { return options_; }
  milliseconds election_timeout() const { return milliseconds(options_.election_ms); }

  // Starts the initial members of a new cluster and waits until they agree on a leader.
  ::testing::AssertionResult Start(Deadline deadline);

  size_t size() const;
  MemberSlot slot(size_t i) const;  // a copy
  bool IsRunning(size_t i);
  void Kill(size_t i, int signal = SIGKILL);
  // Starts member i again with the same flags (its data decides what it becomes).
  void Restart(size_t i);
  // SIGSTOP / SIGCONT: the member stays "running" (a client call to it just hangs).
  void Pause(size_t i);
  void Resume(size_t i);
  // Replaces member i's fault rules (raftkv/transport/fault_injector.h); the member applies
  // them within its poll interval. Needs ClusterOptions::fault_files.
  void SetFaultRules(size_t i, const std::string& rules);

  // The wait status of member i once it exits by itself, or nothing at the deadline.
  std::optional<int> WaitForExit(size_t i, Deadline deadline);

  // Starts a process for a member that is not part of the cluster: same flags as the others
  // but its own name, ports, data and the given token; state "new", and an --initial-cluster
  // listing the running members plus itself.
  size_t StartStranger(const std::string& token);

  // The member the running members agree is leader (every running member that answers
  // Status names the same leader, and it is one of them). Polls until the deadline.
  std::optional<size_t> WaitForLeader(Deadline deadline);
  // The leader member i reports (0 when none), or nothing when i does not answer.
  std::optional<uint64_t> LeaderSeenBy(size_t i);

  // Membership through the Cluster API (sent to any running voting member), then starting
  // the new member with --initial-cluster-state existing. Returns the new slot's index.
  ::testing::AssertionResult AddMember(bool learner, Deadline deadline, size_t* index);
  // Promotes learner i, retrying while the leader says it is not in sync yet.
  ::testing::AssertionResult PromoteMember(size_t i, Deadline deadline);
  ::testing::AssertionResult RemoveMember(size_t i, Deadline deadline);
  // The ids in the cluster's member list, asked of member i.
  ::testing::AssertionResult MemberIds(size_t i, std::vector<uint64_t>* ids);

  // Running, not removed, not learner members: where client traffic may go.
  std::vector<ClientTarget> ClientTargets() const;
  std::shared_ptr<grpc::Channel> ChannelTo(size_t i) const;

  // One Put, tried on each client target in turn until one acknowledges it or the deadline
  // passes; each try has its own deadline of per_call.
  grpc::Status Put(const std::string& key, const std::string& value, Deadline deadline,
                   milliseconds per_call = milliseconds(1000));
  // Linearizable Range of the keys under prefix on member i (keys only).
  grpc::Status KeysWithPrefix(size_t i, const std::string& prefix, Deadline deadline,
                              std::vector<std::string>* keys, int64_t* revision);
  // Every one of `keys` is readable on member i with a linearizable Range (retried until the
  // deadline while the member cannot serve it).
  ::testing::AssertionResult HasAllKeys(size_t i, const std::string& prefix,
                                        const std::vector<std::string>& keys, Deadline deadline);
  // The members agree on HashKV at the current revision (read from members[0]), polling until
  // each has applied it. The revision agreed on goes to *revision when given.
  ::testing::AssertionResult WaitForSameHash(const std::vector<size_t>& members, Deadline deadline,
                                             int64_t* revision = nullptr);
  grpc::Status Status(size_t i, etcdserverpb::StatusResponse* response,
                      milliseconds per_call = milliseconds(1000));

  // Member i's log (stdout and stderr of every start): its size, and what follows an offset.
  size_t LogSize(size_t i) const;
  std::string LogSince(size_t i, size_t offset) const;

 private:
  size_t NewSlot(const std::string& name, const std::string& token);
  void Spawn(size_t i);
  void ReapIfExited(MemberSlot& s);
  void RememberId(size_t i, uint64_t id);
  std::optional<size_t> IndexOfId(uint64_t id) const;
  std::vector<size_t> RunningMembers() const;
  grpc::Status OnAnyVoter(Deadline deadline,
                          const std::function<grpc::Status(etcdserverpb::Cluster::Stub&)>& call);
  void PrintLogTails() const;

  ClusterOptions options_;
  std::filesystem::path root_;
  mutable std::mutex mu_;  // guards slots_ (the vector and each slot's fields)
  std::vector<MemberSlot> slots_;
  int next_name_ = 0;
};

// A per-call deadline on a client context, and wait-for-ready: until the deadline the call
// waits for a connection instead of failing while the channel reconnects.
void ConfigureCall(grpc::ClientContext& context, milliseconds per_call);

// Prints a gRPC status as "CODE: message".
std::string Describe(const grpc::Status& status);

}  // namespace raftkv::integration

#endif  // RAFTKV_TESTS_INTEGRATION_CLUSTER_HARNESS_H_

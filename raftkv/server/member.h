#ifndef RAFTKV_SERVER_MEMBER_H_
#define RAFTKV_SERVER_MEMBER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcdserverpb/rpc.pb.h"
#include "raftkv/server/server_options.h"
#include "serverpb/apply.pb.h"

namespace raftkv::mvcc {
class Store;
}

namespace raftkv::server {

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

// What Status (the Maintenance call) reports.
struct MemberStatus {
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  bool is_learner = false;
  std::vector<std::string> errors;  // e.g. "memberID:... alarm:NOSPACE"
};

// One running member of a cluster: raft, the WAL, the state machine, leases and the peer
// transport wired together as DESIGN.md describes. The gRPC services are a thin layer over
// this class; everything a client can ask of a member is a method here.
//
// Calls are asynchronous: each takes a completion `done`, called exactly once, on an
// internal thread, with the response or an etcd error (errors.h, mvcc/errors.h,
// lease/lease_table.h). `done` must not block. Writes complete once the request is
// committed by a quorum (on disk) and applied here. Deadlines are the caller's: a member
// stops waiting on its own after a request timeout (ErrTimeout), never earlier.
class Member {
 public:
  // Opens (or creates) the member's data, joins or bootstraps its cluster as the options say
  // and starts serving peers. Refuses to start with a clear error when the data is damaged,
  // belongs to another member or cluster, or the flags contradict it.
  static absl::StatusOr<std::unique_ptr<Member>> Start(const ServerOptions& options);
  // Stops every thread; pending requests complete with ErrStopped.
  ~Member();
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  uint64_t id() const;
  uint64_t cluster_id() const;
  // cluster_id, member_id, the current revision and raft term.
  etcdserverpb::ResponseHeader Header() const;

  // KV. Range is linearizable (ReadIndex) unless request.serializable().
  void Range(const etcdserverpb::RangeRequest& request, Done<etcdserverpb::RangeResponse> done);
  void Put(const etcdserverpb::PutRequest& request, Done<etcdserverpb::PutResponse> done);
  void DeleteRange(const etcdserverpb::DeleteRangeRequest& request,
                   Done<etcdserverpb::DeleteRangeResponse> done);
  void Txn(const etcdserverpb::TxnRequest& request, Done<etcdserverpb::TxnResponse> done);
  // With request.physical() completes only once the space is reclaimed.
  void Compact(const etcdserverpb::CompactionRequest& request,
               Done<etcdserverpb::CompactionResponse> done);

  // Leases. KeepAlive renews on the leader; a follower forwards it.
  void LeaseGrant(const etcdserverpb::LeaseGrantRequest& request,
                  Done<etcdserverpb::LeaseGrantResponse> done);
  void LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& request,
                   Done<etcdserverpb::LeaseRevokeResponse> done);
  void LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& request,
                      Done<etcdserverpb::LeaseKeepAliveResponse> done);
  void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& request,
                       Done<etcdserverpb::LeaseTimeToLiveResponse> done);
  void LeaseLeases(const etcdserverpb::LeaseLeasesRequest& request,
                   Done<etcdserverpb::LeaseLeasesResponse> done);

  // Membership, through raft.
  void MemberAdd(const etcdserverpb::MemberAddRequest& request,
                 Done<etcdserverpb::MemberAddResponse> done);
  void MemberRemove(const etcdserverpb::MemberRemoveRequest& request,
                    Done<etcdserverpb::MemberRemoveResponse> done);
  void MemberUpdate(const etcdserverpb::MemberUpdateRequest& request,
                    Done<etcdserverpb::MemberUpdateResponse> done);
  void MemberPromote(const etcdserverpb::MemberPromoteRequest& request,
                     Done<etcdserverpb::MemberPromoteResponse> done);
  void MemberList(const etcdserverpb::MemberListRequest& request,
                  Done<etcdserverpb::MemberListResponse> done);

  // Maintenance.
  void Status(Done<etcdserverpb::StatusResponse> done);
  void Alarm(const etcdserverpb::AlarmRequest& request, Done<etcdserverpb::AlarmResponse> done);
  void MoveLeader(const etcdserverpb::MoveLeaderRequest& request,
                  Done<etcdserverpb::MoveLeaderResponse> done);
  void Defragment(Done<etcdserverpb::DefragmentResponse> done);
  absl::StatusOr<etcdserverpb::HashKVResponse> HashKV(int64_t revision);
  absl::StatusOr<etcdserverpb::HashResponse> Hash();
  // Writes a consistent copy of the state machine as one file that `raftkv snapshot restore`
  // (and etcdctl snapshot status) can read: calls `chunk` with consecutive pieces, then
  // returns. A chunk returning false stops early (client gone).
  absl::Status Snapshot(const std::function<bool(const std::string& chunk)>& chunk);

  // The state machine, for watches (Store::Watch) and serializable reads.
  mvcc::Store& store();

  // True when this member knows a leader and has applied what it committed at start-up.
  bool IsHealthy() const;
  // True when this member knows a leader of the current term.
  bool HasLeader() const;
  // True once this member applied its own removal from the cluster, or a peer that applied it
  // said so (the removal can commit without this member, which then never receives it): it
  // should stop.
  bool IsRemoved() const;
  // Waits until this member has published its name and client URLs to the cluster (etcd
  // serves clients only from then on, so a client never sees a member without its URLs).
  // Returns false instead when no leader appeared within two election timeouts: a member
  // that cannot reach its cluster still serves, to report that it has no leader.
  bool WaitUntilPublished() const;
  // Prometheus text-format metrics.
  std::string MetricsText() const;

 private:
  class Impl;
  explicit Member(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_MEMBER_H_

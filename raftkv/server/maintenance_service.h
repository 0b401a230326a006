#ifndef RAFTKV_SERVER_MAINTENANCE_SERVICE_H_
#define RAFTKV_SERVER_MAINTENANCE_SERVICE_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's Maintenance service (v3rpc/maintenance.go). Status reports etcd 3.4's version
// string; Hash, HashKV and Snapshot, which read the whole store, run on the service's own
// worker thread (one at a time) so they never hold a gRPC thread. Snapshot streams the
// member's snapshot file in 32 KiB blobs; the file ends with the SHA-256 of what precedes
// it, as etcd's stream does, and remaining_bytes counts the bytes known to follow each blob
// (a lower bound while the member is still writing; 0 exactly on the last message).
// `member` must outlive the service, and the gRPC server must be shut down before the
// service is destroyed.
class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(Member* member);
  ~MaintenanceService() override;  // finishes queued work, then stops the worker

  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* context,
                                  const etcdserverpb::AlarmRequest* request,
                                  etcdserverpb::AlarmResponse* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const etcdserverpb::StatusRequest* request,
                                   etcdserverpb::StatusResponse* response) override;
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* context,
                                       const etcdserverpb::DefragmentRequest* request,
                                       etcdserverpb::DefragmentResponse* response) override;
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* context,
                                 const etcdserverpb::HashRequest* request,
                                 etcdserverpb::HashResponse* response) override;
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* context,
                                   const etcdserverpb::HashKVRequest* request,
                                   etcdserverpb::HashKVResponse* response) override;
  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Snapshot(
      grpc::CallbackServerContext* context, const etcdserverpb::SnapshotRequest* request) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* context,
                                       const etcdserverpb::MoveLeaderRequest* request,
                                       etcdserverpb::MoveLeaderResponse* response) override;

 private:
  // Runs `work` on the worker thread, in submission order.
  void RunInBackground(std::function<void()> work);
  void WorkerLoop();

  Member* const member_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_MAINTENANCE_SERVICE_H_

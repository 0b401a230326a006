#include "raftkv/server/maintenance_service.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "raftkv/server/etcd_version.h"
#include "raftkv/server/unary_call.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {

using etcdserverpb::SnapshotResponse;

namespace {

constexpr size_t kSnapshotBlobBytes = 32 * 1024;  // etcd's snapshotSendBufferSize
constexpr size_t kSnapshotQueueBlobs = 64;        // at most 2 MiB waiting for the client

// Streams one snapshot file (snapshot_file.h; it ends with its own SHA-256, which is what
// etcd clients expect as the stream's last 32 bytes). A producer (the member's Snapshot, on
// the service's worker thread) queues blobs; the reactor writes them one at a time and lets
// the producer continue as the client keeps up. A client that goes away stops the producer
// at its next chunk. One blob is held back until the next one (or the end) is known, so
// every message's remaining_bytes is a true lower bound, non-zero until the last message.
//
// Lifetime (gRPC's callback API): gRPC holds this reactor until OnDone, which comes once
// Finish was called and every operation is over; OnDone deletes it — the one use of
// `delete`, since gRPC decides when the call ends. Finish is called only after the producer
// is done with the reactor, so the producer never sees it deleted.
class SnapshotReactor final : public grpc::ServerWriteReactor<SnapshotResponse> {
 public:
  // Produce() must then run exactly once (on a thread that may block).
  void Produce(Member* member) {
    spdlog::info("sending database snapshot to client");
    absl::Status status = member->Snapshot([this](const std::string& chunk) {
      for (size_t offset = 0; offset < chunk.size(); offset += kSnapshotBlobBytes) {
        if (!Enqueue(chunk.substr(offset, kSnapshotBlobBytes))) return false;
      }
      return true;
    });
    std::lock_guard lock(mu_);
    if (status.ok() && !canceled_) {
      spdlog::info("sending database snapshot to client: {} bytes in total",
                   sent_bytes_ + queued_bytes_);
    } else if (!status.ok()) {
      spdlog::warn("failed to send database snapshot: {}", status.ToString());
    }
    produced_ = true;
    status_ = std::move(status);
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) canceled_ = true;
    room_.notify_all();
    WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    canceled_ = true;
    room_.notify_all();
    WriteNextLocked();
  }

  void OnDone() override {
    // Finish may have been called under mu_ by another thread still inside its critical
    // section: wait for it to leave before the mutex is destroyed.
    { std::lock_guard wait_for_unlock(mu_); }
    delete this;
  }

 private:
  // Waits for room in the queue; false once the client is gone.
  bool Enqueue(std::string blob) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [this] { return canceled_ || queue_.size() < kSnapshotQueueBlobs; });
    if (canceled_) return false;
    queued_bytes_ += blob.size();
    SnapshotResponse response;
    *response.mutable_blob() = std::move(blob);
    queue_.push_back(std::move(response));
    WriteNextLocked();
    return true;
  }

  // Starts the next write, or finishes once everything is written (or the client left) and
  // the producer is done. Custom reactors never run reactions inline, so this is safe under
  // the lock; OnDone runs on another thread after the lock is released.
  void WriteNextLocked() {
    if (finished_ || writing_) return;
    if (canceled_ || (produced_ && queue_.empty()) || (produced_ && !status_.ok())) {
      if (!produced_) return;
      finished_ = true;
      Finish(canceled_ ? grpc::Status::CANCELLED : ToGrpcStatus(status_));
      return;
    }
    // Hold the last blob back while more may follow: its remaining_bytes must be known.
    if (queue_.empty() || (!produced_ && queue_.size() < 2)) return;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= current_.blob().size();
    sent_bytes_ += current_.blob().size();
    current_.set_remaining_bytes(queued_bytes_);
    writing_ = true;
    room_.notify_all();
    StartWrite(&current_);
  }

  std::mutex mu_;
  std::condition_variable room_;
  std::deque<SnapshotResponse> queue_;
  SnapshotResponse current_;
  uint64_t queued_bytes_ = 0;
  uint64_t sent_bytes_ = 0;
  absl::Status status_;
  bool produced_ = false;
  bool writing_ = false;
  bool canceled_ = false;
  bool finished_ = false;
};

}  // namespace

MaintenanceService::MaintenanceService(Member* member) : member_(member) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

MaintenanceService::~MaintenanceService() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void MaintenanceService::RunInBackground(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void MaintenanceService::WorkerLoop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* context,
                                                    const etcdserverpb::AlarmRequest* request,
                                                    etcdserverpb::AlarmResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Alarm(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* context,
                                                     const etcdserverpb::StatusRequest* /*request*/,
                                                     etcdserverpb::StatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Done<etcdserverpb::StatusResponse> finish = FinishUnary(reactor, response);
  member_->Status(
      [finish = std::move(finish)](absl::StatusOr<etcdserverpb::StatusResponse> result) {
        if (result.ok() && result->version().empty()) {
          result->set_version(std::string(kEtcdServerVersion));
        }
        finish(std::move(result));
      });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(
    grpc::CallbackServerContext* context, const etcdserverpb::DefragmentRequest* /*request*/,
    etcdserverpb::DefragmentResponse* response) {
  spdlog::info("starting defragment");
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Defragment(FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Hash(grpc::CallbackServerContext* context,
                                                   const etcdserverpb::HashRequest* /*request*/,
                                                   etcdserverpb::HashResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  RunInBackground([this, reactor, response] { FinishUnary(reactor, response)(member_->Hash()); });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::HashKV(grpc::CallbackServerContext* context,
                                                     const etcdserverpb::HashKVRequest* request,
                                                     etcdserverpb::HashKVResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const int64_t revision = request->revision();
  RunInBackground([this, reactor, response, revision] {
    FinishUnary(reactor, response)(member_->HashKV(revision));
  });
  return reactor;
}

grpc::ServerWriteReactor<SnapshotResponse>* MaintenanceService::Snapshot(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::SnapshotRequest* /*request*/) {
  auto* reactor = new SnapshotReactor();  // deletes itself in OnDone
  RunInBackground([this, reactor] { reactor->Produce(member_); });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::MoveLeader(
    grpc::CallbackServerContext* context, const etcdserverpb::MoveLeaderRequest* request,
    etcdserverpb::MoveLeaderResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MoveLeader(*request, FinishUnary(reactor, response));
  return reactor;
}

}  // namespace raftkv::server

#ifndef RAFTKV_EMBED_MEMBER_CORE_H_
#define RAFTKV_EMBED_MEMBER_CORE_H_

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "raftkv/client/backend.h"
#include "raftkv/embedded_member.h"
#include "raftkv/server/errors.h"
#include "raftkv/server/grpc_server.h"
#include "raftkv/server/member.h"

namespace raftkv::internal {

// Something that uses the member's store and must end before the member stops.
class MemberUser {
 public:
  virtual ~MemberUser() = default;
  // The member is stopping: stop using it. Called at most once per registration.
  virtual void OnMemberStopping() = 0;
};

// The running member (and its gRPC server, if any) shared by the EmbeddedMember and the
// KVs over it, so that a KV outliving Stop() answers "server stopped" instead of crashing.
class MemberCore {
 public:
  static absl::StatusOr<std::shared_ptr<MemberCore>> Start(const MemberOptions& options);
  ~MemberCore();

  // Calls `call` with the member, or fails `done` with "server stopped" after Stop.
  template <typename T, typename Call>
  void With(Done<T>& done, Call&& call) {
    std::shared_lock lock(mu_);
    if (!member_) return done(server::ErrStopped());
    call(*member_);
  }
  // The member for a synchronous use under the returned lock, or null after Stop.
  std::pair<server::Member*, std::shared_lock<std::shared_mutex>> Acquire();

  void Register(MemberUser* user);
  // After it returns, OnMemberStopping of `user` is not running and will not be called.
  void Unregister(MemberUser* user);

  std::vector<int> client_ports() const;
  std::chrono::milliseconds progress_notify_interval() const { return progress_notify_interval_; }
  // Stops the gRPC server, every registered user, then the member. Idempotent.
  void Stop();

 private:
  MemberCore() = default;

  mutable std::shared_mutex mu_;
  std::unique_ptr<server::Member> member_;
  std::unique_ptr<server::GrpcServer> grpc_;
  std::vector<int> client_ports_;
  std::chrono::milliseconds progress_notify_interval_{0};

  std::mutex users_mu_;  // held while users are told to stop
  absl::flat_hash_set<MemberUser*> users_;
};

// A KV backend calling `core`'s member directly. With `own`, stopping the member is the
// backend's job (OpenKV's embedded KV).
std::unique_ptr<Backend> NewEmbeddedBackend(std::shared_ptr<MemberCore> core, bool own);

}  // namespace raftkv::internal

#endif  // RAFTKV_EMBED_MEMBER_CORE_H_

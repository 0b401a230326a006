#include "raftkv/embedded_member.h"

#include "raftkv/client/backend.h"
#include "raftkv/embed/member_core.h"
#include "raftkv/server/errors.h"

namespace raftkv {
namespace {

using internal::Done;
using internal::MemberCore;

MemberInfo FromProto(const etcdserverpb::Member& member) {
  MemberInfo info;
  info.id = member.id();
  info.name = member.name();
  info.peer_urls.assign(member.peerurls().begin(), member.peerurls().end());
  info.client_urls.assign(member.clienturls().begin(), member.clienturls().end());
  info.is_learner = member.islearner();
  return info;
}

}  // namespace

class EmbeddedMember::Impl {
 public:
  Impl(const std::shared_ptr<MemberCore>& core, std::chrono::milliseconds request_timeout)
      : core_(core),
        kv_(internal::NewEmbeddedBackend(core, /*own=*/false), request_timeout),
        request_timeout_(request_timeout) {
    auto [member, lock] = core_->Acquire();
    id_ = member->id();
    cluster_id_ = member->cluster_id();
  }

  // A membership or maintenance call, waited for up to the request timeout.
  template <typename T, typename Fn>
  absl::StatusOr<T> Call(Fn&& call) {
    return internal::WaitFor<T>(
        [&](Done<T> done) {
          core_->With(done, [&](server::Member& m) { call(m, std::move(done)); });
        },
        Clock::now() + request_timeout_);
  }

  std::shared_ptr<MemberCore> core_;
  KV kv_;
  std::chrono::milliseconds request_timeout_;
  uint64_t id_ = 0;
  uint64_t cluster_id_ = 0;
};

absl::StatusOr<std::unique_ptr<EmbeddedMember>> EmbeddedMember::Start(
    const MemberOptions& options) {
  absl::StatusOr<std::shared_ptr<MemberCore>> core = MemberCore::Start(options);
  if (!core.ok()) return core.status();
  return std::unique_ptr<EmbeddedMember>(
      new EmbeddedMember(std::make_unique<Impl>(*core, options.request_timeout)));
}

EmbeddedMember::EmbeddedMember(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EmbeddedMember::~EmbeddedMember() {
  Stop();
}

KV& EmbeddedMember::kv() {
  return impl_->kv_;
}
uint64_t EmbeddedMember::id() const {
  return impl_->id_;
}
uint64_t EmbeddedMember::cluster_id() const {
  return impl_->cluster_id_;
}
std::vector<int> EmbeddedMember::client_ports() const {
  return impl_->core_->client_ports();
}

absl::StatusOr<std::vector<MemberInfo>> EmbeddedMember::MemberList() {
  auto response = impl_->Call<etcdserverpb::MemberListResponse>(
      [](server::Member& m, Done<etcdserverpb::MemberListResponse> done) {
        m.MemberList(etcdserverpb::MemberListRequest(), std::move(done));
      });
  if (!response.ok()) return response.status();
  std::vector<MemberInfo> members;
  for (const auto& member : response->members())
    members.push_back(FromProto(member));
  return members;
}

absl::StatusOr<MemberInfo> EmbeddedMember::MemberAdd(const std::vector<std::string>& peer_urls,
                                                     bool is_learner) {
  etcdserverpb::MemberAddRequest request;
  for (const std::string& url : peer_urls)
    request.add_peerurls(url);
  request.set_islearner(is_learner);
  auto response = impl_->Call<etcdserverpb::MemberAddResponse>(
      [&](server::Member& m, Done<etcdserverpb::MemberAddResponse> done) {
        m.MemberAdd(request, std::move(done));
      });
  if (!response.ok()) return response.status();
  return FromProto(response->member());
}

absl::Status EmbeddedMember::MemberRemove(uint64_t id) {
  etcdserverpb::MemberRemoveRequest request;
  request.set_id(id);
  return impl_
      ->Call<etcdserverpb::MemberRemoveResponse>(
          [&](server::Member& m, Done<etcdserverpb::MemberRemoveResponse> done) {
            m.MemberRemove(request, std::move(done));
          })
      .status();
}

absl::Status EmbeddedMember::MemberPromote(uint64_t id) {
  etcdserverpb::MemberPromoteRequest request;
  request.set_id(id);
  return impl_
      ->Call<etcdserverpb::MemberPromoteResponse>(
          [&](server::Member& m, Done<etcdserverpb::MemberPromoteResponse> done) {
            m.MemberPromote(request, std::move(done));
          })
      .status();
}

absl::Status EmbeddedMember::MoveLeader(uint64_t id) {
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(id);
  return impl_
      ->Call<etcdserverpb::MoveLeaderResponse>(
          [&](server::Member& m, Done<etcdserverpb::MoveLeaderResponse> done) {
            m.MoveLeader(request, std::move(done));
          })
      .status();
}

absl::StatusOr<MemberStatus> EmbeddedMember::Status() {
  auto response = impl_->Call<etcdserverpb::StatusResponse>(
      [](server::Member& m, Done<etcdserverpb::StatusResponse> done) {
        m.Status(std::move(done));
      });
  if (!response.ok()) return response.status();
  MemberStatus status;
  status.id = response->header().member_id();
  status.cluster_id = response->header().cluster_id();
  status.leader = response->leader();
  status.raft_index = response->raftindex();
  status.raft_term = response->raftterm();
  status.raft_applied_index = response->raftappliedindex();
  status.revision = response->header().revision();
  status.db_size = response->dbsize();
  status.is_learner = response->islearner();
  status.errors.assign(response->errors().begin(), response->errors().end());
  return status;
}

bool EmbeddedMember::IsRemoved() const {
  auto [member, lock] = impl_->core_->Acquire();
  return member != nullptr && member->IsRemoved();
}

void EmbeddedMember::Stop() {
  impl_->core_->Stop();
}

}  // namespace raftkv

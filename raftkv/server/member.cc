#include "raftkv/server/member.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "raftkv/lease/lease_table.h"
#include "raftkv/mvcc/store.h"
#include "raftkv/raft/errors.h"
#include "raftkv/raft/raw_node.h"
#include "raftkv/server/applier.h"
#include "raftkv/server/auto_compaction.h"
#include "raftkv/server/errors.h"
#include "raftkv/server/etcd_version.h"
#include "raftkv/server/event_queue.h"
#include "raftkv/server/leader_forwarder.h"
#include "raftkv/server/linearizable_reads.h"
#include "raftkv/server/member_id.h"
#include "raftkv/server/membership.h"
#include "raftkv/server/request_ids.h"
#include "raftkv/server/request_waiters.h"
#include "raftkv/server/snapshot_file.h"
#include "raftkv/server/worker_pool.h"
#include "raftkv/transport/frame.h"
#include "raftkv/transport/transport.h"
#include "raftkv/wal/wal_storage.h"

namespace raftkv::server {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How long a member waits for its own request before answering ErrTimeout (etcd: 5 s plus
// two election timeouts).
constexpr auto kBaseRequestTimeout = std::chrono::seconds(5);
// Checkpoints kept: the newest serves new snapshots, the one before may still be streaming.
constexpr size_t kCheckpointsToKeep = 2;
constexpr size_t kMaxLeaseRevokesPerTick = 100;

// Something for the raft thread to do. Everything that touches raft goes through here.
struct Proposal {
  uint64_t id;  // 0: nobody waits (lease expiry, alarms raised by this member)
  std::string data;
};
struct ConfChangeProposal {
  raftpb::ConfChangeV2 cc;
};
struct PeerUnreachable {
  uint64_t id;
};
struct PeerSnapshotStatus {
  uint64_t id;
  bool failed;
};
struct CheckpointReady {
  uint64_t index;
  uint64_t term;
  std::string name;
};
struct LeaderTransfer {
  uint64_t target;
};
// A linearizable read was queued: the raft thread starts a ReadIndex round now rather than at
// its next tick.
struct ReadQueued {};
using RaftEvent = std::variant<raftpb::Message, Proposal, ConfChangeProposal, PeerUnreachable,
                               PeerSnapshotStatus, CheckpointReady, LeaderTransfer, ReadQueued>;

// The member table and raft ConfState as of a log index, for snapshot descriptors.
struct MembershipAt {
  uint64_t index;
  raftpb::ConfState conf_state;
  std::vector<serverpb::Member> members;
  std::set<uint64_t> removed;
};

std::vector<std::string> UrlStrings(const std::vector<Url>& urls) {
  std::vector<std::string> out;
  for (const auto& u : urls)
    out.push_back(u.ToString());
  return out;
}

template <typename T>
absl::StatusOr<T> Take(absl::StatusOr<ApplyResponse> r) {
  if (!r.ok()) return r.status();
  if (auto* v = std::get_if<T>(&*r)) return std::move(*v);
  return absl::InternalError("unexpected apply response type");
}

etcdserverpb::Member ToEtcdMember(const serverpb::Member& m) {
  etcdserverpb::Member out;
  out.set_id(m.id());
  out.set_name(m.name());
  for (const auto& u : m.peer_urls())
    out.add_peerurls(u);
  for (const auto& u : m.client_urls())
    out.add_clienturls(u);
  out.set_islearner(m.is_learner());
  return out;
}

template <typename Response>
void FillMembers(const std::vector<serverpb::Member>& members, Response& resp) {
  for (const auto& m : members)
    *resp.add_members() = ToEtcdMember(m);
}

}  // namespace

class Member::Impl : public transport::TransportHandler {
 public:
  explicit Impl(const ServerOptions& options) : options_(options) {}
  ~Impl() override { Shutdown(); }

  absl::Status Open();
  void Shutdown();

  // TransportHandler (io threads).
  void OnMessage(raftpb::Message message) override { inbox_.Push(std::move(message)); }
  void OnUnreachable(uint64_t peer_id) override { inbox_.Push(PeerUnreachable{peer_id}); }
  void OnSnapshotStatus(uint64_t peer_id, bool failed) override {
    inbox_.Push(PeerSnapshotStatus{peer_id, failed});
  }
  absl::Status OnSnapshot(raftpb::Message message, fs::path payload_dir) override;
  void OnRemovedFromCluster(uint64_t peer_id) override;

  // Requests.
  void Propose(serverpb::ApplyRequest req, ApplyCompletion done);
  void ProposeMemberChange(raftpb::ConfChangeType type, serverpb::Member member, bool publish,
                           ApplyCompletion done);
  void ReadLinearizable(std::function<void(absl::Status)> ready);
  etcdserverpb::ResponseHeader Header() const;
  Clock::time_point Deadline() const { return Clock::now() + request_timeout_; }

  // Stamps cluster, member and term on a response, keeping the revision the apply set.
  template <typename Response>
  void FillHeader(Response& r) const {
    etcdserverpb::ResponseHeader h = Header();
    if (r.header().revision() != 0) h.set_revision(r.header().revision());
    *r.mutable_header() = h;
  }
  // Turns a caller's typed completion into one the applier can run.
  template <typename Response>
  ApplyCompletion Finish(Done<Response> done) {
    return [this, done = std::move(done)](absl::StatusOr<ApplyResponse> r) {
      auto typed = Take<Response>(std::move(r));
      if (typed.ok()) FillHeader(*typed);
      done(std::move(typed));
    };
  }
  // A completion answering a membership change with the member list after it.
  template <typename Response>
  ApplyCompletion MemberListCompletion(Done<Response> done) {
    return [this, done = std::move(done)](absl::StatusOr<ApplyResponse> r) {
      auto members = Take<std::vector<serverpb::Member>>(std::move(r));
      if (!members.ok()) return done(members.status());
      Response resp;
      *resp.mutable_header() = Header();
      for (const auto& m : *members)
        *resp.add_members() = ToEtcdMember(m);
      done(resp);
    };
  }
  // Refuses writes while the NOSPACE alarm is raised, raising it when the quota is exceeded.
  absl::Status CheckWritable(const serverpb::ApplyRequest& req);
  int64_t BackendBytes();
  void TransferLeadership(uint64_t target) { inbox_.Push(LeaderTransfer{target}); }

  const ServerOptions options_;
  uint64_t id_ = 0;
  uint64_t cluster_id_ = 0;
  std::chrono::milliseconds request_timeout_{0};
  fs::path member_dir_;
  fs::path checkpoint_dir_;

  std::unique_ptr<wal::WalStorage> storage_;
  std::unique_ptr<mvcc::Store> store_;
  std::unique_ptr<lease::LeaseTable> leases_;
  ClusterMembership membership_;
  RequestWaiters waiters_;
  std::unique_ptr<LinearizableReads> reads_;
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<transport::PeerTransport> transport_;
  std::unique_ptr<LeaderForwarder> forwarder_;
  std::unique_ptr<WorkerPool> workers_;

  std::unique_ptr<AutoCompactionPolicy> auto_compaction_;  // the raft thread's
  std::atomic<uint64_t> leader_{0};
  // The quota check's view of the backend size, read from RocksDB at most once a millisecond
  // (it costs ~4 us under the store's lock: a noticeable share of a put at full load).
  std::atomic<int64_t> backend_bytes_{0};
  std::atomic<int64_t> backend_bytes_read_at_ns_{0};
  std::atomic<uint64_t> term_{0};
  std::atomic<uint64_t> raft_index_{0};
  std::atomic<bool> published_{false};
  std::atomic<bool> stopping_{false};
  // A peer said this member was removed while it had not applied the removal itself.
  std::atomic<bool> removed_by_peer_{false};
  std::unique_ptr<RequestIds> request_ids_;

 private:
  absl::Status OpenStorage();
  absl::Status Bootstrap();
  absl::Status OpenStore(const serverpb::SnapshotDescriptor& snapshot_descriptor,
                         uint64_t snapshot_index);
  absl::Status StartRaft(uint64_t snapshot_index);
  absl::Status StartTransport();
  void LoadMembership(const serverpb::SnapshotDescriptor& d, uint64_t index,
                      const raftpb::ConfState& cs);

  // The raft thread.
  void RaftLoop();
  void Handle(RaftEvent& event, std::vector<Proposal>& proposals);
  absl::Status LearnerReady(const raftpb::ConfChangeV2& cc) const;
  void ProposeBatch(std::vector<Proposal> proposals);
  void OnTick(Clock::time_point now);
  void HandleReady();
  void OnSoftState(const raft::SoftState& ss);
  void Send(std::vector<raftpb::Message> messages);
  void InstallSnapshot(const raftpb::Snapshot& snapshot);
  void ApplyMembershipChanges(const std::vector<raftpb::Entry>& entries, CommittedEntries& task);
  absl::StatusOr<std::vector<serverpb::Member>> ApplyMembershipChange(const raftpb::Entry& e,
                                                                      uint64_t* request_id);
  void SyncPeers();
  void CompactLog(const CheckpointReady& c);
  void PruneCheckpoints(const std::string& keep);
  void MaybePublish();
  void RevokeExpiredLeases();
  void MaybeAutoCompact(Clock::time_point now);
  void Fatal(const absl::Status& s);

  std::unique_ptr<raft::RawNode> node_;   // the raft thread's alone
  std::vector<Proposal> held_proposals_;  // raft thread: waiting for a leader
  EventQueue<RaftEvent> inbox_;
  std::thread raft_thread_;
  std::map<uint64_t, std::string> peers_;         // raft thread: what the transport dials
  std::vector<MembershipAt> membership_history_;  // raft thread
  raft::StateType state_ = raft::StateType::kFollower;
  Clock::time_point last_publish_{};
};

// ---------------------------------------------------------------------------------------
// Start-up

absl::Status Member::Impl::Open() {
  request_timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      kBaseRequestTimeout + 2 * options_.election_timeout);
  member_dir_ = fs::path(options_.data_dir) / "member";
  checkpoint_dir_ = member_dir_ / "checkpoints";
  std::vector<std::string> self_urls = UrlStrings(options_.initial_advertise_peer_urls);
  id_ = ComputeMemberId(self_urls, options_.initial_cluster_token);
  cluster_id_ = ComputeClusterId(options_.initial_cluster_token);
  std::error_code ec;
  fs::create_directories(checkpoint_dir_, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", checkpoint_dir_.string(), ": ", ec.message()));
  }
  reads_ = std::make_unique<LinearizableReads>(id_, options_.election_timeout / 2);
  request_ids_ = std::make_unique<RequestIds>(id_, absl::Now());
  auto_compaction_ = std::make_unique<AutoCompactionPolicy>(options_);
  workers_ = std::make_unique<WorkerPool>(2);
  forwarder_ = std::make_unique<LeaderForwarder>();
  if (auto s = OpenStorage(); !s.ok()) return s;
  raftpb::Snapshot snap = *storage_->GetSnapshot();
  serverpb::SnapshotDescriptor descriptor;
  if (!descriptor.ParseFromString(snap.data())) {
    return absl::DataLossError("undecodable snapshot descriptor in the raft snapshot");
  }
  LoadMembership(descriptor, snap.metadata().index(), snap.metadata().conf_state());
  if (auto s = OpenStore(descriptor, snap.metadata().index()); !s.ok()) return s;
  if (auto s = StartTransport(); !s.ok()) return s;
  return StartRaft(snap.metadata().index());
}

absl::Status Member::Impl::OpenStorage() {
  wal::WalStorageOptions wo;
  wo.wal_dir = options_.wal_dir;
  wo.catch_up_entries = options_.snapshot_catchup_entries;
  auto storage = wal::WalStorage::Open(member_dir_.string(), wo);
  if (!storage.ok()) return storage.status();
  storage_ = *std::move(storage);
  if (!storage_->IsEmpty()) {
    if (options_.initial_cluster_state == ClusterState::kNew) {
      spdlog::info("{:x} restarting from existing data in {}; --initial-cluster is ignored", id_,
                   options_.data_dir);
    }
    return absl::OkStatus();
  }
  if (options_.initial_cluster_state == ClusterState::kExisting) {
    // Joining: the leader sends the log (or a snapshot) once it has added this member.
    spdlog::info("{:x} joining existing cluster {:x} as a new member", id_, cluster_id_);
    return absl::OkStatus();
  }
  return Bootstrap();
}

absl::Status Member::Impl::Bootstrap() {
  raftpb::ConfState cs;
  serverpb::SnapshotDescriptor descriptor = InitialMembership(options_, &cs);
  spdlog::info("{:x} bootstrapping new cluster {:x} with {} members", id_, cluster_id_,
               descriptor.members_size());
  return storage_->Bootstrap(cs, descriptor.SerializeAsString());
}

void Member::Impl::LoadMembership(const serverpb::SnapshotDescriptor& d, uint64_t index,
                                  const raftpb::ConfState& cs) {
  std::vector<serverpb::Member> members(d.members().begin(), d.members().end());
  std::set<uint64_t> removed(d.removed().begin(), d.removed().end());
  membership_.Reset(members, removed);
  membership_history_.assign(1, MembershipAt{index, cs, members, removed});
}

absl::Status Member::Impl::OpenStore(const serverpb::SnapshotDescriptor& descriptor,
                                     uint64_t snapshot_index) {
  mvcc::StoreOptions so;
  so.dir = (member_dir_ / "db").string();
  auto store = mvcc::Store::Open(so);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  // A crash between recording a received snapshot and installing it leaves the store behind
  // the snapshot, whose entries are gone from the log: install it now.
  if (store_->applied().index < snapshot_index && !descriptor.checkpoint().empty()) {
    std::string dir = (checkpoint_dir_ / descriptor.checkpoint()).string();
    spdlog::warn("{:x} state machine is at index {}, behind snapshot {}: installing {}", id_,
                 store_->applied().index, snapshot_index, dir);
    if (auto s = store_->RestoreFromCheckpoint(dir); !s.ok()) return s;
  }
  leases_ = std::make_unique<lease::LeaseTable>(lease::LeaseTable::Options{
      .min_ttl_seconds = std::max<int64_t>(
          1, std::chrono::ceil<std::chrono::seconds>(options_.election_timeout * 3 / 2).count()),
  });
  Applier::Options ao{
      .store = store_.get(),
      .leases = leases_.get(),
      .waiters = &waiters_,
      .member_id = id_,
      .snapshot_count = options_.snapshot_count,
      .snap_dir = checkpoint_dir_.string(),
      .on_applied = [this](uint64_t applied) { reads_->OnApplied(applied); },
      .on_checkpoint =
          [this](uint64_t index, uint64_t term, std::string name) {
            inbox_.Push(CheckpointReady{index, term, std::move(name)});
          },
      .on_fatal = [this](const absl::Status& s) { Fatal(s); },
  };
  applier_ = std::make_unique<Applier>(std::move(ao));
  return applier_->Start();
}

absl::Status Member::Impl::StartTransport() {
  transport::TransportOptions to;
  to.member_id = id_;
  to.cluster_id = cluster_id_;
  to.listen_address = options_.listen_peer_urls.front().HostPort();
  to.snapshot_dir = member_dir_ / "incoming";
  to.fault_file = options_.experimental_fault_file;
  transport_ = std::make_unique<transport::PeerTransport>(std::move(to), this);
  if (auto s = transport_->Start(); !s.ok()) return s;
  // Until the member table names them, peers come from --initial-cluster (a joining member
  // knows no other way to reach the cluster).
  for (const auto& [name, urls] : options_.initial_cluster) {
    uint64_t peer = ComputeMemberId(UrlStrings(urls), options_.initial_cluster_token);
    if (peer != id_) peers_[peer] = urls.front().HostPort();
  }
  for (const auto& m : membership_.List()) {
    if (m.id() != id_ && m.peer_urls_size() > 0) peers_[m.id()] = m.peer_urls(0);
  }
  for (uint64_t removed : membership_.Removed()) {
    peers_.erase(removed);
    transport_->MarkRemoved(removed);
  }
  for (const auto& [peer, url] : peers_) {
    if (auto s = transport_->AddPeer(peer, url); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Member::Impl::StartRaft(uint64_t snapshot_index) {
  raft::Config c;
  c.id = id_;
  c.election_tick = options_.ElectionTicks();
  c.heartbeat_tick = 1;
  c.storage = storage_.get();
  // Raft hands out everything after its snapshot again; the applier skips what the store has,
  // and membership changes are replayed onto the member table loaded from the snapshot.
  c.applied = snapshot_index;
  c.max_size_per_msg = 1 << 20;
  c.max_inflight_msgs = 512;
  c.check_quorum = true;
  c.pre_vote = true;
  c.random_seed = id_ ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  auto node = raft::RawNode::Create(c);
  if (!node.ok()) return node.status();
  node_ = *std::move(node);
  raft_thread_ = std::thread([this] { RaftLoop(); });
  return absl::OkStatus();
}

void Member::Impl::Shutdown() {
  if (stopping_.exchange(true)) return;
  inbox_.Push(PeerUnreachable{0});  // wakes the raft thread
  if (raft_thread_.joinable()) raft_thread_.join();
  if (transport_) transport_->Stop();
  applier_.reset();
  waiters_.FailAll(ErrStopped());
  if (reads_) reads_->FailAll(ErrStopped());
  workers_.reset();
}

void Member::Impl::Fatal(const absl::Status& s) {
  spdlog::critical("{:x} stopping: the member cannot continue safely: {}", id_, s.ToString());
  spdlog::default_logger()->flush();
  std::abort();
}

// ---------------------------------------------------------------------------------------
// The raft thread

void Member::Impl::RaftLoop() {
  auto next_tick = Clock::now() + options_.heartbeat_interval;
  while (!stopping_) {
    std::vector<RaftEvent> events = inbox_.TakeAll(next_tick);
    std::vector<Proposal> proposals;
    for (auto& e : events)
      Handle(e, proposals);
    if (!proposals.empty() || (!held_proposals_.empty() && leader_ != 0)) {
      ProposeBatch(std::move(proposals));
    }
    Clock::time_point now = Clock::now();
    if (now >= next_tick) {
      node_->Tick();
      OnTick(now);
      next_tick += options_.heartbeat_interval;
      if (next_tick < now) next_tick = now + options_.heartbeat_interval;
    }
    if (auto ctx = reads_->TakeRound(now)) node_->ReadIndex(*ctx);
    while (node_->HasReady())
      HandleReady();
  }
}

// Everything proposed since the last loop goes to raft as one append. Without a leader raft
// refuses proposals; they wait here for one (their callers' deadlines still apply), as a
// client of etcd sees a write during an election complete once it is over.
void Member::Impl::ProposeBatch(std::vector<Proposal> proposals) {
  if (leader_ == 0) {
    for (auto& p : proposals)
      held_proposals_.push_back(std::move(p));
    return;
  }
  if (!held_proposals_.empty()) {
    proposals.insert(proposals.begin(), std::make_move_iterator(held_proposals_.begin()),
                     std::make_move_iterator(held_proposals_.end()));
    held_proposals_.clear();
  }
  std::vector<std::string> batch;
  batch.reserve(proposals.size());
  for (auto& p : proposals)
    batch.push_back(p.data);
  absl::Status s = node_->Propose(std::move(batch));
  if (s.ok()) return;
  spdlog::debug("{:x} raft refused {} proposals: {}", id_, proposals.size(), s.ToString());
  if (leader_ == 0) {
    for (auto& p : proposals)
      held_proposals_.push_back(std::move(p));
    return;
  }
  // A leadership transfer is under way: the caller retries against the new leader.
  for (const auto& p : proposals) {
    if (p.id != 0) waiters_.Complete(p.id, ErrLeaderChanged());
  }
}

void Member::Impl::Handle(RaftEvent& event, std::vector<Proposal>& proposals) {
  if (auto* m = std::get_if<raftpb::Message>(&event)) {
    if (auto s = node_->Step(std::move(*m)); !s.ok()) {
      spdlog::debug("{:x} ignored message: {}", id_, s.ToString());
    }
  } else if (auto* p = std::get_if<Proposal>(&event)) {
    proposals.push_back(std::move(*p));
  } else if (auto* cc = std::get_if<ConfChangeProposal>(&event)) {
    if (auto s = LearnerReady(cc->cc); !s.ok()) {
      serverpb::MemberChange change;
      change.ParseFromString(cc->cc.context());
      waiters_.Complete(change.request_id(), s);
    } else if (auto s = node_->ProposeConfChange(cc->cc); !s.ok()) {
      serverpb::MemberChange change;
      change.ParseFromString(cc->cc.context());
      waiters_.Complete(change.request_id(), raft::IsProposalDropped(s) && leader_ == 0
                                                 ? ErrNoLeader()
                                                 : absl::UnavailableError(s.message()));
    }
  } else if (auto* u = std::get_if<PeerUnreachable>(&event)) {
    if (u->id != 0) node_->ReportUnreachable(u->id);
  } else if (auto* ss = std::get_if<PeerSnapshotStatus>(&event)) {
    node_->ReportSnapshot(ss->id, ss->failed);
  } else if (auto* c = std::get_if<CheckpointReady>(&event)) {
    CompactLog(*c);
  } else if (auto* t = std::get_if<LeaderTransfer>(&event)) {
    node_->TransferLeader(t->target);
  }
  // ReadQueued only wakes the loop, which asks LinearizableReads for a round after the events.
}

// etcd promotes a learner only once it holds at least 90% of the leader's log, so that the
// new voter does not stall commits while it catches up. Only the leader knows the progress;
// elsewhere the change goes to the leader unchecked.
absl::Status Member::Impl::LearnerReady(const raftpb::ConfChangeV2& cc) const {
  if (state_ != raft::StateType::kLeader) return absl::OkStatus();
  raft::Status status = node_->GetStatus();
  for (const auto& single : cc.changes()) {
    if (single.type() != raftpb::CONF_CHANGE_ADD_NODE) continue;
    auto learner = status.progress.find(single.node_id());
    auto self = status.progress.find(id_);
    if (learner == status.progress.end() || !learner->second.is_learner ||
        self == status.progress.end()) {
      continue;
    }
    if (static_cast<double>(learner->second.match) <
        0.9 * static_cast<double>(self->second.match)) {
      return ErrLearnerNotReady();
    }
  }
  return absl::OkStatus();
}

void Member::Impl::OnTick(Clock::time_point now) {
  waiters_.ExpireBefore(now, ErrTimeout());
  reads_->Expire(now, ErrTimeout());
  if (state_ == raft::StateType::kLeader) {
    RevokeExpiredLeases();
    MaybeAutoCompact(now);
  }
  MaybePublish();
}

void Member::Impl::HandleReady() {
  raft::Ready rd = node_->GetReady();
  if (rd.soft_state) OnSoftState(*rd.soft_state);
  bool leader = state_ == raft::StateType::kLeader;
  // A leader may send while it persists (raft thesis 10.2.1): it counts its own log towards
  // commit only once Advance says it is durable. Others must persist first: their messages
  // promise what they have on disk.
  if (leader) Send(std::move(rd.messages));
  if (auto s = storage_->SaveReady(rd); !s.ok()) Fatal(s);
  // Only once the WAL records the snapshot: a restart finds the store behind it and installs
  // the checkpoint again, never the other way round.
  if (rd.snapshot) InstallSnapshot(*rd.snapshot);
  if (!leader) Send(std::move(rd.messages));
  if (rd.hard_state) term_ = rd.hard_state->term();
  raft_index_ = storage_->LastIndex();
  for (const auto& rs : rd.read_states)
    reads_->OnReadState(rs, applier_->applied_index());
  if (!rd.committed_entries.empty()) {
    CommittedEntries task;
    ApplyMembershipChanges(rd.committed_entries, task);
    task.entries = std::move(rd.committed_entries);
    applier_->Enqueue(std::move(task));
  }
  node_->Advance();
}

void Member::Impl::OnSoftState(const raft::SoftState& ss) {
  uint64_t old_leader = leader_.exchange(ss.lead);
  bool was_leader = state_ == raft::StateType::kLeader;
  state_ = ss.state;
  if (ss.lead != old_leader) {
    spdlog::info("{:x} leader is now {:x} (term {})", id_, ss.lead, node_->hard_state().term());
  }
  bool is_leader = ss.state == raft::StateType::kLeader;
  if (is_leader && !was_leader) {
    // Clients need time to find the new leader before their leases can expire (etcd).
    leases_->Promote(options_.election_timeout);
    auto_compaction_->Reset();
  } else if (!is_leader && was_leader) {
    leases_->Demote();
  }
}

void Member::Impl::Send(std::vector<raftpb::Message> messages) {
  std::vector<raftpb::Message> regular;
  regular.reserve(messages.size());
  for (auto& m : messages) {
    if (m.type() != raftpb::MSG_SNAP) {
      regular.push_back(std::move(m));
      continue;
    }
    serverpb::SnapshotDescriptor d;
    d.ParseFromString(m.snapshot().data());
    fs::path payload = d.checkpoint().empty() ? fs::path() : checkpoint_dir_ / d.checkpoint();
    spdlog::info("{:x} sending snapshot at index {} to {:x}", id_, m.snapshot().metadata().index(),
                 m.to());
    transport_->SendSnapshot(std::move(m), payload);
  }
  if (!regular.empty()) transport_->Send(std::move(regular));
}

void Member::Impl::OnRemovedFromCluster(uint64_t peer_id) {
  if (removed_by_peer_.exchange(true)) return;
  spdlog::error(
      "{:x} peer {:x} says this member was permanently removed from the cluster; it "
      "should stop",
      id_, peer_id);
}

absl::Status Member::Impl::OnSnapshot(raftpb::Message message, fs::path payload_dir) {
  serverpb::SnapshotDescriptor d;
  if (!d.ParseFromString(message.snapshot().data())) {
    return absl::InvalidArgumentError("undecodable snapshot descriptor");
  }
  if (!d.checkpoint().empty()) {
    // The name comes from the peer and the directory it names is replaced below: it must be
    // one entry of checkpoint_dir_, not a path that leads elsewhere ("../..", "/").
    if (!transport::IsSafeRelativePath(d.checkpoint()) ||
        d.checkpoint().find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot names an unsafe checkpoint directory: ", d.checkpoint()));
    }
    // Put the files where the descriptor says they are, durably, before raft sees the
    // snapshot: once it is in the WAL, a restart looks for them there.
    fs::path target = checkpoint_dir_ / d.checkpoint();
    std::error_code ec;
    fs::remove_all(target, ec);
    fs::rename(payload_dir, target, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot move received snapshot to ", target.string(), ": ", ec.message()));
    }
  } else {
    std::error_code ec;
    fs::remove_all(payload_dir, ec);
  }
  inbox_.Push(std::move(message));
  return absl::OkStatus();
}

void Member::Impl::InstallSnapshot(const raftpb::Snapshot& snapshot) {
  serverpb::SnapshotDescriptor d;
  d.ParseFromString(snapshot.data());
  const auto& md = snapshot.metadata();
  LoadMembership(d, md.index(), md.conf_state());
  SyncPeers();
  std::string dir = d.checkpoint().empty() ? "" : (checkpoint_dir_ / d.checkpoint()).string();
  applier_->Enqueue(SnapshotInstall{md.index(), md.term(), dir});
}

void Member::Impl::ApplyMembershipChanges(const std::vector<raftpb::Entry>& entries,
                                          CommittedEntries& task) {
  bool changed = false;
  for (const auto& e : entries) {
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    uint64_t request_id = 0;
    auto members = ApplyMembershipChange(e, &request_id);
    changed |= members.ok();
    task.membership.push_back({e.index(), request_id, std::move(members)});
  }
  if (!changed) return;
  task.checkpoint_after = true;
  SyncPeers();
  if (!membership_.Find(id_) && membership_.IsRemoved(id_)) {
    spdlog::warn("{:x} this member was removed from the cluster; stopping raft traffic", id_);
  }
}

absl::StatusOr<std::vector<serverpb::Member>> Member::Impl::ApplyMembershipChange(
    const raftpb::Entry& e, uint64_t* request_id) {
  raftpb::ConfChangeV2 cc;
  serverpb::MemberChange change;
  if (!cc.ParseFromString(e.data()) || !change.ParseFromString(cc.context())) {
    return absl::DataLossError(absl::StrCat("undecodable membership change at ", e.index()));
  }
  *request_id = change.request_id();
  // Every member decides validity the same way from the same table, so an invalid change is
  // skipped everywhere and raft's configuration never diverges.
  for (const auto& single : cc.changes()) {
    if (auto s = membership_.Validate(single, change.member()); !s.ok()) return s;
  }
  auto cs = node_->ApplyConfChange(cc);
  if (!cs.ok()) return cs.status();
  for (const auto& single : cc.changes())
    membership_.Apply(single, change);
  membership_history_.push_back(
      MembershipAt{e.index(), *cs, membership_.List(), membership_.Removed()});
  return membership_.List();
}

void Member::Impl::SyncPeers() {
  std::map<uint64_t, std::string> want;
  for (const auto& m : membership_.List()) {
    if (m.id() != id_ && m.peer_urls_size() > 0) want[m.id()] = m.peer_urls(0);
  }
  for (uint64_t removed : membership_.Removed())
    transport_->MarkRemoved(removed);
  for (const auto& [peer, url] : want) {
    auto it = peers_.find(peer);
    if (it == peers_.end()) {
      (void)transport_->AddPeer(peer, url);
    } else if (it->second != url) {
      (void)transport_->UpdatePeer(peer, url);
    }
  }
  // Keep peers known only from --initial-cluster until the table says they were removed.
  for (auto it = peers_.begin(); it != peers_.end();) {
    it = membership_.IsRemoved(it->first) ? peers_.erase(it) : std::next(it);
  }
  for (const auto& [peer, url] : want)
    peers_[peer] = url;
}

void Member::Impl::CompactLog(const CheckpointReady& c) {
  // The membership as of the checkpoint's index: the last change at or before it.
  const MembershipAt* at = &membership_history_.front();
  for (const auto& m : membership_history_) {
    if (m.index <= c.index) at = &m;
  }
  serverpb::SnapshotDescriptor d;
  d.set_checkpoint(c.name);
  for (const auto& m : at->members)
    *d.add_members() = m;
  for (uint64_t id : at->removed)
    d.add_removed(id);
  raftpb::ConfState cs = at->conf_state;
  if (auto s = storage_->Compact(c.index, cs, d.SerializeAsString()); !s.ok()) {
    if (!raft::IsSnapOutOfDate(s)) Fatal(s);
    return;
  }
  // Forget history entries the snapshot now covers, keeping the one it was built from.
  std::erase_if(membership_history_, [&](const MembershipAt& m) { return m.index < at->index; });
  spdlog::info("{:x} compacted the raft log up to snapshot at index {}", id_, c.index);
  PruneCheckpoints(c.name);
}

void Member::Impl::PruneCheckpoints(const std::string& keep) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(checkpoint_dir_, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());  // fixed-width hex: oldest first
  size_t excess = names.size() > kCheckpointsToKeep ? names.size() - kCheckpointsToKeep : 0;
  for (size_t i = 0; i < excess; ++i) {
    if (names[i] != keep) fs::remove_all(checkpoint_dir_ / names[i], ec);
  }
}

void Member::Impl::MaybePublish() {
  if (published_ || leader_ == 0) return;
  auto self = membership_.Find(id_);
  if (!self) return;
  if (self->name() == options_.name &&
      std::vector<std::string>(self->client_urls().begin(), self->client_urls().end()) ==
          UrlStrings(options_.advertise_client_urls)) {
    published_ = true;
    return;
  }
  auto now = Clock::now();
  if (now - last_publish_ < options_.election_timeout) return;
  last_publish_ = now;
  serverpb::Member m = *self;
  m.set_name(options_.name);
  m.clear_client_urls();
  for (const auto& u : UrlStrings(options_.advertise_client_urls))
    m.add_client_urls(u);
  ProposeMemberChange(raftpb::CONF_CHANGE_UPDATE_NODE, m, /*publish=*/true,
                      [](absl::StatusOr<ApplyResponse>) {});
}

void Member::Impl::MaybeAutoCompact(Clock::time_point now) {
  auto revision = auto_compaction_->Next(now, store_->CurrentRevision());
  if (!revision) return;
  serverpb::ApplyRequest req;
  req.mutable_compaction()->set_revision(*revision);
  spdlog::info("{:x} auto-compacting to revision {}", id_, *revision);
  inbox_.Push(Proposal{0, req.SerializeAsString()});
}

void Member::Impl::RevokeExpiredLeases() {
  for (int64_t id : leases_->TakeExpired(kMaxLeaseRevokesPerTick)) {
    serverpb::ApplyRequest req;
    req.mutable_lease_revoke()->set_id(id);
    spdlog::info("{:x} lease {:x} expired; revoking", id_, id);
    inbox_.Push(Proposal{0, req.SerializeAsString()});
  }
}

// ---------------------------------------------------------------------------------------
// Requests

etcdserverpb::ResponseHeader Member::Impl::Header() const {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(cluster_id_);
  h.set_member_id(id_);
  h.set_revision(store_->CurrentRevision());
  h.set_raft_term(term_.load());
  return h;
}

absl::Status Member::Impl::CheckWritable(const serverpb::ApplyRequest& req) {
  bool writes = req.has_put() || req.has_txn() || req.has_lease_grant();
  if (!writes) return absl::OkStatus();
  if (applier_->alarms().Has(etcdserverpb::NOSPACE)) return ErrNoSpace();
  if (BackendBytes() > options_.quota_backend_bytes) {
    // Raise the alarm for the whole cluster, as etcd's quota check does.
    serverpb::ApplyRequest alarm;
    alarm.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
    alarm.mutable_alarm()->set_memberid(id_);
    alarm.mutable_alarm()->set_alarm(etcdserverpb::NOSPACE);
    inbox_.Push(Proposal{0, alarm.SerializeAsString()});
    return ErrNoSpace();
  }
  return absl::OkStatus();
}

int64_t Member::Impl::BackendBytes() {
  constexpr int64_t kRefreshNs = 1'000'000;
  const int64_t now = absl::GetCurrentTimeNanos();
  if (now - backend_bytes_read_at_ns_.load(std::memory_order_relaxed) >= kRefreshNs) {
    backend_bytes_.store(static_cast<int64_t>(store_->ApproximateDiskBytes()));
    backend_bytes_read_at_ns_.store(now, std::memory_order_relaxed);
  }
  return backend_bytes_.load();
}

void Member::Impl::Propose(serverpb::ApplyRequest req, ApplyCompletion done) {
  if (stopping_) return done(ErrStopped());
  if (auto s = CheckWritable(req); !s.ok()) return done(s);
  uint64_t id = request_ids_->Next();
  req.set_id(id);
  std::string data = req.SerializeAsString();
  if (data.size() > options_.max_request_bytes) return done(ErrRequestTooLarge());
  waiters_.Register(id, Deadline(), std::move(done));
  inbox_.Push(Proposal{id, std::move(data)});
}

void Member::Impl::ProposeMemberChange(raftpb::ConfChangeType type, serverpb::Member member,
                                       bool publish, ApplyCompletion done) {
  if (stopping_) return done(ErrStopped());
  serverpb::MemberChange change;
  change.set_request_id(request_ids_->Next());
  change.set_publish(publish);
  raftpb::ConfChangeV2 cc;
  auto* single = cc.add_changes();
  single->set_type(type);
  single->set_node_id(member.id());
  *change.mutable_member() = std::move(member);
  cc.set_context(change.SerializeAsString());
  waiters_.Register(change.request_id(), Deadline(), std::move(done));
  inbox_.Push(ConfChangeProposal{std::move(cc)});
}

void Member::Impl::ReadLinearizable(std::function<void(absl::Status)> ready) {
  if (stopping_) return ready(ErrStopped());
  reads_->Add(Deadline(), [this, ready = std::move(ready)](absl::Status s) mutable {
    // The read itself runs on a worker: the thread that confirmed it must not wait on disk.
    workers_->Submit([ready = std::move(ready), s] { ready(s); });
  });
  inbox_.Push(ReadQueued{});
}

// ---------------------------------------------------------------------------------------
// Member

absl::StatusOr<std::unique_ptr<Member>> Member::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s = impl->Open(); !s.ok()) return s;
  spdlog::info("{:x} started member {} of cluster {:x}", impl->id_, options.name,
               impl->cluster_id_);
  return std::unique_ptr<Member>(new Member(std::move(impl)));  // NOLINT: private constructor
}

Member::Member(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Member::~Member() = default;

uint64_t Member::id() const {
  return impl_->id_;
}
uint64_t Member::cluster_id() const {
  return impl_->cluster_id_;
}
etcdserverpb::ResponseHeader Member::Header() const {
  return impl_->Header();
}
mvcc::Store& Member::store() {
  return *impl_->store_;
}

void Member::Range(const etcdserverpb::RangeRequest& request,
                   Done<etcdserverpb::RangeResponse> done) {
  auto run = [impl = impl_.get(), request, done = std::move(done)](absl::Status s) {
    if (!s.ok()) return done(s);
    auto r = impl->store_->Range(request);
    if (r.ok()) impl->FillHeader(*r);
    done(std::move(r));
  };
  if (request.serializable()) return run(absl::OkStatus());
  impl_->ReadLinearizable(std::move(run));
}

void Member::Put(const etcdserverpb::PutRequest& request, Done<etcdserverpb::PutResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_put() = request;
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::DeleteRange(const etcdserverpb::DeleteRangeRequest& request,
                         Done<etcdserverpb::DeleteRangeResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_delete_range() = request;
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::Txn(const etcdserverpb::TxnRequest& request, Done<etcdserverpb::TxnResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_txn() = request;
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::Compact(const etcdserverpb::CompactionRequest& request,
                     Done<etcdserverpb::CompactionResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_compaction() = request;
  Impl* impl = impl_.get();
  bool physical = request.physical();
  int64_t revision = request.revision();
  impl->Propose(std::move(req), impl->Finish<etcdserverpb::CompactionResponse>(
                                    [impl, physical, revision, done = std::move(done)](
                                        absl::StatusOr<etcdserverpb::CompactionResponse> r) {
                                      if (!r.ok() || !physical) return done(std::move(r));
                                      impl->workers_->Submit([impl, revision, r, done] {
                                        impl->store_->WaitForCompaction(revision);
                                        done(r);
                                      });
                                    }));
}

void Member::LeaseGrant(const etcdserverpb::LeaseGrantRequest& request,
                        Done<etcdserverpb::LeaseGrantResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_lease_grant() = request;
  // The proposer picks the id (0: any free one), so every member applies the same grant.
  if (req.lease_grant().id() == 0) {
    do {
      req.mutable_lease_grant()->set_id(
          static_cast<int64_t>(impl_->request_ids_->Next() & 0x7fffffffffffffffULL));
    } while (impl_->leases_->Contains(req.lease_grant().id()));
  }
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& request,
                         Done<etcdserverpb::LeaseRevokeResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_lease_revoke() = request;
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& request,
                            Done<etcdserverpb::LeaseKeepAliveResponse> done) {
  auto ttl = impl_->leases_->Renew(request.id());
  if (ttl.ok() || !lease::IsNotPrimary(ttl.status())) {
    if (!ttl.ok()) return done(ttl.status());
    etcdserverpb::LeaseKeepAliveResponse resp;
    resp.set_id(request.id());
    resp.set_ttl(*ttl);
    *resp.mutable_header() = impl_->Header();
    return done(resp);
  }
  auto leader = impl_->membership_.Find(impl_->leader_.load());
  if (!leader || leader->client_urls_size() == 0) return done(ErrNoLeader());
  impl_->forwarder_->KeepAlive(leader->client_urls(0), request, impl_->Deadline(), std::move(done));
}

void Member::LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& request,
                             Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  if (!impl_->leases_->is_primary()) {
    auto leader = impl_->membership_.Find(impl_->leader_.load());
    if (!leader || leader->client_urls_size() == 0) return done(ErrNoLeader());
    return impl_->forwarder_->TimeToLive(leader->client_urls(0), request, impl_->Deadline(),
                                         std::move(done));
  }
  etcdserverpb::LeaseTimeToLiveResponse resp;
  *resp.mutable_header() = impl_->Header();
  resp.set_id(request.id());
  auto status = impl_->leases_->TimeToLive(request.id());
  if (!status) {
    resp.set_ttl(-1);  // etcd's answer for a lease that does not exist
    return done(resp);
  }
  resp.set_ttl(status->remaining_ttl);
  resp.set_grantedttl(status->granted_ttl);
  if (request.keys()) {
    auto keys = impl_->store_->KeysWithLease(request.id());
    if (!keys.ok()) return done(keys.status());
    for (auto& k : *keys)
      resp.add_keys(std::move(k));
  }
  done(resp);
}

void Member::LeaseLeases(const etcdserverpb::LeaseLeasesRequest&,
                         Done<etcdserverpb::LeaseLeasesResponse> done) {
  etcdserverpb::LeaseLeasesResponse resp;
  *resp.mutable_header() = impl_->Header();
  for (int64_t id : impl_->leases_->Ids())
    resp.add_leases()->set_id(id);
  done(resp);
}

void Member::MemberAdd(const etcdserverpb::MemberAddRequest& request,
                       Done<etcdserverpb::MemberAddResponse> done) {
  serverpb::Member m;
  std::vector<std::string> urls;
  for (const auto& u : request.peerurls()) {
    auto parsed = ParseUrl(u);
    if (!parsed.ok()) return done(absl::InvalidArgumentError(parsed.status().message()));
    urls.push_back(parsed->ToString());
    m.add_peer_urls(parsed->ToString());
  }
  if (urls.empty()) return done(absl::InvalidArgumentError("member peer urls not provided"));
  // etcd gives an added member a fresh id, so taken peer URLs are refused as such, not as
  // the existing member that the URL-derived id here would name.
  for (const auto& existing : impl_->membership_.List()) {
    for (const auto& u : existing.peer_urls()) {
      if (std::find(urls.begin(), urls.end(), u) != urls.end()) return done(ErrPeerUrlExist());
    }
  }
  m.set_id(ComputeMemberId(urls, impl_->options_.initial_cluster_token));
  m.set_is_learner(request.islearner());
  etcdserverpb::Member added = ToEtcdMember(m);
  Impl* impl = impl_.get();
  impl->ProposeMemberChange(
      request.islearner() ? raftpb::CONF_CHANGE_ADD_LEARNER_NODE : raftpb::CONF_CHANGE_ADD_NODE,
      std::move(m), false, [impl, added, done = std::move(done)](absl::StatusOr<ApplyResponse> r) {
        auto members = Take<std::vector<serverpb::Member>>(std::move(r));
        if (!members.ok()) return done(members.status());
        etcdserverpb::MemberAddResponse resp;
        *resp.mutable_header() = impl->Header();
        *resp.mutable_member() = added;
        FillMembers(*members, resp);
        done(resp);
      });
}

void Member::MemberRemove(const etcdserverpb::MemberRemoveRequest& request,
                          Done<etcdserverpb::MemberRemoveResponse> done) {
  if (!impl_->membership_.Find(request.id())) return done(ErrMemberNotFound());
  serverpb::Member m;
  m.set_id(request.id());
  impl_->ProposeMemberChange(raftpb::CONF_CHANGE_REMOVE_NODE, std::move(m), false,
                             impl_->MemberListCompletion(std::move(done)));
}

void Member::MemberUpdate(const etcdserverpb::MemberUpdateRequest& request,
                          Done<etcdserverpb::MemberUpdateResponse> done) {
  auto existing = impl_->membership_.Find(request.id());
  if (!existing) return done(ErrMemberNotFound());
  serverpb::Member m = *existing;
  m.clear_peer_urls();
  for (const auto& u : request.peerurls()) {
    auto parsed = ParseUrl(u);
    if (!parsed.ok()) return done(absl::InvalidArgumentError(parsed.status().message()));
    m.add_peer_urls(parsed->ToString());
  }
  impl_->ProposeMemberChange(raftpb::CONF_CHANGE_UPDATE_NODE, std::move(m), false,
                             impl_->MemberListCompletion(std::move(done)));
}

void Member::MemberPromote(const etcdserverpb::MemberPromoteRequest& request,
                           Done<etcdserverpb::MemberPromoteResponse> done) {
  auto existing = impl_->membership_.Find(request.id());
  if (!existing) return done(ErrMemberNotFound());
  if (!existing->is_learner()) return done(ErrMemberNotLearner());
  impl_->ProposeMemberChange(raftpb::CONF_CHANGE_ADD_NODE, *existing, false,
                             impl_->MemberListCompletion(std::move(done)));
}

void Member::MemberList(const etcdserverpb::MemberListRequest&,
                        Done<etcdserverpb::MemberListResponse> done) {
  etcdserverpb::MemberListResponse resp;
  *resp.mutable_header() = impl_->Header();
  FillMembers(impl_->membership_.List(), resp);
  done(resp);
}

void Member::Status(Done<etcdserverpb::StatusResponse> done) {
  etcdserverpb::StatusResponse resp;
  *resp.mutable_header() = impl_->Header();
  resp.set_version(std::string(kEtcdServerVersion));
  int64_t size = static_cast<int64_t>(impl_->store_->ApproximateDiskBytes());
  resp.set_dbsize(size);
  resp.set_dbsizeinuse(size);
  resp.set_leader(impl_->leader_.load());
  resp.set_raftindex(impl_->raft_index_.load());
  resp.set_raftterm(impl_->term_.load());
  resp.set_raftappliedindex(impl_->applier_->applied_index());
  auto self = impl_->membership_.Find(impl_->id_);
  resp.set_islearner(self && self->is_learner());
  for (const auto& a : impl_->applier_->alarms().List()) {
    resp.add_errors(absl::StrCat("memberID:", a.memberid(),
                                 " alarm:", etcdserverpb::AlarmType_Name(a.alarm())));
  }
  done(resp);
}

void Member::Alarm(const etcdserverpb::AlarmRequest& request,
                   Done<etcdserverpb::AlarmResponse> done) {
  serverpb::ApplyRequest req;
  *req.mutable_alarm() = request;
  impl_->Propose(std::move(req), impl_->Finish(std::move(done)));
}

void Member::MoveLeader(const etcdserverpb::MoveLeaderRequest& request,
                        Done<etcdserverpb::MoveLeaderResponse> done) {
  Impl* impl = impl_.get();
  if (impl->leader_.load() != impl->id_) return done(ErrNotLeader());
  auto target = impl->membership_.Find(request.targetid());
  if (!target || target->is_learner()) return done(ErrBadLeaderTransferee());
  impl->TransferLeadership(request.targetid());
  // Wait for the hand-over on a worker: it takes a few heartbeats.
  impl->workers_->Submit([impl, target_id = request.targetid(), done = std::move(done)] {
    auto deadline = impl->Deadline();
    while (Clock::now() < deadline) {
      if (impl->leader_.load() == target_id) {
        etcdserverpb::MoveLeaderResponse resp;
        *resp.mutable_header() = impl->Header();
        return done(resp);
      }
      std::this_thread::sleep_for(impl->options_.heartbeat_interval);
    }
    done(ErrTimeout());
  });
}

void Member::Defragment(Done<etcdserverpb::DefragmentResponse> done) {
  Impl* impl = impl_.get();
  impl->workers_->Submit([impl, done = std::move(done)] {
    if (auto s = impl->store_->Defragment(); !s.ok()) return done(s);
    etcdserverpb::DefragmentResponse resp;
    *resp.mutable_header() = impl->Header();
    done(resp);
  });
}

absl::StatusOr<etcdserverpb::HashKVResponse> Member::HashKV(int64_t revision) {
  auto h = impl_->store_->HashKV(revision);
  if (!h.ok()) return h.status();
  etcdserverpb::HashKVResponse resp;
  *resp.mutable_header() = impl_->Header();
  resp.mutable_header()->set_revision(h->current_revision);
  resp.set_hash(h->hash);
  resp.set_compact_revision(h->compact_revision);
  return resp;
}

absl::StatusOr<etcdserverpb::HashResponse> Member::Hash() {
  auto h = impl_->store_->HashKV(0);
  if (!h.ok()) return h.status();
  etcdserverpb::HashResponse resp;
  *resp.mutable_header() = impl_->Header();
  resp.set_hash(h->hash);
  return resp;
}

absl::Status Member::Snapshot(const std::function<bool(const std::string& chunk)>& chunk) {
  Impl* impl = impl_.get();
  fs::path dir = impl->member_dir_ / absl::StrCat("client-snapshot-", impl->request_ids_->Next());
  auto made = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = made->get_future();
  impl->applier_->Enqueue(
      CheckpointRequest{dir.string(), [made](absl::Status s) { made->set_value(std::move(s)); }});
  absl::Status s = result.get();
  if (s.ok()) s = StreamSnapshot(dir, chunk);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return s;
}

std::string Member::MetricsText() const {
  const Impl& i = *impl_;
  uint64_t leader = i.leader_.load();
  auto t = i.transport_->metrics();
  std::string out;
  auto gauge = [&out](absl::string_view name, absl::string_view help, double v) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n", name, " ", v,
                    "\n");
  };
  auto counter = [&out](absl::string_view name, absl::string_view help, double v) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ", v,
                    "\n");
  };
  gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.",
        leader != 0 ? 1 : 0);
  gauge("etcd_server_is_leader", "Whether or not this member is a leader.",
        leader == i.id_ ? 1 : 0);
  gauge("etcd_server_proposals_committed_total",
        "The total number of consensus proposals committed.",
        static_cast<double>(i.raft_index_.load()));
  gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.",
        static_cast<double>(i.applier_->applied_index()));
  gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.",
        static_cast<double>(i.waiters_.size()));
  gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database in bytes.",
        static_cast<double>(i.store_->ApproximateDiskBytes()));
  gauge("etcd_debugging_mvcc_current_revision", "The current revision of store.",
        static_cast<double>(i.store_->CurrentRevision()));
  gauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.",
        static_cast<double>(i.store_->CompactRevision()));
  gauge("raftkv_raft_term", "The current raft term.", static_cast<double>(i.term_.load()));
  counter("raftkv_transport_messages_sent_total", "Raft messages written to peers.",
          static_cast<double>(t.messages_sent));
  counter("raftkv_transport_messages_received_total", "Raft messages received from peers.",
          static_cast<double>(t.messages_received));
  counter("raftkv_transport_messages_dropped_total", "Raft messages dropped before sending.",
          static_cast<double>(t.messages_dropped));
  counter("raftkv_transport_snapshots_sent_total", "Snapshots sent to peers.",
          static_cast<double>(t.snapshots_sent));
  return out;
}

bool Member::WaitUntilPublished() const {
  const Impl& i = *impl_;
  auto start = Clock::now();
  while (!i.published_.load()) {
    auto waited = Clock::now() - start;
    bool leaderless = i.leader_.load() == 0 && waited > 2 * i.options_.election_timeout;
    if (leaderless || waited > i.request_timeout_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool Member::IsRemoved() const {
  return impl_->removed_by_peer_ || impl_->membership_.IsRemoved(impl_->id_);
}

bool Member::HasLeader() const {
  return impl_->leader_.load() != 0;
}

bool Member::IsHealthy() const {
  return impl_->leader_.load() != 0 && !impl_->applier_->alarms().Has(etcdserverpb::NOSPACE);
}

}  // namespace raftkv::server

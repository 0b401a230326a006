#include "raftkv/server/applier.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "leasepb/lease.pb.h"
#include "raftkv/lease/lease_table.h"
#include "raftkv/mvcc/store.h"
#include "raftkv/server/member_id.h"
#include "serverpb/apply.pb.h"

namespace raftkv::server {
namespace {

constexpr std::string_view kLeasePrefix = "lease/";

std::string LeaseKey(int64_t id) {
  return absl::StrCat(absl::string_view(kLeasePrefix.data(), kLeasePrefix.size()), absl::Hex(id));
}

}  // namespace

// One run of entries written as one batch. Completions are held back until the batch is
// committed, so no caller sees a result that a failed write would take back.
class Applier::Run {
 public:
  explicit Run(Applier* applier)
      : applier_(applier), batch_(applier->options_.store->BeginApply()) {
    InstallLeaseCheck();
  }

  void Apply(const raftpb::Entry& e) {
    last_ = {e.index(), e.term()};
    if (e.type() != raftpb::ENTRY_NORMAL || e.data().empty()) return;
    serverpb::ApplyRequest req;
    if (!req.ParseFromString(e.data())) {
      spdlog::error("{:x} skipping undecodable entry at index {}", applier_->options_.member_id,
                    e.index());
      return;
    }
    Complete(req.id(), Dispatch(req));
  }

  // Writes what the run holds and completes its callers. False when the write failed.
  bool Commit() {
    absl::Status s = batch_.Commit(last_);
    if (!s.ok()) {
      applier_->options_.on_fatal(s);
      return false;
    }
    for (auto& [id, result] : completions_)
      applier_->options_.waiters->Complete(id, std::move(result));
    completions_.clear();
    return true;
  }

  void AddMembershipOutcome(uint64_t request_id, absl::StatusOr<ApplyResponse> result) {
    completions_.emplace_back(request_id, std::move(result));
  }

 private:
  void InstallLeaseCheck() {
    lease::LeaseTable* leases = applier_->options_.leases;
    batch_.SetLeaseCheck([leases](int64_t id) {
      return leases->Contains(id) ? absl::OkStatus() : lease::ErrLeaseNotFound();
    });
  }

  template <typename Response>
  absl::StatusOr<ApplyResponse> Stamp(absl::StatusOr<Response> r) {
    if (!r.ok()) return r.status();
    r->mutable_header()->set_revision(batch_.revision());
    return ApplyResponse(*std::move(r));
  }

  absl::StatusOr<ApplyResponse> Dispatch(const serverpb::ApplyRequest& req) {
    switch (req.request_case()) {
      case serverpb::ApplyRequest::kPut:
        return Stamp(batch_.Put(req.put()));
      case serverpb::ApplyRequest::kDeleteRange:
        return Stamp(batch_.DeleteRange(req.delete_range()));
      case serverpb::ApplyRequest::kTxn:
        return Stamp(batch_.Txn(req.txn()));
      case serverpb::ApplyRequest::kCompaction:
        return Stamp(batch_.Compact(req.compaction()));
      case serverpb::ApplyRequest::kLeaseGrant:
        return LeaseGrant(req.lease_grant());
      case serverpb::ApplyRequest::kLeaseRevoke:
        return LeaseRevoke(req.lease_revoke());
      case serverpb::ApplyRequest::kAlarm:
        return Alarm(req.alarm());
      case serverpb::ApplyRequest::REQUEST_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("empty request");
  }

  absl::StatusOr<ApplyResponse> LeaseGrant(const etcdserverpb::LeaseGrantRequest& req) {
    auto granted = applier_->options_.leases->Grant(req.id(), req.ttl());
    if (!granted.ok()) return granted.status();
    if (auto s = batch_.PutAux(LeaseKey(granted->id()), granted->SerializeAsString()); !s.ok()) {
      return s;
    }
    etcdserverpb::LeaseGrantResponse resp;
    resp.set_id(granted->id());
    resp.set_ttl(granted->ttl());
    resp.mutable_header()->set_revision(batch_.revision());
    return resp;
  }

  // Revoking deletes the lease's keys in one revision, as etcd does.
  absl::StatusOr<ApplyResponse> LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& req) {
    if (auto s = applier_->options_.leases->Revoke(req.id()); !s.ok()) return s;
    auto keys = batch_.KeysWithLease(req.id());
    if (!keys.ok()) return keys.status();
    etcdserverpb::TxnRequest txn;
    for (const auto& key : *keys)
      txn.add_success()->mutable_request_delete_range()->set_key(key);
    if (!keys->empty()) {
      if (auto r = batch_.Txn(txn); !r.ok()) return r.status();
    }
    if (auto s = batch_.DeleteAux(LeaseKey(req.id())); !s.ok()) return s;
    etcdserverpb::LeaseRevokeResponse resp;
    resp.mutable_header()->set_revision(batch_.revision());
    return resp;
  }

  absl::StatusOr<ApplyResponse> Alarm(const etcdserverpb::AlarmRequest& req) {
    auto result = applier_->alarms_.Apply(req, batch_);
    if (!result.ok()) return result.status();
    result->mutable_header()->set_revision(batch_.revision());
    return ApplyResponse(*std::move(result));
  }

  void Complete(uint64_t id, absl::StatusOr<ApplyResponse> result) {
    if (id != 0) completions_.emplace_back(id, std::move(result));
  }

  Applier* applier_;
  mvcc::ApplyBatch batch_;
  mvcc::AppliedIndex last_;
  std::vector<std::pair<uint64_t, absl::StatusOr<ApplyResponse>>> completions_;
};

Applier::Applier(Options options) : options_(std::move(options)) {}

Applier::~Applier() {
  stopping_ = true;
  queue_.Push(CommittedEntries{});
  if (thread_.joinable()) thread_.join();
  checkpoints_.reset();
}

std::string Applier::CheckpointName(uint64_t index) {
  return absl::StrFormat("checkpoint-%016x", index);
}

absl::Status Applier::Start() {
  applied_index_ = options_.store->applied().index;
  last_checkpoint_index_ = applied_index_.load();
  if (auto s = RestoreFromStore(); !s.ok()) return s;
  checkpoints_ = std::make_unique<CheckpointMaker>(
      options_.store, options_.snap_dir,
      [this](const CheckpointMaker::Job& job, const absl::Status& status,
             std::chrono::microseconds took) { OnCheckpointMade(job, status, took); });
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Applier::Enqueue(CommittedEntries entries) {
  queue_.Push(std::move(entries));
}
void Applier::Enqueue(SnapshotInstall install) {
  queue_.Push(std::move(install));
}
void Applier::Enqueue(CheckpointRequest request) {
  queue_.Push(std::move(request));
}

void Applier::Loop() {
  while (!stopping_) {
    auto tasks = queue_.TakeAll(std::chrono::steady_clock::now() + std::chrono::seconds(1));
    for (auto& task : tasks) {
      if (stopping_) return;
      if (auto* entries = std::get_if<CommittedEntries>(&task)) {
        Apply(*entries);
      } else if (auto* install = std::get_if<SnapshotInstall>(&task)) {
        Install(*install);
      } else {
        auto& request = std::get<CheckpointRequest>(task);
        checkpoints_->WaitIdle();
        request.done(options_.store->CreateCheckpoint(request.dir));
      }
    }
  }
}

void Applier::Apply(CommittedEntries& task) {
  if (task.entries.empty()) return;
  uint64_t store_applied = options_.store->applied().index;
  Run run(this);
  size_t next_outcome = 0;
  uint64_t last_term = 0;
  bool wrote = false;
  for (const auto& e : task.entries) {
    // Entries the store already holds come again after a restart; skip them.
    if (e.index() <= store_applied) continue;
    run.Apply(e);
    wrote = true;
    last_term = e.term();
    while (next_outcome < task.membership.size() &&
           task.membership[next_outcome].index == e.index()) {
      auto& o = task.membership[next_outcome++];
      if (o.members.ok()) {
        run.AddMembershipOutcome(o.request_id, ApplyResponse(*std::move(o.members)));
      } else {
        run.AddMembershipOutcome(o.request_id, o.members.status());
      }
    }
  }
  if (!wrote || !run.Commit()) return;
  uint64_t applied = task.entries.back().index();
  applied_index_ = applied;
  options_.on_applied(applied);
  MaybeCheckpoint(last_term, task.checkpoint_after);
}

void Applier::MaybeCheckpoint(uint64_t term, bool force) {
  const uint64_t applied = applied_index_.load();
  const uint64_t last = last_checkpoint_index_.load();
  if (applied == last) return;
  if (!force && applied - last < options_.snapshot_count) return;
  // A membership change needs a checkpoint at or after it (a joining member can only start
  // from one that names it), so it waits for the one in hand; otherwise a busy maker means
  // the next run tries again.
  if (force) checkpoints_->WaitIdle();
  checkpoints_->TryStart({applied, term, CheckpointName(applied)});
}

void Applier::OnCheckpointMade(const CheckpointMaker::Job& job, const absl::Status& status,
                               std::chrono::microseconds took) {
  if (!status.ok()) {
    spdlog::warn("{:x} failed to create checkpoint at index {}: {}", options_.member_id, job.index,
                 status.ToString());
    return;
  }
  last_checkpoint_index_ = job.index;
  spdlog::info("{:x} created checkpoint {} at applied index {} in {:.1f} ms", options_.member_id,
               job.name, job.index, took.count() / 1000.0);
  options_.on_checkpoint(job.index, job.term, job.name);
}

void Applier::Install(const SnapshotInstall& install) {
  checkpoints_->WaitIdle();
  // The bootstrap snapshot has no checkpoint: the state machine at its index is empty.
  absl::Status restored = install.checkpoint_dir.empty()
                              ? options_.store->ResetAppliedIndex({install.index, install.term})
                              : options_.store->RestoreFromCheckpoint(install.checkpoint_dir);
  if (!restored.ok()) {
    options_.on_fatal(restored);
    return;
  }
  if (auto s = RestoreFromStore(); !s.ok()) {
    options_.on_fatal(s);
    return;
  }
  // The store's index, not the snapshot's: a checkpoint may hold entries past its index (see
  // CheckpointMaker), and the entries raft hands out up to them are skipped.
  const uint64_t applied = options_.store->applied().index;
  applied_index_ = applied;
  last_checkpoint_index_ = install.index;
  spdlog::info("{:x} installed snapshot at index {} (term {}), state machine at index {}",
               options_.member_id, install.index, install.term, applied);
  options_.on_applied(applied);
}

absl::Status Applier::RestoreFromStore() {
  auto records = options_.store->ScanAux(kLeasePrefix);
  if (!records.ok()) return records.status();
  std::vector<leasepb::Lease> leases;
  for (const auto& [key, value] : *records) {
    leasepb::Lease l;
    if (!l.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("undecodable lease record ", key));
    }
    leases.push_back(std::move(l));
  }
  options_.leases->Restore(leases);
  return alarms_.Restore(*options_.store);
}

}  // namespace raftkv::server

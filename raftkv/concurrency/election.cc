#include "raftkv/concurrency/election.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "raftkv/concurrency/wait.h"
#include "spdlog/spdlog.h"

namespace raftkv::concurrency {
namespace {

using internal::CallDeadline;

absl::Status NotLeader() {
  return absl::FailedPreconditionError("election: not leader");
}

// Follows the leader of an election: its key-value now, then every change of its value,
// and on to the next leader when it resigns (etcd's Election.observe).
class ElectionObserver final : public Election::Observer {
 public:
  ElectionObserver(KV& kv, std::string prefix, std::function<void(const KeyValue&)> on_leader)
      : kv_(kv),
        prefix_(std::move(prefix)),
        on_leader_(std::move(on_leader)),
        thread_([this] { Run(); }) {}

  ~ElectionObserver() override {
    stopping_.store(true);
    thread_.join();
  }

 private:
  static constexpr std::chrono::milliseconds kPoll{200};  // how often Run checks stopping_

  void Run() {
    while (!stopping_.load()) {
      if (!FollowOneLeader()) std::this_thread::sleep_for(kPoll);
    }
  }

  // Reports the current leader (waiting for one if there is none) and its changes until its
  // key is deleted. False on an error (retried after a pause).
  bool FollowOneLeader() {
    absl::StatusOr<GetResponse> first = kv_.Get(prefix_, internal::FirstCreated(prefix_));
    if (!first.ok()) return false;
    int64_t from = first->header.revision + 1;
    std::string leader_key;
    if (!first->kvs.empty()) {
      leader_key = first->kvs[0].key;
      from = first->kvs[0].mod_revision + 1;
      on_leader_(first->kvs[0]);
    }
    WatchOptions options = WithPrefixWatch();
    options.start_revision = from;
    absl::StatusOr<std::unique_ptr<Watcher>> watcher = kv_.Watch(prefix_, options);
    if (!watcher.ok()) return false;
    while (!stopping_.load()) {
      absl::StatusOr<WatchResponse> response = (*watcher)->Next(Within(kPoll));
      if (absl::IsDeadlineExceeded(response.status())) continue;
      if (!response.ok() || response->canceled) return false;
      for (const WatchEvent& event : response->events) {
        if (leader_key.empty() && event.type == WatchEvent::Type::kPut) {
          leader_key = event.kv.key;  // the first candidate of an empty election leads
        }
        if (event.kv.key != leader_key) continue;
        if (event.type == WatchEvent::Type::kDelete) return true;  // find the next leader
        on_leader_(event.kv);
      }
    }
    return true;
  }

  WatchOptions WithPrefixWatch() const {
    WatchOptions options;
    options.range_end = PrefixEnd(prefix_);
    return options;
  }

  KV& kv_;
  const std::string prefix_;
  const std::function<void(const KeyValue&)> on_leader_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

Election::Election(Session& session, std::string_view name)
    : session_(session), prefix_(std::string(name) + "/") {}

absl::Status Election::Campaign(std::string_view value, Deadline deadline) {
  KV& kv = session_.kv();
  const std::string key = absl::StrFormat("%s%x", prefix_, session_.lease());
  TxnRequest txn;
  txn.compare.push_back(Compare::CreateRevision(key, Compare::Result::kEqual, 0));
  PutOptions put;
  put.lease = session_.lease();
  txn.success = {Op::Put(key, value, put)};
  txn.failure = {Op::Get(key)};
  absl::StatusOr<TxnResponse> response = kv.Txn(txn, {CallDeadline(deadline)});
  if (!response.ok()) return response.status();
  key_ = key;
  revision_ = response->header.revision;
  if (!response->succeeded) {
    const KeyValue& existing = response->responses[0].get.kvs.at(0);
    revision_ = existing.create_revision;
    if (existing.value != value) {
      if (absl::Status s = Proclaim(value, deadline); !s.ok()) {
        Resign().IgnoreError();
        return s;
      }
    }
  }
  absl::Status waited = internal::WaitDeletes(kv, prefix_, revision_ - 1, deadline);
  if (!waited.ok()) {
    Resign().IgnoreError();  // withdraw the candidacy; the wait's error is what matters
    return waited;
  }
  return absl::OkStatus();
}

absl::Status Election::Proclaim(std::string_view value, Deadline deadline) {
  if (key_.empty()) return NotLeader();
  TxnRequest txn;
  txn.compare.push_back(Compare::CreateRevision(key_, Compare::Result::kEqual, revision_));
  PutOptions put;
  put.lease = session_.lease();
  txn.success = {Op::Put(key_, value, put)};
  absl::StatusOr<TxnResponse> response = session_.kv().Txn(txn, {CallDeadline(deadline)});
  if (!response.ok()) return response.status();
  if (!response->succeeded) {
    key_.clear();
    return NotLeader();
  }
  return absl::OkStatus();
}

absl::Status Election::Resign(Deadline deadline) {
  if (key_.empty()) return absl::OkStatus();
  TxnRequest txn;
  txn.compare.push_back(Compare::CreateRevision(key_, Compare::Result::kEqual, revision_));
  txn.success = {Op::Delete(key_)};
  absl::StatusOr<TxnResponse> response = session_.kv().Txn(txn, {CallDeadline(deadline)});
  key_.clear();
  revision_ = 0;
  return response.status();
}

absl::StatusOr<KeyValue> Election::Leader(Deadline deadline) {
  RangeOptions options = internal::FirstCreated(prefix_);
  options.deadline = CallDeadline(deadline);
  absl::StatusOr<GetResponse> response = session_.kv().Get(prefix_, options);
  if (!response.ok()) return response.status();
  if (response->kvs.empty()) return absl::NotFoundError("election: no leader");
  return response->kvs[0];
}

std::unique_ptr<Election::Observer> Election::Observe(
    std::function<void(const KeyValue&)> on_leader) {
  return std::make_unique<ElectionObserver>(session_.kv(), prefix_, std::move(on_leader));
}

}  // namespace raftkv::concurrency

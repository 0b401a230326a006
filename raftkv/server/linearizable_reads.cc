#include "raftkv/server/linearizable_reads.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace raftkv::server {
namespace {

std::string ContextPrefix(uint64_t member_id) {
  std::random_device random;
  const uint64_t run = (uint64_t{random()} << 32) ^ random();
  return absl::StrCat("read-", absl::Hex(member_id), "-", absl::Hex(run), "-");
}

}  // namespace

LinearizableReads::LinearizableReads(uint64_t member_id, std::chrono::milliseconds round_retry)
    : round_retry_(round_retry), context_prefix_(ContextPrefix(member_id)) {}

void LinearizableReads::Add(Clock::time_point deadline, Ready ready) {
  absl::MutexLock lock(&mu_);
  queued_.push_back(Read{deadline, std::move(ready)});
}

std::optional<std::string> LinearizableReads::TakeRound(Clock::time_point now) {
  absl::MutexLock lock(&mu_);
  if (!round_ctx_.empty()) {
    if (now - round_sent_ < round_retry_) return std::nullopt;
    // Overdue: ask again under the same context; the reads stay in this round.
    round_sent_ = now;
    return round_ctx_;
  }
  if (queued_.empty()) return std::nullopt;
  round_ctx_ = absl::StrCat(context_prefix_, next_round_++);
  round_sent_ = now;
  round_ = std::move(queued_);
  queued_.clear();
  return round_ctx_;
}

void LinearizableReads::OnReadState(const raft::ReadState& state, uint64_t applied) {
  std::vector<Read> ready;
  {
    absl::MutexLock lock(&mu_);
    if (state.request_ctx != round_ctx_) return;  // an answer to a round already answered
    applied_ = std::max(applied_, applied);
    if (state.index <= applied_) {
      ready = std::move(round_);
    } else {
      for (auto& r : round_)
        waiting_.emplace(state.index, std::move(r));
    }
    round_.clear();
    round_ctx_.clear();
  }
  Release(ready);
}

void LinearizableReads::OnApplied(uint64_t applied) {
  std::vector<Read> ready;
  {
    absl::MutexLock lock(&mu_);
    applied_ = std::max(applied_, applied);
    auto end = waiting_.upper_bound(applied_);
    for (auto it = waiting_.begin(); it != end; ++it)
      ready.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), end);
  }
  Release(ready);
}

void LinearizableReads::Expire(Clock::time_point now, const absl::Status& status) {
  std::vector<Read> expired;
  {
    absl::MutexLock lock(&mu_);
    auto take_expired = [&](std::vector<Read>& reads) {
      std::vector<Read> kept;
      for (auto& r : reads)
        (r.deadline < now ? expired : kept).push_back(std::move(r));
      reads = std::move(kept);
    };
    take_expired(queued_);
    take_expired(round_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.deadline < now) {
        expired.push_back(std::move(it->second));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : expired)
    r.ready(status);
}

void LinearizableReads::FailAll(const absl::Status& status) {
  std::vector<Read> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto* v : {&queued_, &round_}) {
      for (auto& r : *v)
        all.push_back(std::move(r));
      v->clear();
    }
    for (auto& [index, r] : waiting_)
      all.push_back(std::move(r));
    waiting_.clear();
    round_ctx_.clear();
  }
  for (auto& r : all)
    r.ready(status);
}

void LinearizableReads::Release(const std::vector<Read>& reads) {
  for (const auto& r : reads)
    r.ready(absl::OkStatus());
}

}  // namespace raftkv::server

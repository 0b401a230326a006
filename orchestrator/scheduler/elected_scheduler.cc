#include "orchestrator/scheduler/elected_scheduler.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace orch::scheduler {

ElectedScheduler::ElectedScheduler(client::Client& client, SchedulerOptions options,
                                   client::LeaderElectionConfig election)
    : client_(client), options_(std::move(options)), identity_(election.identity) {
  election.on_started_leading = [this] {
    leading_ = true;
    changes_.Push(TermChange::kStart);
  };
  election.on_stopped_leading = [this] {
    leading_ = false;
    changes_.Push(TermChange::kStop);
  };
  election.on_new_leader = [this](const std::string& holder) {
    spdlog::info("scheduler[{}]: the leader is now {}", identity_, holder);
  };
  elector_ = std::make_unique<client::LeaderElector>(client_, std::move(election));
}

ElectedScheduler::~ElectedScheduler() {
  Stop();
}

void ElectedScheduler::Start() {
  term_thread_ = std::thread([this] { TermLoop(); });
  elector_->Start();
}

void ElectedScheduler::Stop() {
  if (stopped_.exchange(true)) return;
  changes_.Close();
  if (term_thread_.joinable()) term_thread_.join();
  elector_->Stop();
}

std::optional<SchedulerStats> ElectedScheduler::TermStats() const {
  std::lock_guard lock(term_mu_);
  if (term_ == nullptr) return std::nullopt;
  return term_->stats();
}

void ElectedScheduler::TermLoop() {
  auto end_term = [this] {
    std::unique_ptr<Scheduler> ending;
    {
      std::lock_guard lock(term_mu_);
      ending = std::move(term_);
    }
    if (ending == nullptr) return;
    scheduling_ = false;
    ending->Stop();
    spdlog::info("scheduler[{}]: stopped scheduling", identity_);
  };
  while (std::optional<TermChange> change = changes_.Pop()) {
    end_term();
    if (*change == TermChange::kStop || !leading_.load()) continue;
    spdlog::info("scheduler[{}]: leading; listing nodes and pods", identity_);
    auto term = std::make_unique<Scheduler>(client_, options_);
    if (absl::Status status = term->Start(); !status.ok()) {
      spdlog::error("scheduler[{}]: cannot start scheduling, trying again: {}", identity_,
                    status.ToString());
      if (leading_.load()) changes_.Push(TermChange::kStart);
      continue;
    }
    {
      std::lock_guard lock(term_mu_);
      term_ = std::move(term);
    }
    scheduling_ = true;
  }
  end_term();
}

}  // namespace orch::scheduler

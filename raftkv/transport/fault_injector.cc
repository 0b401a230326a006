#include "raftkv/transport/fault_injector.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace raftkv::transport {
namespace {

constexpr std::chrono::milliseconds kPollInterval(50);

absl::StatusOr<uint64_t> ParsePeer(absl::string_view text) {
  if (text == "*") return 0;
  uint64_t id = 0;
  if (!absl::SimpleHexAtoi(text, &id) || id == 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad peer id \"", text, "\""));
  }
  return id;
}

absl::StatusOr<FaultRule> ParseRule(const std::vector<absl::string_view>& words) {
  if (words.size() < 3 || words[1] != "to") {
    return absl::InvalidArgumentError("expected \"<drop|delay|loss> to <peer> ...\"");
  }
  auto peer = ParsePeer(words[2]);
  if (!peer.ok()) return peer.status();
  FaultRule rule;
  rule.peer = *peer;
  if (words[0] == "drop" && words.size() == 3) {
    rule.kind = FaultRule::Kind::kDrop;
    return rule;
  }
  if (words.size() != 4) return absl::InvalidArgumentError("wrong number of words");
  absl::string_view amount = words[3];
  if (words[0] == "delay" && absl::ConsumeSuffix(&amount, "ms")) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(amount, &ms) || ms < 0) {
      return absl::InvalidArgumentError("bad delay");
    }
    rule.kind = FaultRule::Kind::kDelay;
    rule.delay = std::chrono::milliseconds(ms);
    return rule;
  }
  if (words[0] == "loss" && absl::ConsumeSuffix(&amount, "%")) {
    double percent = 0;
    if (!absl::SimpleAtod(amount, &percent) || percent < 0 || percent > 100) {
      return absl::InvalidArgumentError("bad loss percentage");
    }
    rule.kind = FaultRule::Kind::kLoss;
    rule.loss = percent / 100;
    return rule;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown rule \"", words[0], "\""));
}

}  // namespace

absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view text) {
  std::vector<FaultRule> rules;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.empty()) continue;
    auto rule = ParseRule(words);
    if (!rule.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault rules line ", number, ": ", rule.status().message()));
    }
    rules.push_back(*rule);
  }
  return rules;
}

FaultInjector::FaultInjector(std::filesystem::path rules_file, uint64_t member_id, Deliver deliver,
                             std::shared_ptr<spdlog::logger> logger)
    : rules_file_(std::move(rules_file)),
      member_id_(member_id),
      deliver_(std::move(deliver)),
      logger_(logger ? std::move(logger) : spdlog::default_logger()),
      random_(member_id ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count())) {}

FaultInjector::~FaultInjector() {
  Stop();
}

void FaultInjector::Start() {
  logger_->warn("{:x} fault injection enabled from {}", member_id_, rules_file_.string());
  ReloadIfChanged();
  thread_ = std::thread([this] { Run(); });
}

void FaultInjector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FaultInjector::ReloadIfChanged() {
  std::ifstream in(rules_file_);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  std::string contents = text.str();
  {
    std::lock_guard lock(mu_);
    if (contents == rules_text_) return;
    rules_text_ = contents;
  }
  auto rules = ParseFaultRules(contents);
  if (!rules.ok()) {
    logger_->warn("{:x} ignoring fault rules: {}", member_id_, rules.status().ToString());
    return;
  }
  std::string summary = contents;
  std::replace(summary.begin(), summary.end(), '\n', ';');
  logger_->warn("{:x} fault rules now: {}", member_id_, summary.empty() ? "none" : summary);
  std::lock_guard lock(mu_);
  rules_ = *std::move(rules);
}

void FaultInjector::Run() {
  auto next_poll = Clock::now() + kPollInterval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto wake_at =
        delayed_.empty() ? next_poll : std::min(next_poll, delayed_.begin()->first);
    wake_.wait_until(lock, wake_at);
    if (stopping_) break;
    const auto now = Clock::now();
    std::vector<raftpb::Message> due;
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      due.push_back(std::move(delayed_.begin()->second));
      delayed_.erase(delayed_.begin());
    }
    lock.unlock();
    if (!due.empty()) deliver_(std::move(due));
    if (now >= next_poll) {
      ReloadIfChanged();
      next_poll = now + kPollInterval;
    }
    lock.lock();
  }
  delayed_.clear();
}

const FaultRule* FaultInjector::RuleFor(uint64_t peer, FaultRule::Kind kind) const {
  for (const FaultRule& rule : rules_) {
    if (rule.kind == kind && (rule.peer == 0 || rule.peer == peer)) return &rule;
  }
  return nullptr;
}

std::vector<raftpb::Message> FaultInjector::Filter(std::vector<raftpb::Message> messages) {
  std::lock_guard lock(mu_);
  if (rules_.empty()) return messages;
  std::vector<raftpb::Message> now;
  bool delayed_any = false;
  for (raftpb::Message& m : messages) {
    if (m.type() == raftpb::MSG_SNAP) {
      now.push_back(std::move(m));
      continue;
    }
    if (RuleFor(m.to(), FaultRule::Kind::kDrop)) continue;
    if (const FaultRule* loss = RuleFor(m.to(), FaultRule::Kind::kLoss);
        loss && std::uniform_real_distribution<>(0, 1)(random_) < loss->loss) {
      continue;
    }
    if (const FaultRule* delay = RuleFor(m.to(), FaultRule::Kind::kDelay)) {
      delayed_.emplace(Clock::now() + delay->delay, std::move(m));
      delayed_any = true;
      continue;
    }
    now.push_back(std::move(m));
  }
  if (delayed_any) wake_.notify_all();
  return now;
}

bool FaultInjector::BlocksSnapshotsTo(uint64_t peer) {
  std::lock_guard lock(mu_);
  return RuleFor(peer, FaultRule::Kind::kDrop) != nullptr;
}

}  // namespace raftkv::transport

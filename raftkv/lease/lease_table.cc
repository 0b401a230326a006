#include "raftkv/lease/lease_table.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace raftkv::lease {
namespace {

constexpr absl::string_view kNotPrimary = "raftkv: not the primary lessor";

}  // namespace

absl::Status ErrLeaseNotFound() {
  return absl::NotFoundError("etcdserver: requested lease not found");
}
absl::Status ErrLeaseExists() {
  return absl::FailedPreconditionError("etcdserver: lease already exists");
}
absl::Status ErrLeaseTtlTooLarge() {
  return absl::OutOfRangeError("etcdserver: too large lease TTL");
}
absl::Status ErrNotPrimary() {
  return absl::UnavailableError(kNotPrimary);
}
bool IsNotPrimary(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable && s.message() == kNotPrimary;
}

LeaseTable::LeaseTable(Options options) : options_(std::move(options)) {}

LeaseTable::TimePoint LeaseTable::Deadline(int64_t ttl_seconds,
                                           std::chrono::milliseconds extend) const {
  return options_.clock() + std::chrono::seconds(ttl_seconds) + extend;
}

absl::StatusOr<leasepb::Lease> LeaseTable::Grant(int64_t id, int64_t ttl) {
  if (id == 0) return ErrLeaseNotFound();
  if (ttl > kMaxLeaseTtl) return ErrLeaseTtlTooLarge();
  ttl = std::max(ttl, options_.min_ttl_seconds);
  absl::MutexLock lock(&mu_);
  if (leases_.contains(id)) return ErrLeaseExists();
  Lease& l = leases_[id];
  l.ttl = ttl;
  if (primary_) l.expiry = Deadline(ttl, std::chrono::milliseconds(0));
  leasepb::Lease record;
  record.set_id(id);
  record.set_ttl(ttl);
  return record;
}

absl::Status LeaseTable::Revoke(int64_t id) {
  absl::MutexLock lock(&mu_);
  return leases_.erase(id) == 1 ? absl::OkStatus() : ErrLeaseNotFound();
}

bool LeaseTable::Contains(int64_t id) const {
  absl::MutexLock lock(&mu_);
  return leases_.contains(id);
}

void LeaseTable::Promote(std::chrono::milliseconds extend) {
  absl::MutexLock lock(&mu_);
  primary_ = true;
  for (auto& [id, l] : leases_) {
    l.expiry = Deadline(l.ttl, extend);
    l.revoke_retry.reset();
  }
}

void LeaseTable::Demote() {
  absl::MutexLock lock(&mu_);
  primary_ = false;
  for (auto& [id, l] : leases_) {
    l.expiry.reset();
    l.revoke_retry.reset();
  }
}

bool LeaseTable::is_primary() const {
  absl::MutexLock lock(&mu_);
  return primary_;
}

absl::StatusOr<int64_t> LeaseTable::Renew(int64_t id) {
  absl::MutexLock lock(&mu_);
  if (!primary_) return ErrNotPrimary();
  auto it = leases_.find(id);
  if (it == leases_.end()) return ErrLeaseNotFound();
  Lease& l = it->second;
  // An expired lease is being revoked; renewing it now would race the revocation.
  if (l.expiry && *l.expiry <= options_.clock()) return ErrLeaseNotFound();
  l.expiry = Deadline(l.ttl, std::chrono::milliseconds(0));
  return l.ttl;
}

std::vector<int64_t> LeaseTable::TakeExpired(size_t limit) {
  absl::MutexLock lock(&mu_);
  if (!primary_) return {};
  TimePoint now = options_.clock();
  std::vector<std::pair<TimePoint, int64_t>> expired;
  for (const auto& [id, l] : leases_) {
    if (!l.expiry || *l.expiry > now) continue;
    if (l.revoke_retry && *l.revoke_retry > now) continue;
    expired.emplace_back(*l.expiry, id);
  }
  std::sort(expired.begin(), expired.end());
  if (expired.size() > limit) expired.resize(limit);
  std::vector<int64_t> ids;
  ids.reserve(expired.size());
  for (const auto& [when, id] : expired) {
    leases_[id].revoke_retry = now + options_.revoke_retry_interval;
    ids.push_back(id);
  }
  return ids;
}

std::optional<LeaseStatus> LeaseTable::TimeToLive(int64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  const Lease& l = it->second;
  LeaseStatus s;
  s.id = id;
  s.granted_ttl = l.ttl;
  s.remaining_ttl = l.ttl;
  if (l.expiry) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(*l.expiry - options_.clock());
    s.remaining_ttl = std::max<int64_t>(left.count(), 0);
  }
  return s;
}

std::vector<int64_t> LeaseTable::Ids() const {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> ids;
  ids.reserve(leases_.size());
  for (const auto& [id, l] : leases_)
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

size_t LeaseTable::size() const {
  absl::MutexLock lock(&mu_);
  return leases_.size();
}

void LeaseTable::Restore(const std::vector<leasepb::Lease>& leases) {
  absl::MutexLock lock(&mu_);
  leases_.clear();
  primary_ = false;
  for (const auto& record : leases)
    leases_[record.id()].ttl = record.ttl();
}

}  // namespace raftkv::lease

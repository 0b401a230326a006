#include "orchestrator/client/leader_election.h"

#include <atomic>
#include <cmath>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::client {
namespace {

// Kubernetes' MicroTime, as Lease spec.acquireTime and spec.renewTime carry it.
std::string FormatMicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

int64_t WholeSeconds(absl::Duration duration) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(duration))));
}

}  // namespace

struct LeaderElector::Impl {
  Impl(Client& client_in, LeaderElectionConfig config_in)
      : client(client_in), config(std::move(config_in)) {}

  const api::ResourceInfo& leases() const { return api::ResourceFor(api::Kind::kLease); }

  // The Lease's namespace exists (kube-system is not there in a fresh cluster).
  bool EnsureNamespace() {
    const api::ResourceInfo& namespaces = api::ResourceFor(api::Kind::kNamespace);
    absl::StatusOr<api::Json> existing = client.Get(namespaces, "", config.lease_namespace);
    if (existing.ok()) return true;
    if (!client::IsNotFound(existing.status())) {
      spdlog::warn("leader election {}: cannot read namespace {}: {}", config.lease_name,
                   config.lease_namespace, std::string(existing.status().message()));
      return false;
    }
    const api::Json namespace_object = {{"apiVersion", "v1"},
                                        {"kind", "Namespace"},
                                        {"metadata", {{"name", config.lease_namespace}}}};
    absl::Status created = client.Create(namespaces, "", namespace_object).status();
    if (created.ok() || client::IsAlreadyExists(created)) return true;
    spdlog::warn("leader election {}: cannot create namespace {}: {}", config.lease_name,
                 config.lease_namespace, std::string(created.message()));
    return false;
  }

  api::Json LeaseSpec(absl::Time now, std::string acquire_time, int64_t transitions) const {
    return {{"holderIdentity", config.identity},
            {"leaseDurationSeconds", WholeSeconds(config.lease_duration)},
            {"acquireTime", std::move(acquire_time)},
            {"renewTime", FormatMicroTime(now)},
            {"leaseTransitions", transitions}};
  }

  // Remembers when the Lease last changed, by this candidate's clock.
  void Observe(const api::Json& lease, absl::Time now) {
    const std::string record = api::Cat(api::StringAt(lease, {"spec", "holderIdentity"}), "|",
                                        api::StringAt(lease, {"spec", "renewTime"}));
    if (record != observed_record) {
      observed_record = record;
      observed_time = now;
    }
    const std::string holder = api::StringAt(lease, {"spec", "holderIdentity"});
    if (!holder.empty() && holder != reported_holder) {
      reported_holder = holder;
      spdlog::info("leader election {}: {} leads", config.lease_name, holder);
      if (config.on_new_leader) config.on_new_leader(holder);
    }
  }

  // One attempt to take or renew the Lease; true when this candidate holds it now.
  bool TryAcquireOrRenew() {
    const absl::Time now = absl::Now();
    absl::StatusOr<api::Json> lease =
        client.Get(leases(), config.lease_namespace, config.lease_name);
    if (!lease.ok()) {
      if (!client::IsNotFound(lease.status())) {
        spdlog::warn("leader election {}: cannot read the Lease: {}", config.lease_name,
                     std::string(lease.status().message()));
        return false;
      }
      const api::Json created = {
          {"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", {{"name", config.lease_name}, {"namespace", config.lease_namespace}}},
          {"spec", LeaseSpec(now, FormatMicroTime(now), 0)}};
      absl::StatusOr<api::Json> written = client.Create(leases(), config.lease_namespace, created);
      if (!written.ok()) return false;
      Observe(*written, now);
      return true;
    }
    Observe(*lease, now);
    const std::string holder = api::StringAt(*lease, {"spec", "holderIdentity"});
    const bool held_by_me = holder == config.identity;
    // The holder's own duration counts (it set it from its lease_duration), as in client-go.
    const int64_t lease_seconds = api::IntAt(*lease, {"spec", "leaseDurationSeconds"}).value_or(0);
    const absl::Duration lease_duration =
        lease_seconds > 0 ? absl::Seconds(lease_seconds) : config.lease_duration;
    if (!holder.empty() && !held_by_me && now < observed_time + lease_duration) return false;
    std::string acquire_time = FormatMicroTime(now);
    int64_t transitions = api::IntAt(*lease, {"spec", "leaseTransitions"}).value_or(0);
    if (held_by_me) {
      acquire_time = api::StringAt(*lease, {"spec", "acquireTime"}, acquire_time);
    } else {
      ++transitions;
    }
    api::Json updated = *lease;
    updated["spec"] = LeaseSpec(now, std::move(acquire_time), transitions);
    // The read resourceVersion rides along: a candidate that raced us gets a conflict.
    absl::StatusOr<api::Json> written = client.Update(leases(), updated);
    if (!written.ok()) {
      if (!client::IsConflict(written.status())) {
        spdlog::warn("leader election {}: cannot write the Lease: {}", config.lease_name,
                     std::string(written.status().message()));
      }
      return false;
    }
    Observe(*written, now);
    return true;
  }

  // Empties holderIdentity so a successor need not wait out the lease duration.
  void Release() {
    absl::StatusOr<api::Json> lease =
        client.Get(leases(), config.lease_namespace, config.lease_name);
    if (!lease.ok() || api::StringAt(*lease, {"spec", "holderIdentity"}) != config.identity) return;
    api::Json released = *lease;
    const absl::Time now = absl::Now();
    released["spec"]["holderIdentity"] = "";
    released["spec"]["leaseDurationSeconds"] = 1;
    released["spec"]["acquireTime"] = FormatMicroTime(now);
    released["spec"]["renewTime"] = FormatMicroTime(now);
    absl::Status written = client.Update(leases(), released).status();
    if (written.ok()) {
      spdlog::info("leader election {}: {} released the Lease", config.lease_name, config.identity);
    } else {
      spdlog::warn("leader election {}: cannot release the Lease: {}", config.lease_name,
                   std::string(written.message()));
    }
  }

  void StartLeading() {
    leading = true;
    spdlog::info("leader election {}: {} became the leader", config.lease_name, config.identity);
    if (config.on_started_leading) config.on_started_leading();
  }

  void StopLeading(std::string_view why) {
    leading = false;
    spdlog::info("leader election {}: {} stopped leading ({})", config.lease_name, config.identity,
                 why);
    if (config.on_stopped_leading) config.on_stopped_leading();
  }

  void Run() {
    while (!stop_requested.HasBeenNotified() && !EnsureNamespace()) {
      stop_requested.WaitForNotificationWithTimeout(config.retry_period);
    }
    absl::Time last_renew = absl::InfinitePast();
    while (!stop_requested.HasBeenNotified()) {
      if (TryAcquireOrRenew()) {
        last_renew = absl::Now();
        if (!leading) StartLeading();
      } else if (leading) {
        const bool taken = !reported_holder.empty() && reported_holder != config.identity;
        if (taken) {
          StopLeading(api::Cat("the Lease is held by ", reported_holder));
        } else if (absl::Now() - last_renew > config.renew_deadline) {
          StopLeading("no renewal within the renew deadline");
        }
      }
      stop_requested.WaitForNotificationWithTimeout(config.retry_period);
    }
    if (leading) {
      Release();
      StopLeading("stopped");
    }
  }

  Client& client;
  const LeaderElectionConfig config;
  std::thread thread;
  std::atomic<bool> stop_called{false};
  absl::Notification stop_requested;
  std::atomic<bool> leading{false};
  // The elector thread's: what the Lease last looked like, and when it was first seen so.
  std::string observed_record;
  absl::Time observed_time = absl::InfinitePast();
  std::string reported_holder;
};

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config)
    : impl_(std::make_unique<Impl>(client, std::move(config))) {}

LeaderElector::~LeaderElector() {
  Stop();
}

void LeaderElector::Start() {
  if (impl_->thread.joinable() || impl_->stop_called) return;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

void LeaderElector::Stop() {
  if (!impl_->stop_called.exchange(true)) impl_->stop_requested.Notify();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool LeaderElector::IsLeader() const {
  return impl_->leading;
}

}  // namespace orch::client

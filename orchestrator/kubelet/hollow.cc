#include "orchestrator/kubelet/hollow.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/informer.h"
#include "orchestrator/client/work_queue.h"
#include "orchestrator/kubelet/hollow_schedule.h"
#include "orchestrator/kubelet/node_agent.h"
#include "orchestrator/kubelet/pod_ips.h"
#include "orchestrator/kubelet/pod_status.h"
#include "spdlog/spdlog.h"

namespace orch::kubelet {
namespace {

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

}  // namespace

std::string HollowPodCidr(int index) {
  return absl::StrCat("10.", (index / 256) % 256, ".", index % 256, ".0/24");
}

struct HollowNodes::Impl {
  HollowConfig config;
  std::unique_ptr<client::Client> client;
  std::vector<std::unique_ptr<NodeAgent>> nodes;
  std::unique_ptr<client::Informer> informer;
  client::WorkQueue queue;
  std::vector<std::thread> workers;
  std::vector<std::thread> heartbeat_threads;

  // Per node, indexed like `nodes`; written only by the heartbeat worker holding the node.
  struct NodeSchedule {
    absl::Time lease_phase, status_phase;  // the node's slots on the renewal grids
    absl::Time next_lease, next_status;
    bool attempted = false;  // the first registration was tried (guarded by `mutex`)
  };
  std::vector<NodeSchedule> schedules;
  struct DueNode {
    absl::Time at;
    int node;
    bool operator>(const DueNode& other) const {
      return at != other.at ? at > other.at : node > other.node;
    }
  };
  struct HeartbeatStats {
    int64_t beats = 0, failures = 0;
    std::string last_error;
    absl::Duration max_lateness = absl::ZeroDuration();
    absl::Time window_end = absl::InfinitePast();
  };

  std::mutex mutex;                           // guards everything below
  std::condition_variable wake;               // stopping, or `due` changed
  std::condition_variable registration_done;  // registrations_pending reached 0
  bool stopping = false;
  std::map<int, std::unique_ptr<PodIpAllocator>> ips;                      // per node index
  std::priority_queue<DueNode, std::vector<DueNode>, std::greater<>> due;  // every node not held
  int registrations_pending = 0;  // nodes whose first registration was not yet tried
  int registered_at_start = 0;
  HeartbeatStats stats;

  // The index of a node of ours, or -1.
  int NodeIndex(const std::string& node_name) const {
    if (!node_name.starts_with(config.name_prefix)) return -1;
    int index = 0;
    if (!absl::SimpleAtoi(node_name.substr(config.name_prefix.size()), &index)) return -1;
    return index >= 0 && index < config.count ? index : -1;
  }

  std::string AddressFor(int node_index, const std::string& uid, bool release) {
    std::lock_guard lock(mutex);
    auto& allocator = ips[node_index];
    if (!allocator) {
      allocator =
          std::make_unique<PodIpAllocator>(*PodIpAllocator::Create(HollowPodCidr(node_index)));
    }
    if (release) {
      allocator->Release(uid);
      return "";
    }
    absl::StatusOr<std::string> address = allocator->Allocate(uid);
    return address.ok() ? *address : "";
  }

  // A Running and Ready status for every container of the pod.
  api::Json RunningStatus(const api::Json& pod, const std::string& pod_ip) {
    absl::StatusOr<api::PodSpec> spec = api::DecodePodSpec(api::ObjectAt(pod, {"spec"}));
    api::PodStatus status;
    status.host_ip = "127.0.0.1";
    status.pod_ip = pod_ip;
    const absl::Time now = absl::Now();
    status.start_time = now;
    auto running = [&](const api::Container& container, bool init) {
      api::ContainerStatus container_status;
      container_status.name = container.name;
      container_status.image = container.image;
      container_status.image_id = "hollow://" + container.image;
      container_status.container_id = "hollow://" + container.name;
      if (init) {
        container_status.state.phase = api::ContainerState::Phase::kTerminated;
        container_status.state.reason = "Completed";
        container_status.state.started_at = now;
        container_status.state.finished_at = now;
        container_status.started = false;
      } else {
        container_status.state.phase = api::ContainerState::Phase::kRunning;
        container_status.state.started_at = now;
        container_status.ready = true;
        container_status.started = true;
      }
      return container_status;
    };
    if (spec.ok()) {
      for (const api::Container& container : spec->init_containers) {
        status.init_container_statuses.push_back(running(container, true));
      }
      for (const api::Container& container : spec->containers) {
        status.container_statuses.push_back(running(container, false));
      }
      status.phase = "Running";
      status.conditions = ComputePodConditions(
          *spec, status.init_container_statuses, status.container_statuses, status.phase,
          api::PodStatus::FromJson(api::ObjectAt(pod, {"status"})).conditions, now);
    } else {
      status.phase = "Failed";
      status.reason = "InvalidSpec";
      status.message = std::string(spec.status().message());
    }
    return status.ToJson();
  }

  absl::Status Reconcile(const std::string& key) {
    std::optional<api::Json> pod = informer->Get(key);
    if (!pod) return absl::OkStatus();
    const int node_index = NodeIndex(api::StringAt(*pod, {"spec", "nodeName"}));
    if (node_index < 0) return absl::OkStatus();
    if (api::IsBeingDeleted(*pod)) {
      client::DeleteOptions options;
      options.grace_period_seconds = 0;
      options.precondition_uid = api::UidOf(*pod);
      absl::Status deleted =
          client->Delete(Pods(), api::NamespaceOf(*pod), api::NameOf(*pod), options).status();
      AddressFor(node_index, api::UidOf(*pod), /*release=*/true);
      if (!deleted.ok() && !client::IsNotFound(deleted)) return deleted;
      return absl::OkStatus();
    }
    const std::string phase = api::StringAt(*pod, {"status", "phase"});
    if (phase == "Running" || phase == "Succeeded" || phase == "Failed") return absl::OkStatus();
    api::Json patch = {
        {"status", RunningStatus(*pod, AddressFor(node_index, api::UidOf(*pod), false))}};
    client::PatchOptions options;
    options.subresource = "status";
    absl::Status patched = client
                               ->Patch(Pods(), api::NamespaceOf(*pod), api::NameOf(*pod),
                                       client::PatchType::kMerge, patch.dump(), options)
                               .status();
    if (client::IsNotFound(patched)) return absl::OkStatus();
    return patched;
  }

  void Work() {
    while (std::optional<std::string> key = queue.Get()) {
      absl::Status reconciled = Reconcile(*key);
      if (reconciled.ok()) {
        queue.Forget(*key);
      } else {
        spdlog::warn("[kubelet hollow] pod {}: {}", *key, std::string(reconciled.message()));
        queue.AddRateLimited(*key);
      }
      queue.Done(*key);
    }
  }

  // Registers node `index` if it is not yet, else renews what is due of its Lease and status;
  // returns when the node is due next.
  absl::Time Beat(int index, absl::Status& result) {
    NodeAgent& node = *nodes[index];
    NodeSchedule& schedule = schedules[index];
    const absl::Time now = absl::Now();
    const absl::Duration retry = std::min(absl::Seconds(1), config.lease_renew_interval);
    if (!node.registered()) {
      result = node.Register();
      if (result.ok()) result = node.RenewLease();
      if (!result.ok()) return now + retry;
      // Registration just wrote both: the next renewals are the node's first slots at least
      // half an interval away, so nodes registered in one burst keep their spread-out slots.
      schedule.next_lease = NextHeartbeatAfter(schedule.lease_phase, config.lease_renew_interval,
                                               now + config.lease_renew_interval / 2);
      schedule.next_status =
          NextHeartbeatAfter(schedule.status_phase, config.status_update_interval,
                             now + config.status_update_interval / 2);
      return std::min(schedule.next_lease, schedule.next_status);
    }
    if (now >= schedule.next_status) {
      result = node.UpdateStatus();
      schedule.next_status =
          NextHeartbeatAfter(schedule.status_phase, config.status_update_interval, now);
      // A deleted Node is registered again at once rather than a status interval later.
      if (!node.registered()) schedule.next_status = now + retry;
    }
    if (now >= schedule.next_lease) {
      absl::Status renewed = node.RenewLease();
      // A failed renewal is retried soon: the grace period allows only a few missed ones.
      schedule.next_lease =
          renewed.ok() ? NextHeartbeatAfter(schedule.lease_phase, config.lease_renew_interval, now)
                       : now + retry;
      result.Update(renewed);
    }
    return std::min(schedule.next_lease, schedule.next_status);
  }

  // Called with `mutex` held after a heartbeat: counts it, and once per lease interval warns
  // about failures or heartbeats running well behind their slots.
  void RecordBeat(const absl::Status& result, absl::Duration lateness, bool first_registration) {
    if (first_registration) {
      --registrations_pending;
      if (result.ok()) ++registered_at_start;
      if (registrations_pending == 0) registration_done.notify_all();
    }
    ++stats.beats;
    stats.max_lateness = std::max(stats.max_lateness, lateness);
    if (!result.ok()) {
      ++stats.failures;
      stats.last_error = std::string(result.message());
    }
    const absl::Time now = absl::Now();
    if (now < stats.window_end) return;
    if (stats.failures > 0 || stats.max_lateness > config.lease_renew_interval / 4) {
      spdlog::warn(
          "[kubelet hollow] {} heartbeats in the last {}: {} failed{}{}, the latest {:.1f}s "
          "behind its slot ({} heartbeat workers for {} nodes)",
          stats.beats, absl::FormatDuration(config.lease_renew_interval), stats.failures,
          stats.failures > 0 ? ", last: " : "", stats.last_error,
          absl::ToDoubleSeconds(stats.max_lateness), heartbeat_threads.size(), nodes.size());
    }
    stats = HeartbeatStats{};
    stats.window_end = now + config.lease_renew_interval;
  }

  // A heartbeat worker: takes the node due first, beats it, and puts it back at its next slot.
  // Each node is held by one worker at a time, so its NodeAgent needs no lock.
  void HeartbeatWork() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (due.empty()) {
        wake.wait(lock);
        continue;
      }
      const DueNode next = due.top();
      if (absl::Now() < next.at) {
        wake.wait_until(lock, absl::ToChronoTime(next.at));
        continue;
      }
      due.pop();
      const bool first_registration = !schedules[next.node].attempted;
      schedules[next.node].attempted = true;
      lock.unlock();
      const absl::Duration lateness = absl::Now() - next.at;
      absl::Status result = absl::OkStatus();
      const absl::Time next_at = Beat(next.node, result);
      lock.lock();
      // The registration pass at start is not a slot: it is not counted as lateness.
      RecordBeat(result, first_registration ? absl::ZeroDuration() : lateness, first_registration);
      due.push({next_at, next.node});
      wake.notify_one();
    }
  }
};

absl::StatusOr<std::unique_ptr<HollowNodes>> HollowNodes::Start(HollowConfig config) {
  if (config.count < 1) return absl::InvalidArgumentError("--hollow-nodes must be at least 1");
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->client = std::make_unique<client::Client>(config.client);
  const api::ResourceList capacity = MachineCapacity(
      config.cpu ? config.cpu : api::Quantity::FromUnits(4),
      config.memory ? config.memory : *api::Quantity::Parse("16Gi"), config.max_pods);
  for (int index = 0; index < config.count; ++index) {
    NodeConfig node;
    node.name = absl::StrCat(config.name_prefix, index);
    node.labels = config.node_labels;
    node.labels["orch.raftkv.io/hollow"] = "true";
    node.pod_cidr = HollowPodCidr(index);
    node.capacity = capacity;
    node.limits_note = "not enforced: hollow node (no processes run)";
    impl->nodes.push_back(std::make_unique<NodeAgent>(*impl->client, std::move(node)));
  }
  Impl* raw = impl.get();
  // Every node is due at once for registration; after it, its slots on the renewal grids.
  const absl::Time start = absl::Now();
  impl->schedules.resize(config.count);
  for (int index = 0; index < config.count; ++index) {
    Impl::NodeSchedule& schedule = impl->schedules[index];
    schedule.lease_phase = HeartbeatPhase(start, config.lease_renew_interval, index, config.count);
    schedule.status_phase =
        HeartbeatPhase(start, config.status_update_interval, index, config.count);
    impl->due.push({start, index});
  }
  impl->registrations_pending = config.count;
  impl->stats.window_end = start + config.lease_renew_interval;
  for (int worker = 0; worker < std::max(config.heartbeat_workers, 1); ++worker) {
    impl->heartbeat_threads.emplace_back([raw] { raw->HeartbeatWork(); });
  }
  {
    std::unique_lock lock(impl->mutex);
    impl->registration_done.wait(lock, [raw] { return raw->registrations_pending == 0; });
    spdlog::info(
        "[kubelet hollow] registered {} of {} nodes {}0..{}{} in {} ({} heartbeat workers)",
        impl->registered_at_start, config.count, config.name_prefix, config.name_prefix,
        config.count - 1, absl::FormatDuration(absl::Now() - start),
        impl->heartbeat_threads.size());
  }
  impl->informer = std::make_unique<client::Informer>(*impl->client, Pods());
  client::InformerHandlers handlers;
  auto enqueue = [raw](const api::Json& pod) {
    if (raw->NodeIndex(api::StringAt(pod, {"spec", "nodeName"})) >= 0) {
      raw->queue.Add(client::ObjectCacheKey(pod));
    }
  };
  handlers.on_add = enqueue;
  handlers.on_update = [enqueue](const api::Json&, const api::Json& pod) { enqueue(pod); };
  handlers.on_delete = [raw](const api::Json& pod) {
    const int index = raw->NodeIndex(api::StringAt(pod, {"spec", "nodeName"}));
    if (index >= 0) raw->AddressFor(index, api::UidOf(pod), /*release=*/true);
  };
  impl->informer->AddHandlers(std::move(handlers));
  impl->informer->Start();
  for (int worker = 0; worker < std::max(config.pod_status_workers, 1); ++worker) {
    impl->workers.emplace_back([raw] { raw->Work(); });
  }
  return std::make_unique<HollowNodes>(std::move(impl));
}

HollowNodes::HollowNodes(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HollowNodes::~HollowNodes() {
  Stop();
}

void HollowNodes::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->informer->Stop();
  impl_->queue.ShutDown();
  for (std::thread& worker : impl_->workers)
    worker.join();
  for (std::thread& heartbeat : impl_->heartbeat_threads)
    heartbeat.join();
}

}  // namespace orch::kubelet

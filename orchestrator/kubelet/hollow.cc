#include "orchestrator/kubelet/hollow.h"

#include <condition_variable>
#include <map>
#include <mutex>
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
  std::thread heartbeat;
  std::mutex mutex;  // guards stopping, ips
  std::condition_variable wake;
  bool stopping = false;
  std::map<int, std::unique_ptr<PodIpAllocator>> ips;  // per node index

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

  void Heartbeat() {
    absl::Time next_lease = absl::InfinitePast(),
               next_status = absl::Now() + config.status_update_interval;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping; });
        if (stopping) return;
      }
      const absl::Time now = absl::Now();
      const bool leases = now >= next_lease, statuses = now >= next_status;
      if (leases) next_lease = now + config.lease_renew_interval;
      if (statuses) next_status = now + config.status_update_interval;
      int failures = 0;
      std::string last_error;
      for (auto& node : nodes) {
        absl::Status result = absl::OkStatus();
        if (!node->registered()) {
          result = node->Register();
        } else if (statuses) {
          result = node->UpdateStatus();
        }
        if (result.ok() && leases) result = node->RenewLease();
        if (!result.ok()) {
          ++failures;
          last_error = std::string(result.message());
        }
        {
          std::lock_guard lock(mutex);
          if (stopping) return;
        }
      }
      if (failures > 0) {
        spdlog::warn("[kubelet hollow] {} of {} nodes failed a heartbeat, last: {}", failures,
                     nodes.size(), last_error);
      }
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
  int registered = 0;
  for (auto& node : impl->nodes) {
    if (node->Register().ok() && node->RenewLease().ok()) ++registered;
  }
  spdlog::info("[kubelet hollow] registered {} of {} nodes {}0..{}{}", registered, config.count,
               config.name_prefix, config.name_prefix, config.count - 1);
  Impl* raw = impl.get();
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
  impl->heartbeat = std::thread([raw] { raw->Heartbeat(); });
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
  impl_->heartbeat.join();
}

}  // namespace orch::kubelet

#include "orchestrator/kubelet/kubelet.h"

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/event_recorder.h"
#include "orchestrator/client/informer.h"
#include "orchestrator/kubelet/cgroups.h"
#include "orchestrator/kubelet/kubelet_server.h"
#include "orchestrator/kubelet/node_agent.h"
#include "orchestrator/kubelet/pod_ips.h"
#include "orchestrator/kubelet/pod_worker.h"
#include "spdlog/spdlog.h"

namespace orch::kubelet {
namespace {

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

bool IsTerminalPhase(const api::Json& pod) {
  const std::string phase = api::StringAt(pod, {"status", "phase"});
  return phase == "Succeeded" || phase == "Failed";
}

// The pod workers' way to the API server.
class ClientPodApi : public PodApi {
 public:
  ClientPodApi(client::Client& client, client::EventRecorder& events)
      : client_(client), events_(events) {}

  absl::Status WritePodStatus(const api::Json& pod, const api::Json& status) override {
    client::PatchOptions options;
    options.subresource = "status";
    api::Json patch = {{"status", status}};
    return client_
        .Patch(Pods(), api::NamespaceOf(pod), api::NameOf(pod), client::PatchType::kMerge,
               patch.dump(), options)
        .status();
  }

  absl::Status DeletePod(const api::Json& pod) override {
    client::DeleteOptions options;
    options.grace_period_seconds = 0;
    options.precondition_uid = api::UidOf(pod);
    absl::Status deleted =
        client_.Delete(Pods(), api::NamespaceOf(pod), api::NameOf(pod), options).status();
    if (client::IsNotFound(deleted)) return absl::OkStatus();
    return deleted;
  }

  void RecordEvent(const api::Json& pod, std::string_view type, std::string_view reason,
                   std::string_view message) override {
    events_.Record(pod, type, reason, message);
  }

 private:
  client::Client& client_;
  client::EventRecorder& events_;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text) {
  std::map<std::string, std::string> labels;
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("label \"", std::string(pair), "\" is not key=value"));
    }
    labels[parts[0]] = parts[1];
  }
  return labels;
}

absl::StatusOr<std::vector<api::Taint>> ParseTaints(const std::string& text) {
  std::vector<api::Taint> taints;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> key_effect = absl::StrSplit(item, absl::MaxSplits(':', 1));
    if (key_effect.size() != 2 ||
        (key_effect[1] != "NoSchedule" && key_effect[1] != "PreferNoSchedule" &&
         key_effect[1] != "NoExecute")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "taint \"", std::string(item),
          "\" is not key[=value]:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute"));
    }
    std::vector<std::string> key_value = absl::StrSplit(key_effect[0], absl::MaxSplits('=', 1));
    api::Taint taint;
    taint.key = key_value[0];
    if (key_value.size() == 2) taint.value = key_value[1];
    taint.effect = key_effect[1];
    taints.push_back(std::move(taint));
  }
  return taints;
}

struct Kubelet::Impl {
  KubeletConfig config;
  std::unique_ptr<client::Client> client;
  std::unique_ptr<client::EventRecorder> events;
  std::unique_ptr<ClientPodApi> pod_api;
  std::unique_ptr<SharedPodIps> ips;
  Cgroups cgroups;
  PodWorkerConfig worker_config;
  std::unique_ptr<NodeAgent> node;
  std::unique_ptr<KubeletServer> server;
  std::unique_ptr<client::Informer> informer;

  std::mutex mutex;  // guards workers and stopping
  std::condition_variable wake;
  std::map<std::string, std::unique_ptr<PodWorker>> workers;  // by pod uid
  bool stopping = false;
  std::thread housekeeping;

  void Dispatch(const api::Json& pod) {
    const std::string uid = api::UidOf(pod);
    std::lock_guard lock(mutex);
    if (stopping) return;
    if (auto found = workers.find(uid); found != workers.end()) {
      found->second->Update(pod);
      return;
    }
    std::error_code error;
    if (IsTerminalPhase(pod) && !std::filesystem::exists(worker_config.pods_dir / uid, error)) {
      // Finished and cleaned up earlier: nothing may run again. Only a deletion is left to do.
      if (api::IsBeingDeleted(pod)) {
        absl::Status deleted = pod_api->DeletePod(pod);
        if (!deleted.ok()) {
          spdlog::warn("[kubelet {}] pod {}/{}: delete: {}", config.node_name,
                       api::NamespaceOf(pod), api::NameOf(pod), std::string(deleted.message()));
        }
      }
      return;
    }
    spdlog::info("[kubelet {}] pod {}/{} ({}) is bound here: starting its worker", config.node_name,
                 api::NamespaceOf(pod), api::NameOf(pod), uid);
    workers[uid] = std::make_unique<PodWorker>(worker_config, *pod_api, *ips, cgroups, pod);
  }

  void Removed(const api::Json& pod) {
    std::lock_guard lock(mutex);
    if (auto found = workers.find(api::UidOf(pod)); found != workers.end()) {
      found->second->Removed();
    }
  }

  absl::StatusOr<LogLocation> FindLog(const std::string& namespace_name, const std::string& pod,
                                      const std::string& container, bool previous) {
    std::lock_guard lock(mutex);
    for (const auto& [uid, worker] : workers) {
      if (worker->namespace_name() == namespace_name && worker->name() == pod) {
        return worker->FindLog(container, previous);
      }
    }
    return absl::NotFoundError(absl::StrCat("pod ", namespace_name, "/", pod,
                                            " is not running on node ", config.node_name));
  }

  // Pod directories of pods the API no longer has: stop what still runs there, remove them.
  void CleanUpOrphans() {
    std::set<std::string> known;
    for (const api::Json& pod : informer->List())
      known.insert(api::UidOf(pod));
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(worker_config.pods_dir, error)) {
      const std::string uid = entry.path().filename().string();
      if (known.contains(uid)) continue;
      {
        std::lock_guard lock(mutex);
        if (workers.contains(uid)) continue;
      }
      int killed = 0;
      for (const auto& container :
           std::filesystem::directory_iterator(entry.path() / "containers", error)) {
        for (int64_t attempt : RecordedAttempts(container.path())) {
          std::optional<ProcessRecord> record =
              ReadProcessRecord(AttemptFiles::In(container.path(), attempt).pid);
          if (record && SignalProcessGroup(*record, SIGKILL)) ++killed;
        }
      }
      spdlog::info(
          "[kubelet {}] removing the directory of pod {} (no longer in the API; {} "
          "processes killed)",
          config.node_name, uid, killed);
      std::filesystem::remove_all(entry.path(), error);
    }
  }

  void Housekeeping() {
    absl::Time next_lease = absl::InfinitePast();
    absl::Time next_status = absl::InfinitePast();
    absl::Time next_register = absl::InfinitePast();  // retries once a second while it fails
    bool cleaned = false;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping; });
        if (stopping) return;
        for (auto it = workers.begin(); it != workers.end();) {
          if (it->second->finished()) {
            it = workers.erase(it);
          } else {
            ++it;
          }
        }
      }
      if (!cleaned && informer->HasSynced()) {
        CleanUpOrphans();
        cleaned = true;
      }
      const absl::Time now = absl::Now();
      if (!node->registered()) {
        if (now < next_register) continue;
        next_register = now + absl::Seconds(1);
        absl::Status registered = node->Register();
        if (!registered.ok()) {
          spdlog::warn("[kubelet {}] registering the node: {}", config.node_name,
                       std::string(registered.message()));
          continue;
        }
        spdlog::info("[kubelet {}] node registered", config.node_name);
        next_status = now + config.status_update_interval;
      }
      if (now >= next_lease) {
        absl::Status renewed = node->RenewLease();
        if (!renewed.ok()) {
          spdlog::warn("[kubelet {}] renewing the lease: {}", config.node_name,
                       std::string(renewed.message()));
        }
        next_lease = now + config.lease_renew_interval;
      }
      if (now >= next_status) {
        absl::Status updated = node->UpdateStatus();
        if (!updated.ok()) {
          spdlog::warn("[kubelet {}] updating the node status: {}", config.node_name,
                       std::string(updated.message()));
        }
        next_status = now + config.status_update_interval;
      }
    }
  }
};

absl::StatusOr<std::unique_ptr<Kubelet>> Kubelet::Start(KubeletConfig config) {
  if (config.node_name.empty()) return absl::InvalidArgumentError("--node-name is required");
  if (config.shim_path.empty()) return absl::InvalidArgumentError("the shim path is required");
  absl::StatusOr<PodIpAllocator> allocator = PodIpAllocator::Create(config.pod_cidr);
  if (!allocator.ok()) return allocator.status();
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  std::error_code error;
  std::filesystem::create_directories(config.root_dir / "pods", error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create ", (config.root_dir / "pods").string(), ": ", error.message()));
  }
  impl->ips = std::make_unique<SharedPodIps>(*std::move(allocator));
  impl->cgroups = Cgroups::Detect(config.cgroup_root, config.node_name);
  if (!impl->cgroups.enforced()) {
    spdlog::warn("[kubelet {}] resource limits are not enforced: {}", config.node_name,
                 impl->cgroups.reason());
  }
  impl->worker_config.node_name = config.node_name;
  impl->worker_config.pods_dir = config.root_dir / "pods";
  impl->worker_config.image_dir = config.image_dir;
  impl->worker_config.shim_path = config.shim_path;
  impl->worker_config.backoff_base = config.backoff_base;
  impl->worker_config.backoff_max = config.backoff_max;
  impl->worker_config.sync_interval = config.sync_interval;
  if (const char* path = getenv("PATH"); path != nullptr && *path != '\0') {
    impl->worker_config.path_variable = path;
  }
  impl->client = std::make_unique<client::Client>(config.client);
  impl->events =
      std::make_unique<client::EventRecorder>(*impl->client, "kubelet", config.node_name);
  impl->pod_api = std::make_unique<ClientPodApi>(*impl->client, *impl->events);

  Impl* raw = impl.get();
  absl::StatusOr<std::unique_ptr<KubeletServer>> server = KubeletServer::Start(
      config.address, config.port,
      [raw](const std::string& ns, const std::string& pod, const std::string& container,
            bool previous) { return raw->FindLog(ns, pod, container, previous); });
  if (!server.ok()) return server.status();
  impl->server = *std::move(server);

  NodeConfig node;
  node.name = config.node_name;
  node.labels = config.node_labels;
  node.taints = config.register_with_taints;
  node.pod_cidr = impl->ips->cidr();
  node.kubelet_port = impl->server->port();
  node.capacity = MachineCapacity(config.cpu, config.memory, config.max_pods);
  node.limits_note = impl->cgroups.enforced() ? "enforced (cgroup v2 memory.max, cpu.max)"
                                              : "not enforced: " + impl->cgroups.reason();
  impl->node = std::make_unique<NodeAgent>(*impl->client, std::move(node));
  absl::Status registered = impl->node->Register();
  if (registered.ok()) registered = impl->node->RenewLease();
  if (!registered.ok()) {
    spdlog::warn("[kubelet {}] registering the node (will retry): {}", config.node_name,
                 std::string(registered.message()));
  } else {
    spdlog::info("[kubelet {}] node registered; logs served on port {}", config.node_name,
                 impl->server->port());
  }

  client::ListOptions selector;
  selector.field_selector = "spec.nodeName=" + config.node_name;
  impl->informer = std::make_unique<client::Informer>(*impl->client, Pods(), "", selector);
  client::InformerHandlers handlers;
  handlers.on_add = [raw](const api::Json& pod) { raw->Dispatch(pod); };
  handlers.on_update = [raw](const api::Json&, const api::Json& pod) { raw->Dispatch(pod); };
  handlers.on_delete = [raw](const api::Json& pod) { raw->Removed(pod); };
  impl->informer->AddHandlers(std::move(handlers));
  impl->informer->Start();
  impl->housekeeping = std::thread([raw] { raw->Housekeeping(); });
  return std::make_unique<Kubelet>(std::move(impl));
}

Kubelet::Kubelet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Kubelet::~Kubelet() {
  Stop();
}

uint16_t Kubelet::port() const {
  return impl_->server->port();
}

void Kubelet::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->informer->Stop();
  impl_->housekeeping.join();
  impl_->server->Stop();
  std::map<std::string, std::unique_ptr<PodWorker>> workers;
  {
    std::lock_guard lock(impl_->mutex);
    workers.swap(impl_->workers);
  }
  workers.clear();  // each worker's thread ends; its containers keep running
  spdlog::info("[kubelet {}] stopped", impl_->config.node_name);
}

}  // namespace orch::kubelet

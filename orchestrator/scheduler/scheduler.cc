#include "orchestrator/scheduler/scheduler.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::scheduler {
namespace {

// Whether a Node change can let a waiting pod fit; heartbeats (condition times) cannot.
bool NodeSchedulingChanged(const api::Json& before, const api::Json& after) {
  return api::LabelsOf(before) != api::LabelsOf(after) ||
         api::ObjectAt(before, {"spec"}) != api::ObjectAt(after, {"spec"}) ||
         api::ObjectAt(before, {"status", "allocatable"}) !=
             api::ObjectAt(after, {"status", "allocatable"}) ||
         api::ConditionStatus(before, "Ready") != api::ConditionStatus(after, "Ready");
}

// Whether a pending pod changed in a way that can change where it fits; its status alone
// (the Unschedulable condition this scheduler writes) cannot, as upstream's isPodUpdated.
bool PendingPodSchedulingChanged(const api::Json& before, const api::Json& after) {
  return api::ObjectAt(before, {"spec"}) != api::ObjectAt(after, {"spec"}) ||
         api::LabelsOf(before) != api::LabelsOf(after) ||
         api::AnnotationsOf(before) != api::AnnotationsOf(after) ||
         api::IsBeingDeleted(before) != api::IsBeingDeleted(after);
}

std::string PodKey(const api::Json& pod) {
  return absl::StrCat(api::NamespaceOf(pod), "/", api::NameOf(pod));
}

}  // namespace

Scheduler::Scheduler(client::Client& client, SchedulerOptions options)
    : client_(client),
      options_(std::move(options)),
      queue_(options_.queue),
      recorder_(client, options_.scheduler_name) {}

Scheduler::~Scheduler() {
  Stop();
}

absl::Status Scheduler::Start() {
  node_informer_ = std::make_unique<client::Informer>(client_, api::ResourceFor(api::Kind::kNode));
  node_informer_->AddHandlers(
      {.on_add = [this](const api::Json& node) { OnNode(nullptr, node); },
       .on_update = [this](const api::Json& old_node,
                           const api::Json& node) { OnNode(&old_node, node); },
       .on_delete = [this](const api::Json& node) { OnNodeDeleted(node); }});
  pod_informer_ = std::make_unique<client::Informer>(client_, api::ResourceFor(api::Kind::kPod));
  pod_informer_->AddHandlers(
      {.on_add = [this](const api::Json& pod) { OnPod(pod); },
       .on_update =
           [this](const api::Json& old_pod, const api::Json& pod) {
             const bool pending = api::StringAt(pod, {"spec", "nodeName"}).empty();
             if (!pending || PendingPodSchedulingChanged(old_pod, pod)) OnPod(pod);
           },
       .on_delete = [this](const api::Json& pod) { OnPodDeleted(pod); }});
  node_informer_->Start();
  pod_informer_->Start();
  const absl::Time deadline = absl::Now() + options_.sync_timeout;
  if (!node_informer_->WaitForSync(deadline) || !pod_informer_->WaitForSync(deadline)) {
    Stop();
    return absl::DeadlineExceededError(
        absl::StrCat("scheduler: nodes and pods were not listed within ",
                     absl::FormatDuration(options_.sync_timeout)));
  }
  spdlog::info("scheduler: caches synced ({} nodes, queue {} pending), scheduling",
               cache_.NodeCount(), queue_.Counts().active);
  scheduling_thread_ = std::thread([this] { ScheduleLoop(); });
  for (int i = 0; i < options_.binder_threads; ++i) {
    binder_threads_.emplace_back([this] { BinderLoop(); });
  }
  return absl::OkStatus();
}

void Scheduler::Stop() {
  if (stopped_.exchange(true)) return;
  if (node_informer_ != nullptr) node_informer_->Stop();
  if (pod_informer_ != nullptr) pod_informer_->Stop();
  queue_.Close();
  if (scheduling_thread_.joinable()) scheduling_thread_.join();
  tasks_.Close();
  for (std::thread& binder : binder_threads_)
    binder.join();
  binder_threads_.clear();
}

SchedulerStats Scheduler::stats() const {
  return {bound_.load(), bind_failures_.load(), unschedulable_.load()};
}

void Scheduler::OnNode(const api::Json* old_node, const api::Json& node) {
  if (absl::Status status = cache_.AddOrUpdateNode(node); !status.ok()) {
    spdlog::warn("scheduler: node {} ignored: {}", api::NameOf(node), status.ToString());
    return;
  }
  if (old_node == nullptr || NodeSchedulingChanged(*old_node, node)) queue_.MoveAllToActive();
}

void Scheduler::OnNodeDeleted(const api::Json& node) {
  cache_.RemoveNode(api::NameOf(node));
}

void Scheduler::OnPod(const api::Json& pod) {
  absl::StatusOr<PodInfo> info = PodInfo::FromPod(pod);
  if (!info.ok()) {
    spdlog::warn("scheduler: pod {} ignored: {}", PodKey(pod), info.status().ToString());
    return;
  }
  if (!info->node_name.empty()) {
    queue_.Delete(info->key);
    if (!info->terminal) {
      cache_.AddOrUpdatePod(*info);
    } else if (cache_.IsPlaced(info->key)) {
      cache_.RemovePod(info->key);  // a finished pod frees its node's room
      queue_.MoveAllToActive();
    }
    return;
  }
  if (info->scheduler_name != options_.scheduler_name || info->being_deleted || info->terminal) {
    queue_.Delete(info->key);
    return;
  }
  if (cache_.IsAssumed(info->key)) return;  // its binding is on the way
  queue_.AddOrUpdate(*std::move(info));
}

void Scheduler::OnPodDeleted(const api::Json& pod) {
  const std::string key = PodKey(pod);
  queue_.Delete(key);
  if (!cache_.IsPlaced(key)) return;
  cache_.RemovePod(key);
  queue_.MoveAllToActive();
}

void Scheduler::ScheduleLoop() {
  absl::BitGen random;
  while (std::optional<QueuedPod> queued = queue_.Pop())
    ScheduleOne(*std::move(queued), random);
}

void Scheduler::ScheduleOne(QueuedPod queued, absl::BitGenRef random) {
  const std::string key = queued.pod.key;
  Placement placement = cache_.ScheduleAndAssume(queued.pod, random);
  if (placement.already_placed) {  // assumed by an earlier attempt, or bound meanwhile
    queue_.Done(key);
    return;
  }
  if (!placement.node_name.empty()) {
    queue_.Done(key);
    tasks_.Push(BindTask{std::move(queued), std::move(placement.node_name)});
    return;
  }
  ++unschedulable_;
  spdlog::info("scheduler: pod {} is unschedulable (attempt {}): {}", key, queued.attempts,
               placement.failure_message);
  UnschedulableTask report{queued.pod.object, std::move(placement.failure_message)};
  queue_.Requeue(std::move(queued), /*unschedulable=*/true);
  tasks_.Push(std::move(report));
}

void Scheduler::BinderLoop() {
  while (std::optional<Task> task = tasks_.Pop()) {
    if (auto* bind = std::get_if<BindTask>(&*task)) {
      Bind(std::move(*bind));
    } else {
      ReportUnschedulable(std::get<UnschedulableTask>(*task));
    }
  }
}

void Scheduler::Bind(BindTask task) {
  const PodInfo& pod = task.pod.pod;
  absl::Status status = client_.Bind(pod.namespace_name, pod.name, pod.uid, task.node_name);
  if (status.ok()) {
    ++bound_;
    spdlog::debug("scheduler: bound {} to {}", pod.key, task.node_name);
    recorder_.Record(pod.object, "Normal", "Scheduled",
                     absl::StrCat("Successfully assigned ", pod.key, " to ", task.node_name));
    return;
  }
  ++bind_failures_;
  cache_.ForgetAssumedPod(pod.key);
  if (client::IsNotFound(status) || client::HttpCodeOf(status) == 409) {
    // Deleted, or bound by someone else (a previous leader): the informer brings the truth.
    spdlog::info("scheduler: binding {} to {} refused: {}", pod.key, task.node_name,
                 status.ToString());
    return;
  }
  spdlog::warn("scheduler: binding {} to {} failed, retrying after back-off: {}", pod.key,
               task.node_name, status.ToString());
  if (!stopped_.load()) queue_.Requeue(std::move(task.pod), /*unschedulable=*/false);
}

void Scheduler::ReportUnschedulable(const UnschedulableTask& task) {
  const api::Json* current =
      api::FindCondition(api::ArrayAt(task.pod, {"status", "conditions"}), "PodScheduled");
  const bool already_false = current != nullptr && api::StringAt(*current, {"status"}) == "False";
  recorder_.Record(task.pod, "Warning", "FailedScheduling", task.message);
  if (already_false && api::StringAt(*current, {"reason"}) == "Unschedulable" &&
      api::StringAt(*current, {"message"}) == task.message) {
    return;  // the pod already says so
  }
  api::Json condition = {
      {"type", "PodScheduled"},
      {"status", "False"},
      {"reason", "Unschedulable"},
      {"message", task.message},
      {"lastProbeTime", nullptr},
      {"lastTransitionTime", already_false ? api::StringAt(*current, {"lastTransitionTime"})
                                           : api::FormatTimestamp(absl::Now())}};
  api::Json patch = {{"status", {{"conditions", api::Json::array({condition})}}}};
  client::PatchOptions options;
  options.subresource = "status";
  absl::StatusOr<api::Json> patched = client_.Patch(
      api::ResourceFor(api::Kind::kPod), api::NamespaceOf(task.pod), api::NameOf(task.pod),
      client::PatchType::kStrategicMerge, patch.dump(), options);
  if (!patched.ok() && !client::IsNotFound(patched.status())) {
    spdlog::warn("scheduler: cannot set PodScheduled=False on {}: {}", PodKey(task.pod),
                 patched.status().ToString());
  }
}

}  // namespace orch::scheduler

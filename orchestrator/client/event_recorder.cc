#include "orchestrator/client/event_recorder.h"

#include <deque>
#include <map>
#include <thread>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::client {
namespace {

// A repeat within this window bumps the existing Event (Kubernetes' event correlator).
constexpr absl::Duration kRepeatWindow = absl::Minutes(10);
// Events waiting to be written; beyond it new ones are dropped (with a log line), so a
// component that records faster than the server accepts does not grow without bound.
constexpr size_t kMaxQueued = 1000;
// Distinct Events remembered for counting repeats.
constexpr size_t kMaxRemembered = 4096;

struct PendingEvent {
  api::Json involved_object;
  std::string type;
  std::string reason;
  std::string message;
  absl::Time time;
};

// What makes two Events "the same" for counting.
using EventKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

struct RecordedEvent {
  std::string namespace_name;
  std::string name;
  int64_t count = 0;
  absl::Time last_seen;
};

}  // namespace

struct EventRecorder::Impl {
  Impl(Client& client_in, std::string component_in, std::string host_in)
      : client(client_in), component(std::move(component_in)), host(std::move(host_in)) {}

  const api::ResourceInfo& events() const { return api::ResourceFor(api::Kind::kEvent); }

  static std::string EventNamespace(const api::Json& object) {
    const std::string namespace_name = api::NamespaceOf(object);
    return namespace_name.empty() ? "default" : namespace_name;
  }

  static EventKey KeyOf(const PendingEvent& event) {
    const api::Json& object = event.involved_object;
    const std::string identity =
        api::UidOf(object).empty()
            ? api::Cat(api::KindOf(object), "/", api::NamespaceOf(object), "/", api::NameOf(object))
            : api::UidOf(object);
    return {identity, EventNamespace(object), event.type, event.reason, event.message};
  }

  api::Json NewEvent(const PendingEvent& event) const {
    const api::Json& object = event.involved_object;
    const std::string timestamp = api::FormatTimestamp(event.time);
    api::Json involved = {{"apiVersion", api::ApiVersionOf(object)},
                          {"kind", api::KindOf(object)},
                          {"name", api::NameOf(object)}};
    if (!api::NamespaceOf(object).empty()) involved["namespace"] = api::NamespaceOf(object);
    if (!api::UidOf(object).empty()) involved["uid"] = api::UidOf(object);
    if (!api::ResourceVersionOf(object).empty()) {
      involved["resourceVersion"] = api::ResourceVersionOf(object);
    }
    api::Json source = {{"component", component}};
    if (!host.empty()) source["host"] = host;
    return {
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata",
         {{"name", absl::StrFormat("%s.%x", api::NameOf(object), absl::ToUnixNanos(event.time))},
          {"namespace", EventNamespace(object)}}},
        {"involvedObject", std::move(involved)},
        {"reason", event.reason},
        {"message", event.message},
        {"type", event.type},
        {"source", std::move(source)},
        {"firstTimestamp", timestamp},
        {"lastTimestamp", timestamp},
        {"count", 1},
        {"reportingComponent", component},
        {"reportingInstance", host}};
  }

  // A repeat: the existing Event's count and lastTimestamp; false when it is gone.
  bool Bump(RecordedEvent& recorded, const PendingEvent& event) {
    const api::Json patch = {{"count", recorded.count + 1},
                             {"lastTimestamp", api::FormatTimestamp(event.time)}};
    absl::Status patched = client
                               .Patch(events(), recorded.namespace_name, recorded.name,
                                      PatchType::kMerge, patch.dump())
                               .status();
    if (patched.ok()) {
      ++recorded.count;
      recorded.last_seen = event.time;
      return true;
    }
    if (!client::IsNotFound(patched)) {
      spdlog::warn("events {}: cannot update event {}/{}: {}", component, recorded.namespace_name,
                   recorded.name, std::string(patched.message()));
      // Counted anyway: a retry would only make the count drift the other way.
      recorded.last_seen = event.time;
      return true;
    }
    return false;
  }

  // False when the server could not be reached.
  bool Write(const PendingEvent& event) {
    const EventKey key = KeyOf(event);
    auto found = recorded.find(key);
    if (found != recorded.end() && event.time - found->second.last_seen < kRepeatWindow &&
        Bump(found->second, event)) {
      return true;
    }
    const api::Json created_event = NewEvent(event);
    absl::StatusOr<api::Json> created =
        client.Create(events(), api::NamespaceOf(created_event), created_event);
    if (!created.ok()) {
      spdlog::warn("events {}: cannot record {} {} for {}: {}", component, event.type, event.reason,
                   api::NameOf(event.involved_object), std::string(created.status().message()));
      return HttpCodeOf(created.status()) != 0;
    }
    if (recorded.size() >= kMaxRemembered) recorded.clear();
    recorded[key] = RecordedEvent{api::NamespaceOf(*created), api::NameOf(*created), 1, event.time};
    return true;
  }

  void Run() {
    for (;;) {
      PendingEvent event;
      {
        absl::MutexLock lock(&mutex);
        mutex.Await(absl::Condition(
            +[](Impl* impl) ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mutex) {
              return impl->stopping || !impl->queue.empty();
            },
            this));
        if (queue.empty()) return;  // stopping, and everything was sent
        event = std::move(queue.front());
        queue.pop_front();
      }
      if (Write(event)) continue;
      // Stopping with the server unreachable: the rest would each wait out request_timeout.
      absl::MutexLock lock(&mutex);
      if (stopping && !queue.empty()) {
        spdlog::warn("events {}: server unreachable while stopping, dropping {} events", component,
                     queue.size());
        queue.clear();
      }
    }
  }

  Client& client;
  const std::string component;
  const std::string host;
  absl::Mutex mutex;
  std::deque<PendingEvent> queue ABSL_GUARDED_BY(mutex);
  bool stopping ABSL_GUARDED_BY(mutex) = false;
  std::map<EventKey, RecordedEvent> recorded;  // the writer thread's
  std::thread writer;
};

EventRecorder::EventRecorder(Client& client, std::string component, std::string host)
    : impl_(std::make_unique<Impl>(client, std::move(component), std::move(host))) {
  impl_->writer = std::thread([impl = impl_.get()] { impl->Run(); });
}

EventRecorder::~EventRecorder() {
  {
    absl::MutexLock lock(&impl_->mutex);
    impl_->stopping = true;
  }
  impl_->writer.join();
}

void EventRecorder::Record(const api::Json& object, std::string_view type, std::string_view reason,
                           std::string_view message) {
  absl::MutexLock lock(&impl_->mutex);
  if (impl_->stopping) return;
  if (impl_->queue.size() >= kMaxQueued) {
    spdlog::warn("events {}: queue full, dropping {} {} for {}", impl_->component, type, reason,
                 api::NameOf(object));
    return;
  }
  // Only what an Event names of the object is kept, not the whole (maybe large) object.
  api::Json metadata = {{"name", api::NameOf(object)}};
  for (std::string_view field : {"namespace", "uid", "resourceVersion"}) {
    const std::string value = api::StringAt(object, {"metadata", field});
    if (!value.empty()) metadata[std::string(field)] = value;
  }
  api::Json involved = {{"apiVersion", api::ApiVersionOf(object)},
                        {"kind", api::KindOf(object)},
                        {"metadata", std::move(metadata)}};
  impl_->queue.push_back(PendingEvent{std::move(involved), std::string(type), std::string(reason),
                                      std::string(message), absl::Now()});
}

}  // namespace orch::client

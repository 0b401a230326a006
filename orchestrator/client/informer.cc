#include "orchestrator/client/informer.h"

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/status.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::client {
namespace {

// Back-off between failed lists and broken watches: doubles from the first to the last.
constexpr absl::Duration kFirstBackOff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackOff = absl::Seconds(5);
// The server ends each watch after a random 5-10 minutes (client-go's spread), so watches
// of many informers do not all restart at once; the informer watches again from where it was.
constexpr int kMinWatchSeconds = 300;
constexpr int kMaxWatchSeconds = 600;

using SharedObject = Informer::SharedObject;

// What happened to the cache: handlers get these after the cache has changed.
struct Change {
  enum class Type { kAdd, kUpdate, kDelete } type;
  SharedObject old_object;  // kUpdate: the previous state; kDelete: the last state known
  SharedObject object;      // kAdd, kUpdate: the new state
};

}  // namespace

std::string ObjectCacheKey(const api::Json& object) {
  const std::string namespace_name = api::NamespaceOf(object);
  const std::string name = api::NameOf(object);
  return namespace_name.empty() ? name : api::Cat(namespace_name, "/", name);
}

struct Informer::Impl {
  using IndexFunction = std::function<std::vector<std::string>(const api::Json&)>;

  Impl(Client& client_in, const api::ResourceInfo& resource_in, std::string namespace_in,
       ListOptions options_in)
      : client(client_in),
        resource(resource_in),
        namespace_name(std::move(namespace_in)),
        options(std::move(options_in)) {}

  // --- the cache (every method below with Locked in its name holds `mutex`) ---

  void IndexLocked(const std::string& key, const api::Json& object, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (const auto& [index_name, function] : index_functions) {
      std::map<std::string, std::set<std::string>>& index = indices[index_name];
      for (const std::string& value : function(object)) {
        if (add) {
          index[value].insert(key);
          continue;
        }
        auto found = index.find(value);
        if (found == index.end()) continue;
        found->second.erase(key);
        if (found->second.empty()) index.erase(found);
      }
    }
  }

  // The immutable form the cache keeps of an object that arrived from the server.
  SharedObject Freeze(api::Json object) const {
    if (drop_managed_fields) {
      if (auto metadata = object.find("metadata");
          metadata != object.end() && metadata->is_object()) {
        metadata->erase("managedFields");
      }
    }
    return std::make_shared<const api::Json>(std::move(object));
  }

  // Stores `object`; the change it makes.
  Change UpsertLocked(SharedObject object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const std::string key = ObjectCacheKey(*object);
    auto found = items.find(key);
    if (found == items.end()) {
      IndexLocked(key, *object, true);
      items.emplace(key, object);
      return Change{Change::Type::kAdd, nullptr, std::move(object)};
    }
    IndexLocked(key, *found->second, false);
    IndexLocked(key, *object, true);
    SharedObject old_object = std::exchange(found->second, object);
    return Change{Change::Type::kUpdate, std::move(old_object), std::move(object)};
  }

  std::optional<Change> RemoveLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    auto found = items.find(key);
    if (found == items.end()) return std::nullopt;
    IndexLocked(key, *found->second, false);
    Change change{Change::Type::kDelete, std::move(found->second), nullptr};
    items.erase(found);
    return change;
  }

  // The cache becomes `listed`; the differences, as adds, updates (of objects whose
  // resourceVersion moved) and deletes.
  std::vector<Change> ReplaceLocked(std::vector<SharedObject> listed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    std::vector<Change> changes;
    std::set<std::string> present;
    for (SharedObject& object : listed) {
      const std::string key = ObjectCacheKey(*object);
      present.insert(key);
      auto found = items.find(key);
      if (found != items.end() &&
          api::ResourceVersionOf(*found->second) == api::ResourceVersionOf(*object)) {
        continue;
      }
      changes.push_back(UpsertLocked(std::move(object)));
    }
    std::vector<std::string> gone;
    for (const auto& [key, object] : items) {
      if (!present.contains(key)) gone.push_back(key);
    }
    for (const std::string& key : gone) {
      if (std::optional<Change> change = RemoveLocked(key); change.has_value()) {
        changes.push_back(std::move(*change));
      }
    }
    return changes;
  }

  // --- the list-and-watch thread ---

  void Deliver(const std::vector<Change>& changes) {
    for (const Change& change : changes) {
      for (const InformerHandlers& handler : handlers) {
        if (stopping) return;
        switch (change.type) {
          case Change::Type::kAdd:
            if (handler.on_add) handler.on_add(*change.object);
            break;
          case Change::Type::kUpdate:
            if (handler.on_update) handler.on_update(*change.old_object, *change.object);
            break;
          case Change::Type::kDelete:
            if (handler.on_delete) handler.on_delete(*change.old_object);
            break;
        }
      }
    }
  }

  // Lists everything into the cache; false on failure (logged).
  bool ListAndReplace() {
    absl::StatusOr<api::Json> list = client.ListAll(resource, namespace_name, options);
    if (!list.ok()) {
      spdlog::warn("informer {}: list failed: {}", resource.plural,
                   std::string(list.status().message()));
      return false;
    }
    std::vector<SharedObject> listed;
    if (auto items_json = list->find("items");
        items_json != list->end() && items_json->is_array()) {
      listed.reserve(items_json->size());
      for (api::Json& item : *items_json)
        listed.push_back(Freeze(std::move(item)));
    }
    std::vector<Change> changes;
    {
      absl::MutexLock lock(&mutex);
      changes = ReplaceLocked(std::move(listed));
      resource_version = api::StringAt(*list, {"metadata", "resourceVersion"});
    }
    Deliver(changes);
    absl::MutexLock lock(&mutex);
    synced = true;
    return true;
  }

  // Applies one watch event; false when the watch must end and the informer list again.
  bool Apply(const WatchEvent& event) {
    const std::string event_version = api::ResourceVersionOf(event.object);
    if (event.type == "ERROR") {
      const int code = api::StatusCode(event.object);
      spdlog::info("informer {}: the watch ended with {} ({}); listing again", resource.plural,
                   code, api::StringAt(event.object, {"message"}));
      return false;
    }
    const bool stores =
        event.type == "ADDED" || event.type == "MODIFIED" || event.type == "DELETED";
    SharedObject object = stores ? Freeze(event.object) : nullptr;
    std::optional<Change> change;
    {
      absl::MutexLock lock(&mutex);
      if (event.type == "ADDED" || event.type == "MODIFIED") {
        change = UpsertLocked(std::move(object));
      } else if (event.type == "DELETED") {
        change = RemoveLocked(ObjectCacheKey(*object));
        // The deletion's own state is the last one known.
        if (change.has_value()) change->old_object = std::move(object);
      } else if (event.type != "BOOKMARK") {
        spdlog::warn("informer {}: unknown watch event type {}", resource.plural, event.type);
      }
      if (!event_version.empty()) resource_version = event_version;
    }
    if (change.has_value()) Deliver({*change});
    return true;
  }

  // Watches from the cache's resourceVersion until the stream ends. True when it ended
  // normally (watch again), false when the informer must list again.
  bool WatchOnce() {
    WatchOptions watch_options;
    watch_options.resource_version = LastResourceVersion();
    watch_options.label_selector = options.label_selector;
    watch_options.field_selector = options.field_selector;
    watch_options.timeout = absl::Seconds(WatchSeconds());
    absl::StatusOr<std::unique_ptr<WatchStream>> opened =
        client.Watch(resource, namespace_name, watch_options);
    if (!opened.ok()) {
      spdlog::warn("informer {}: watch failed: {}", resource.plural,
                   std::string(opened.status().message()));
      return false;
    }
    std::shared_ptr<WatchStream> stream = std::move(*opened);
    {
      std::lock_guard lock(watch_mutex);
      if (stopping) return true;
      current_watch = stream;
    }
    bool watch_again = true;
    for (;;) {
      absl::StatusOr<std::optional<WatchEvent>> event = stream->Next();
      if (!event.ok()) {
        spdlog::warn("informer {}: the watch broke: {}", resource.plural,
                     std::string(event.status().message()));
        watch_again = false;
        break;
      }
      if (!event->has_value() || stopping) break;
      if (!Apply(**event)) {
        watch_again = false;
        break;
      }
    }
    std::lock_guard lock(watch_mutex);
    current_watch.reset();
    return watch_again;
  }

  int WatchSeconds() {
    std::uniform_int_distribution<int> seconds(kMinWatchSeconds, kMaxWatchSeconds);
    return seconds(random);
  }

  void Run() {
    absl::Duration back_off = kFirstBackOff;
    bool must_list = true;
    while (!stopping) {
      if (must_list) {
        if (!ListAndReplace()) {
          Sleep(back_off);
          back_off = std::min(back_off * 2, kMaxBackOff);
          continue;
        }
        back_off = kFirstBackOff;
        must_list = false;
      }
      if (stopping) return;
      if (!WatchOnce()) {
        must_list = true;
        Sleep(back_off);
        back_off = std::min(back_off * 2, kMaxBackOff);
      }
    }
  }

  void Sleep(absl::Duration duration) { stop_requested.WaitForNotificationWithTimeout(duration); }

  std::string LastResourceVersion() const {
    absl::MutexLock lock(&mutex);
    return resource_version;
  }

  Client& client;
  const api::ResourceInfo& resource;
  const std::string namespace_name;
  const ListOptions options;
  // Set before Start; read-only afterwards.
  std::vector<InformerHandlers> handlers;
  std::map<std::string, IndexFunction> index_functions;
  bool drop_managed_fields = false;

  mutable absl::Mutex mutex;
  std::map<std::string, SharedObject> items ABSL_GUARDED_BY(mutex);
  // index name -> value -> cache keys
  std::map<std::string, std::map<std::string, std::set<std::string>>> indices
      ABSL_GUARDED_BY(mutex);
  std::string resource_version ABSL_GUARDED_BY(mutex);
  bool synced ABSL_GUARDED_BY(mutex) = false;

  std::mt19937 random{std::random_device{}()};  // the informer thread's
  std::thread thread;
  std::atomic<bool> stopping{false};
  absl::Notification stop_requested;
  std::mutex watch_mutex;
  std::shared_ptr<WatchStream> current_watch;  // guarded by watch_mutex
};

Informer::Informer(Client& client, const api::ResourceInfo& resource, std::string namespace_name,
                   ListOptions options)
    : impl_(std::make_unique<Impl>(client, resource, std::move(namespace_name),
                                   std::move(options))) {}

Informer::~Informer() {
  Stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Informer::AddHandlers(InformerHandlers handlers) {
  impl_->handlers.push_back(std::move(handlers));
}

void Informer::AddIndex(std::string name,
                        std::function<std::vector<std::string>(const api::Json&)> index_values) {
  impl_->index_functions.emplace(std::move(name), std::move(index_values));
}

void Informer::DropManagedFields() {
  impl_->drop_managed_fields = true;
}

void Informer::Start() {
  if (impl_->thread.joinable() || impl_->stopping) return;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

bool Informer::WaitForSync(absl::Time deadline) const {
  absl::MutexLock lock(&impl_->mutex);
  return impl_->mutex.AwaitWithDeadline(absl::Condition(&impl_->synced), deadline);
}

bool Informer::HasSynced() const {
  absl::MutexLock lock(&impl_->mutex);
  return impl_->synced;
}

void Informer::Stop() {
  if (!impl_->stopping.exchange(true)) {
    impl_->stop_requested.Notify();
    std::lock_guard lock(impl_->watch_mutex);
    if (impl_->current_watch != nullptr) impl_->current_watch->Cancel();
  }
  // A handler that stops its own informer cannot wait for itself; the destructor joins.
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id()) {
    impl_->thread.join();
  }
}

std::optional<api::Json> Informer::Get(const std::string& cache_key) const {
  SharedObject object = GetShared(cache_key);
  if (object == nullptr) return std::nullopt;
  return *object;
}

std::vector<api::Json> Informer::List() const {
  std::vector<api::Json> objects;
  for (const SharedObject& object : ListShared())
    objects.push_back(*object);
  return objects;
}

std::vector<api::Json> Informer::ByIndex(const std::string& index_name,
                                         const std::string& value) const {
  std::vector<api::Json> objects;
  for (const SharedObject& object : ByIndexShared(index_name, value))
    objects.push_back(*object);
  return objects;
}

Informer::SharedObject Informer::GetShared(const std::string& cache_key) const {
  absl::MutexLock lock(&impl_->mutex);
  auto found = impl_->items.find(cache_key);
  if (found == impl_->items.end()) return nullptr;
  return found->second;
}

std::vector<Informer::SharedObject> Informer::ListShared() const {
  absl::MutexLock lock(&impl_->mutex);
  std::vector<SharedObject> objects;
  objects.reserve(impl_->items.size());
  for (const auto& [key, object] : impl_->items)
    objects.push_back(object);
  return objects;
}

std::vector<Informer::SharedObject> Informer::ByIndexShared(const std::string& index_name,
                                                            const std::string& value) const {
  absl::MutexLock lock(&impl_->mutex);
  std::vector<SharedObject> objects;
  auto index = impl_->indices.find(index_name);
  if (index == impl_->indices.end()) return objects;
  auto keys = index->second.find(value);
  if (keys == index->second.end()) return objects;
  objects.reserve(keys->second.size());
  for (const std::string& key : keys->second) {
    auto found = impl_->items.find(key);
    if (found != impl_->items.end()) objects.push_back(found->second);
  }
  return objects;
}

std::string Informer::LastResourceVersion() const {
  return impl_->LastResourceVersion();
}

}  // namespace orch::client

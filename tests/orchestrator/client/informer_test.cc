#include "orchestrator/client/informer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/status.h"
#include "tests/orchestrator/harness/eventually.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::client {
namespace {

using api::Json;

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

Json PodObject(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec", {{"containers", {{{"name", "main"}, {"image", "sh"}}}}}}};
}

// What the handlers saw, as "add a", "update a", "delete a".
class Recorder {
 public:
  InformerHandlers Handlers() {
    return {.on_add = [this](const Json& o) { Note("add " + api::NameOf(o)); },
            .on_update = [this](const Json&, const Json& o) { Note("update " + api::NameOf(o)); },
            .on_delete = [this](const Json& o) { Note("delete " + api::NameOf(o)); }};
  }

  // Waits until `count` notes were taken; all of them.
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mutex_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return notes_.size() >= count; };
    mutex_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return notes_;
  }

  std::vector<std::string> Notes() {
    absl::MutexLock lock(&mutex_);
    return notes_;
  }

 private:
  void Note(std::string note) {
    absl::MutexLock lock(&mutex_);
    notes_.push_back(std::move(note));
  }

  absl::Mutex mutex_;
  std::vector<std::string> notes_ ABSL_GUARDED_BY(mutex_);
};

bool Eventually(const std::function<bool()>& condition) {
  return orch::testing::Eventually(condition, absl::Seconds(10));
}

TEST(InformerTest, ObjectCacheKeys) {
  EXPECT_EQ(ObjectCacheKey({{"metadata", {{"name", "a"}, {"namespace", "ns"}}}}), "ns/a");
  EXPECT_EQ(ObjectCacheKey({{"metadata", {{"name", "node-1"}}}}), "node-1");
}

TEST(InformerTest, ListsWatchesIndexesAndStops) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client((*server)->client_config());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("a")).ok());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("b")).ok());

  Informer informer(client, Pods());
  Recorder recorder;
  informer.AddHandlers(recorder.Handlers());
  informer.AddIndex("node", [](const Json& pod) {
    const std::string node = api::StringAt(pod, {"spec", "nodeName"});
    return node.empty() ? std::vector<std::string>{} : std::vector<std::string>{node};
  });
  EXPECT_FALSE(informer.HasSynced());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  // The first list's adds were handled before WaitForSync returned.
  EXPECT_EQ(recorder.Notes(), (std::vector<std::string>{"add a", "add b"}));
  EXPECT_EQ(informer.List().size(), 2u);
  ASSERT_TRUE(informer.Get("default/a").has_value());
  EXPECT_FALSE(informer.LastResourceVersion().empty());

  ASSERT_TRUE(client.Bind("default", "a", "", "node-1").ok());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("c")).ok());
  ASSERT_TRUE(client.Delete(Pods(), "default", "b").ok());
  EXPECT_EQ(recorder.WaitFor(5),
            (std::vector<std::string>{"add a", "add b", "update a", "add c", "delete b"}));
  ASSERT_EQ(informer.ByIndex("node", "node-1").size(), 1u);
  EXPECT_EQ(api::NameOf(informer.ByIndex("node", "node-1")[0]), "a");
  EXPECT_TRUE(informer.ByIndex("node", "node-2").empty());
  EXPECT_TRUE(informer.ByIndex("none", "node-1").empty());
  EXPECT_FALSE(informer.Get("default/b").has_value());
  EXPECT_EQ(api::StringAt(*informer.Get("default/a"), {"spec", "nodeName"}), "node-1");

  const absl::Time stop_started = absl::Now();
  informer.Stop();
  EXPECT_LT(absl::Now() - stop_started, absl::Seconds(5));
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("d")).ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(recorder.Notes().size(), 5u);
}

TEST(InformerTest, SharedReadersHandOutTheCachedObjectsWhichNeverChange) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client((*server)->client_config());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("a")).ok());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("b")).ok());

  Informer informer(client, Pods());
  informer.AddIndex("node", [](const Json& pod) {
    const std::string node = api::StringAt(pod, {"spec", "nodeName"});
    return node.empty() ? std::vector<std::string>{} : std::vector<std::string>{node};
  });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(informer.GetShared("default/missing"), nullptr);
  Informer::SharedObject before = informer.GetShared("default/a");
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(informer.GetShared("default/a"), before);  // the same object, not a copy
  EXPECT_EQ(informer.ListShared().size(), 2u);
  EXPECT_EQ(*informer.Get("default/a"), *before);
  // Without DropManagedFields the cache keeps what the server sent.
  EXPECT_FALSE(api::ArrayAt(*before, {"metadata", "managedFields"}).empty());

  ASSERT_TRUE(client.Bind("default", "a", "", "node-1").ok());
  ASSERT_TRUE(Eventually([&] { return informer.ByIndexShared("node", "node-1").size() == 1; }));
  EXPECT_EQ(informer.ByIndexShared("node", "node-1")[0], informer.GetShared("default/a"));
  // The change replaced the cached object; the one handed out before is as it was.
  EXPECT_EQ(api::StringAt(*before, {"spec", "nodeName"}), "");
  EXPECT_NE(informer.GetShared("default/a"), before);
  EXPECT_TRUE(informer.ByIndexShared("node", "node-2").empty());
  EXPECT_TRUE(informer.ByIndexShared("none", "node-1").empty());

  // An object removed from the cache lives on with those who hold it.
  Informer::SharedObject removed = informer.GetShared("default/b");
  ASSERT_NE(removed, nullptr);
  ASSERT_TRUE(client.Delete(Pods(), "default", "b").ok());  // unbound: gone at once
  ASSERT_TRUE(Eventually([&] { return informer.GetShared("default/b") == nullptr; }));
  EXPECT_EQ(api::NameOf(*removed), "b");
}

TEST(InformerTest, DropManagedFieldsLeavesThemOutOfTheCacheAndTheHandlers) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client((*server)->client_config());
  absl::StatusOr<Json> listed_pod = client.Create(Pods(), "default", PodObject("listed"));
  ASSERT_TRUE(listed_pod.ok()) << listed_pod.status();
  ASSERT_FALSE(api::ArrayAt(*listed_pod, {"metadata", "managedFields"}).empty());

  Informer informer(client, Pods());
  informer.DropManagedFields();
  std::mutex mutex;
  std::vector<Json> handled;
  informer.AddHandlers({.on_add =
                            [&](const Json& pod) {
                              std::lock_guard lock(mutex);
                              handled.push_back(pod);
                            },
                        .on_update = nullptr,
                        .on_delete = nullptr});
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("watched")).ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mutex);
    return handled.size() == 2;
  }));
  for (const char* key : {"default/listed", "default/watched"}) {
    Informer::SharedObject pod = informer.GetShared(key);
    ASSERT_NE(pod, nullptr) << key;
    EXPECT_EQ(api::MemberAt(*pod, {"metadata", "managedFields"}), nullptr) << key;
    EXPECT_FALSE(api::UidOf(*pod).empty()) << key;  // the rest of metadata stays
  }
  std::lock_guard lock(mutex);
  for (const Json& pod : handled) {
    EXPECT_EQ(api::MemberAt(pod, {"metadata", "managedFields"}), nullptr) << api::NameOf(pod);
  }
}

TEST(InformerTest, FieldSelectorsNarrowTheCache) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client((*server)->client_config());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("mine")).ok());
  ASSERT_TRUE(client.Create(Pods(), "default", PodObject("other")).ok());
  ASSERT_TRUE(client.Bind("default", "mine", "", "node-1").ok());
  ListOptions options;
  options.field_selector = "spec.nodeName=node-1";
  Informer informer(client, Pods(), "default", options);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  ASSERT_EQ(informer.List().size(), 1u);
  EXPECT_EQ(api::NameOf(informer.List()[0]), "mine");
  ASSERT_TRUE(client.Bind("default", "other", "", "node-1").ok());
  EXPECT_TRUE(Eventually([&] { return informer.List().size() == 2; }));
}

// A scripted API server: each request gets the next answer queued for its kind (list or
// watch), on a connection it closes afterwards. A watch answer streams its lines and then
// ends the body, or keeps the stream open until the server stops.
class ScriptedServer {
 public:
  struct WatchAnswer {
    std::vector<Json> events;
    bool end = true;
  };

  ScriptedServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : connections_)
        shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& thread : threads_)
      thread.join();
    for (int fd : connections_)
      close(fd);
    close(listener_);
  }

  uint16_t port() const { return port_; }

  void AddList(Json list) {
    std::lock_guard lock(mutex_);
    lists_.push_back(std::move(list));
  }
  void AddWatch(WatchAnswer answer) {
    std::lock_guard lock(mutex_);
    watches_.push_back(std::move(answer));
  }
  // The request lines seen ("GET /api/v1/pods?watch=true&... HTTP/1.1").
  std::vector<std::string> Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Accept() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
      if (got <= 0) return;
      request.append(buffer, static_cast<size_t>(got));
    }
    const std::string line = request.substr(0, request.find("\r\n"));
    const bool watch = absl::StrContains(line, "watch=true");
    std::optional<Json> list;
    std::optional<WatchAnswer> answer;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(line);
      if (watch && !watches_.empty()) {
        answer = std::move(watches_.front());
        watches_.pop_front();
      } else if (!watch && !lists_.empty()) {
        list = std::move(lists_.front());
        lists_.pop_front();
      }
    }
    if (list.has_value()) {
      const std::string body = list->dump();
      Send(fd, absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: "
                            "close\r\nContent-Length: ",
                            body.size(), "\r\n\r\n", body));
    } else if (answer.has_value()) {
      Send(fd,
           "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
      for (const Json& event : answer->events) {
        const std::string chunk = event.dump() + "\n";
        Send(fd, absl::StrCat(absl::Hex(chunk.size()), "\r\n", chunk, "\r\n"));
      }
      if (answer->end) {
        Send(fd, "0\r\n\r\n");
      } else {
        while (!stopping_ && recv(fd, buffer, sizeof(buffer), 0) > 0) {
        }
      }
    } else {
      // Nothing scripted: the server is "down" for this request.
      Send(fd,
           "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
    shutdown(fd, SHUT_WR);
  }

  static void Send(int fd, const std::string& data) {
    send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> connections_;
  std::list<std::thread> threads_;
  std::list<Json> lists_;
  std::list<WatchAnswer> watches_;
  std::vector<std::string> requests_;
};

Json ScriptedPod(const std::string& name, int resource_version) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"resourceVersion", std::to_string(resource_version)}}}};
}

Json PodList(std::vector<Json> items, int resource_version) {
  return {{"apiVersion", "v1"},
          {"kind", "PodList"},
          {"metadata", {{"resourceVersion", std::to_string(resource_version)}}},
          {"items", std::move(items)}};
}

TEST(InformerScriptedTest, ANormalEndWatchesAgainFromTheLastVersion) {
  ScriptedServer server;
  server.AddList(PodList({ScriptedPod("a", 5)}, 10));
  server.AddWatch(
      {.events = {{{"type", "MODIFIED"}, {"object", ScriptedPod("a", 11)}}}, .end = true});
  server.AddWatch({.events = {{{"type", "BOOKMARK"},
                               {"object",
                                {{"kind", "Pod"},
                                 {"apiVersion", "v1"},
                                 {"metadata", {{"resourceVersion", "25"}}}}}}},
                   .end = false});
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  Informer informer(client, Pods());
  Recorder recorder;
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(recorder.WaitFor(2), (std::vector<std::string>{"add a", "update a"}));
  // The bookmark moves the resourceVersion and nothing else.
  ASSERT_TRUE(Eventually([&] { return informer.LastResourceVersion() == "25"; }));
  EXPECT_EQ(recorder.Notes().size(), 2u);
  informer.Stop();

  const std::vector<std::string> requests = server.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(requests[0], "GET /api/v1/pods HTTP/1.1")) << requests[0];
  EXPECT_TRUE(absl::StrContains(requests[1], "watch=true&resourceVersion=10&")) << requests[1];
  EXPECT_TRUE(absl::StrContains(requests[2], "watch=true&resourceVersion=11&")) << requests[2];
  EXPECT_TRUE(absl::StrContains(requests[2], "allowWatchBookmarks=true")) << requests[2];
}

TEST(InformerScriptedTest, GoneListsAgainAndReportsTheDifference) {
  ScriptedServer server;
  server.AddList(PodList({ScriptedPod("a", 5), ScriptedPod("b", 6), ScriptedPod("c", 7)}, 10));
  server.AddWatch(
      {.events = {{{"type", "ERROR"}, {"object", api::StatusTooOldResourceVersion(10, 20)}}},
       .end = true});
  // While the informer was cut off: a was deleted, b changed, c stayed, d was created.
  server.AddList(PodList({ScriptedPod("b", 15), ScriptedPod("c", 7), ScriptedPod("d", 16)}, 30));
  server.AddWatch({.events = {}, .end = false});
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  Informer informer(client, Pods());
  Recorder recorder;
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  EXPECT_EQ(recorder.WaitFor(6),
            (std::vector<std::string>{"add a", "add b", "add c", "update b", "add d", "delete a"}));
  ASSERT_TRUE(Eventually([&] { return informer.LastResourceVersion() == "30"; }));
  EXPECT_EQ(informer.List().size(), 3u);
  EXPECT_FALSE(informer.Get("default/a").has_value());
  // The watch after the relist starts from the new list's version.
  ASSERT_TRUE(Eventually([&] { return server.Requests().size() >= 4; }));
  informer.Stop();
  const std::vector<std::string> requests = server.Requests();
  EXPECT_TRUE(absl::StrContains(requests[3], "watch=true&resourceVersion=30&")) << requests[3];
}

TEST(InformerScriptedTest, AFailedListIsRetried) {
  ScriptedServer server;
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  Informer informer(client, Pods());
  informer.Start();
  // Nothing scripted yet: lists fail with 503 and are retried after a back-off.
  EXPECT_FALSE(informer.WaitForSync(absl::Now() + absl::Milliseconds(300)));
  server.AddList(PodList({ScriptedPod("a", 5)}, 10));
  server.AddWatch({.events = {}, .end = false});
  EXPECT_TRUE(informer.WaitForSync(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(informer.List().size(), 1u);
  informer.Stop();
}

}  // namespace
}  // namespace orch::client

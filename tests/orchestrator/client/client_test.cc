#include "orchestrator/client/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/client/api_error.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::client {
namespace {

using api::Json;

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}
const api::ResourceInfo& Deployments() {
  return api::ResourceFor(api::Kind::kDeployment);
}

Json PodObject(const std::string& name, Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"containers", {{{"name", "main"}, {"image", "sh"}}}}}}};
}

Json DeploymentObject(const std::string& name, const std::string& tier) {
  const Json labels = {{"app", name}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"labels", {{"app", name}, {"tier", tier}}}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", labels}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec", {{"containers", {{{"name", "main"}, {"image", "http-server"}}}}}}}}}}};
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(server_->client_config());
  }

  Json MustCreatePod(const std::string& name, Json labels = Json::object()) {
    absl::StatusOr<Json> created = client_->Create(Pods(), "default", PodObject(name, labels));
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Json();
  }

  std::unique_ptr<testing::InProcessApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST(ClientPathTest, ResourcePathsFollowTheGroupAndScope) {
  EXPECT_EQ(Client::ResourcePath(Pods(), "ns", "web"), "/api/v1/namespaces/ns/pods/web");
  EXPECT_EQ(Client::ResourcePath(Pods(), ""), "/api/v1/pods");
  EXPECT_EQ(Client::ResourcePath(Deployments(), "ns"), "/apis/apps/v1/namespaces/ns/deployments");
  EXPECT_EQ(Client::ResourcePath(api::ResourceFor(api::Kind::kNode), "ignored", "n1"),
            "/api/v1/nodes/n1");
}

TEST_F(ClientTest, PodCreateGetUpdateDelete) {
  const Json created = MustCreatePod("web");
  EXPECT_FALSE(api::UidOf(created).empty());
  EXPECT_EQ(api::NamespaceOf(created), "default");

  absl::StatusOr<Json> got = client_->Get(Pods(), "default", "web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(api::UidOf(*got), api::UidOf(created));

  Json changed = *got;
  changed["metadata"]["labels"]["tier"] = "front";
  absl::StatusOr<Json> updated = client_->Update(Pods(), changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(api::StringAt(*updated, {"metadata", "labels", "tier"}), "front");
  EXPECT_NE(api::ResourceVersionOf(*updated), api::ResourceVersionOf(*got));

  // The status subresource writes only the status.
  Json with_status = *updated;
  with_status["status"]["phase"] = "Running";
  with_status["metadata"]["labels"]["ignored"] = "yes";
  absl::StatusOr<Json> status_updated = client_->UpdateStatus(Pods(), with_status);
  ASSERT_TRUE(status_updated.ok()) << status_updated.status();
  EXPECT_EQ(api::StringAt(*status_updated, {"status", "phase"}), "Running");
  EXPECT_EQ(api::StringAt(*status_updated, {"metadata", "labels", "ignored"}), "");

  absl::StatusOr<Json> deleted = client_->Delete(Pods(), "default", "web");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  absl::Status gone = client_->Get(Pods(), "default", "web").status();
  EXPECT_TRUE(client::IsNotFound(gone)) << gone;
  EXPECT_TRUE(absl::IsNotFound(gone));
  EXPECT_TRUE(client::IsNotFound(client_->Delete(Pods(), "default", "web").status()));

  // Without a namespace argument, the object's own.
  Json other = PodObject("other");
  other["metadata"]["namespace"] = "default";
  absl::StatusOr<Json> created_other = client_->Create(Pods(), "", other);
  ASSERT_TRUE(created_other.ok()) << created_other.status();
  EXPECT_EQ(api::NamespaceOf(*created_other), "default");
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Create(Pods(), "", PodObject("x")).status()));
}

TEST_F(ClientTest, ErrorsCarryTheirKubernetesReason) {
  const Json created = MustCreatePod("web");
  Json first = created;
  first["metadata"]["labels"]["round"] = "1";
  ASSERT_TRUE(client_->Update(Pods(), first).ok());
  Json stale = created;  // still the create's resourceVersion
  stale["metadata"]["labels"]["round"] = "2";
  absl::Status conflict = client_->Update(Pods(), stale).status();
  EXPECT_TRUE(client::IsConflict(conflict)) << conflict;
  EXPECT_EQ(ReasonOf(conflict), "Conflict");
  EXPECT_FALSE(client::IsAlreadyExists(conflict));

  absl::Status again = client_->Create(Pods(), "default", PodObject("web")).status();
  EXPECT_TRUE(client::IsAlreadyExists(again)) << again;
  EXPECT_FALSE(client::IsConflict(again));

  Json empty = PodObject("empty");
  empty["spec"]["containers"] = Json::array();
  absl::Status invalid = client_->Create(Pods(), "default", empty).status();
  EXPECT_TRUE(client::IsInvalid(invalid)) << invalid;
  ASSERT_TRUE(StatusObjectOf(invalid).has_value());
  EXPECT_EQ(api::StringAt(*StatusObjectOf(invalid), {"reason"}), "Invalid");
}

TEST_F(ClientTest, DeploymentsListBySelectorAndPage) {
  for (const auto& [name, tier] : std::vector<std::pair<std::string, std::string>>{
           {"web", "front"}, {"api", "back"}, {"db", "back"}}) {
    absl::StatusOr<Json> created =
        client_->Create(Deployments(), "default", DeploymentObject(name, tier));
    ASSERT_TRUE(created.ok()) << created.status();
  }
  ListOptions back;
  back.label_selector = "tier in (back),app!=db";
  absl::StatusOr<Json> selected = client_->List(Deployments(), "default", back);
  ASSERT_TRUE(selected.ok()) << selected.status();
  ASSERT_EQ(selected->at("items").size(), 1u);
  EXPECT_EQ(api::NameOf(selected->at("items")[0]), "api");

  ListOptions paged;
  paged.limit = 1;
  absl::StatusOr<Json> first_page = client_->List(Deployments(), "", paged);
  ASSERT_TRUE(first_page.ok()) << first_page.status();
  EXPECT_EQ(first_page->at("items").size(), 1u);
  EXPECT_FALSE(api::StringAt(*first_page, {"metadata", "continue"}).empty());

  absl::StatusOr<Json> all = client_->ListAll(Deployments(), "", paged);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->at("items").size(), 3u);
  EXPECT_EQ(api::StringAt(*all, {"metadata", "continue"}), "");
  EXPECT_EQ(api::StringAt(*all, {"metadata", "resourceVersion"}),
            api::StringAt(*first_page, {"metadata", "resourceVersion"}));
  EXPECT_EQ(api::StringAt(*all, {"kind"}), "DeploymentList");
}

TEST_F(ClientTest, PatchesOfEachKind) {
  ASSERT_TRUE(client_->Create(Deployments(), "default", DeploymentObject("web", "front")).ok());
  absl::StatusOr<Json> merged = client_->Patch(Deployments(), "default", "web", PatchType::kMerge,
                                               R"({"spec":{"replicas":5}})");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(api::IntAt(*merged, {"spec", "replicas"}), 5);

  absl::StatusOr<Json> json_patched =
      client_->Patch(Deployments(), "default", "web", PatchType::kJson,
                     R"([{"op":"replace","path":"/spec/replicas","value":1}])");
  ASSERT_TRUE(json_patched.ok()) << json_patched.status();
  EXPECT_EQ(api::IntAt(*json_patched, {"spec", "replicas"}), 1);

  absl::StatusOr<Json> strategic = client_->Patch(
      Deployments(), "default", "web", PatchType::kStrategicMerge,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"side","image":"sh"}]}}}})");
  ASSERT_TRUE(strategic.ok()) << strategic.status();
  // Containers merge by name: the new one joins the old one.
  EXPECT_EQ(api::ArrayAt(*strategic, {"spec", "template", "spec", "containers"}).size(), 2u);

  PatchOptions scale;
  scale.subresource = "scale";
  absl::StatusOr<Json> scaled = client_->Patch(Deployments(), "default", "web", PatchType::kMerge,
                                               R"({"spec":{"replicas":3}})", scale);
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_EQ(api::StringAt(*scaled, {"kind"}), "Scale");

  EXPECT_TRUE(client::IsNotFound(
      client_->Patch(Deployments(), "default", "none", PatchType::kMerge, "{}").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      client_->Patch(Deployments(), "default", "web", PatchType::kApply, "{}").status()));
}

TEST_F(ClientTest, BindSetsTheNodeOnceThenConflicts) {
  const Json pod = MustCreatePod("web");
  ASSERT_TRUE(client_->Bind("default", "web", api::UidOf(pod), "node-1").ok());
  absl::StatusOr<Json> bound = client_->Get(Pods(), "default", "web");
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(api::StringAt(*bound, {"spec", "nodeName"}), "node-1");
  EXPECT_EQ(api::ConditionStatus(*bound, "PodScheduled"), "True");

  absl::Status again = client_->Bind("default", "web", api::UidOf(pod), "node-2");
  EXPECT_TRUE(client::IsConflict(again)) << again;
  absl::Status missing = client_->Bind("default", "none", "", "node-1");
  EXPECT_TRUE(client::IsNotFound(missing)) << missing;
  MustCreatePod("other");
  absl::Status wrong_uid = client_->Bind("default", "other", "not-the-uid", "node-1");
  EXPECT_TRUE(client::IsConflict(wrong_uid)) << wrong_uid;
}

TEST_F(ClientTest, DeleteOptionsAndEviction) {
  const Json pod = MustCreatePod("web");
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  absl::Status refused = client_->Delete(Pods(), "default", "web", wrong_uid).status();
  EXPECT_TRUE(client::IsConflict(refused)) << refused;

  // A bound pod is deleted gracefully: it stays, marked, until deleted with grace 0.
  ASSERT_TRUE(client_->Bind("default", "web", api::UidOf(pod), "node-1").ok());
  DeleteOptions graceful;
  graceful.grace_period_seconds = 30;
  absl::StatusOr<Json> marked = client_->Delete(Pods(), "default", "web", graceful);
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_TRUE(api::IsBeingDeleted(*marked));
  EXPECT_EQ(api::IntAt(*marked, {"metadata", "deletionGracePeriodSeconds"}), 30);
  ASSERT_TRUE(client_->Get(Pods(), "default", "web").ok());
  DeleteOptions now;
  now.grace_period_seconds = 0;
  now.precondition_uid = api::UidOf(pod);
  ASSERT_TRUE(client_->Delete(Pods(), "default", "web", now).ok());
  EXPECT_TRUE(client::IsNotFound(client_->Get(Pods(), "default", "web").status()));

  MustCreatePod("evicted");
  absl::Status evicted = client_->Evict("default", "evicted");
  ASSERT_TRUE(evicted.ok()) << evicted;
  EXPECT_TRUE(client::IsNotFound(client_->Get(Pods(), "default", "evicted").status()));
  EXPECT_TRUE(client::IsNotFound(client_->Evict("default", "evicted")));
}

TEST_F(ClientTest, WatchSeesAddedModifiedDeleted) {
  absl::StatusOr<Json> list = client_->List(Pods(), "default");
  ASSERT_TRUE(list.ok());
  WatchOptions options;
  options.resource_version = api::StringAt(*list, {"metadata", "resourceVersion"});
  absl::StatusOr<std::unique_ptr<WatchStream>> watch = client_->Watch(Pods(), "default", options);
  ASSERT_TRUE(watch.ok()) << watch.status();

  Json pod = MustCreatePod("web");
  pod["metadata"]["labels"]["changed"] = "yes";
  ASSERT_TRUE(client_->Update(Pods(), pod).ok());
  ASSERT_TRUE(client_->Delete(Pods(), "default", "web").ok());

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::vector<std::string> types;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::optional<WatchEvent>> event = (*watch)->Next(deadline);
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_TRUE(event->has_value());
    EXPECT_EQ(api::NameOf((*event)->object), "web");
    types.push_back((*event)->type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
}

TEST_F(ClientTest, AWatchFromNowReplaysTheCurrentObjectsAndFilters) {
  MustCreatePod("web", {{"app", "web"}});
  MustCreatePod("db", {{"app", "db"}});
  WatchOptions options;
  options.label_selector = "app=web";
  absl::StatusOr<std::unique_ptr<WatchStream>> watch = client_->Watch(Pods(), "", options);
  ASSERT_TRUE(watch.ok()) << watch.status();
  absl::StatusOr<std::optional<WatchEvent>> event = (*watch)->Next(absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(event.ok() && event->has_value()) << event.status();
  EXPECT_EQ((*event)->type, "ADDED");
  EXPECT_EQ(api::NameOf((*event)->object), "web");
  // db does not match: nothing more arrives.
  absl::StatusOr<std::optional<WatchEvent>> none =
      (*watch)->Next(absl::Now() + absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsDeadlineExceeded(none.status())) << none.status();
  // The stream outlives a deadline.
  MustCreatePod("web-2", {{"app", "web"}});
  absl::StatusOr<std::optional<WatchEvent>> later = (*watch)->Next(absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(later.ok() && later->has_value()) << later.status();
  EXPECT_EQ((*later)->type, "ADDED");
  EXPECT_EQ(api::NameOf((*later)->object), "web-2");
}

TEST_F(ClientTest, CancelUnblocksNext) {
  absl::StatusOr<std::unique_ptr<WatchStream>> watch = client_->Watch(Pods(), "default");
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::atomic<bool> returned{false};
  absl::StatusOr<std::optional<WatchEvent>> result = absl::UnknownError("unset");
  std::thread reader([&] {
    result = (*watch)->Next();
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(returned);
  (*watch)->Cancel();
  reader.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_value());
  // Cancelled streams stay ended.
  absl::StatusOr<std::optional<WatchEvent>> after = (*watch)->Next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());

  // A Cancel before any Next ends the stream as well.
  absl::StatusOr<std::unique_ptr<WatchStream>> second = client_->Watch(Pods(), "default");
  ASSERT_TRUE(second.ok()) << second.status();
  (*second)->Cancel();
  absl::StatusOr<std::optional<WatchEvent>> ended = (*second)->Next();
  ASSERT_TRUE(ended.ok());
  EXPECT_FALSE(ended->has_value());
}

TEST_F(ClientTest, TheServerEndsAWatchAtItsTimeout) {
  WatchOptions options;
  options.timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<WatchStream>> watch = client_->Watch(Pods(), "default", options);
  ASSERT_TRUE(watch.ok()) << watch.status();
  absl::StatusOr<std::optional<WatchEvent>> end = (*watch)->Next(absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(end->has_value());
}

TEST_F(ClientTest, RequestReturnsNon2xxAnswersAndWatchRefusesThem) {
  absl::StatusOr<HttpResult> version = client_->Request("GET", "/version");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->status, 200);
  EXPECT_TRUE(absl::StrContains(version->body, "gitVersion"));
  absl::StatusOr<HttpResult> missing = client_->Request("GET", "/api/v1/nothing");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(absl::StrContains(missing->content_type, "json"));

  // Watch turns a refusal into an error.
  WatchOptions options;
  options.resource_version = "not-a-number";
  absl::Status refused = client_->Watch(Pods(), "default", options).status();
  EXPECT_EQ(HttpCodeOf(refused), 400) << refused;
}

TEST_F(ClientTest, StreamReadsAChunkedBody) {
  absl::StatusOr<std::unique_ptr<ByteStream>> stream =
      client_->Stream("/api/v1/namespaces/default/pods?watch=true");
  ASSERT_TRUE(stream.ok()) << stream.status();
  MustCreatePod("web");
  std::string received;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains(received, "\n")) {
    absl::StatusOr<std::string> bytes = (*stream)->Read(deadline);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    ASSERT_FALSE(bytes->empty());
    received += *bytes;
  }
  EXPECT_TRUE(absl::StrContains(received, R"("type":"ADDED")"));
  (*stream)->Cancel();
  absl::StatusOr<std::string> after = (*stream)->Read();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "");
  EXPECT_EQ(HttpCodeOf(client_->Stream("/api/v1/nothing").status()), 404);
}

TEST_F(ClientTest, ConcurrentRequestsEachGetAConnection) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string name = absl::StrCat("pod-", t, "-", i);
        if (!client_->Create(Pods(), "default", PodObject(name)).ok()) ++failures;
        if (!client_->Get(Pods(), "default", name).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(failures, 0);
  absl::StatusOr<Json> all = client_->List(Pods(), "default");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->at("items").size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(ClientTransportTest, NoServerIsUnavailableWithoutAnHttpCode) {
  ClientConfig config;
  config.port = testing::FreeLoopbackPort();
  Client client(config);
  absl::Status refused = client.Get(api::ResourceFor(api::Kind::kPod), "default", "x").status();
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_EQ(HttpCodeOf(refused), 0);
}

// A bare HTTP server on a loopback port: it records each request and answers as told.
class FakeServer {
 public:
  enum class Mode {
    kAnswerThenClose,  // answers as if keep-alive, then closes the connection
    kNeverAnswer,      // reads the request and says nothing
  };

  explicit FakeServer(Mode mode) : mode_(mode) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeServer() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
    for (int fd : open_)
      close(fd);
  }

  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::string request;
      char buffer[4096];
      // The headers, then the Content-Length's worth of body.
      size_t header_end = std::string::npos;
      size_t wanted = 0;
      while (header_end == std::string::npos || request.size() < header_end + 4 + wanted) {
        const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
        header_end = request.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const size_t length_at = request.find("Content-Length: ");
          if (length_at != std::string::npos && length_at < header_end) {
            wanted = std::stoul(request.substr(length_at + 16));
          }
        }
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      if (mode_ == Mode::kNeverAnswer) {
        open_.push_back(fd);
        continue;
      }
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      close(fd);
    }
  }

  const Mode mode_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<int> open_;  // only the server thread touches it until the destructor
};

TEST(ClientTransportTest, AnIdleConnectionTheServerClosedIsReplacedOnce) {
  FakeServer server(FakeServer::Mode::kAnswerThenClose);
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  const api::ResourceInfo& nodes = api::ResourceFor(api::Kind::kNode);
  ASSERT_TRUE(client.Get(nodes, "", "n1").ok());
  // The pooled connection is closed by now; the request goes out again on a new one.
  absl::SleepFor(absl::Milliseconds(50));
  absl::StatusOr<Json> second = client.Get(nodes, "", "n2");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server.connections(), 2);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(requests[1], "GET /api/v1/nodes/n2 HTTP/1.1\r\n"));
}

TEST(ClientTransportTest, AnUnansweredRequestTimesOut) {
  FakeServer server(FakeServer::Mode::kNeverAnswer);
  ClientConfig config;
  config.port = server.port();
  config.request_timeout = absl::Milliseconds(200);
  Client client(config);
  const absl::Time start = absl::Now();
  absl::Status timed_out = client.Get(api::ResourceFor(api::Kind::kNode), "", "n1").status();
  EXPECT_TRUE(absl::IsDeadlineExceeded(timed_out)) << timed_out;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
}

TEST(ClientTransportTest, DeleteSendsItsOptions) {
  FakeServer server(FakeServer::Mode::kAnswerThenClose);
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  DeleteOptions options;
  options.grace_period_seconds = 0;
  options.propagation_policy = "Foreground";
  ASSERT_TRUE(client.Delete(Pods(), "ns", "web", options).ok());
  options.precondition_uid = "u-1";
  ASSERT_TRUE(client.Delete(Pods(), "ns", "web", options).ok());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(
      requests[0],
      "DELETE /api/v1/namespaces/ns/pods/web?gracePeriodSeconds=0&propagationPolicy=Foreground "));
  EXPECT_FALSE(absl::StrContains(requests[0], "preconditions"));
  const std::string body = requests[1].substr(requests[1].find("\r\n\r\n") + 4);
  absl::StatusOr<Json> options_body = api::ParseJson(body);
  ASSERT_TRUE(options_body.ok()) << body;
  EXPECT_EQ(api::StringAt(*options_body, {"kind"}), "DeleteOptions");
  EXPECT_EQ(api::StringAt(*options_body, {"preconditions", "uid"}), "u-1");
  EXPECT_EQ(api::IntAt(*options_body, {"gracePeriodSeconds"}), 0);
}

TEST(ClientTransportTest, SelectorsArePercentEncoded) {
  FakeServer server(FakeServer::Mode::kAnswerThenClose);
  ClientConfig config;
  config.port = server.port();
  Client client(config);
  ListOptions options;
  options.label_selector = "env in (a,b),app!=x";
  options.field_selector = "spec.nodeName=node-1";
  ASSERT_TRUE(client.List(Pods(), "", options).ok());
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(requests[0],
                               "GET /api/v1/pods?labelSelector=env%20in%20%28a%2Cb%29%2Capp%21%3Dx"
                               "&fieldSelector=spec.nodeName%3Dnode-1 HTTP/1.1"));
}

}  // namespace
}  // namespace orch::client

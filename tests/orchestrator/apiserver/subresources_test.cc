// Subresources the components use: pods/log relayed from a kubelet (a stand-in HttpServer
// here; follow streams each chunk as the kubelet sends it, the query reaches the kubelet, its
// errors come back as upstream's Statuses), and the status of pods and nodes.
#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "orchestrator/apiserver/http_server.h"
#include "tests/orchestrator/apiserver/handler_fixture.h"

namespace orch::apiserver::testing {
namespace {

class SubresourcesTest : public HandlerTest {
 protected:
  void SetUp() override {
    StartHandler();
    absl::StatusOr<std::unique_ptr<HttpServer>> kubelet = HttpServer::Start(
        "127.0.0.1", 0, [this](const HttpRequest& request) { return Kubelet(request); });
    ASSERT_TRUE(kubelet.ok()) << kubelet.status();
    kubelet_ = std::move(*kubelet);
    const std::string node =
        absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"status":{)",
                     R"("addresses":[{"type":"InternalIP","address":"127.0.0.1"}],)",
                     R"("daemonEndpoints":{"kubeletEndpoint":{"Port":)", kubelet_->port(), "}}}}");
    ASSERT_EQ(Call("POST", "/api/v1/nodes", node, "application/json").status, 201);
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods",
                   R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},)"
                   R"("spec":{"nodeName":"node-1","containers":[{"name":"app","image":"x"}]}})",
                   "application/json")
                  .status,
              201);
  }

  void TearDown() override {
    release_ = true;
    kubelet_->Stop();
    HandlerTest::TearDown();
  }

  // /containerLogs/default/web/app: "first", then "second" once the test releases it;
  // /containerLogs/default/web/waiting: the kubelet's 400.
  HttpResponse Kubelet(const HttpRequest& request) {
    seen_target_ = request.path + "?tailLines=" + request.Query("tailLines") +
                   "&follow=" + request.Query("follow");
    HttpResponse response;
    response.content_type = "text/plain";
    if (request.path == "/containerLogs/default/web/app") {
      response.stream = [this](ChunkSink& sink) {
        sink.Write("first\n");
        while (!release_ && !sink.ClientGone())
          absl::SleepFor(absl::Milliseconds(20));
        sink.Write("second\n");
      };
      return response;
    }
    response.status = 400;
    response.body = R"(container "app" in pod "web" is waiting to start: ContainerCreating)";
    return response;
  }

  std::unique_ptr<HttpServer> kubelet_;
  std::atomic<bool> release_{false};
  std::string seen_target_;
};

TEST_F(SubresourcesTest, FollowStreamsEachChunkAsTheKubeletSendsIt) {
  HttpResponse response =
      Call("GET", "/api/v1/namespaces/default/pods/web/log?follow=true&tailLines=5");
  ASSERT_TRUE(response.stream) << response.status << " " << response.body;
  EXPECT_EQ(response.content_type, "text/plain");
  RunningStream stream(std::move(response));
  ASSERT_TRUE(stream.sink.WaitFor([](const std::string& text) { return text == "first\n"; }));
  EXPECT_EQ(seen_target_, "/containerLogs/default/web/app?tailLines=5&follow=true");
  EXPECT_FALSE(stream.finished());  // the kubelet has not ended its response
  release_ = true;
  ASSERT_TRUE(
      stream.sink.WaitFor([](const std::string& text) { return text == "first\nsecond\n"; }));
}

TEST_F(SubresourcesTest, KubeletErrorsBecomeUpstreamStatuses) {
  HttpResponse waiting =
      Call("GET", "/api/v1/namespaces/default/pods/web/log?container=app&previous=true");
  ASSERT_TRUE(waiting.stream);  // the stand-in streams app's log whatever the query
  release_ = true;
  RunningStream drained(std::move(waiting));
  ASSERT_TRUE(
      drained.sink.WaitFor([](const std::string& text) { return text == "first\nsecond\n"; }));

  // A container the pod has but the kubelet refuses: its 400 text as a BadRequest.
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0").status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods",
                 R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},)"
                 R"("spec":{"nodeName":"node-1","containers":[{"name":"waiting","image":"x"}]}})",
                 "application/json")
                .status,
            201);
  HttpResponse refused = Call("GET", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_EQ(refused.status, 400);
  const api::Json status = BodyOf(refused);
  EXPECT_EQ(status["reason"], "BadRequest");
  EXPECT_EQ(status["message"],
            R"(container "app" in pod "web" is waiting to start: ContainerCreating)");

  // A kubelet that is gone: 500 naming the URL.
  kubelet_->Stop();
  HttpResponse unreachable = Call("GET", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_EQ(unreachable.status, 500);
  EXPECT_NE(
      BodyOf(unreachable)["message"].get<std::string>().find("/containerLogs/default/web/waiting"),
      std::string::npos);
}

TEST_F(SubresourcesTest, StatusOfPodsAndNodesChangesOnlyTheStatus) {
  HttpResponse node = Call("PATCH", "/api/v1/nodes/node-1/status",
                           R"({"spec":{"unschedulable":true},"status":{"conditions":[)"
                           R"({"type":"Ready","status":"True","reason":"KubeletReady"}]}})",
                           "application/merge-patch+json");
  ASSERT_EQ(node.status, 200) << node.body;
  EXPECT_EQ(BodyOf(node)["status"]["conditions"][0]["reason"], "KubeletReady");
  EXPECT_FALSE(BodyOf(node)["spec"].contains("unschedulable"));
  HttpResponse pod = Call("PATCH", "/api/v1/namespaces/default/pods/web/status",
                          R"({"metadata":{"labels":{"x":"y"}},"status":{"phase":"Running"}})",
                          "application/strategic-merge-patch+json");
  ASSERT_EQ(pod.status, 200) << pod.body;
  EXPECT_EQ(BodyOf(pod)["status"]["phase"], "Running");
  EXPECT_FALSE(BodyOf(pod)["metadata"].contains("labels"));
  HttpResponse read = Call("GET", "/api/v1/namespaces/default/pods/web/status");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(BodyOf(read)["status"]["phase"], "Running");
}

}  // namespace
}  // namespace orch::apiserver::testing

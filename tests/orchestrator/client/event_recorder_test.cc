#include "orchestrator/client/event_recorder.h"

#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::client {
namespace {

using api::Json;

const api::ResourceInfo& Events() {
  return api::ResourceFor(api::Kind::kEvent);
}

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(server_->client_config());
    absl::StatusOr<Json> pod =
        client_->Create(api::ResourceFor(api::Kind::kPod), "default",
                        {{"apiVersion", "v1"},
                         {"kind", "Pod"},
                         {"metadata", {{"name", "web"}}},
                         {"spec", {{"containers", {{{"name", "main"}, {"image", "sh"}}}}}}});
    ASSERT_TRUE(pod.ok()) << pod.status();
    pod_ = *pod;
  }

  std::vector<Json> EventsIn(const std::string& namespace_name) {
    absl::StatusOr<Json> list = client_->List(Events(), namespace_name);
    if (!list.ok()) return {};
    return list->at("items").get<std::vector<Json>>();
  }

  // The events of `namespace_name` once `condition` holds for them (or the last seen).
  std::vector<Json> WaitForEvents(const std::string& namespace_name,
                                  const std::function<bool(const std::vector<Json>&)>& condition) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::vector<Json> events = EventsIn(namespace_name);
    while (!condition(events) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
      events = EventsIn(namespace_name);
    }
    return events;
  }

  std::unique_ptr<testing::InProcessApiServer> server_;
  std::unique_ptr<Client> client_;
  Json pod_;
};

TEST_F(EventRecorderTest, AnEventDescribesItsObjectAsKubernetesDoes) {
  EventRecorder recorder(*client_, "default-scheduler", "node-1");
  recorder.Record(pod_, "Normal", "Scheduled", "Successfully assigned default/web to node-1");
  std::vector<Json> events =
      WaitForEvents("default", [](const std::vector<Json>& e) { return e.size() == 1; });
  ASSERT_EQ(events.size(), 1u);
  const Json& event = events[0];
  EXPECT_TRUE(absl::StartsWith(api::NameOf(event), "web.")) << api::NameOf(event);
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "kind"}), "Pod");
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "apiVersion"}), "v1");
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "name"}), "web");
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "namespace"}), "default");
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "uid"}), api::UidOf(pod_));
  EXPECT_EQ(api::StringAt(event, {"involvedObject", "resourceVersion"}),
            api::ResourceVersionOf(pod_));
  EXPECT_EQ(api::StringAt(event, {"reason"}), "Scheduled");
  EXPECT_EQ(api::StringAt(event, {"message"}), "Successfully assigned default/web to node-1");
  EXPECT_EQ(api::StringAt(event, {"type"}), "Normal");
  EXPECT_EQ(api::StringAt(event, {"source", "component"}), "default-scheduler");
  EXPECT_EQ(api::StringAt(event, {"source", "host"}), "node-1");
  EXPECT_EQ(api::StringAt(event, {"reportingComponent"}), "default-scheduler");
  EXPECT_EQ(api::StringAt(event, {"reportingInstance"}), "node-1");
  EXPECT_EQ(api::IntAt(event, {"count"}), 1);
  EXPECT_FALSE(api::StringAt(event, {"firstTimestamp"}).empty());
  EXPECT_EQ(api::StringAt(event, {"firstTimestamp"}), api::StringAt(event, {"lastTimestamp"}));
}

TEST_F(EventRecorderTest, RepeatsAreCountedAndOthersAreNewEvents) {
  {
    EventRecorder recorder(*client_, "kubelet", "node-1");
    for (int i = 0; i < 3; ++i)
      recorder.Record(pod_, "Warning", "BackOff", "Back-off restarting failed container");
    recorder.Record(pod_, "Normal", "Pulled", "Container image \"sh\" already present");
    // A cluster-scoped object's events go to "default".
    recorder.Record({{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-1"}}}},
                    "Normal", "RegisteredNode", "Node node-1 event: Registered");
    // The destructor sends what is queued.
  }
  const std::vector<Json> events = EventsIn("default");
  ASSERT_EQ(events.size(), 3u);
  std::map<std::string, Json> by_reason;
  for (const Json& event : events)
    by_reason[api::StringAt(event, {"reason"})] = event;
  EXPECT_EQ(api::IntAt(by_reason["BackOff"], {"count"}), 3);
  EXPECT_EQ(api::IntAt(by_reason["Pulled"], {"count"}), 1);
  const Json& node_event = by_reason["RegisteredNode"];
  EXPECT_EQ(api::StringAt(node_event, {"involvedObject", "kind"}), "Node");
  EXPECT_EQ(api::StringAt(node_event, {"involvedObject", "namespace"}), "");
  EXPECT_EQ(api::NamespaceOf(node_event), "default");
}

}  // namespace
}  // namespace orch::client

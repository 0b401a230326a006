#include "orchestrator/cli/describe.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace orch::cli {
namespace {

using api::Json;

TEST(AlignTabs, AlignsEachRunOfLinesWithACellInTheColumn) {
  EXPECT_EQ(AlignTabs("Name:\tweb\nNamespace:\tdefault\nContainers:\n  c:\n    Image:\tsh\n", 0, 2),
            "Name:       web\n"
            "Namespace:  default\n"
            "Containers:\n"
            "  c:\n"
            "    Image:  sh\n");
}

TEST(Describe, NamespaceLayoutAsKubectl) {
  Json ns = {{"metadata", {{"name", "demo"}, {"labels", {{"a", "1"}, {"b", "2"}}}}},
             {"status", {{"phase", "Active"}}}};
  EXPECT_EQ(Describe(api::Kind::kNamespace, {ns}, absl::Now()),
            "Name:         demo\n"
            "Labels:       a=1\n"
            "              b=2\n"
            "Annotations:  <none>\n"
            "Status:       Active\n"
            "\n"
            "No resource quota.\n"
            "\n"
            "No LimitRange resource.\n");
}

TEST(Describe, PodShowsContainersConditionsAndEvents) {
  const absl::Time now = absl::Now();
  Json pod = Json::parse(R"({
    "metadata": {"name": "p", "namespace": "default",
                 "ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "controller": true}]},
    "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "sh"}]},
    "status": {"phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.1.0.2",
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "c", "ready": true, "restartCount": 2,
                                      "state": {"running": {}}}]}})");
  Json event = {{"type", "Normal"},
                {"reason", "Scheduled"},
                {"message", "Successfully assigned default/p to n1"},
                {"source", {{"component", "default-scheduler"}}},
                {"count", 1},
                {"firstTimestamp", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now - absl::Seconds(5),
                                                    absl::UTCTimeZone())}};
  const std::string text = Describe(api::Kind::kPod, {pod, Json::array({event})}, now);
  EXPECT_NE(text.find("Node:             n1/127.0.0.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Controlled By:    ReplicaSet/rs\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    Restart Count:  2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Conditions:\n  Type           Status\n  ----           ------\n"
                      "  Ready          True \n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  Normal  Scheduled  5s    default-scheduler  Successfully assigned "
                      "default/p to n1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace orch::cli

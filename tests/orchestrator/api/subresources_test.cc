#include "orchestrator/api/subresources.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

TEST(SubresourcesTest, Scale) {
  Json deployment = J(R"({"kind":"Deployment","metadata":{"name":"web","namespace":"d","uid":"u",
    "resourceVersion":"7","labels":{"x":"y"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}}},
    "status":{"replicas":2}})");
  EXPECT_EQ(ScaleOf(deployment), J(R"({"kind":"Scale","apiVersion":"autoscaling/v1",
    "metadata":{"name":"web","namespace":"d","uid":"u","resourceVersion":"7"},
    "spec":{"replicas":3},"status":{"replicas":2,"selector":"app=web"}})"));
  Json scaled = WithScaleReplicas(deployment, J(R"({"spec":{"replicas":5}})"));
  EXPECT_EQ(scaled["spec"]["replicas"], 5);
  EXPECT_EQ(scaled["metadata"]["labels"]["x"], "y");
}

TEST(SubresourcesTest, Binding) {
  Json pod = J(
      R"({"metadata":{"name":"p","uid":"u1"},"spec":{"containers":[]},"status":{"phase":"Pending"}})");
  Json binding = J(
      R"({"metadata":{"name":"p","annotations":{"a":"b"}},"target":{"kind":"Node","name":"n1"}})");
  absl::StatusOr<Json> bound = ApplyBinding(pod, binding, absl::FromUnixSeconds(0));
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ((*bound)["spec"]["nodeName"], "n1");
  EXPECT_EQ((*bound)["metadata"]["annotations"]["a"], "b");
  EXPECT_EQ((*bound)["status"]["conditions"][0]["type"], "PodScheduled");
  EXPECT_EQ((*bound)["status"]["conditions"][0]["status"], "True");

  absl::StatusOr<Json> again = ApplyBinding(*bound, binding, absl::FromUnixSeconds(0));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "pod p is already assigned to node \"n1\"");
  Json wrong_uid = binding;
  wrong_uid["metadata"]["uid"] = "u2";
  EXPECT_EQ(ApplyBinding(pod, wrong_uid, absl::FromUnixSeconds(0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Json deleting = pod;
  deleting["metadata"]["deletionTimestamp"] = "2023-01-01T00:00:00Z";
  EXPECT_EQ(ApplyBinding(deleting, binding, absl::FromUnixSeconds(0)).status().message(),
            "pod p is being deleted, cannot be assigned to a host");
}

}  // namespace
}  // namespace orch::api

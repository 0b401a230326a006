#include "orchestrator/cli/rollout.h"

#include "gtest/gtest.h"
#include "orchestrator/api/object.h"

namespace orch::cli {
namespace {

using api::Json;

Json Deployment(int generation, Json status) {
  Json deployment = api::Json::parse(R"({
    "metadata": {"name": "web", "uid": "d1",
                 "annotations": {"deployment.kubernetes.io/revision": "3", "team": "a"}},
    "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "web"}},
             "spec": {"containers": [{"name": "c", "image": "sh:3"}]}}}})");
  deployment["metadata"]["generation"] = generation;
  deployment["status"] = std::move(status);
  return deployment;
}

Json ReplicaSet(const std::string& name, const std::string& revision, const std::string& image,
                const std::string& owner_uid, const std::string& cause = "") {
  Json replica_set = api::Json::parse(R"({
    "metadata": {"ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
    "spec": {"template": {"metadata": {"labels": {"app": "web"}},
             "spec": {"containers": [{"name": "c"}]}}}})");
  replica_set["metadata"]["name"] = name;
  replica_set["metadata"]["ownerReferences"][0]["uid"] = owner_uid;
  replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision;
  if (!cause.empty()) replica_set["metadata"]["annotations"]["kubernetes.io/change-cause"] = cause;
  replica_set["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = name;
  replica_set["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return replica_set;
}

TEST(Rollout, StatusFollowsKubectlsOrder) {
  EXPECT_EQ(DeploymentRolloutStatus(Deployment(2, {{"observedGeneration", 1}}))->message,
            "Waiting for deployment spec update to be observed...\n");
  EXPECT_EQ(
      DeploymentRolloutStatus(Deployment(2, {{"observedGeneration", 2}, {"updatedReplicas", 1}}))
          ->message,
      "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been "
      "updated...\n");
  EXPECT_EQ(DeploymentRolloutStatus(
                Deployment(2, {{"observedGeneration", 2}, {"updatedReplicas", 3}, {"replicas", 4}}))
                ->message,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending "
            "termination...\n");
  EXPECT_EQ(DeploymentRolloutStatus(Deployment(2, {{"observedGeneration", 2},
                                                   {"updatedReplicas", 3},
                                                   {"replicas", 3},
                                                   {"availableReplicas", 2}}))
                ->message,
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are "
            "available...\n");
  absl::StatusOr<RolloutStatus> done =
      DeploymentRolloutStatus(Deployment(2, {{"observedGeneration", 2},
                                             {"updatedReplicas", 3},
                                             {"replicas", 3},
                                             {"availableReplicas", 3}}));
  EXPECT_TRUE(done->done);
  EXPECT_EQ(done->message, "deployment \"web\" successfully rolled out\n");
  EXPECT_FALSE(
      DeploymentRolloutStatus(
          Deployment(1, {{"observedGeneration", 1},
                         {"conditions",
                          {{{"type", "Progressing"}, {"reason", "ProgressDeadlineExceeded"}}}}}))
          .ok());
}

TEST(Rollout, HistoryListsOwnedReplicaSetsByRevision) {
  Json deployment = Deployment(1, Json::object());
  Json replica_sets = {ReplicaSet("b", "2", "sh:2", "d1", "orch apply --image=sh:2"),
                       ReplicaSet("a", "1", "sh:1", "d1"), ReplicaSet("other", "9", "x", "zz"),
                       ReplicaSet("c", "10", "sh:3", "d1")};
  std::map<int64_t, Json> revisions = ReplicaSetsByRevision(deployment, replica_sets);
  ASSERT_EQ(revisions.size(), 3u);
  EXPECT_EQ(FormatHistory(revisions),
            "REVISION  CHANGE-CAUSE\n"
            "1         <none>\n"
            "2         orch apply --image=sh:2\n"
            "10        <none>\n");
}

TEST(Rollout, UndoTargetsThePreviousOrTheGivenRevision) {
  Json deployment = Deployment(1, Json::object());
  std::map<int64_t, Json> revisions = ReplicaSetsByRevision(
      deployment,
      Json::array({ReplicaSet("a", "1", "sh:1", "d1"), ReplicaSet("b", "2", "sh:2", "d1"),
                   ReplicaSet("c", "3", "sh:3", "d1")}));
  EXPECT_EQ(api::NameOf(*RollbackTarget(deployment, revisions, 0)), "b");
  EXPECT_EQ(api::NameOf(*RollbackTarget(deployment, revisions, 1)), "a");
  EXPECT_EQ(RollbackTarget(deployment, revisions, 7).status().message(),
            "unable to find specified revision 7 in history");
  EXPECT_FALSE(RollbackTarget(deployment, {{1, revisions[1]}}, 0).ok());
  EXPECT_TRUE(TemplateMatches(deployment, revisions[3]));
  EXPECT_FALSE(TemplateMatches(deployment, revisions[1]));
}

TEST(Rollout, PatchRestoresTemplateAndKeepsRevisionBookkeeping) {
  Json deployment = Deployment(1, Json::object());
  Json replica_set = ReplicaSet("a", "1", "sh:1", "d1", "first");
  Json patch = RollbackPatch(deployment, replica_set);
  ASSERT_EQ(patch.size(), 2u);
  EXPECT_EQ(patch[0]["path"], "/spec/template");
  EXPECT_EQ(patch[0]["value"]["metadata"]["labels"], (Json{{"app", "web"}}));
  EXPECT_EQ(patch[0]["value"]["spec"]["containers"][0]["image"], "sh:1");
  EXPECT_EQ(patch[1]["value"], (Json{{"deployment.kubernetes.io/revision", "3"},
                                     {"kubernetes.io/change-cause", "first"}}));
}

}  // namespace
}  // namespace orch::cli

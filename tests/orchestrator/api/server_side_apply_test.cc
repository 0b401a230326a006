#include "orchestrator/api/server_side_apply.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "orchestrator/api/managed_fields.h"

namespace orch::api {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Json Deployment(int replicas, const std::string& image) {
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default"},
    "spec":{"replicas":)" +
                     std::to_string(replicas) +
                     R"(,"template":{"spec":{"containers":[{"name":"web","image":")" + image +
                     R"("}]}}}})");
}

const Json* EntryOf(const Json& object, const std::string& manager) {
  for (const Json& entry : ArrayAt(object, {"metadata", "managedFields"}))
    if (StringAt(entry, {"manager"}) == manager) return &entry;
  return nullptr;
}

TEST(ServerSideApplyTest, CreatesWithTheApplierOwningEveryField) {
  ApplyOutcome outcome = ServerSideApply(nullptr, Deployment(2, "a"), "alice", false, kNow);
  ASSERT_TRUE(outcome.conflicts.empty());
  EXPECT_EQ(IntAt(outcome.object, {"spec", "replicas"}), 2);
  const Json* entry = EntryOf(outcome.object, "alice");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(StringAt(*entry, {"operation"}), "Apply");
  EXPECT_TRUE(absl::StrContains(entry->dump(), "f:replicas")) << entry->dump();
}

TEST(ServerSideApplyTest, FieldsNoLongerAppliedAreRemoved) {
  Json first = Deployment(2, "a");
  first["metadata"]["labels"] = {{"tier", "web"}};
  Json live = ServerSideApply(nullptr, first, "alice", false, kNow).object;
  ApplyOutcome outcome = ServerSideApply(&live, Deployment(2, "a"), "alice", false, kNow);
  ASSERT_TRUE(outcome.conflicts.empty());
  EXPECT_EQ(MemberAt(outcome.object, {"metadata", "labels", "tier"}), nullptr)
      << outcome.object.dump();
}

TEST(ServerSideApplyTest, ADifferentValueOwnedByAnotherManagerConflicts) {
  Json live = ServerSideApply(nullptr, Deployment(2, "a"), "alice", false, kNow).object;
  Json edited = live;
  edited["spec"]["replicas"] = 3;
  UpdateManagedFields(edited, &live, "kubectl-edit", "Update", "", kNow);

  ApplyOutcome refused = ServerSideApply(&edited, Deployment(5, "a"), "alice", false, kNow);
  ASSERT_EQ(refused.conflicts.size(), 1u);
  EXPECT_TRUE(refused.object.is_null());
  const Json status = StatusApplyConflict(refused.conflicts);
  EXPECT_EQ(StringAt(status, {"message"}),
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: "
            ".spec.replicas");
  EXPECT_EQ(IntAt(status, {"code"}), 409);

  ApplyOutcome forced = ServerSideApply(&edited, Deployment(5, "a"), "alice", true, kNow);
  EXPECT_EQ(IntAt(forced.object, {"spec", "replicas"}), 5);
  const Json* editor = EntryOf(forced.object, "kubectl-edit");
  EXPECT_TRUE(editor == nullptr || !absl::StrContains(editor->dump(), "f:replicas"));
}

TEST(ServerSideApplyTest, TheSameValueIsSharedNotAConflict) {
  Json live = ServerSideApply(nullptr, Deployment(2, "a"), "alice", false, kNow).object;
  ApplyOutcome outcome = ServerSideApply(&live, Deployment(2, "a"), "bob", false, kNow);
  EXPECT_TRUE(outcome.conflicts.empty());
  EXPECT_NE(EntryOf(outcome.object, "alice"), nullptr);
  EXPECT_NE(EntryOf(outcome.object, "bob"), nullptr);
}

TEST(ServerSideApplyTest, KeyedListsMergeByKeyAndKeepOthersElements) {
  Json live = ServerSideApply(nullptr, Deployment(2, "a"), "alice", false, kNow).object;
  Json sidecar = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default"},
    "spec":{"template":{"spec":{"containers":[{"name":"log","image":"tail"}]}}}})");
  ApplyOutcome outcome = ServerSideApply(&live, sidecar, "bob", false, kNow);
  ASSERT_TRUE(outcome.conflicts.empty());
  const Json& containers = ArrayAt(outcome.object, {"spec", "template", "spec", "containers"});
  ASSERT_EQ(containers.size(), 2u) << containers.dump();
  EXPECT_EQ(containers[0]["name"], "web");
  EXPECT_EQ(containers[1]["name"], "log");
}

}  // namespace
}  // namespace orch::api

#include "orchestrator/controllers/pod_template_hash.h"

#include <gtest/gtest.h>

namespace orch::controllers {
namespace {

using api::Json;

Json Template(std::string image) {
  return {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", image}}})}}}};
}

TEST(PodTemplateHash, Fnv32aMatchesTheReferenceValues) {
  EXPECT_EQ(Fnv32a(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv32a("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv32a("foobar"), 0xbf9cf968u);
}

TEST(PodTemplateHash, SafeEncodeMapsDigitsAsUpstream) {
  EXPECT_EQ(SafeEncodeString("0123456789"), "456789bcdf");
}

TEST(PodTemplateHash, EqualTemplatesHashEquallyAndChangesShow) {
  const std::string hash = ComputePodTemplateHash(Template("a"), std::nullopt);
  EXPECT_EQ(hash, ComputePodTemplateHash(Template("a"), std::nullopt));
  EXPECT_NE(hash, ComputePodTemplateHash(Template("b"), std::nullopt));
  EXPECT_NE(hash, ComputePodTemplateHash(Template("a"), 1));
  EXPECT_NE(ComputePodTemplateHash(Template("a"), 1), ComputePodTemplateHash(Template("a"), 2));
  for (char c : hash)
    EXPECT_NE(std::string_view("456789bcdf").find(c), std::string::npos) << hash;
}

TEST(PodTemplateHash, EqualityIgnoresOnlyTheHashLabel) {
  Json labelled = Template("a");
  labelled["metadata"]["labels"]["pod-template-hash"] = "abc";
  EXPECT_TRUE(TemplatesEqualIgnoringHash(labelled, Template("a")));
  EXPECT_FALSE(TemplatesEqualIgnoringHash(labelled, Template("b")));
  Json only_hash = {{"metadata", {{"labels", {{"pod-template-hash", "x"}}}}}, {"spec", {}}};
  EXPECT_TRUE(
      TemplatesEqualIgnoringHash(only_hash, Json{{"metadata", Json::object()}, {"spec", {}}}));
}

TEST(PodTemplateHash, NullsAndEmptyObjectsAreTheSameAsAbsent) {
  // kubectl rollout undo sends the template as Go serializes it.
  Json from_kubectl = Template("a");
  from_kubectl["metadata"]["creationTimestamp"] = nullptr;
  from_kubectl["spec"]["containers"][0]["resources"] = Json::object();
  EXPECT_TRUE(TemplatesEqualIgnoringHash(from_kubectl, Template("a")));
  EXPECT_EQ(ComputePodTemplateHash(from_kubectl, std::nullopt),
            ComputePodTemplateHash(Template("a"), std::nullopt));
  // Arrays keep their length: an empty element list differs from a missing one only by nulls.
  Json with_args = Template("a");
  with_args["spec"]["containers"][0]["args"] = Json::array({"x"});
  EXPECT_FALSE(TemplatesEqualIgnoringHash(with_args, Template("a")));
}

}  // namespace
}  // namespace orch::controllers

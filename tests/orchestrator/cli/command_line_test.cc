#include "orchestrator/cli/command_line.h"

#include "gtest/gtest.h"
#include "orchestrator/cli/resource_names.h"

namespace orch::cli {
namespace {

FlagSpec GetFlags() {
  return WithGlobalFlags(
      FlagSpec{{"o", "output", "l", "selector"},
               {"A", "all-namespaces", "w", "watch"},
               {{"o", "output"}, {"l", "selector"}, {"A", "all-namespaces"}, {"w", "watch"}}});
}

TEST(CommandLine, SplitsWordsAndFlagsInAnyOrder) {
  absl::StatusOr<CommandLine> line = CommandLine::Parse(
      {"get", "-n", "kube-system", "pods", "-oyaml", "--selector=app=web", "-A", "web"},
      GetFlags());
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->positional(), (std::vector<std::string>{"get", "pods", "web"}));
  EXPECT_EQ(line->Value("namespace"), "kube-system");
  EXPECT_EQ(line->Value("output"), "yaml");
  EXPECT_EQ(line->Value("selector"), "app=web");
  EXPECT_TRUE(*line->Switch("all-namespaces"));
  EXPECT_FALSE(*line->Switch("watch"));
}

TEST(CommandLine, SwitchesTakeExplicitValuesAndTheLastValueWins) {
  absl::StatusOr<CommandLine> line =
      CommandLine::Parse({"get", "--watch=false", "-o", "json", "-o", "name"}, GetFlags());
  ASSERT_TRUE(line.ok());
  EXPECT_FALSE(*line->Switch("watch", true));
  EXPECT_EQ(line->Value("output"), "name");
  EXPECT_EQ(line->Values("output"), (std::vector<std::string>{"json", "name"}));
}

TEST(CommandLine, RefusesUnknownFlagsAndMissingValues) {
  EXPECT_EQ(CommandLine::Parse({"get", "--bogus"}, GetFlags()).status().message(),
            "unknown flag: --bogus");
  EXPECT_FALSE(CommandLine::Parse({"get", "-n"}, GetFlags()).ok());
  absl::StatusOr<CommandLine> line = CommandLine::Parse({"get", "--watch=maybe"}, GetFlags());
  ASSERT_TRUE(line.ok());
  EXPECT_FALSE(line->Switch("watch").ok());
}

TEST(CommandLine, DoubleDashEndsFlags) {
  absl::StatusOr<CommandLine> line = CommandLine::Parse({"get", "--", "-x"}, GetFlags());
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->positional(), (std::vector<std::string>{"get", "-x"}));
}

TEST(CommandLine, FindsTheVerbAfterGlobalFlags) {
  EXPECT_EQ(FindVerb({"-n", "x", "--server", "http://h:1", "get", "pods"}), "get");
  EXPECT_EQ(FindVerb({"--namespace=x", "-nfoo", "apply"}), "apply");
  EXPECT_EQ(FindVerb({"-n", "x"}), "");
}

TEST(CommandLine, ParsesDurations) {
  EXPECT_EQ(*ParseDuration("30"), absl::Seconds(30));
  EXPECT_EQ(*ParseDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_FALSE(ParseDuration("soon").ok());
}

TEST(ResourceNames, ResolvesPluralsSingularsShortNamesKindsAndGroups) {
  for (const char* word : {"pods", "pod", "po", "Pod", "PODS"})
    EXPECT_EQ((*ResolveResource(word))->plural, "pods") << word;
  EXPECT_EQ((*ResolveResource("deploy"))->plural, "deployments");
  EXPECT_EQ((*ResolveResource("deployments.apps"))->plural, "deployments");
  EXPECT_EQ((*ResolveResource("rs"))->plural, "replicasets");
  EXPECT_EQ((*ResolveResource("no"))->plural, "nodes");
  EXPECT_EQ((*ResolveResource("ns"))->plural, "namespaces");
  EXPECT_EQ(ResolveResource("services").status().message(),
            "the server doesn't have a resource type \"services\"");
  EXPECT_FALSE(ResolveResource("deployments.batch").ok());
  EXPECT_FALSE(ResolveResource("bindings").ok());
}

TEST(ResourceNames, ParsesTypeListsSlashFormsAndAll) {
  absl::StatusOr<std::vector<ResourceRequest>> requests =
      ParseResourceArgs({"pods,deploy", "a", "b"});
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].resource->plural, "pods");
  EXPECT_EQ((*requests)[1].resource->plural, "deployments");
  EXPECT_EQ((*requests)[1].names, (std::vector<std::string>{"a", "b"}));

  requests = ParseResourceArgs({"pod/a", "deployment/b"});
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].names, (std::vector<std::string>{"a"}));
  EXPECT_EQ((*requests)[1].resource->kind, "Deployment");

  requests = ParseResourceArgs({"all"});
  ASSERT_TRUE(requests.ok());
  std::vector<std::string> plurals;
  for (const ResourceRequest& request : *requests)
    plurals.emplace_back(request.resource->plural);
  EXPECT_EQ(plurals, (std::vector<std::string>{"pods", "deployments", "replicasets"}));

  EXPECT_FALSE(ParseResourceArgs({"pods", "pod/a"}).ok());
  EXPECT_FALSE(ParseResourceArgs({"pod/"}).ok());
}

TEST(ResourceNames, QualifiesNamesAsKubectl) {
  EXPECT_EQ(QualifiedName(**ResolveResource("pods"), "x"), "pod/x");
  EXPECT_EQ(QualifiedName(**ResolveResource("deploy"), "web"), "deployment.apps/web");
  EXPECT_EQ(GroupResourceName(**ResolveResource("rs")), "replicasets.apps");
}

}  // namespace
}  // namespace orch::cli

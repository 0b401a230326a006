#include "orchestrator/api/selector.h"

#include <gtest/gtest.h>

#include <utility>

#include "orchestrator/api/object.h"

namespace orch::api {
namespace {

bool Matches(std::string_view selector, const Json& labels) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(selector);
  EXPECT_TRUE(parsed.ok()) << selector << ": " << parsed.status();
  return parsed.ok() && parsed->Matches(labels);
}

TEST(LabelSelectorTest, EqualityAndSetOperators) {
  Json labels = {{"app", "web"}, {"tier", "front"}, {"version", "3"}, {"empty", ""}};
  EXPECT_TRUE(Matches("", labels));
  EXPECT_TRUE(Matches("app=web", labels));
  EXPECT_TRUE(Matches("app==web", labels));
  EXPECT_FALSE(Matches("app!=web", labels));
  EXPECT_TRUE(Matches("app!=db", labels));
  EXPECT_TRUE(Matches("missing!=x", labels));  // != matches objects without the key
  EXPECT_TRUE(Matches("app in (web, db)", labels));
  EXPECT_FALSE(Matches("app notin (web,db)", labels));
  EXPECT_TRUE(Matches("missing notin (a)", labels));
  EXPECT_TRUE(Matches("app", labels));
  EXPECT_FALSE(Matches("!app", labels));
  EXPECT_TRUE(Matches("!missing", labels));
  EXPECT_TRUE(Matches("empty=", labels));
  EXPECT_TRUE(Matches("version>2", labels));
  EXPECT_FALSE(Matches("version<3", labels));
  EXPECT_TRUE(Matches(" app = web , tier in (front) ", labels));
  EXPECT_FALSE(Matches("app=web,tier=back", labels));
  EXPECT_TRUE(Matches("example.com/key!=v", labels));
  EXPECT_TRUE(Matches("x in (in,notin)", {{"x", "in"}}));
}

TEST(LabelSelectorTest, BadSyntaxIsAnError) {
  for (std::string_view bad :
       {"app=web,", "=web", "app in web", "app in (web", "app in (a b)", "!", "a b", "app=a=b",
        "bad key=x", "app=bad value!", "-app=x", "app>x", "app notin ()x", ",app"}) {
    absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << bad;
  }
  // "app==" is an exact match with the empty value, which Kubernetes accepts.
  EXPECT_TRUE(LabelSelector::Parse("app==").ok());
}

TEST(LabelSelectorTest, ErrorTextNamesTheProblem) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse("app in web");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("found 'web', expected: '('"), std::string::npos)
      << parsed.status();
  parsed = LabelSelector::Parse("Bad_Key-=x");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("name part must consist of"), std::string::npos)
      << parsed.status();
}

TEST(LabelSelectorTest, ToStringIsSortedAndCanonical) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse("z=1,a in (c,b),!m,k");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ToString(), "a in (b,c),k,!m,z=1");
}

TEST(LabelSelectorTest, FromObject) {
  Json selector = Json::parse(R"({"matchLabels":{"app":"web"},
    "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},
                        {"key":"canary","operator":"DoesNotExist"}]})");
  absl::StatusOr<LabelSelector> parsed = LabelSelector::FromObject(&selector);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->Matches({{"app", "web"}, {"tier", "a"}}));
  EXPECT_FALSE(parsed->Matches({{"app", "web"}, {"tier", "a"}, {"canary", "1"}}));
  EXPECT_FALSE(parsed->Matches({{"app", "web"}}));
  EXPECT_EQ(parsed->ToString(), "app=web,!canary,tier in (a,b)");
  EXPECT_EQ(FormatLabelSelector(&selector), "app=web,!canary,tier in (a,b)");

  Json empty = Json::object();
  EXPECT_TRUE(LabelSelector::FromObject(&empty)->Matches(Json::object()));
  EXPECT_EQ(FormatLabelSelector(&empty), "<none>");
  EXPECT_FALSE(LabelSelector::FromObject(nullptr)->Matches(Json::object()));

  Json bad_operator = Json::parse(R"({"matchExpressions":[{"key":"a","operator":"Maybe"}]})");
  EXPECT_EQ(LabelSelector::FromObject(&bad_operator).status().message(),
            "\"Maybe\" is not a valid label selector operator");
  Json in_without_values = Json::parse(R"({"matchExpressions":[{"key":"a","operator":"In"}]})");
  EXPECT_FALSE(LabelSelector::FromObject(&in_without_values).ok());
  Json exists_with_values =
      Json::parse(R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})");
  EXPECT_FALSE(LabelSelector::FromObject(&exists_with_values).ok());
}

TEST(FieldSelectorTest, PodFields) {
  const ResourceInfo& pods = ResourceFor(Kind::kPod);
  Json pod = Json::parse(R"({"metadata":{"name":"a","namespace":"d"},
    "spec":{"nodeName":"n1"},"status":{"phase":"Running"}})");
  auto matches = [&](std::string_view text) {
    absl::StatusOr<FieldSelector> parsed = FieldSelector::Parse(text, pods);
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    return parsed.ok() && parsed->Matches(pod);
  };
  EXPECT_TRUE(matches(""));
  EXPECT_TRUE(matches("metadata.name=a"));
  EXPECT_TRUE(matches("metadata.name==a,metadata.namespace=d"));
  EXPECT_TRUE(matches("spec.nodeName=n1"));
  EXPECT_FALSE(matches("spec.nodeName!=n1"));
  EXPECT_TRUE(matches("spec.nodeName!=,status.phase=Running"));  // scheduled pods
  EXPECT_FALSE(matches("status.phase=Pending"));
  EXPECT_EQ(FieldSelector::Parse("metadata.name=a", pods)->RequiredValue("metadata.name"), "a");
  EXPECT_FALSE(FieldSelector::Parse("spec.nodeName=a", pods)->RequiredValue("metadata.name"));
}

TEST(FieldSelectorTest, EventsNodesAndErrors) {
  const ResourceInfo& events = ResourceFor(Kind::kEvent);
  Json event = Json::parse(R"({"metadata":{"name":"e","namespace":"d"},
    "involvedObject":{"kind":"Pod","name":"a","namespace":"d","uid":"u1"},"type":"Normal"})");
  absl::StatusOr<FieldSelector> parsed = FieldSelector::Parse(
      "involvedObject.name=a,involvedObject.namespace=d,involvedObject.uid=u1,type=Normal", events);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->Matches(event));

  Json node = Json::parse(R"({"metadata":{"name":"n"},"spec":{"unschedulable":true}})");
  EXPECT_TRUE(
      FieldSelector::Parse("spec.unschedulable=true", ResourceFor(Kind::kNode))->Matches(node));

  EXPECT_EQ(FieldSelector::Parse("spec.foo=x", ResourceFor(Kind::kPod)).status().message(),
            "field label not supported: spec.foo");
  EXPECT_EQ(
      FieldSelector::Parse("metadata.namespace=x", ResourceFor(Kind::kNode)).status().message(),
      "field label not supported: metadata.namespace");
  EXPECT_EQ(FieldSelector::Parse("metadata.name", ResourceFor(Kind::kPod)).status().message(),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  // Escaped separators belong to the value.
  Json odd = Json::parse(R"({"metadata":{"name":"a,b=c"}})");
  EXPECT_TRUE(
      FieldSelector::Parse(R"(metadata.name=a\,b\=c)", ResourceFor(Kind::kPod))->Matches(odd));
}

// The watch cache keeps only SelectableFields: every field label, the labels and the
// namespace read the same there as on the whole object.
TEST(FieldSelectorTest, SelectableFieldsReadAsTheWholeObject) {
  const Json pod = Json::parse(R"({"kind":"Pod","metadata":{"name":"p","namespace":"d",
    "labels":{"app":"web"},"annotations":{"big":"x"}},"spec":{"nodeName":"n1",
    "hostNetwork":true,"containers":[{"name":"c"}]},"status":{"phase":"Running","podIP":"1.2.3.4"}})");
  const Json event = Json::parse(R"({"metadata":{"name":"e","namespace":"d"},"reason":"Started",
    "involvedObject":{"kind":"Pod","name":"p","uid":"u1"},"source":{"component":"kubelet"},
    "message":"long text","type":"Normal"})");
  for (const auto& [kind, object] : {std::pair{Kind::kPod, pod}, std::pair{Kind::kEvent, event}}) {
    const Json view = SelectableFields(kind, object);
    for (std::string_view field : FieldLabels(kind)) {
      EXPECT_EQ(FieldLabelValue(kind, view, field), FieldLabelValue(kind, object, field)) << field;
    }
    EXPECT_EQ(LabelsOf(view), LabelsOf(object));
    EXPECT_EQ(NamespaceOf(view), NamespaceOf(object));
  }
  const Json pod_view = SelectableFields(Kind::kPod, pod);
  EXPECT_FALSE(pod_view["spec"].contains("containers"));
  EXPECT_FALSE(pod_view["metadata"].contains("annotations"));
  EXPECT_EQ(FieldLabelValue(Kind::kPod, pod_view, "spec.hostNetwork"), "true");
  EXPECT_FALSE(SelectableFields(Kind::kEvent, event).contains("message"));
}

}  // namespace
}  // namespace orch::api

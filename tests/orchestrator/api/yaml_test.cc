#include "orchestrator/api/yaml.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

TEST(YamlTest, ResolvesScalarsAsKubernetesDoes) {
  absl::StatusOr<Json> doc = YamlToJson(R"(
a: 1
b: -2
c: 0.5
d: "1"
e: true
f: "true"
g: yes
h: null
i: ~
j:
k: hello world
l: 0x10
m: 1e3
n: '007'
o: 010
p: 1.2.3
q: .5
r: 100m
)");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(*doc, Json::parse(R"({"a":1,"b":-2,"c":0.5,"d":"1","e":true,"f":"true","g":true,
    "h":null,"i":null,"j":null,"k":"hello world","l":16,"m":1000.0,"n":"007","o":8,"p":"1.2.3",
    "q":0.5,"r":"100m"})"));
}

TEST(YamlTest, NestedManifest) {
  absl::StatusOr<Json> doc = YamlToJson(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.25
        args: ["--port", "80"]
        ports:
        - containerPort: 80
)");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["spec"]["replicas"], 2);
  EXPECT_EQ((*doc)["metadata"]["labels"]["app"], "web");
  EXPECT_EQ((*doc)["spec"]["template"]["spec"]["containers"][0]["args"][1], "80");
  EXPECT_EQ((*doc)["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 80);
}

TEST(YamlTest, MultipleDocumentsSkipEmptyOnes) {
  absl::StatusOr<std::vector<Json>> docs = YamlToJsonDocuments(R"(
---
kind: Namespace
metadata: {name: a}
---
---
# only a comment
---
kind: Pod
metadata: {name: b}
)");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["kind"], "Namespace");
  EXPECT_EQ((*docs)[1]["metadata"]["name"], "b");
  EXPECT_FALSE(YamlToJson("a: 1\n---\nb: 2\n").ok());
  EXPECT_FALSE(YamlToJson("").ok());
}

TEST(YamlTest, SyntaxErrorsNameTheLine) {
  absl::StatusOr<Json> doc = YamlToJson("a: 1\nb: [1, 2\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("line"), std::string::npos) << doc.status();
}

TEST(YamlTest, InvalidUtf8IsRefused) {
  // An escape names a code point, which becomes valid UTF-8.
  EXPECT_EQ((*YamlToJson("a: \"\\xff\"\n"))["a"], "\xc3\xbf");
  absl::StatusOr<Json> doc = YamlToJson(std::string("a: b\xff\n"));
  EXPECT_FALSE(doc.ok());
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));      // truncated
}

TEST(YamlTest, RoundTripKeepsTypes) {
  Json original = Json::parse(R"({"s":"true","n":"123","e":"","sp":" x","num":12,"f":1.5,
    "b":false,"z":null,"list":["a",1,{"k":"v"}],"empty":{},"none":[],"multi":"a\nb\n",
    "colon":"a: b","yes":"yes","q":"100m"})");
  std::string yaml = JsonToYaml(original);
  absl::StatusOr<Json> back = YamlToJson(yaml);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_EQ(*back, original) << yaml;
  std::string two = JsonToYamlDocuments({Json{{"a", 1}}, Json{{"b", 2}}});
  EXPECT_EQ(YamlToJsonDocuments(two)->size(), 2u);
}

}  // namespace
}  // namespace orch::api

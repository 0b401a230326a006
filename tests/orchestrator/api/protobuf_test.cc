#include "orchestrator/api/protobuf.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

// A minimal protobuf writer to build request bodies as client-go's gogo-protobuf does.
class Writer {
 public:
  Writer& Varint(int field, uint64_t value) {
    Key(field, 0);
    Raw(value);
    return *this;
  }
  Writer& Bytes(int field, std::string_view value) {
    Key(field, 2);
    Raw(value.size());
    out_.append(value);
    return *this;
  }
  Writer& Message(int field, const Writer& message) { return Bytes(field, message.out_); }
  Writer& MapEntry(int field, std::string_view key, std::string_view value) {
    return Message(field, Writer().Bytes(1, key).Bytes(2, value));
  }
  const std::string& str() const { return out_; }

 private:
  void Key(int field, int wire_type) { Raw(static_cast<uint64_t>(field) << 3 | wire_type); }
  void Raw(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  std::string out_;
};

std::string Envelope(std::string_view api_version, std::string_view kind, const Writer& raw) {
  Writer unknown;
  unknown.Message(1, Writer().Bytes(1, api_version).Bytes(2, kind))
      .Message(2, raw)
      .Bytes(3, "")
      .Bytes(4, "");
  return std::string("k8s\0", 4) + unknown.str();
}

TEST(ProtobufTest, CreateNamespaceBodyFromKubectl) {
  // The 55 bytes kubectl 1.32 sends for `kubectl create namespace demo`.
  const unsigned char kBody[] = {'k',  '8',  's',  0,    0x0a, 0x0f, 0x0a, 0x02, 'v',  '1',  0x12,
                                 0x09, 'N',  'a',  'm',  'e',  's',  'p',  'a',  'c',  'e',  0x12,
                                 0x1c, 0x0a, 0x14, 0x0a, 0x04, 'd',  'e',  'm',  'o',  0x12, 0x00,
                                 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42,
                                 0x00, 0x12, 0x00, 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00};
  ASSERT_EQ(sizeof(kBody), 55u);
  absl::StatusOr<Json> decoded = DecodeKubernetesProtobuf(
      std::string_view(reinterpret_cast<const char*>(kBody), sizeof(kBody)));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, J(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"},
                           "spec":{},"status":{}})"));
}

TEST(ProtobufTest, CreateDeployment) {
  Writer labels_meta;
  labels_meta.Bytes(1, "web").Bytes(3, "").MapEntry(11, "app", "web").Varint(7, 0);
  Writer container;
  container.Bytes(1, "nginx")
      .Bytes(2, "nginx:1.25")
      .Bytes(3, "/bin/sh")
      .Bytes(3, "-c")
      .Message(6, Writer().Varint(3, 80).Bytes(4, "TCP"))
      .Message(8,
               Writer().Message(2, Writer().Bytes(1, "cpu").Message(2, Writer().Bytes(1, "100m"))))
      .Message(10, Writer()
                       .Message(1, Writer().Message(
                                       2, Writer()
                                              .Bytes(1, "/healthz")
                                              .Message(2, Writer().Varint(1, 0).Varint(2, 80))))
                       .Varint(4, 5));
  Writer pod_spec;
  pod_spec.Message(2, container).Bytes(3, "").Varint(11, 0);
  Writer template_spec;
  template_spec.Message(1, Writer().MapEntry(11, "app", "web")).Message(2, pod_spec);
  Writer spec;
  spec.Varint(1, 2)
      .Message(2, Writer().MapEntry(1, "app", "web"))
      .Message(3, template_spec)
      .Message(4, Writer()
                      .Bytes(1, "RollingUpdate")
                      .Message(2, Writer()
                                      .Message(1, Writer().Varint(1, 1).Bytes(3, "25%"))
                                      .Message(2, Writer().Varint(1, 0).Varint(2, 1))))
      .Varint(5, 0);
  Writer deployment;
  deployment.Message(1, labels_meta).Message(2, spec).Message(3, Writer());
  absl::StatusOr<Json> decoded =
      DecodeKubernetesProtobuf(Envelope("apps/v1", "Deployment", deployment));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, J(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","labels":{"app":"web"}},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx",
        "image":"nginx:1.25","command":["/bin/sh","-c"],"ports":[{"containerPort":80,"protocol":"TCP"}],
        "resources":{"requests":{"cpu":"100m"}},
        "livenessProbe":{"httpGet":{"path":"/healthz","port":80},"periodSeconds":5}}]}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":1}}},
    "status":{}})"));
}

TEST(ProtobufTest, DeleteOptionsAndEviction) {
  Writer options;
  options.Varint(1, 0).Bytes(4, "Background").Message(2, Writer().Bytes(1, "u1"));
  absl::StatusOr<Json> decoded = DecodeKubernetesProtobuf(Envelope("v1", "DeleteOptions", options));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, J(R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,
    "propagationPolicy":"Background","preconditions":{"uid":"u1"}})"));
  Writer eviction;
  eviction.Message(1, Writer().Bytes(1, "web-0").Bytes(3, "default"))
      .Message(2, Writer().Varint(1, 30));
  decoded = DecodeKubernetesProtobuf(Envelope("policy/v1", "Eviction", eviction));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)["metadata"], J(R"({"name":"web-0","namespace":"default"})"));
  EXPECT_EQ((*decoded)["deleteOptions"]["gracePeriodSeconds"], 30);
}

TEST(ProtobufTest, UnsupportedAndMalformed) {
  absl::StatusOr<Json> other = DecodeKubernetesProtobuf(Envelope("v1", "ConfigMap", Writer()));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnimplemented);
  absl::StatusOr<Json> unknown_field =
      DecodeKubernetesProtobuf(Envelope("v1", "Namespace", Writer().Bytes(99, "x")));
  EXPECT_EQ(unknown_field.status().code(), absl::StatusCode::kUnimplemented);
  absl::StatusOr<Json> bad_utf8 = DecodeKubernetesProtobuf(
      Envelope("v1", "Namespace", Writer().Message(1, Writer().Bytes(1, "\xff\xfe"))));
  EXPECT_EQ(bad_utf8.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeKubernetesProtobuf("{\"kind\":\"Namespace\"}").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string truncated =
      Envelope("v1", "Namespace", Writer().Message(1, Writer().Bytes(1, "demo")));
  truncated.resize(truncated.size() - 6);
  EXPECT_EQ(DecodeKubernetesProtobuf(truncated).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orch::api

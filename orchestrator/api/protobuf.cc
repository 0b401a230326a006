#include "orchestrator/api/protobuf.h"

#include <vector>

#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

// ---- wire reader ----

struct WireField {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool done() const { return position_ >= data_.size(); }

  absl::StatusOr<WireField> Next() {
    absl::StatusOr<uint64_t> key = Varint();
    if (!key.ok()) return key.status();
    WireField field;
    field.number = static_cast<int>(*key >> 3);
    field.wire_type = static_cast<int>(*key & 7);
    switch (field.wire_type) {
      case 0: {
        absl::StatusOr<uint64_t> value = Varint();
        if (!value.ok()) return value.status();
        field.varint = *value;
        return field;
      }
      case 2: {
        absl::StatusOr<uint64_t> length = Varint();
        if (!length.ok()) return length.status();
        if (*length > data_.size() - position_) return Truncated();
        field.bytes = data_.substr(position_, *length);
        position_ += *length;
        return field;
      }
      case 1:
      case 5: {
        size_t size = field.wire_type == 1 ? 8 : 4;
        if (size > data_.size() - position_) return Truncated();
        field.bytes = data_.substr(position_, size);
        position_ += size;
        return field;
      }
      default:
        return absl::InvalidArgumentError(Cat("protobuf: unsupported wire type ", field.wire_type));
    }
  }

 private:
  static absl::Status Truncated() {
    return absl::InvalidArgumentError("protobuf: truncated message");
  }

  absl::StatusOr<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) return Truncated();
      auto byte = static_cast<uint8_t>(data_[position_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return absl::InvalidArgumentError("protobuf: varint too long");
  }

  std::string_view data_;
  size_t position_ = 0;
};

// ---- schema: k8s.io/api field numbers ----

enum class Type {
  kString,
  kInt,  // varint int32/int64
  kBool,
  kMessage,
  kStringMap,    // map<string, string>
  kQuantityMap,  // map<string, resource.Quantity>
  kTime,         // metav1.Time -> RFC 3339
  kIntOrString,  // intstr.IntOrString -> number or string
};

struct Message;

struct Field {
  int number;
  std::string_view json_name;
  Type type;
  bool repeated = false;
  // Go pointer fields: present means set, so zero values are kept. Other scalars are always
  // on the wire and dropped when zero, as JSON omitempty drops them.
  bool pointer = false;
  const Message* message = nullptr;
  bool inline_members = false;  // Go embedded struct with json:",inline"
};

struct Message {
  std::string_view name;
  std::vector<Field> fields;
  const Field* Find(int number) const {
    for (const Field& field : fields) {
      if (field.number == number) return &field;
    }
    return nullptr;
  }
};

Field S(int n, std::string_view name) {
  return {n, name, Type::kString};
}
Field SP(int n, std::string_view name) {
  return {n, name, Type::kString, false, true};
}
Field Strings(int n, std::string_view name) {
  return {n, name, Type::kString, true};
}
Field I(int n, std::string_view name) {
  return {n, name, Type::kInt};
}
Field IP(int n, std::string_view name) {
  return {n, name, Type::kInt, false, true};
}
Field B(int n, std::string_view name) {
  return {n, name, Type::kBool};
}
Field BP(int n, std::string_view name) {
  return {n, name, Type::kBool, false, true};
}
Field M(int n, std::string_view name, const Message* message) {
  return {n, name, Type::kMessage, false, false, message};
}
Field Ms(int n, std::string_view name, const Message* message) {
  return {n, name, Type::kMessage, true, false, message};
}
Field Inline(int n, const Message* message) {
  return {n, "", Type::kMessage, false, false, message, true};
}
Field Map(int n, std::string_view name) {
  return {n, name, Type::kStringMap};
}
Field T(int n, std::string_view name) {
  return {n, name, Type::kTime};
}

struct Schemas {
  Message owner_reference, object_meta, label_requirement, label_selector, field_ref, env_source,
      env_var, container_port, resources, volume_mount, exec, http_header, http_get, tcp_socket,
      probe_handler, probe, container, toleration, pod_security_context, pod_spec, pod_template,
      pod_status, pod, rolling_update, strategy, deployment_spec, deployment_status, deployment,
      namespace_spec, namespace_status, namespace_kind, preconditions, delete_options, eviction;

  Schemas() {
    owner_reference = {"OwnerReference",
                       {S(1, "kind"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"),
                        BP(6, "controller"), BP(7, "blockOwnerDeletion")}};
    object_meta = {"ObjectMeta",
                   {S(1, "name"), S(2, "generateName"), S(3, "namespace"), S(4, "selfLink"),
                    S(5, "uid"), S(6, "resourceVersion"), I(7, "generation"),
                    T(8, "creationTimestamp"), T(9, "deletionTimestamp"),
                    IP(10, "deletionGracePeriodSeconds"), Map(11, "labels"), Map(12, "annotations"),
                    Ms(13, "ownerReferences", &owner_reference), Strings(14, "finalizers")}};
    label_requirement = {"LabelSelectorRequirement",
                         {S(1, "key"), S(2, "operator"), Strings(3, "values")}};
    label_selector = {"LabelSelector",
                      {Map(1, "matchLabels"), Ms(2, "matchExpressions", &label_requirement)}};
    field_ref = {"ObjectFieldSelector", {S(1, "apiVersion"), S(2, "fieldPath")}};
    env_source = {"EnvVarSource", {M(1, "fieldRef", &field_ref)}};
    env_var = {"EnvVar", {S(1, "name"), S(2, "value"), M(3, "valueFrom", &env_source)}};
    container_port = {
        "ContainerPort",
        {S(1, "name"), I(2, "hostPort"), I(3, "containerPort"), S(4, "protocol"), S(5, "hostIP")}};
    resources = {"ResourceRequirements",
                 {{1, "limits", Type::kQuantityMap}, {2, "requests", Type::kQuantityMap}}};
    volume_mount = {"VolumeMount",
                    {S(1, "name"), B(2, "readOnly"), S(3, "mountPath"), S(4, "subPath")}};
    exec = {"ExecAction", {Strings(1, "command")}};
    http_header = {"HTTPHeader", {S(1, "name"), S(2, "value")}};
    http_get = {"HTTPGetAction",
                {S(1, "path"),
                 {2, "port", Type::kIntOrString},
                 S(3, "host"),
                 S(4, "scheme"),
                 Ms(5, "httpHeaders", &http_header)}};
    tcp_socket = {"TCPSocketAction", {{1, "port", Type::kIntOrString}, S(2, "host")}};
    probe_handler = {
        "ProbeHandler",
        {M(1, "exec", &exec), M(2, "httpGet", &http_get), M(3, "tcpSocket", &tcp_socket)}};
    probe = {"Probe",
             {Inline(1, &probe_handler), I(2, "initialDelaySeconds"), I(3, "timeoutSeconds"),
              I(4, "periodSeconds"), I(5, "successThreshold"), I(6, "failureThreshold"),
              IP(7, "terminationGracePeriodSeconds")}};
    container = {
        "Container",
        {S(1, "name"), S(2, "image"), Strings(3, "command"), Strings(4, "args"), S(5, "workingDir"),
         Ms(6, "ports", &container_port), Ms(7, "env", &env_var), M(8, "resources", &resources),
         Ms(9, "volumeMounts", &volume_mount), M(10, "livenessProbe", &probe),
         M(11, "readinessProbe", &probe), S(13, "terminationMessagePath"), S(14, "imagePullPolicy"),
         B(16, "stdin"), B(17, "stdinOnce"), B(18, "tty"), S(20, "terminationMessagePolicy"),
         M(22, "startupProbe", &probe)}};
    toleration = {
        "Toleration",
        {S(1, "key"), S(2, "operator"), S(3, "value"), S(4, "effect"), IP(5, "tolerationSeconds")}};
    pod_security_context = {"PodSecurityContext", {}};
    pod_spec = {"PodSpec",
                {Ms(2, "containers", &container),
                 S(3, "restartPolicy"),
                 IP(4, "terminationGracePeriodSeconds"),
                 IP(5, "activeDeadlineSeconds"),
                 S(6, "dnsPolicy"),
                 Map(7, "nodeSelector"),
                 S(8, "serviceAccountName"),
                 S(9, "serviceAccount"),
                 S(10, "nodeName"),
                 B(11, "hostNetwork"),
                 B(12, "hostPID"),
                 B(13, "hostIPC"),
                 M(14, "securityContext", &pod_security_context),
                 S(16, "hostname"),
                 S(17, "subdomain"),
                 S(19, "schedulerName"),
                 Ms(20, "initContainers", &container),
                 Ms(22, "tolerations", &toleration),
                 S(24, "priorityClassName"),
                 IP(25, "priority"),
                 BP(30, "enableServiceLinks")}};
    pod_template = {"PodTemplateSpec", {M(1, "metadata", &object_meta), M(2, "spec", &pod_spec)}};
    pod_status = {"PodStatus",
                  {S(1, "phase"), S(3, "message"), S(4, "reason"), S(5, "hostIP"), S(6, "podIP")}};
    pod = {"Pod",
           {M(1, "metadata", &object_meta), M(2, "spec", &pod_spec), M(3, "status", &pod_status)}};
    rolling_update = {
        "RollingUpdateDeployment",
        {{1, "maxUnavailable", Type::kIntOrString}, {2, "maxSurge", Type::kIntOrString}}};
    strategy = {"DeploymentStrategy", {S(1, "type"), M(2, "rollingUpdate", &rolling_update)}};
    deployment_spec = {
        "DeploymentSpec",
        {IP(1, "replicas"), M(2, "selector", &label_selector), M(3, "template", &pod_template),
         M(4, "strategy", &strategy), I(5, "minReadySeconds"), IP(6, "revisionHistoryLimit"),
         B(7, "paused"), IP(9, "progressDeadlineSeconds")}};
    deployment_status = {"DeploymentStatus",
                         {I(1, "observedGeneration"), I(2, "replicas"), I(3, "updatedReplicas"),
                          I(4, "unavailableReplicas"), I(5, "availableReplicas"),
                          I(7, "readyReplicas"), IP(8, "collisionCount")}};
    deployment = {"Deployment",
                  {M(1, "metadata", &object_meta), M(2, "spec", &deployment_spec),
                   M(3, "status", &deployment_status)}};
    namespace_spec = {"NamespaceSpec", {Strings(1, "finalizers")}};
    namespace_status = {"NamespaceStatus", {S(1, "phase")}};
    namespace_kind = {"Namespace",
                      {M(1, "metadata", &object_meta), M(2, "spec", &namespace_spec),
                       M(3, "status", &namespace_status)}};
    preconditions = {"Preconditions", {SP(1, "uid"), SP(2, "resourceVersion")}};
    delete_options = {
        "DeleteOptions",
        {IP(1, "gracePeriodSeconds"), M(2, "preconditions", &preconditions),
         BP(3, "orphanDependents"), SP(4, "propagationPolicy"), Strings(5, "dryRun")}};
    eviction = {"Eviction",
                {M(1, "metadata", &object_meta), M(2, "deleteOptions", &delete_options)}};
  }
};

const Schemas& AllSchemas() {
  static const Schemas* const kSchemas = new Schemas();
  return *kSchemas;
}

const Message* MessageFor(std::string_view api_version, std::string_view kind) {
  const Schemas& schemas = AllSchemas();
  if (api_version == "v1" && kind == "Namespace") return &schemas.namespace_kind;
  if (api_version == "v1" && kind == "Pod") return &schemas.pod;
  if (api_version == "apps/v1" && kind == "Deployment") return &schemas.deployment;
  if ((api_version == "v1" || api_version == "meta.k8s.io/v1") && kind == "DeleteOptions") {
    return &schemas.delete_options;
  }
  if ((api_version == "policy/v1" || api_version == "policy/v1beta1") && kind == "Eviction") {
    return &schemas.eviction;
  }
  return nullptr;
}

absl::StatusOr<Json> DecodeMessage(std::string_view bytes, const Message& message);

// A map entry {1: key, 2: value}.
absl::StatusOr<std::pair<std::string, std::string_view>> MapEntry(std::string_view bytes) {
  WireReader reader(bytes);
  std::string key;
  std::string_view value;
  while (!reader.done()) {
    absl::StatusOr<WireField> field = reader.Next();
    if (!field.ok()) return field.status();
    if (field->number == 1) key = std::string(field->bytes);
    if (field->number == 2) value = field->bytes;
  }
  return std::make_pair(std::move(key), value);
}

// The first string-typed field 1 of a message (resource.Quantity's "string").
absl::StatusOr<std::string> QuantityText(std::string_view bytes) {
  WireReader reader(bytes);
  std::string text;
  while (!reader.done()) {
    absl::StatusOr<WireField> field = reader.Next();
    if (!field.ok()) return field.status();
    if (field->number == 1) text = std::string(field->bytes);
  }
  return text;
}

absl::Status InvalidUtf8(const Field& field) {
  return absl::InvalidArgumentError(Cat("protobuf: field ", field.json_name, " is not UTF-8"));
}

absl::StatusOr<Json> DecodeValue(const Field& field, const WireField& wire) {
  bool length_delimited = wire.wire_type == 2;
  switch (field.type) {
    case Type::kString:
      if (!length_delimited) break;
      if (!IsValidUtf8(wire.bytes)) return InvalidUtf8(field);
      return Json(std::string(wire.bytes));
    case Type::kInt:
      if (wire.wire_type != 0) break;
      return Json(static_cast<int64_t>(wire.varint));
    case Type::kBool:
      if (wire.wire_type != 0) break;
      return Json(wire.varint != 0);
    case Type::kMessage:
      if (!length_delimited) break;
      return DecodeMessage(wire.bytes, *field.message);
    case Type::kTime: {
      if (!length_delimited) break;
      WireReader reader(wire.bytes);
      int64_t seconds = 0;
      while (!reader.done()) {
        absl::StatusOr<WireField> part = reader.Next();
        if (!part.ok()) return part.status();
        if (part->number == 1) seconds = static_cast<int64_t>(part->varint);
      }
      if (seconds == 0) return Json(nullptr);  // Go's zero time encodes as null
      return Json(FormatTimestamp(absl::FromUnixSeconds(seconds)));
    }
    case Type::kIntOrString: {
      if (!length_delimited) break;
      WireReader reader(wire.bytes);
      int64_t kind = 0;
      int64_t number = 0;
      std::string text;
      while (!reader.done()) {
        absl::StatusOr<WireField> part = reader.Next();
        if (!part.ok()) return part.status();
        if (part->number == 1) kind = static_cast<int64_t>(part->varint);
        if (part->number == 2) number = static_cast<int32_t>(part->varint);
        if (part->number == 3) text = std::string(part->bytes);
      }
      if (!IsValidUtf8(text)) return InvalidUtf8(field);
      return kind == 1 ? Json(text) : Json(number);
    }
    case Type::kStringMap:
    case Type::kQuantityMap:
      break;  // handled by the caller, entry by entry
  }
  return absl::InvalidArgumentError(
      Cat("protobuf: field ", field.json_name, " has wire type ", wire.wire_type));
}

bool IsZero(const Json& value) {
  return (value.is_string() && value.get_ref<const std::string&>().empty()) ||
         (value.is_number_integer() && value.get<int64_t>() == 0) ||
         (value.is_boolean() && !value.get<bool>()) || value.is_null();
}

absl::StatusOr<Json> DecodeMessage(std::string_view bytes, const Message& message) {
  Json out = Json::object();
  WireReader reader(bytes);
  while (!reader.done()) {
    absl::StatusOr<WireField> wire = reader.Next();
    if (!wire.ok()) return wire.status();
    const Field* field = message.Find(wire->number);
    if (field == nullptr) {
      return absl::UnimplementedError(
          Cat("protobuf: field ", wire->number, " of ", message.name, " is not supported"));
    }
    std::string name(field->json_name);
    if (field->type == Type::kStringMap || field->type == Type::kQuantityMap) {
      absl::StatusOr<std::pair<std::string, std::string_view>> entry = MapEntry(wire->bytes);
      if (!entry.ok()) return entry.status();
      if (!IsValidUtf8(entry->first) || !IsValidUtf8(entry->second)) return InvalidUtf8(*field);
      Json value = std::string(entry->second);
      if (field->type == Type::kQuantityMap) {
        absl::StatusOr<std::string> text = QuantityText(entry->second);
        if (!text.ok()) return text.status();
        if (!IsValidUtf8(*text)) return InvalidUtf8(*field);
        value = *text;
      }
      EnsureObject(out, name)[entry->first] = std::move(value);
      continue;
    }
    absl::StatusOr<Json> value = DecodeValue(*field, *wire);
    if (!value.ok()) return value.status();
    if (field->inline_members) {
      for (auto& [key, member] : value->items())
        out[key] = std::move(member);
    } else if (field->repeated) {
      Json& list = out[name];
      if (!list.is_array()) list = Json::array();
      list.push_back(*std::move(value));
    } else if (field->pointer || field->type == Type::kMessage || !IsZero(*value)) {
      out[name] = *std::move(value);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Json> DecodeKubernetesProtobuf(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("protobuf: the body does not start with the k8s envelope");
  }
  WireReader reader(body.substr(kMagic.size()));
  std::string api_version;
  std::string kind;
  std::string_view raw;
  while (!reader.done()) {
    absl::StatusOr<WireField> field = reader.Next();
    if (!field.ok()) return field.status();
    if (field->number == 1 && field->wire_type == 2) {
      WireReader type_meta(field->bytes);
      while (!type_meta.done()) {
        absl::StatusOr<WireField> part = type_meta.Next();
        if (!part.ok()) return part.status();
        if (part->number == 1) api_version = std::string(part->bytes);
        if (part->number == 2) kind = std::string(part->bytes);
      }
    } else if (field->number == 2 && field->wire_type == 2) {
      raw = field->bytes;
    } else if (field->number == 3 && !field->bytes.empty()) {
      return absl::UnimplementedError("protobuf: content encodings are not supported");
    }
  }
  if (!IsValidUtf8(api_version) || !IsValidUtf8(kind)) {
    return absl::InvalidArgumentError("protobuf: the type of the object is not UTF-8");
  }
  const Message* message = MessageFor(api_version, kind);
  if (message == nullptr) {
    return absl::UnimplementedError(Cat("protobuf: no decoder for ",
                                        api_version.empty() ? "<none>" : api_version, " ",
                                        kind.empty() ? "<none>" : kind));
  }
  absl::StatusOr<Json> object = DecodeMessage(raw, *message);
  if (!object.ok()) return object.status();
  Json document = {{"apiVersion", api_version}, {"kind", kind}};
  for (auto& [key, value] : object->items())
    document[key] = std::move(value);
  return document;
}

}  // namespace orch::api

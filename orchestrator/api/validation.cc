#include "orchestrator/api/validation.h"

#include <algorithm>
#include <set>

#include "orchestrator/api/names.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/quantity.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

constexpr std::string_view kNonNegative = "must be greater than or equal to 0";
constexpr std::string_view kImmutable = "field is immutable";

using NameCheck = std::vector<std::string> (*)(std::string_view);

void Add(FieldErrors& errors, FieldErrors more) {
  errors.insert(errors.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
}

// One Invalid error per problem a syntax check reports.
void AddSyntax(FieldErrors& errors, const FieldPath& path, const std::string& value,
               const std::vector<std::string>& problems) {
  for (const std::string& problem : problems)
    errors.push_back(Invalid(path, value, problem));
}

std::string_view NonEmpty(const Json& object, std::string_view key) {
  const Json* value = Member(object, key);
  if (value == nullptr || !value->is_string()) return "";
  return value->get_ref<const std::string&>();
}

// An optional integer field: wrong types are Invalid, negatives too when `non_negative`.
std::optional<int64_t> IntField(FieldErrors& errors, const Json& object, std::string_view key,
                                const FieldPath& path, bool non_negative = true) {
  const Json* value = Member(object, key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_number_integer()) {
    errors.push_back(Invalid(path.Child(key), *value, "must be an integer"));
    return std::nullopt;
  }
  int64_t number = value->get<int64_t>();
  if (non_negative && number < 0) errors.push_back(Invalid(path.Child(key), number, kNonNegative));
  return number;
}

void CheckEnum(FieldErrors& errors, const Json& object, std::string_view key, const FieldPath& path,
               const std::vector<std::string_view>& supported, bool required = false) {
  const Json* value = Member(object, key);
  if (value == nullptr || value->is_null() || (value->is_string() && value->empty())) {
    if (required) errors.push_back(Required(path.Child(key)));
    return;
  }
  bool ok = value->is_string() && std::find(supported.begin(), supported.end(),
                                            value->get<std::string>()) != supported.end();
  if (!ok) errors.push_back(NotSupported(path.Child(key), *value, supported));
}

bool IsObjectOrAbsent(FieldErrors& errors, const Json& object, std::string_view key,
                      const FieldPath& path) {
  const Json* value = Member(object, key);
  if (value == nullptr || value->is_null() || value->is_object()) return true;
  errors.push_back(Invalid(path.Child(key), *value, "must be an object"));
  return false;
}

bool IsArrayOrAbsent(FieldErrors& errors, const Json& object, std::string_view key,
                     const FieldPath& path) {
  const Json* value = Member(object, key);
  if (value == nullptr || value->is_null() || value->is_array()) return true;
  errors.push_back(Invalid(path.Child(key), *value, "must be a list"));
  return false;
}

FieldErrors ValidateAnnotations(const Json& annotations, const FieldPath& path) {
  FieldErrors errors;
  if (!annotations.is_object()) {
    if (!annotations.is_null()) errors.push_back(Invalid(path, annotations, "must be an object"));
    return errors;
  }
  size_t total = 0;
  for (const auto& [key, value] : annotations.items()) {
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    AddSyntax(errors, path, key, IsQualifiedName(lower));
    if (!value.is_string()) {
      errors.push_back(Invalid(path.Key(key), value, "must be a string"));
      continue;
    }
    total += key.size() + value.get_ref<const std::string&>().size();
  }
  constexpr size_t kMaxAnnotationBytes = 256 * 1024;
  if (total > kMaxAnnotationBytes) {
    errors.push_back({FieldErrorType::kTooLong, path.str(), std::nullopt,
                      Cat("may not be more than ", kMaxAnnotationBytes, " bytes")});
  }
  return errors;
}

FieldErrors ValidateOwnerReferences(const Json& references, const FieldPath& path) {
  FieldErrors errors;
  if (!references.is_array()) return errors;
  std::vector<std::string> controllers;
  for (const Json& reference : references) {
    std::string api_version = StringAt(reference, {"apiVersion"});
    std::string version = api_version.substr(api_version.find('/') + 1);
    if (api_version.find('/') == std::string::npos) version = api_version;
    if (version.empty()) {
      errors.push_back(Invalid(path.Child("apiVersion"), api_version, "version must not be empty"));
    }
    if (NonEmpty(reference, "kind").empty()) {
      errors.push_back(
          Invalid(path.Child("kind"), StringAt(reference, {"kind"}), "kind must not be empty"));
    }
    if (NonEmpty(reference, "name").empty()) {
      errors.push_back(Invalid(path.Child("name"), "", "name must not be empty"));
    }
    if (NonEmpty(reference, "uid").empty()) {
      errors.push_back(Invalid(path.Child("uid"), "", "uid must not be empty"));
    }
    if (BoolAt(reference, {"controller"})) {
      controllers.push_back(Cat(StringAt(reference, {"kind"}), "/", StringAt(reference, {"name"})));
    }
  }
  if (controllers.size() > 1) {
    errors.push_back(
        Invalid(path, references,
                Cat("Only one reference can have Controller set to true. Found \"true\" "
                    "in references for ",
                    Join(controllers, " and "))));
  }
  return errors;
}

FieldErrors ValidateFinalizers(const Json& finalizers, const FieldPath& path) {
  FieldErrors errors;
  if (!finalizers.is_array()) return errors;
  static const std::set<std::string, std::less<>> kStandard = {"kubernetes", "orphan",
                                                               "foregroundDeletion"};
  for (const Json& finalizer : finalizers) {
    std::string name = finalizer.is_string() ? finalizer.get<std::string>() : finalizer.dump();
    std::vector<std::string> problems = IsQualifiedName(name);
    AddSyntax(errors, path, name, problems);
    if (problems.empty() && name.find('/') == std::string::npos && !kStandard.contains(name)) {
      errors.push_back(Invalid(
          path, name, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  }
  return errors;
}

// Go's generateName check: the prefix must be valid once a trailing '-' is masked.
std::string MaskTrailingDash(std::string name) {
  if (name.size() > 1 && name.back() == '-') name.back() = 'a';
  return name;
}

FieldErrors ValidateObjectMeta(const Json& object, bool namespaced, NameCheck check_name) {
  FieldErrors errors;
  FieldPath path("metadata");
  const Json& metadata = ObjectAt(object, {"metadata"});
  std::string name = StringAt(object, {"metadata", "name"});
  std::string generate_name = StringAt(object, {"metadata", "generateName"});
  if (!generate_name.empty()) {
    AddSyntax(errors, path.Child("generateName"), generate_name,
              check_name(MaskTrailingDash(generate_name)));
  }
  if (name.empty()) {
    if (generate_name.empty()) {
      errors.push_back(Required(path.Child("name"), "name or generateName is required"));
    }
  } else {
    AddSyntax(errors, path.Child("name"), name, check_name(name));
  }
  std::string ns = StringAt(object, {"metadata", "namespace"});
  if (namespaced) {
    if (ns.empty()) {
      errors.push_back(Required(path.Child("namespace")));
    } else {
      AddSyntax(errors, path.Child("namespace"), ns, IsDns1123Label(ns));
    }
  } else if (!ns.empty()) {
    errors.push_back(Forbidden(path.Child("namespace"), "not allowed on this type"));
  }
  if (const Json* labels = Member(metadata, "labels")) {
    Add(errors, ValidateLabels(*labels, path.Child("labels")));
  }
  if (const Json* annotations = Member(metadata, "annotations")) {
    Add(errors, ValidateAnnotations(*annotations, path.Child("annotations")));
  }
  if (const Json* references = Member(metadata, "ownerReferences")) {
    Add(errors, ValidateOwnerReferences(*references, path.Child("ownerReferences")));
  }
  if (const Json* finalizers = Member(metadata, "finalizers")) {
    Add(errors, ValidateFinalizers(*finalizers, path.Child("finalizers")));
  }
  IntField(errors, metadata, "generation", path);
  return errors;
}

FieldErrors ValidateObjectMetaUpdate(const Json& updated, const Json& existing) {
  FieldErrors errors;
  FieldPath path("metadata");
  for (std::string_view key : {"name", "namespace", "uid", "creationTimestamp"}) {
    std::string now = StringAt(updated, {"metadata", key});
    std::string before = StringAt(existing, {"metadata", key});
    if (now != before) errors.push_back(Invalid(path.Child(key), now, kImmutable));
  }
  return errors;
}

// A port number or IANA port name (probes' httpGet.port / tcpSocket.port).
void CheckPortNumberOrName(FieldErrors& errors, const Json& action, const FieldPath& path) {
  const Json* port = Member(action, "port");
  if (port == nullptr || port->is_null()) {
    errors.push_back(Required(path.Child("port")));
  } else if (port->is_number_integer()) {
    int64_t number = port->get<int64_t>();
    if (number < 1 || number > 65535) {
      errors.push_back(
          Invalid(path.Child("port"), number, "must be between 1 and 65535, inclusive"));
    }
  } else if (port->is_string()) {
    AddSyntax(errors, path.Child("port"), port->get<std::string>(),
              IsValidPortName(port->get<std::string>()));
  } else {
    errors.push_back(Invalid(path.Child("port"), *port, "must be an integer or a string"));
  }
}

FieldErrors ValidateProbe(const Json& probe, const FieldPath& path, bool success_must_be_one) {
  FieldErrors errors;
  if (!probe.is_object()) {
    if (!probe.is_null()) errors.push_back(Invalid(path, probe, "must be an object"));
    return errors;
  }
  int handlers = 0;
  for (std::string_view handler : {"exec", "httpGet", "tcpSocket", "grpc"}) {
    const Json* value = Member(probe, handler);
    if (value == nullptr || value->is_null()) continue;
    if (++handlers > 1) {
      errors.push_back(Forbidden(path.Child(handler), "may not specify more than 1 handler type"));
      continue;
    }
    FieldPath handler_path = path.Child(handler);
    if (handler == "exec" && ArrayAt(*value, {"command"}).empty()) {
      errors.push_back(Required(handler_path.Child("command")));
    } else if (handler == "httpGet") {
      CheckPortNumberOrName(errors, *value, handler_path);
      CheckEnum(errors, *value, "scheme", handler_path, {"HTTP", "HTTPS"});
    } else if (handler == "tcpSocket") {
      CheckPortNumberOrName(errors, *value, handler_path);
    } else if (handler == "grpc") {
      IntField(errors, *value, "port", handler_path);
    }
  }
  if (handlers == 0) errors.push_back(Required(path, "must specify a handler type"));
  for (std::string_view timing :
       {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
        "failureThreshold", "terminationGracePeriodSeconds"}) {
    std::optional<int64_t> value = IntField(errors, probe, timing, path);
    if (timing == "successThreshold" && success_must_be_one && value && *value != 1) {
      errors.push_back(Invalid(path.Child(timing), *value, "must be 1"));
    }
  }
  return errors;
}

FieldErrors ValidateResources(const Json& resources, const FieldPath& path) {
  FieldErrors errors;
  if (!resources.is_object()) {
    if (!resources.is_null()) errors.push_back(Invalid(path, resources, "must be an object"));
    return errors;
  }
  std::map<std::string, Quantity> limits;
  for (std::string_view section : {"limits", "requests"}) {
    const Json& values = ObjectAt(resources, {section});
    for (const auto& [name, value] : values.items()) {
      FieldPath entry = path.Child(section).Key(name);
      AddSyntax(errors, entry, name, IsQualifiedName(name));
      absl::StatusOr<Quantity> quantity = Quantity::FromJson(value);
      if (!quantity.ok()) {
        errors.push_back(Invalid(entry, value, std::string(quantity.status().message())));
        continue;
      }
      if (quantity->IsNegative()) {
        errors.push_back(Invalid(entry, quantity->ToString(), kNonNegative));
        continue;
      }
      if (section == "limits") {
        limits.emplace(name, *quantity);
      } else if (auto limit = limits.find(name);
                 limit != limits.end() && *quantity > limit->second) {
        errors.push_back(Invalid(
            entry, quantity->ToString(),
            Cat("must be less than or equal to ", name, " limit of ", limit->second.ToString())));
      }
    }
  }
  return errors;
}

FieldErrors ValidatePorts(const Json& ports, const FieldPath& path) {
  FieldErrors errors;
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const Json& port = ports[i];
    FieldPath item = path.Index(i);
    std::string name = StringAt(port, {"name"});
    if (!name.empty()) {
      AddSyntax(errors, item.Child("name"), name, IsValidPortName(name));
      if (!names.insert(name).second) errors.push_back(Duplicate(item.Child("name"), name));
    }
    for (std::string_view key : {"containerPort", "hostPort"}) {
      const Json* number = Member(port, key);
      if (number == nullptr || number->is_null()) {
        if (key == "containerPort") errors.push_back(Required(item.Child(key)));
        continue;
      }
      int64_t value = number->is_number_integer() ? number->get<int64_t>() : 0;
      if (!number->is_number_integer() || value < 1 || value > 65535) {
        errors.push_back(
            Invalid(item.Child(key), *number, "must be between 1 and 65535, inclusive"));
      }
    }
    CheckEnum(errors, port, "protocol", item, {"SCTP", "TCP", "UDP"}, /*required=*/true);
  }
  return errors;
}

FieldErrors ValidateEnv(const Json& env, const FieldPath& path) {
  FieldErrors errors;
  for (size_t i = 0; i < env.size(); ++i) {
    FieldPath item = path.Index(i);
    std::string name = StringAt(env[i], {"name"});
    if (name.empty()) {
      errors.push_back(Required(item.Child("name")));
    } else {
      AddSyntax(errors, item.Child("name"), name, IsEnvVarName(name));
    }
    const Json* from = Member(env[i], "valueFrom");
    if (from != nullptr && !from->is_null() && !StringAt(env[i], {"value"}).empty()) {
      errors.push_back(
          Invalid(item.Child("valueFrom"), "", "may not be specified when `value` is not empty"));
    }
  }
  return errors;
}

FieldErrors ValidateContainers(const Json& containers, const FieldPath& path,
                               const std::set<std::string>& volumes, std::set<std::string>& names,
                               bool probes_allowed) {
  FieldErrors errors;
  for (size_t i = 0; i < containers.size(); ++i) {
    const Json& container = containers[i];
    FieldPath item = path.Index(i);
    if (!container.is_object()) {
      errors.push_back(Invalid(item, container, "must be an object"));
      continue;
    }
    std::string name = StringAt(container, {"name"});
    if (name.empty()) {
      errors.push_back(Required(item.Child("name")));
    } else {
      AddSyntax(errors, item.Child("name"), name, IsDns1123Label(name));
      if (!names.insert(name).second) errors.push_back(Duplicate(item.Child("name"), name));
    }
    if (StringAt(container, {"image"}).empty()) errors.push_back(Required(item.Child("image")));
    CheckEnum(errors, container, "imagePullPolicy", item, {"Always", "IfNotPresent", "Never"});
    CheckEnum(errors, container, "terminationMessagePolicy", item,
              {"File", "FallbackToLogsOnError"});
    for (std::string_view list : {"command", "args", "ports", "env", "volumeMounts"}) {
      IsArrayOrAbsent(errors, container, list, item);
    }
    Add(errors, ValidatePorts(ArrayAt(container, {"ports"}), item.Child("ports")));
    Add(errors, ValidateEnv(ArrayAt(container, {"env"}), item.Child("env")));
    if (const Json* resources = Member(container, "resources")) {
      Add(errors, ValidateResources(*resources, item.Child("resources")));
    }
    const Json& mounts = ArrayAt(container, {"volumeMounts"});
    for (size_t m = 0; m < mounts.size(); ++m) {
      FieldPath mount = item.Child("volumeMounts").Index(m);
      std::string volume = StringAt(mounts[m], {"name"});
      if (volume.empty()) {
        errors.push_back(Required(mount.Child("name")));
      } else if (!volumes.contains(volume)) {
        errors.push_back(NotFoundValue(mount.Child("name"), volume));
      }
      if (StringAt(mounts[m], {"mountPath"}).empty()) {
        errors.push_back(Required(mount.Child("mountPath")));
      }
    }
    for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      const Json* value = Member(container, probe);
      if (value == nullptr || value->is_null()) continue;
      if (!probes_allowed) {
        errors.push_back(Forbidden(item.Child(probe), "may not be set for init containers"));
        continue;
      }
      Add(errors, ValidateProbe(*value, item.Child(probe), probe != "readinessProbe"));
    }
  }
  return errors;
}

FieldErrors ValidateVolumes(const Json& volumes, const FieldPath& path,
                            std::set<std::string>& names) {
  FieldErrors errors;
  for (size_t i = 0; i < volumes.size(); ++i) {
    FieldPath item = path.Index(i);
    std::string name = StringAt(volumes[i], {"name"});
    if (name.empty()) {
      errors.push_back(Required(item.Child("name")));
    } else {
      AddSyntax(errors, item.Child("name"), name, IsDns1123Label(name));
      if (!names.insert(name).second) errors.push_back(Duplicate(item.Child("name"), name));
    }
    int sources = 0;
    for (const auto& [key, value] : ObjectAt(volumes[i], {}).items()) {
      if (key == "name" || value.is_null()) continue;
      if (++sources > 1) {
        errors.push_back(Forbidden(item.Child(key), "may not specify more than 1 volume type"));
      }
    }
    if (sources == 0) errors.push_back(Required(item, "must specify a volume type"));
  }
  return errors;
}

FieldErrors ValidateTolerations(const Json& tolerations, const FieldPath& path) {
  FieldErrors errors;
  for (size_t i = 0; i < tolerations.size(); ++i) {
    const Json& toleration = tolerations[i];
    FieldPath item = path.Index(i);
    std::string key = StringAt(toleration, {"key"});
    std::string op = StringAt(toleration, {"operator"});
    std::string value = StringAt(toleration, {"value"});
    if (!key.empty()) AddSyntax(errors, item.Child("key"), key, IsQualifiedName(key));
    if (key.empty() && op != "Exists") {
      errors.push_back(Invalid(item.Child("operator"), op,
                               "operator must be Exists when `key` is empty, which means \"match "
                               "all values and all keys\""));
    }
    if (op.empty() || op == "Equal") {
      AddSyntax(errors, item.Child("value"), value, IsValidLabelValue(value));
    } else if (op == "Exists") {
      if (!value.empty()) {
        errors.push_back(
            Invalid(item.Child("value"), value, "value must be empty when `operator` is 'Exists'"));
      }
    } else {
      errors.push_back(NotSupported(item.Child("operator"), op, {"Equal", "Exists"}));
    }
    std::string effect = StringAt(toleration, {"effect"});
    const Json* seconds = Member(toleration, "tolerationSeconds");
    if (seconds != nullptr && !seconds->is_null() && effect != "NoExecute") {
      errors.push_back(Invalid(item.Child("effect"), effect,
                               "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (!effect.empty()) {
      CheckEnum(errors, toleration, "effect", item,
                {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
  }
  return errors;
}

FieldErrors ValidateNodeSelectorRequirements(const Json& requirements, const FieldPath& path,
                                             bool fields) {
  FieldErrors errors;
  for (size_t i = 0; i < requirements.size(); ++i) {
    const Json& requirement = requirements[i];
    FieldPath item = path.Index(i);
    std::string key = StringAt(requirement, {"key"});
    std::string op = StringAt(requirement, {"operator"});
    const Json& values = ArrayAt(requirement, {"values"});
    if (fields) {
      if (key != "metadata.name") {
        errors.push_back(Invalid(item.Child("key"), key, "not a valid field selector key"));
      }
    } else {
      AddSyntax(errors, item.Child("key"), key, IsQualifiedName(key));
    }
    if (op == "In" || op == "NotIn") {
      if (values.empty()) {
        errors.push_back(
            Required(item.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) {
        errors.push_back(Forbidden(item.Child("values"),
                                   "may not be specified when `operator` is 'Exists' or "
                                   "'DoesNotExist'"));
      }
    } else if (op == "Gt" || op == "Lt") {
      int64_t number = 0;
      if (values.size() != 1) {
        errors.push_back(
            Required(item.Child("values"),
                     "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      } else if (!values[0].is_string() || !ParseInt(values[0].get<std::string>(), number)) {
        errors.push_back(Invalid(item.Child("values").Index(0), values[0], "must be an integer"));
      }
    } else {
      errors.push_back(Invalid(item.Child("operator"), op, "not a valid selector operator"));
    }
  }
  return errors;
}

FieldErrors ValidateNodeSelectorTerm(const Json& term, const FieldPath& path) {
  FieldErrors errors;
  Add(errors, ValidateNodeSelectorRequirements(ArrayAt(term, {"matchExpressions"}),
                                               path.Child("matchExpressions"), false));
  Add(errors, ValidateNodeSelectorRequirements(ArrayAt(term, {"matchFields"}),
                                               path.Child("matchFields"), true));
  return errors;
}

FieldErrors ValidateAffinity(const Json& affinity, const FieldPath& path) {
  FieldErrors errors;
  const Json* node = Member(affinity, "nodeAffinity");
  if (node == nullptr || !node->is_object()) return errors;
  FieldPath node_path = path.Child("nodeAffinity");
  if (const Json* required = Member(*node, "requiredDuringSchedulingIgnoredDuringExecution");
      required != nullptr && !required->is_null()) {
    FieldPath terms_path = node_path.Child("requiredDuringSchedulingIgnoredDuringExecution")
                               .Child("nodeSelectorTerms");
    const Json& terms = ArrayAt(*required, {"nodeSelectorTerms"});
    if (terms.empty()) {
      errors.push_back(Required(terms_path, "must have at least one node selector term"));
    }
    for (size_t i = 0; i < terms.size(); ++i) {
      Add(errors, ValidateNodeSelectorTerm(terms[i], terms_path.Index(i)));
    }
  }
  const Json& preferred = ArrayAt(*node, {"preferredDuringSchedulingIgnoredDuringExecution"});
  for (size_t i = 0; i < preferred.size(); ++i) {
    FieldPath item = node_path.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i);
    std::optional<int64_t> weight = IntAt(preferred[i], {"weight"});
    if (!weight || *weight < 1 || *weight > 100) {
      errors.push_back(Invalid(item.Child("weight"), weight ? Json(*weight) : Json(0),
                               "must be in the range 1-100"));
    }
    Add(errors,
        ValidateNodeSelectorTerm(ObjectAt(preferred[i], {"preference"}), item.Child("preference")));
  }
  return errors;
}

// Pod templates of workloads: labels, the pod spec, restartPolicy Always only.
FieldErrors ValidatePodTemplate(const Json& spec_owner, const FieldPath& path) {
  FieldErrors errors;
  const Json* template_value = Member(spec_owner, "template");
  if (template_value == nullptr || !template_value->is_object()) {
    errors.push_back(Required(path));
    return errors;
  }
  if (const Json* labels = MemberAt(*template_value, {"metadata", "labels"})) {
    Add(errors, ValidateLabels(*labels, path.Child("metadata").Child("labels")));
  }
  const Json& pod_spec = ObjectAt(*template_value, {"spec"});
  FieldPath spec_path = path.Child("spec");
  Add(errors, ValidatePodSpec(pod_spec, spec_path));
  std::string restart = StringAt(pod_spec, {"restartPolicy"});
  if (restart != "Always")
    errors.push_back(NotSupported(spec_path.Child("restartPolicy"), restart, {"Always"}));
  if (Member(pod_spec, "activeDeadlineSeconds") != nullptr) {
    errors.push_back(Forbidden(spec_path.Child("activeDeadlineSeconds"),
                               "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errors;
}

// Shared by Deployment and ReplicaSet: replicas, selector (non-empty, matching the template).
FieldErrors ValidateWorkloadSpec(const Json& object) {
  FieldErrors errors;
  FieldPath path("spec");
  const Json& spec = ObjectAt(object, {"spec"});
  IntField(errors, spec, "replicas", path);
  IntField(errors, spec, "minReadySeconds", path);
  const Json* selector = Member(spec, "selector");
  if (selector == nullptr || selector->is_null()) {
    errors.push_back(Required(path.Child("selector")));
  } else {
    FieldErrors selector_errors = ValidateLabelSelectorObject(*selector, path.Child("selector"));
    bool selector_ok = selector_errors.empty();
    Add(errors, std::move(selector_errors));
    if (selector_ok) {
      absl::StatusOr<LabelSelector> parsed = LabelSelector::FromObject(selector);
      if (parsed.ok() && parsed->MatchesEverything()) {
        errors.push_back(
            Invalid(path.Child("selector"), *selector, "empty selector is invalid for deployment"));
      } else if (parsed.ok()) {
        const Json& labels = ObjectAt(spec, {"template", "metadata", "labels"});
        if (!parsed->Matches(labels)) {
          errors.push_back(Invalid(path.Child("template").Child("metadata").Child("labels"), labels,
                                   "`selector` does not match template `labels`"));
        }
      }
    }
  }
  Add(errors, ValidatePodTemplate(spec, path.Child("template")));
  return errors;
}

// An intstr value: a non-negative int or a percent string "N%" not above 100%.
std::optional<int64_t> IntOrPercent(FieldErrors& errors, const Json& value, const FieldPath& path) {
  if (value.is_number_integer()) {
    int64_t number = value.get<int64_t>();
    if (number < 0) errors.push_back(Invalid(path, number, kNonNegative));
    return number;
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t percent = 0;
    if (text.size() < 2 || text.back() != '%' ||
        !ParseInt(std::string_view(text).substr(0, text.size() - 1), percent) || percent < 0) {
      errors.push_back(Invalid(path, text,
                               "a valid percent string must be a numeric string followed by an "
                               "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                               "'[0-9]+%')"));
      return std::nullopt;
    }
    if (percent > 100) errors.push_back(Invalid(path, text, "must not be greater than 100%"));
    return percent;
  }
  errors.push_back(Invalid(path, value, "must be an integer or percentage (e.g '5%')"));
  return std::nullopt;
}

FieldErrors ValidateDeployment(const Json& object) {
  FieldErrors errors = ValidateWorkloadSpec(object);
  FieldPath path("spec");
  const Json& spec = ObjectAt(object, {"spec"});
  IntField(errors, spec, "revisionHistoryLimit", path);
  const Json& strategy = ObjectAt(spec, {"strategy"});
  FieldPath strategy_path = path.Child("strategy");
  std::string type = StringAt(strategy, {"type"});
  const Json* rolling = Member(strategy, "rollingUpdate");
  bool has_rolling = rolling != nullptr && !rolling->is_null();
  if (type == "Recreate") {
    if (has_rolling) {
      errors.push_back(Forbidden(strategy_path.Child("rollingUpdate"),
                                 "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (type == "RollingUpdate") {
    if (!has_rolling) {
      errors.push_back(Required(strategy_path.Child("rollingUpdate"),
                                "this should be defaulted and never be nil"));
    } else {
      FieldPath rolling_path = strategy_path.Child("rollingUpdate");
      std::optional<int64_t> unavailable, surge;
      if (const Json* value = Member(*rolling, "maxUnavailable")) {
        unavailable = IntOrPercent(errors, *value, rolling_path.Child("maxUnavailable"));
      }
      if (const Json* value = Member(*rolling, "maxSurge")) {
        surge = IntOrPercent(errors, *value, rolling_path.Child("maxSurge"));
      }
      if (surge.value_or(0) == 0 && unavailable.value_or(0) == 0 && surge && unavailable) {
        errors.push_back(Invalid(rolling_path.Child("maxUnavailable"), (*rolling)["maxUnavailable"],
                                 "may not be 0 when `maxSurge` is 0"));
      }
    }
  } else {
    errors.push_back(
        NotSupported(strategy_path.Child("type"), type, {"Recreate", "RollingUpdate"}));
  }
  std::optional<int64_t> deadline = IntField(errors, spec, "progressDeadlineSeconds", path);
  std::optional<int64_t> min_ready = IntAt(spec, {"minReadySeconds"});
  if (deadline && *deadline <= min_ready.value_or(0)) {
    errors.push_back(Invalid(path.Child("progressDeadlineSeconds"), *deadline,
                             "must be greater than minReadySeconds"));
  }
  const Json* paused = Member(spec, "paused");
  if (paused != nullptr && !paused->is_null() && !paused->is_boolean()) {
    errors.push_back(Invalid(path.Child("paused"), *paused, "must be a boolean"));
  }
  return errors;
}

FieldErrors ValidateNode(const Json& node) {
  FieldErrors errors;
  FieldPath path = FieldPath("spec").Child("taints");
  const Json& taints = ArrayAt(node, {"spec", "taints"});
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < taints.size(); ++i) {
    FieldPath item = path.Index(i);
    std::string key = StringAt(taints[i], {"key"});
    AddSyntax(errors, item.Child("key"), key, IsQualifiedName(key));
    std::string value = StringAt(taints[i], {"value"});
    if (!value.empty()) AddSyntax(errors, item.Child("value"), value, IsValidLabelValue(value));
    CheckEnum(errors, taints[i], "effect", item, {"NoSchedule", "PreferNoSchedule", "NoExecute"},
              /*required=*/true);
    if (!seen.emplace(key, StringAt(taints[i], {"effect"})).second) {
      errors.push_back(Duplicate(item, taints[i]));
    }
  }
  const Json* unschedulable = MemberAt(node, {"spec", "unschedulable"});
  if (unschedulable != nullptr && !unschedulable->is_null() && !unschedulable->is_boolean()) {
    errors.push_back(
        Invalid(FieldPath("spec").Child("unschedulable"), *unschedulable, "must be a boolean"));
  }
  for (std::string_view section : {"capacity", "allocatable"}) {
    for (const auto& [name, value] : ObjectAt(node, {"status", section}).items()) {
      if (!Quantity::FromJson(value).ok()) {
        errors.push_back(
            Invalid(FieldPath("status").Child(section).Key(name), value, "must be a quantity"));
      }
    }
  }
  return errors;
}

FieldErrors ValidateEvent(const Json& event) {
  FieldErrors errors;
  std::string involved_namespace = StringAt(event, {"involvedObject", "namespace"});
  if (!involved_namespace.empty() && involved_namespace != NamespaceOf(event)) {
    errors.push_back(Invalid(FieldPath("involvedObject").Child("namespace"), involved_namespace,
                             "does not match event.namespace"));
  }
  CheckEnum(errors, event, "type", FieldPath(), {"Normal", "Warning"});
  IntField(errors, event, "count", FieldPath());
  return errors;
}

FieldErrors ValidateLease(const Json& lease) {
  FieldErrors errors;
  FieldPath path("spec");
  const Json& spec = ObjectAt(lease, {"spec"});
  std::optional<int64_t> duration = IntField(errors, spec, "leaseDurationSeconds", path, false);
  if (duration && *duration <= 0) {
    errors.push_back(
        Invalid(path.Child("leaseDurationSeconds"), *duration, "must be greater than 0"));
  }
  IntField(errors, spec, "leaseTransitions", path);
  return errors;
}

FieldErrors ValidateBinding(const Json& binding) {
  FieldErrors errors;
  FieldPath target("target");
  std::string kind = StringAt(binding, {"target", "kind"});
  if (!kind.empty() && kind != "Node")
    errors.push_back(NotSupported(target.Child("kind"), kind, {"Node"}));
  if (StringAt(binding, {"target", "name"}).empty())
    errors.push_back(Required(target.Child("name")));
  return errors;
}

NameCheck NameCheckFor(Kind kind) {
  return kind == Kind::kNamespace ? &IsDns1123Label : &IsDns1123Subdomain;
}

// The pod spec with what an update may change copied from `existing`.
Json MutablePodSpecFieldsFrom(Json spec, const Json& existing_spec) {
  for (std::string_view list : {"containers", "initContainers"}) {
    const Json& old_list = ArrayAt(existing_spec, {list});
    if (!spec.contains(list) || !spec[std::string(list)].is_array()) continue;
    Json& new_list = spec[std::string(list)];
    for (size_t i = 0; i < new_list.size() && i < old_list.size(); ++i) {
      if (new_list[i].is_object() && old_list[i].contains("image")) {
        new_list[i]["image"] = old_list[i]["image"];
      }
    }
  }
  for (std::string_view key : {"activeDeadlineSeconds", "terminationGracePeriodSeconds"}) {
    if (const Json* value = Member(existing_spec, key)) {
      spec[std::string(key)] = *value;
    } else {
      spec.erase(std::string(key));
    }
  }
  // Tolerations may only grow: the old ones must all still be there.
  const Json& old_tolerations = ArrayAt(existing_spec, {"tolerations"});
  const Json& new_tolerations = ArrayAt(spec, {"tolerations"});
  bool only_added = std::all_of(old_tolerations.begin(), old_tolerations.end(), [&](const Json& t) {
    return std::find(new_tolerations.begin(), new_tolerations.end(), t) != new_tolerations.end();
  });
  if (only_added) {
    if (const Json* value = Member(existing_spec, "tolerations")) {
      spec["tolerations"] = *value;
    } else {
      spec.erase("tolerations");
    }
  }
  return spec;
}

}  // namespace

FieldErrors ValidateLabels(const Json& labels, const FieldPath& path) {
  FieldErrors errors;
  if (!labels.is_object()) {
    if (!labels.is_null()) errors.push_back(Invalid(path, labels, "must be an object"));
    return errors;
  }
  for (const auto& [key, value] : labels.items()) {
    AddSyntax(errors, path, key, IsQualifiedName(key));
    if (!value.is_string()) {
      errors.push_back(Invalid(path, value, "label values must be strings"));
      continue;
    }
    AddSyntax(errors, path, value.get<std::string>(), IsValidLabelValue(value.get<std::string>()));
  }
  return errors;
}

FieldErrors ValidateLabelSelectorObject(const Json& selector, const FieldPath& path) {
  FieldErrors errors;
  if (!selector.is_object()) {
    errors.push_back(Invalid(path, selector, "must be an object"));
    return errors;
  }
  if (const Json* labels = Member(selector, "matchLabels")) {
    Add(errors, ValidateLabels(*labels, path.Child("matchLabels")));
  }
  const Json& expressions = ArrayAt(selector, {"matchExpressions"});
  for (size_t i = 0; i < expressions.size(); ++i) {
    FieldPath item = path.Child("matchExpressions").Index(i);
    std::string op = StringAt(expressions[i], {"operator"});
    const Json& values = ArrayAt(expressions[i], {"values"});
    if (op == "In" || op == "NotIn") {
      if (values.empty()) {
        errors.push_back(
            Required(item.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) {
        errors.push_back(Forbidden(item.Child("values"),
                                   "may not be specified when `operator` is 'Exists' or "
                                   "'DoesNotExist'"));
      }
    } else {
      errors.push_back(Invalid(item.Child("operator"), op, "not a valid selector operator"));
    }
    std::string key = StringAt(expressions[i], {"key"});
    AddSyntax(errors, item.Child("key"), key, IsQualifiedName(key));
  }
  return errors;
}

FieldErrors ValidatePodSpec(const Json& spec, const FieldPath& path) {
  FieldErrors errors;
  if (!spec.is_object()) {
    errors.push_back(Invalid(path, spec, "must be an object"));
    return errors;
  }
  for (std::string_view list : {"containers", "initContainers", "volumes", "tolerations"}) {
    IsArrayOrAbsent(errors, spec, list, path);
  }
  for (std::string_view object : {"nodeSelector", "affinity", "securityContext"}) {
    IsObjectOrAbsent(errors, spec, object, path);
  }
  std::set<std::string> volumes;
  Add(errors, ValidateVolumes(ArrayAt(spec, {"volumes"}), path.Child("volumes"), volumes));
  const Json& containers = ArrayAt(spec, {"containers"});
  if (containers.empty()) errors.push_back(Required(path.Child("containers")));
  std::set<std::string> container_names;
  Add(errors, ValidateContainers(containers, path.Child("containers"), volumes, container_names,
                                 /*probes_allowed=*/true));
  Add(errors, ValidateContainers(ArrayAt(spec, {"initContainers"}), path.Child("initContainers"),
                                 volumes, container_names, /*probes_allowed=*/false));
  CheckEnum(errors, spec, "restartPolicy", path, {"Always", "OnFailure", "Never"});
  CheckEnum(errors, spec, "dnsPolicy", path,
            {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  IntField(errors, spec, "terminationGracePeriodSeconds", path);
  if (std::optional<int64_t> deadline =
          IntField(errors, spec, "activeDeadlineSeconds", path, false);
      deadline && (*deadline < 1 || *deadline > 2147483647)) {
    errors.push_back(Invalid(path.Child("activeDeadlineSeconds"), *deadline,
                             "must be between 1 and 2147483647, inclusive"));
  }
  if (const Json* selector = Member(spec, "nodeSelector")) {
    Add(errors, ValidateLabels(*selector, path.Child("nodeSelector")));
  }
  std::string node_name = StringAt(spec, {"nodeName"});
  if (!node_name.empty())
    AddSyntax(errors, path.Child("nodeName"), node_name, IsDns1123Subdomain(node_name));
  Add(errors, ValidateTolerations(ArrayAt(spec, {"tolerations"}), path.Child("tolerations")));
  Add(errors, ValidateAffinity(ObjectAt(spec, {"affinity"}), path.Child("affinity")));
  return errors;
}

FieldErrors ValidateScale(const Json& scale) {
  FieldErrors errors = ValidateObjectMeta(scale, true, &IsDns1123Subdomain);
  IntField(errors, ObjectAt(scale, {"spec"}), "replicas", FieldPath("spec"));
  return errors;
}

FieldErrors ValidateDeleteOptions(const Json& options) {
  FieldErrors errors;
  const Json* policy = Member(options, "propagationPolicy");
  bool has_policy = policy != nullptr && !policy->is_null();
  const Json* orphan = Member(options, "orphanDependents");
  if (has_policy && orphan != nullptr && !orphan->is_null()) {
    errors.push_back(Invalid(FieldPath("propagationPolicy"), *policy,
                             "orphanDependents and deletionPropagation cannot be both set"));
  }
  if (has_policy && *policy != "Foreground" && *policy != "Background" && *policy != "Orphan") {
    errors.push_back(NotSupported(FieldPath("propagationPolicy"), *policy,
                                  {"Foreground", "Background", "Orphan", "nil"}));
  }
  const Json& dry_run = ArrayAt(options, {"dryRun"});
  for (const Json& value : dry_run) {
    if (value != "All") errors.push_back(NotSupported(FieldPath("dryRun"), value, {"All"}));
  }
  IntField(errors, options, "gracePeriodSeconds", FieldPath(), /*non_negative=*/false);
  return errors;
}

FieldErrors ValidateCreate(Kind kind, const Json& object) {
  const ResourceInfo& info = ResourceFor(kind);
  FieldErrors errors = ValidateObjectMeta(object, info.namespaced, NameCheckFor(kind));
  switch (kind) {
    case Kind::kPod:
      Add(errors, ValidatePodSpec(ObjectAt(object, {"spec"}), FieldPath("spec")));
      break;
    case Kind::kDeployment:
      Add(errors, ValidateDeployment(object));
      break;
    case Kind::kReplicaSet:
      Add(errors, ValidateWorkloadSpec(object));
      break;
    case Kind::kNode:
      Add(errors, ValidateNode(object));
      break;
    case Kind::kEvent:
      Add(errors, ValidateEvent(object));
      break;
    case Kind::kLease:
      Add(errors, ValidateLease(object));
      break;
    case Kind::kBinding:
      Add(errors, ValidateBinding(object));
      break;
    case Kind::kNamespace:
      break;
  }
  return errors;
}

FieldErrors ValidateUpdate(Kind kind, const Json& updated, const Json& existing) {
  FieldErrors errors = ValidateCreate(kind, updated);
  Add(errors, ValidateObjectMetaUpdate(updated, existing));
  if (kind == Kind::kDeployment || kind == Kind::kReplicaSet) {
    const Json* now = MemberAt(updated, {"spec", "selector"});
    const Json* before = MemberAt(existing, {"spec", "selector"});
    if (now != nullptr && before != nullptr && *now != *before) {
      errors.push_back(Invalid(FieldPath("spec").Child("selector"), *now, kImmutable));
    }
  }
  if (kind == Kind::kPod) {
    const Json& old_spec = ObjectAt(existing, {"spec"});
    if (MutablePodSpecFieldsFrom(ObjectAt(updated, {"spec"}), old_spec) != old_spec) {
      errors.push_back(Forbidden(
          FieldPath("spec"),
          "pod updates may not change fields other than `spec.containers[*].image`,"
          "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
          "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
          "be set to 1 if it was previously negative)"));
    }
  }
  return errors;
}

}  // namespace orch::api

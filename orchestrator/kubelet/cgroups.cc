#include "orchestrator/kubelet/cgroups.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace orch::kubelet {
namespace {

constexpr int64_t kCpuPeriodMicros = 100000;

bool WriteControlFile(const std::filesystem::path& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

std::string ReadControlFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

std::string CpuMaxValue(const std::optional<api::Quantity>& cpu_limit) {
  if (!cpu_limit || cpu_limit->IsZero()) return absl::StrCat("max ", kCpuPeriodMicros);
  // millicores * period / 1000, at least 1 ms as the kernel requires.
  const int64_t quota = std::max<int64_t>(cpu_limit->MilliValue() * kCpuPeriodMicros / 1000, 1000);
  return absl::StrCat(quota, " ", kCpuPeriodMicros);
}

std::string MemoryMaxValue(const std::optional<api::Quantity>& memory_limit) {
  if (!memory_limit || memory_limit->IsZero()) return "max";
  return absl::StrCat(memory_limit->Value());
}

Cgroups Cgroups::Detect(const std::filesystem::path& root, const std::string& node_name) {
  Cgroups cgroups;
  std::error_code error;
  if (!std::filesystem::exists(root / "cgroup.controllers", error)) {
    cgroups.reason_ =
        absl::StrCat("cgroup v2 is not mounted at ", root.string(), " (no cgroup.controllers)");
    return cgroups;
  }
  const std::string controllers = ReadControlFile(root / "cgroup.controllers");
  for (const char* needed : {"memory", "cpu"}) {
    std::vector<std::string> names = absl::StrSplit(controllers, absl::ByAnyChar(" \n"));
    if (std::find(names.begin(), names.end(), needed) == names.end()) {
      cgroups.reason_ =
          absl::StrCat("the ", needed, " controller is not delegated at ", root.string());
      return cgroups;
    }
  }
  // The kubelet's own cgroup sits beside the root's processes; the controllers must be
  // enabled for the children of both levels.
  const std::filesystem::path base = root / ("orch-kubelet-" + node_name);
  std::filesystem::create_directories(base, error);
  if (error || access(base.c_str(), W_OK) != 0) {
    cgroups.reason_ = absl::StrCat("cannot create ", base.string(), ": ", error.message());
    return cgroups;
  }
  if (!WriteControlFile(root / "cgroup.subtree_control", "+memory +cpu") ||
      !WriteControlFile(base / "cgroup.subtree_control", "+memory +cpu")) {
    cgroups.reason_ = absl::StrCat("cannot enable the memory and cpu controllers under ",
                                   root.string(), " (is the hierarchy delegated?)");
    return cgroups;
  }
  cgroups.enforced_ = true;
  cgroups.base_ = base;
  return cgroups;
}

absl::StatusOr<std::string> Cgroups::Prepare(const std::string& pod_uid,
                                             const std::string& container,
                                             const api::ResourceList& limits) {
  if (!enforced_) return std::string();
  const std::filesystem::path dir = base_ / absl::StrCat(pod_uid, "-", container);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", error.message()));
  auto limit = [&](const char* name) -> std::optional<api::Quantity> {
    auto found = limits.find(name);
    if (found == limits.end()) return std::nullopt;
    return found->second;
  };
  if (!WriteControlFile(dir / "memory.max", MemoryMaxValue(limit("memory"))) ||
      !WriteControlFile(dir / "cpu.max", CpuMaxValue(limit("cpu")))) {
    return absl::InternalError(absl::StrCat("cannot write the limits of ", dir.string()));
  }
  return dir.string();
}

bool Cgroups::OomKilled(const std::string& cgroup_dir) const {
  if (cgroup_dir.empty()) return false;
  const std::string events = ReadControlFile(std::filesystem::path(cgroup_dir) / "memory.events");
  for (absl::string_view line : absl::StrSplit(events, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    int64_t count = 0;
    if (fields.size() == 2 && fields[0] == "oom_kill" && absl::SimpleAtoi(fields[1], &count)) {
      return count > 0;
    }
  }
  return false;
}

void Cgroups::Remove(const std::string& cgroup_dir) const {
  if (cgroup_dir.empty()) return;
  rmdir(cgroup_dir.c_str());  // fails while processes remain; they are gone by now
}

}  // namespace orch::kubelet

// orch-apiserver-bench: requests/s and latency of a running orch-apiserver, over HTTP as every
// component talks to it (orchestrator_client, keep-alive connections).
//
//   orch-apiserver-bench --server http://127.0.0.1:6443 [--server-pid PID] [--json]
//
// Cases, in this order (each later case uses what an earlier one wrote):
//   create  --clients threads, each with its own Client (one keep-alive connection), create
//           --pods pods in namespace orch-bench between them;
//   get     --clients threads GET one of those pods for --duration;
//   list    --list-clients threads LIST the whole namespace (every pod, one answer) for
//           --list-duration;
//   watch   --watchers HTTP watches of namespace orch-bench-watch (a thread and a connection
//           each, from a resourceVersion so no initial list), then --watch-events pods created
//           one after another (at --watch-rate per second; 0: back to back); latency is from a
//           create being sent to its ADDED event at each watcher (as raftkv-bench's watch case).
// With --server-pid, the server's VmRSS and thread count are read from /proc before and after
// every case.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/config.h"

namespace {

using orch::api::Json;
using orch::client::Client;
using orch::client::ClientConfig;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kNamespace = "orch-bench";
constexpr std::string_view kWatchNamespace = "orch-bench-watch";

struct Flags {
  std::string server = "http://127.0.0.1:6443";
  int64_t server_pid = 0;
  int64_t clients = 8;
  int64_t pods = 10000;
  double duration_seconds = 5;
  int64_t list_clients = 2;
  double list_duration_seconds = 10;
  int64_t watchers = 1000;
  int64_t watch_events = 100;
  double watch_rate = 0;
  std::string only;  // comma-separated case names; "" = all
  bool json = false;
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--json") {
      flags.json = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    std::string value;
    if (equals != std::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    bool ok = true;
    if (name == "--server") {
      flags.server = value;
    } else if (name == "--only") {
      flags.only = value;
    } else if (name == "--server-pid") {
      ok = absl::SimpleAtoi(value, &flags.server_pid);
    } else if (name == "--clients") {
      ok = absl::SimpleAtoi(value, &flags.clients) && flags.clients > 0;
    } else if (name == "--pods") {
      ok = absl::SimpleAtoi(value, &flags.pods) && flags.pods > 0;
    } else if (name == "--duration") {
      ok = absl::SimpleAtod(value, &flags.duration_seconds);
    } else if (name == "--list-clients") {
      ok = absl::SimpleAtoi(value, &flags.list_clients) && flags.list_clients > 0;
    } else if (name == "--list-duration") {
      ok = absl::SimpleAtod(value, &flags.list_duration_seconds);
    } else if (name == "--watchers") {
      ok = absl::SimpleAtoi(value, &flags.watchers) && flags.watchers > 0;
    } else if (name == "--watch-events") {
      ok = absl::SimpleAtoi(value, &flags.watch_events) && flags.watch_events > 0;
    } else if (name == "--watch-rate") {
      ok = absl::SimpleAtod(value, &flags.watch_rate) && flags.watch_rate >= 0;
    } else {
      return false;
    }
    if (!ok) return false;
  }
  return true;
}

bool Wanted(const Flags& flags, std::string_view name) {
  if (flags.only.empty()) return true;
  for (absl::string_view wanted : absl::StrSplit(flags.only, ','))
    if (wanted == absl::string_view(name.data(), name.size())) return true;
  return false;
}

// What /proc says about the server process.
struct ProcessSample {
  double rss_mib = 0;
  int64_t threads = 0;
};

std::optional<ProcessSample> SampleProcess(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return std::nullopt;
  ProcessSample sample;
  std::string line;
  // Lines are "Key:\tvalue [unit]"; the unit of VmRSS is kB.
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t number = 0;
    if (!(fields >> key >> number)) continue;
    if (key == "VmRSS:") sample.rss_mib = static_cast<double>(number) / 1024.0;
    if (key == "Threads:") sample.threads = number;
  }
  return sample;
}

struct CaseResult {
  std::string name;
  int64_t operations = 0;  // requests, or event deliveries for watch
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  std::vector<int64_t> latencies_ns;
  std::optional<ProcessSample> before;
  std::optional<ProcessSample> after;

  double PerSecond() const { return seconds > 0 ? static_cast<double>(operations) / seconds : 0; }
  double PercentileMs(double fraction) {
    if (latencies_ns.empty()) return 0;
    std::sort(latencies_ns.begin(), latencies_ns.end());
    const size_t index =
        std::min(latencies_ns.size() - 1,
                 static_cast<size_t>(fraction * static_cast<double>(latencies_ns.size())));
    return static_cast<double>(latencies_ns[index]) / 1e6;
  }
};

CaseResult NamedResult(std::string name) {
  CaseResult result;
  result.name = std::move(name);
  return result;
}

// Latencies and errors of one worker thread, merged into the case once the thread ends.
struct WorkerTally {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string first_error;

  void Record(SteadyClock::time_point start, const absl::Status& status) {
    if (!status.ok()) {
      if (errors++ == 0) first_error = status.ToString();
      return;
    }
    latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count());
  }
};

void Merge(std::vector<WorkerTally>& tallies, CaseResult& result) {
  for (WorkerTally& tally : tallies) {
    result.operations += static_cast<int64_t>(tally.latencies_ns.size());
    result.latencies_ns.insert(result.latencies_ns.end(), tally.latencies_ns.begin(),
                               tally.latencies_ns.end());
    if (tally.errors > 0 && result.first_error.empty()) result.first_error = tally.first_error;
    result.errors += tally.errors;
  }
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

Json PodObject(std::string_view name) {
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"labels", {{"app", "orch-bench"}, {"tier", "backend"}}}}},
      {"spec",
       {{"containers",
         Json::array({{{"name", "main"},
                       {"image", "http-server"},
                       {"args", Json::array({"--port", "8080"})},
                       {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}})}}}};
}

absl::Status EnsureNamespace(Client& client, std::string_view name) {
  const Json namespace_object = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  absl::StatusOr<Json> created =
      client.Create(orch::api::ResourceFor(orch::api::Kind::kNamespace), "", namespace_object);
  if (created.ok()) return absl::OkStatus();
  absl::StatusOr<Json> existing =
      client.Get(orch::api::ResourceFor(orch::api::Kind::kNamespace), "", name);
  return existing.ok() ? absl::OkStatus() : created.status();
}

// Runs `threads` workers; worker i gets its own Client and tally.
template <typename Work>
void RunWorkers(const ClientConfig& config, int64_t threads, CaseResult& result, Work work) {
  std::vector<WorkerTally> tallies(static_cast<size_t>(threads));
  const SteadyClock::time_point start = SteadyClock::now();
  {
    std::vector<std::jthread> workers;
    for (int64_t i = 0; i < threads; ++i) {
      workers.emplace_back([&, i] {
        Client client(config);
        work(client, i, tallies[static_cast<size_t>(i)]);
      });
    }
  }
  result.seconds = SecondsSince(start);
  Merge(tallies, result);
}

CaseResult RunCreate(const ClientConfig& config, const Flags& flags) {
  CaseResult result = NamedResult(absl::StrCat("create (", flags.clients, " clients)"));
  std::atomic<int64_t> next{0};
  const auto& pods = orch::api::ResourceFor(orch::api::Kind::kPod);
  RunWorkers(config, flags.clients, result, [&](Client& client, int64_t, WorkerTally& tally) {
    for (int64_t i = next++; i < flags.pods; i = next++) {
      const Json pod = PodObject(absl::StrFormat("pod-%06d", i));
      const SteadyClock::time_point start = SteadyClock::now();
      tally.Record(start, client.Create(pods, kNamespace, pod).status());
    }
  });
  return result;
}

CaseResult RunGet(const ClientConfig& config, const Flags& flags) {
  CaseResult result = NamedResult(absl::StrCat("get one pod (", flags.clients, " clients)"));
  const auto& pods = orch::api::ResourceFor(orch::api::Kind::kPod);
  const auto end = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                            std::chrono::duration<double>(flags.duration_seconds));
  RunWorkers(config, flags.clients, result, [&](Client& client, int64_t, WorkerTally& tally) {
    while (SteadyClock::now() < end) {
      const SteadyClock::time_point start = SteadyClock::now();
      tally.Record(start, client.Get(pods, kNamespace, "pod-000000").status());
    }
  });
  return result;
}

CaseResult RunList(const ClientConfig& config, const Flags& flags) {
  CaseResult result =
      NamedResult(absl::StrCat("list ", flags.pods, " pods (", flags.list_clients, " clients)"));
  const auto& pods = orch::api::ResourceFor(orch::api::Kind::kPod);
  const auto end =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(flags.list_duration_seconds));
  RunWorkers(config, flags.list_clients, result, [&](Client& client, int64_t, WorkerTally& tally) {
    do {
      const SteadyClock::time_point start = SteadyClock::now();
      absl::StatusOr<Json> list = client.List(pods, kNamespace);
      absl::Status status = list.status();
      if (list.ok() &&
          static_cast<int64_t>(orch::api::ArrayAt(*list, {"items"}).size()) != flags.pods) {
        status = absl::InternalError(
            absl::StrCat("list had ", orch::api::ArrayAt(*list, {"items"}).size(), " pods"));
      }
      tally.Record(start, status);
    } while (SteadyClock::now() < end);
  });
  return result;
}

orch::client::ListOptions OnePage() {
  orch::client::ListOptions options;
  options.limit = 1;
  return options;
}

orch::client::WatchOptions WatchFrom(std::string resource_version) {
  orch::client::WatchOptions options;
  options.resource_version = std::move(resource_version);
  options.allow_bookmarks = false;
  return options;
}

// Send times of the watch case's creates, by the index in the pod's name; watchers read them.
class SendTimes {
 public:
  explicit SendTimes(int64_t count) : times_(static_cast<size_t>(count)) {}
  void Set(int64_t index, SteadyClock::time_point time) {
    times_[static_cast<size_t>(index)].store(time.time_since_epoch().count(),
                                             std::memory_order_release);
  }
  int64_t Get(int64_t index) const {
    return times_[static_cast<size_t>(index)].load(std::memory_order_acquire);
  }

 private:
  std::vector<std::atomic<SteadyClock::rep>> times_;
};

CaseResult RunWatch(const ClientConfig& config, const Flags& flags) {
  CaseResult result = NamedResult(absl::StrCat("watch fan-out (", flags.watchers, " watchers)"));
  const auto& pods = orch::api::ResourceFor(orch::api::Kind::kPod);
  Client writer(config);
  absl::StatusOr<Json> current = writer.List(pods, kWatchNamespace, OnePage());
  if (!current.ok()) {
    result.errors = 1;
    result.first_error = current.status().ToString();
    return result;
  }
  const std::string from = orch::api::StringAt(*current, {"metadata", "resourceVersion"});
  const std::string prefix = absl::StrCat("w", from, "-");

  SendTimes send_times(flags.watch_events);
  std::vector<WorkerTally> tallies(static_cast<size_t>(flags.watchers));
  std::atomic<int64_t> ready{0};
  std::atomic<SteadyClock::rep> last_delivery{0};
  SteadyClock::time_point first_send;
  {
    std::vector<std::jthread> watchers;
    for (int64_t w = 0; w < flags.watchers; ++w) {
      watchers.emplace_back([&, w] {
        WorkerTally& tally = tallies[static_cast<size_t>(w)];
        Client client(config);
        absl::StatusOr<std::unique_ptr<orch::client::WatchStream>> opened =
            client.Watch(pods, kWatchNamespace, WatchFrom(from));
        ++ready;
        if (!opened.ok()) {
          tally.Record(SteadyClock::now(), opened.status());
          return;
        }
        orch::client::WatchStream& stream = **opened;
        int64_t seen = 0;
        while (seen < flags.watch_events) {
          absl::StatusOr<std::optional<orch::client::WatchEvent>> event =
              stream.Next(absl::Now() + absl::Seconds(60));
          if (!event.ok() || !event->has_value()) {
            tally.Record(SteadyClock::now(),
                         event.ok() ? absl::AbortedError("watch ended") : event.status());
            return;
          }
          const SteadyClock::time_point arrived = SteadyClock::now();
          if ((*event)->type != "ADDED") continue;
          const std::string name = orch::api::StringAt((*event)->object, {"metadata", "name"});
          int64_t index = 0;
          if (!name.starts_with(prefix) ||
              !absl::SimpleAtoi(absl::string_view(name).substr(prefix.size()), &index) ||
              index < 0 || index >= flags.watch_events) {
            continue;
          }
          ++seen;
          const int64_t sent = send_times.Get(index);
          tally.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           arrived.time_since_epoch() - SteadyClock::duration(sent))
                                           .count());
          SteadyClock::rep previous = last_delivery.load();
          const SteadyClock::rep now = arrived.time_since_epoch().count();
          while (previous < now && !last_delivery.compare_exchange_weak(previous, now)) {
          }
        }
      });
    }
    while (ready.load() < flags.watchers)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Watch() returns once the answer's header arrived; give the server's watcher threads a
    // moment to reach the ring before the first write.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    result.before = SampleProcess(flags.server_pid);
    first_send = SteadyClock::now();
    for (int64_t i = 0; i < flags.watch_events; ++i) {
      if (flags.watch_rate > 0) {
        std::this_thread::sleep_until(
            first_send +
            std::chrono::duration_cast<SteadyClock::duration>(
                std::chrono::duration<double>(static_cast<double>(i) / flags.watch_rate)));
      }
      send_times.Set(i, SteadyClock::now());
      absl::Status created =
          writer.Create(pods, kWatchNamespace, PodObject(absl::StrCat(prefix, i))).status();
      if (!created.ok()) {
        result.errors++;
        if (result.first_error.empty()) result.first_error = created.ToString();
      }
    }
    // Watchers stop by themselves once they saw every event; a lost one ends at its deadline.
  }
  result.seconds = std::chrono::duration<double>(SteadyClock::duration(last_delivery.load()) -
                                                 first_send.time_since_epoch())
                       .count();
  Merge(tallies, result);
  return result;
}

Json ResultJson(CaseResult& result) {
  Json json = {{"case", result.name},
               {"operations", result.operations},
               {"errors", result.errors},
               {"seconds", result.seconds},
               {"per_second", result.PerSecond()},
               {"p50_ms", result.PercentileMs(0.50)},
               {"p99_ms", result.PercentileMs(0.99)},
               {"max_ms", result.PercentileMs(1.0)}};
  if (!result.first_error.empty()) json["first_error"] = result.first_error;
  if (result.before) {
    json["rss_mib_before"] = result.before->rss_mib;
    json["threads_before"] = result.before->threads;
  }
  if (result.after) {
    json["rss_mib_after"] = result.after->rss_mib;
    json["threads_after"] = result.after->threads;
  }
  return json;
}

void PrintTable(std::vector<CaseResult>& results) {
  std::cout << absl::StrFormat("%-34s %10s %10s %10s %7s %17s\n", "case", "per sec", "p50 ms",
                               "p99 ms", "errors", "server RSS MiB");
  for (CaseResult& result : results) {
    std::string rss = "-";
    if (result.before && result.after) {
      rss = absl::StrFormat("%.1f -> %.1f", result.before->rss_mib, result.after->rss_mib);
    }
    // A LIST of 10,000 pods takes seconds: two decimals below 100/s.
    std::cout << absl::StrFormat("%-34s %10.*f %10.3f %10.3f %7d %17s\n", result.name,
                                 result.PerSecond() < 100 ? 2 : 0, result.PerSecond(),
                                 result.PercentileMs(0.50), result.PercentileMs(0.99),
                                 result.errors, rss);
    if (!result.first_error.empty()) std::cout << "  first error: " << result.first_error << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::cerr << "usage: orch-apiserver-bench [--server URL] [--server-pid PID] [--clients N]\n"
                 "  [--pods N] [--duration S] [--list-clients N] [--list-duration S]\n"
                 "  [--watchers N] [--watch-events N] [--watch-rate PER_S] [--only create,get,"
                 "list,watch] [--json]\n";
    return 2;
  }
  absl::StatusOr<ClientConfig> config = orch::client::ParseServerUrl(flags.server);
  if (!config.ok()) {
    std::cerr << config.status() << "\n";
    return 2;
  }
  {
    Client setup(*config);
    for (std::string_view name : {kNamespace, kWatchNamespace}) {
      if (absl::Status status = EnsureNamespace(setup, name); !status.ok()) {
        std::cerr << "cannot create namespace " << name << ": " << status << "\n";
        return 1;
      }
    }
  }
  const std::optional<ProcessSample> at_start = SampleProcess(flags.server_pid);
  std::vector<CaseResult> results;
  auto run = [&](std::string_view name, auto body) {
    if (!Wanted(flags, name)) return;
    const std::optional<ProcessSample> before = SampleProcess(flags.server_pid);
    CaseResult result = body(*config, flags);
    if (!result.before) result.before = before;
    result.after = SampleProcess(flags.server_pid);
    results.push_back(std::move(result));
  };
  run("create", RunCreate);
  run("get", RunGet);
  run("list", RunList);
  run("watch", RunWatch);

  if (flags.json) {
    Json report = {{"server", flags.server}, {"cases", Json::array()}};
    if (at_start) report["server_rss_mib_at_start"] = at_start->rss_mib;
    for (CaseResult& result : results)
      report["cases"].push_back(ResultJson(result));
    std::cout << report.dump(2) << "\n";
  } else {
    PrintTable(results);
  }
  for (const CaseResult& result : results)
    if (result.errors > 0) return 1;
  return 0;
}

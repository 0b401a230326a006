#include "raftkv/server/server_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace raftkv::server {
namespace {

constexpr int kMaxElectionTimeoutMs = 50000;

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

struct RawFlags {
  std::string listen_client_urls = "http://localhost:2379";
  std::string advertise_client_urls = "http://localhost:2379";
  std::string listen_peer_urls = "http://localhost:2380";
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  std::string listen_metrics_urls;
  std::string initial_cluster;
  std::string initial_cluster_state = "new";
  int64_t heartbeat_ms = 100;
  int64_t election_ms = 1000;
  std::string auto_compaction_mode = "periodic";
  std::string auto_compaction_retention = "0";
};

void DefineFlags(CLI::App& app, ServerOptions& o, RawFlags& raw) {
  app.add_option("--name", o.name, "Human-readable name for this member.");
  app.add_option("--data-dir", o.data_dir, "Path to the data directory.");
  app.add_option("--wal-dir", o.wal_dir, "Path to the dedicated wal directory.");
  app.add_option("--listen-client-urls", raw.listen_client_urls,
                 "List of URLs to listen on for client traffic.");
  app.add_option("--advertise-client-urls", raw.advertise_client_urls,
                 "List of this member's client URLs to advertise to the public.");
  app.add_option("--listen-peer-urls", raw.listen_peer_urls,
                 "List of URLs to listen on for peer traffic.");
  app.add_option("--initial-advertise-peer-urls", raw.initial_advertise_peer_urls,
                 "List of this member's peer URLs to advertise to the rest of the cluster.");
  app.add_option("--listen-metrics-urls", raw.listen_metrics_urls,
                 "List of URLs to listen on for /metrics and /health.");
  app.add_option("--initial-cluster", raw.initial_cluster,
                 "Initial cluster configuration for bootstrapping.");
  app.add_option("--initial-cluster-state", raw.initial_cluster_state,
                 "Initial cluster state ('new' or 'existing').");
  app.add_option("--initial-cluster-token", o.initial_cluster_token,
                 "Initial cluster token for the cluster during bootstrap.");
  app.add_option("--snapshot-count", o.snapshot_count,
                 "Number of committed transactions to trigger a snapshot to disk.");
  app.add_option("--experimental-snapshot-catchup-entries", o.snapshot_catchup_entries,
                 "Number of entries for a slow follower to catch up after compacting the raft "
                 "storage entries.");
  app.add_option("--heartbeat-interval", raw.heartbeat_ms,
                 "Time (in milliseconds) of a heartbeat interval.");
  app.add_option("--election-timeout", raw.election_ms,
                 "Time (in milliseconds) for an election to timeout.");
  app.add_option("--quota-backend-bytes", o.quota_backend_bytes,
                 "Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB).");
  app.add_option("--max-request-bytes", o.max_request_bytes,
                 "Maximum client request size in bytes the server will accept.");
  app.add_option("--max-txn-ops", o.max_txn_ops,
                 "Maximum number of operations permitted in a transaction.");
  app.add_option("--auto-compaction-mode", raw.auto_compaction_mode,
                 "Interpret 'auto-compaction-retention' as 'periodic' or 'revision'.");
  app.add_option("--auto-compaction-retention", raw.auto_compaction_retention,
                 "Auto compaction retention (0 disables): a duration such as '1h' or a number "
                 "of hours for periodic, a number of revisions for revision mode.");
  app.add_option("--log-level", o.log_level, "debug, info, warn, error, panic, or fatal.");
  // Hidden (no group): robustness tests partition members through it.
  app.add_option("--experimental-fault-file", o.experimental_fault_file)->group("");
}

absl::Status ResolveUrls(const RawFlags& raw, ServerOptions& o) {
  struct Field {
    const char* flag;
    const std::string& text;
    std::vector<Url>& out;
  };
  Field fields[] = {
      {"listen-client-urls", raw.listen_client_urls, o.listen_client_urls},
      {"advertise-client-urls", raw.advertise_client_urls, o.advertise_client_urls},
      {"listen-peer-urls", raw.listen_peer_urls, o.listen_peer_urls},
      {"initial-advertise-peer-urls", raw.initial_advertise_peer_urls,
       o.initial_advertise_peer_urls},
  };
  for (auto& f : fields) {
    auto urls = ParseUrlList(f.text);
    if (!urls.ok()) return FlagError(f.flag, urls.status().message());
    f.out = *std::move(urls);
  }
  if (!raw.listen_metrics_urls.empty()) {
    auto urls = ParseUrlList(raw.listen_metrics_urls);
    if (!urls.ok()) return FlagError("listen-metrics-urls", urls.status().message());
    o.listen_metrics_urls = *std::move(urls);
  }
  return absl::OkStatus();
}

absl::Status ResolveTiming(const RawFlags& raw, ServerOptions& o) {
  if (raw.heartbeat_ms <= 0) return FlagError("heartbeat-interval", "must be positive");
  if (raw.election_ms < 5 * raw.heartbeat_ms) {
    return FlagError("election-timeout",
                     absl::StrCat("--election-timeout[", raw.election_ms,
                                  "ms] should be at least as 5 times as --heartbeat-interval[",
                                  raw.heartbeat_ms, "ms]"));
  }
  if (raw.election_ms > kMaxElectionTimeoutMs) {
    return FlagError("election-timeout", absl::StrCat("is too long, and should be set less than ",
                                                      kMaxElectionTimeoutMs, " ms"));
  }
  o.heartbeat_interval = std::chrono::milliseconds(raw.heartbeat_ms);
  o.election_timeout = std::chrono::milliseconds(raw.election_ms);
  return absl::OkStatus();
}

absl::Status ResolveCompaction(const RawFlags& raw, ServerOptions& o) {
  const std::string& r = raw.auto_compaction_retention;
  if (raw.auto_compaction_mode == "revision") {
    o.auto_compaction_mode = AutoCompactionMode::kRevision;
    if (!absl::SimpleAtoi(r, &o.auto_compaction_revisions) || o.auto_compaction_revisions < 0) {
      return FlagError("auto-compaction-retention", "must be a number of revisions");
    }
    return absl::OkStatus();
  }
  if (raw.auto_compaction_mode != "periodic") {
    return FlagError("auto-compaction-mode",
                     absl::StrCat("unknown auto-compaction-mode \"", raw.auto_compaction_mode,
                                  "\" (want periodic or revision)"));
  }
  o.auto_compaction_mode = AutoCompactionMode::kPeriodic;
  int64_t hours = 0;
  absl::Duration d;
  if (absl::SimpleAtoi(r, &hours) && hours >= 0) {
    d = absl::Hours(hours);
  } else if (!absl::ParseDuration(r, &d) || d < absl::ZeroDuration()) {
    return FlagError("auto-compaction-retention",
                     absl::StrCat("\"", r, "\" is neither a number of hours nor a duration"));
  }
  o.auto_compaction_period = std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
  return absl::OkStatus();
}

std::string JoinUrls(const std::vector<Url>& urls) {
  std::vector<std::string> s;
  for (const auto& u : urls)
    s.push_back(u.ToString());
  std::sort(s.begin(), s.end());
  return absl::StrJoin(s, ",");
}

absl::Status ResolveCluster(const RawFlags& raw, ServerOptions& o) {
  if (raw.initial_cluster_state == "new") {
    o.initial_cluster_state = ClusterState::kNew;
  } else if (raw.initial_cluster_state == "existing") {
    o.initial_cluster_state = ClusterState::kExisting;
  } else {
    return FlagError(
        "initial-cluster-state",
        absl::StrCat("unknown state \"", raw.initial_cluster_state, "\" (want new or existing)"));
  }
  std::string text = raw.initial_cluster.empty()
                         ? absl::StrCat(o.name, "=", JoinUrls(o.initial_advertise_peer_urls))
                         : raw.initial_cluster;
  auto cluster = ParseInitialCluster(text);
  if (!cluster.ok()) return FlagError("initial-cluster", cluster.status().message());
  o.initial_cluster = *std::move(cluster);
  auto self = o.initial_cluster.find(o.name);
  if (self == o.initial_cluster.end()) {
    return FlagError("initial-cluster", absl::StrCat("couldn't find local name \"", o.name,
                                                     "\" in the initial cluster configuration"));
  }
  if (JoinUrls(self->second) != JoinUrls(o.initial_advertise_peer_urls)) {
    return FlagError("initial-cluster",
                     absl::StrCat("--initial-cluster has ", o.name, "=", JoinUrls(self->second),
                                  " but missing from --initial-advertise-peer-urls=",
                                  JoinUrls(o.initial_advertise_peer_urls)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::vector<Url>>> ParseInitialCluster(
    const std::string& text) {
  std::map<std::string, std::vector<Url>> cluster;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is not of the form name=http://host:port"));
    }
    auto url = ParseUrl(kv.second);
    if (!url.ok()) return url.status();
    cluster[kv.first].push_back(*std::move(url));
  }
  if (cluster.empty()) return absl::InvalidArgumentError("empty initial cluster");
  return cluster;
}

absl::StatusOr<ServerOptions> ParseServerFlags(const std::vector<std::string>& args) {
  ServerOptions o;
  RawFlags raw;
  CLI::App app{"raftkv: a Raft-replicated key-value store that speaks etcd's v3 API"};
  DefineFlags(app, o, raw);
  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (o.data_dir.empty()) o.data_dir = o.name + ".etcd";
  if (o.quota_backend_bytes <= 0) o.quota_backend_bytes = int64_t{2} << 30;
  if (o.max_txn_ops == 0) return FlagError("max-txn-ops", "must be positive");
  for (auto* step : {&ResolveUrls, &ResolveTiming, &ResolveCompaction, &ResolveCluster}) {
    if (auto s = (*step)(raw, o); !s.ok()) return s;
  }
  return o;
}

}  // namespace raftkv::server

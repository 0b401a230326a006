#include "cluster_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

namespace raftkv::integration {
namespace {

namespace fs = std::filesystem;

constexpr milliseconds kPollInterval(20);
constexpr size_t kLogTailLines = 40;

std::shared_ptr<grpc::Channel> NewChannel(const std::string& host, int port) {
  grpc::ChannelArguments args;
  // A restarted member should be reachable soon, not after gRPC's default reconnect backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  args.SetMaxReceiveMessageSize(64 << 20);
  // One connection per channel: each LocalCluster channel is its own, never shared.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(host + ":" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

std::string TestDirName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "cluster";
  return name + "-" + std::to_string(::getpid());
}

std::string ReadFileFrom(const fs::path& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string LastLines(const std::string& text, size_t n) {
  size_t pos = text.size();
  for (size_t found = 0; pos > 0 && found <= n;) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    ++found;
  }
  return text.substr(pos + 1);
}

}  // namespace

int PickFreePort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    if (port > 0 && handed_out.insert(port).second) return port;
  }
}

std::string MemberSlot::ClientUrl() const {
  return "http://" + host + ":" + std::to_string(client_port);
}
std::string MemberSlot::PeerUrl() const {
  return "http://" + host + ":" + std::to_string(peer_port);
}

void ConfigureCall(grpc::ClientContext& context, milliseconds per_call) {
  context.set_deadline(std::chrono::system_clock::now() + per_call);
  // Without it, a call fails at once while the channel sits in reconnect backoff (seconds
  // after a member started or restarted, whatever the backoff arguments say).
  context.set_wait_for_ready(true);
}

std::string Describe(const grpc::Status& status) {
  return std::to_string(static_cast<int>(status.error_code())) + ": " + status.error_message();
}

LocalCluster::LocalCluster(ClusterOptions options)
    : options_(std::move(options)), root_(fs::path(RAFTKV_IT_TMP_DIR) / TestDirName()) {
  fs::remove_all(root_);
  fs::create_directories(root_);
}

LocalCluster::~LocalCluster() {
  for (size_t i = 0; i < size(); ++i)
    Kill(i, SIGKILL);
  const bool failed = ::testing::Test::HasFailure();
  if (failed) PrintLogTails();
  if (!failed || std::getenv("RAFTKV_IT_KEEP_DATA") == nullptr) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

size_t LocalCluster::NewSlot(const std::string& name, const std::string& token) {
  MemberSlot s;
  s.name = name;
  s.client_port = PickFreePort();
  s.peer_port = PickFreePort();
  s.data_dir = root_ / name;
  s.log_path = root_ / (name + ".log");
  if (options_.fault_files) s.fault_file = root_ / (name + ".faults");
  s.token = token;
  if (options_.member_host) s.host = options_.member_host(name);
  s.channel = NewChannel(s.host, s.client_port);
  std::lock_guard<std::mutex> lock(mu_);
  slots_.push_back(std::move(s));
  return slots_.size() - 1;
}

::testing::AssertionResult LocalCluster::Start(Deadline deadline) {
  std::vector<size_t> initial;
  for (int i = 0; i < options_.members; ++i)
    initial.push_back(NewSlot("m" + std::to_string(next_name_++), options_.token));
  std::string cluster;
  for (size_t i : initial) {
    MemberSlot s = slot(i);
    cluster += (cluster.empty() ? "" : ",") + s.name + "=" + s.PeerUrl();
  }
  for (size_t i : initial) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      slots_[i].initial_cluster = cluster;
    }
    Spawn(i);
  }
  if (!WaitForLeader(deadline)) return ::testing::AssertionFailure() << "no leader elected";
  return ::testing::AssertionSuccess();
}

void LocalCluster::Spawn(size_t i) {
  MemberSlot s = slot(i);
  std::vector<std::string> args = {
      RAFTKV_BINARY,
      "--name=" + s.name,
      "--data-dir=" + s.data_dir.string(),
      "--listen-client-urls=" + s.ClientUrl(),
      "--advertise-client-urls=" + s.ClientUrl(),
      "--listen-peer-urls=" + s.PeerUrl(),
      "--initial-advertise-peer-urls=" + s.PeerUrl(),
      "--initial-cluster=" + s.initial_cluster,
      "--initial-cluster-state=" + s.initial_state,
      "--initial-cluster-token=" + s.token,
      "--snapshot-count=" + std::to_string(options_.snapshot_count),
      "--heartbeat-interval=" + std::to_string(options_.heartbeat_ms),
      "--election-timeout=" + std::to_string(options_.election_ms),
  };
  args.insert(args.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  if (!s.fault_file.empty()) args.push_back("--experimental-fault-file=" + s.fault_file.string());
  if (options_.member_launcher) {
    std::vector<std::string> launcher = options_.member_launcher(s.name);
    args.insert(args.begin(), launcher.begin(), launcher.end());
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // The extra variables first: getenv takes the first of duplicate names.
  std::vector<std::string> environment;
  if (options_.member_environment) environment = options_.member_environment(s);
  for (char** variable = environ; *variable != nullptr; ++variable)
    environment.emplace_back(*variable);
  std::vector<char*> envp;
  for (auto& variable : environment)
    envp.push_back(variable.data());
  envp.push_back(nullptr);
  const std::string log_path = s.log_path.string();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the parent has gRPC threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log < 0) ::_exit(127);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  std::lock_guard<std::mutex> lock(mu_);
  slots_[i].pid = pid;
}

size_t LocalCluster::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

MemberSlot LocalCluster::slot(size_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.at(i);
}

void LocalCluster::ReapIfExited(MemberSlot& s) {
  if (s.pid <= 0) return;
  int status = 0;
  if (::waitpid(s.pid, &status, WNOHANG) == s.pid) s.pid = -1;
}

bool LocalCluster::IsRunning(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapIfExited(slots_.at(i));
  return slots_[i].pid > 0;
}

void LocalCluster::Kill(size_t i, int signal) {
  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid = slots_.at(i).pid;
    slots_[i].pid = -1;
  }
  if (pid <= 0) return;
  ::kill(pid, signal);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

void LocalCluster::Restart(size_t i) {
  Kill(i, SIGKILL);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A fresh channel: the old one may sit in reconnect backoff from the killed process.
    slots_.at(i).channel = NewChannel(slots_[i].host, slots_[i].client_port);
  }
  Spawn(i);
}

void LocalCluster::Pause(size_t i) {
  pid_t pid = slot(i).pid;
  if (pid > 0) ::kill(pid, SIGSTOP);
}

void LocalCluster::Resume(size_t i) {
  pid_t pid = slot(i).pid;
  if (pid > 0) ::kill(pid, SIGCONT);
}

void LocalCluster::SetFaultRules(size_t i, const std::string& rules) {
  const fs::path path = slot(i).fault_file;
  if (path.empty()) std::abort();  // a test bug: ClusterOptions::fault_files is off
  // Written aside and renamed, so that the member never reads half a file.
  const fs::path staging = path.string() + ".new";
  {
    std::ofstream out(staging, std::ios::trunc);
    out << rules;
  }
  fs::rename(staging, path);
}

std::optional<int> LocalCluster::WaitForExit(size_t i, Deadline deadline) {
  pid_t pid = slot(i).pid;
  if (pid <= 0) return std::nullopt;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::lock_guard<std::mutex> lock(mu_);
      slots_[i].pid = -1;
      return status;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

size_t LocalCluster::StartStranger(const std::string& token) {
  size_t i = NewSlot("stranger" + std::to_string(next_name_++), token);
  std::string cluster;
  for (size_t r : RunningMembers()) {
    MemberSlot s = slot(r);
    cluster += s.name + "=" + s.PeerUrl() + ",";
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[i].initial_cluster = cluster + slots_[i].name + "=" + slots_[i].PeerUrl();
    // Not part of the cluster: no client traffic goes to it.
    slots_[i].removed = true;
  }
  Spawn(i);
  return i;
}

std::vector<size_t> LocalCluster::RunningMembers() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> running;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].pid > 0 && !slots_[i].removed) running.push_back(i);
  }
  return running;
}

void LocalCluster::RememberId(size_t i, uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (id != 0) slots_.at(i).id = id;
}

std::optional<size_t> LocalCluster::IndexOfId(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].id == id && id != 0) return i;
  }
  return std::nullopt;
}

grpc::Status LocalCluster::Status(size_t i, etcdserverpb::StatusResponse* response,
                                  milliseconds per_call) {
  auto stub = etcdserverpb::Maintenance::NewStub(ChannelTo(i));
  grpc::ClientContext context;
  ConfigureCall(context, per_call);
  grpc::Status status = stub->Status(&context, etcdserverpb::StatusRequest(), response);
  if (status.ok()) RememberId(i, response->header().member_id());
  return status;
}

std::optional<uint64_t> LocalCluster::LeaderSeenBy(size_t i) {
  etcdserverpb::StatusResponse response;
  if (!Status(i, &response, milliseconds(500)).ok()) return std::nullopt;
  return response.leader();
}

std::optional<size_t> LocalCluster::WaitForLeader(Deadline deadline) {
  for (;;) {
    std::set<uint64_t> leaders;
    bool all_answered = true;
    std::vector<size_t> running = RunningMembers();
    for (size_t i : running) {
      std::optional<uint64_t> leader = LeaderSeenBy(i);
      if (!leader) {
        all_answered = false;
        break;
      }
      leaders.insert(*leader);
    }
    if (all_answered && leaders.size() == 1 && *leaders.begin() != 0) {
      std::optional<size_t> index = IndexOfId(*leaders.begin());
      if (index && std::count(running.begin(), running.end(), *index) > 0) return index;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::vector<ClientTarget> LocalCluster::ClientTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ClientTarget> targets;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const MemberSlot& s = slots_[i];
    if (s.pid > 0 && !s.removed && !s.learner) targets.push_back({i, s.channel});
  }
  return targets;
}

std::shared_ptr<grpc::Channel> LocalCluster::ChannelTo(size_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.at(i).channel;
}

grpc::Status LocalCluster::Put(const std::string& key, const std::string& value, Deadline deadline,
                               milliseconds per_call) {
  static std::atomic<size_t> rotation{0};
  grpc::Status last(grpc::StatusCode::DEADLINE_EXCEEDED, "no member to send to");
  while (Clock::now() < deadline) {
    std::vector<ClientTarget> targets = ClientTargets();
    if (targets.empty()) {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    const ClientTarget& target = targets[rotation++ % targets.size()];
    auto stub = etcdserverpb::KV::NewStub(target.channel);
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    etcdserverpb::PutResponse response;
    grpc::ClientContext context;
    ConfigureCall(context, std::min(per_call, std::chrono::duration_cast<milliseconds>(
                                                  deadline - Clock::now() + milliseconds(1))));
    last = stub->Put(&context, request, &response);
    if (last.ok()) return last;
  }
  return last;
}

grpc::Status LocalCluster::KeysWithPrefix(size_t i, const std::string& prefix, Deadline deadline,
                                          std::vector<std::string>* keys, int64_t* revision) {
  auto stub = etcdserverpb::KV::NewStub(ChannelTo(i));
  etcdserverpb::RangeRequest request;
  request.set_key(prefix);
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  request.set_range_end(end);
  request.set_keys_only(true);
  etcdserverpb::RangeResponse response;
  grpc::ClientContext context;
  ConfigureCall(
      context, std::chrono::duration_cast<milliseconds>(deadline - Clock::now() + milliseconds(1)));
  grpc::Status status = stub->Range(&context, request, &response);
  if (!status.ok()) return status;
  keys->clear();
  for (const auto& kv : response.kvs())
    keys->push_back(kv.key());
  if (revision) *revision = response.header().revision();
  return status;
}

::testing::AssertionResult LocalCluster::HasAllKeys(size_t i, const std::string& prefix,
                                                    const std::vector<std::string>& keys,
                                                    Deadline deadline) {
  std::vector<std::string> present;
  grpc::Status status;
  do {
    status = KeysWithPrefix(i, prefix, In(milliseconds(2000)), &present, nullptr);
    if (!status.ok()) std::this_thread::sleep_for(kPollInterval);
  } while (!status.ok() && Clock::now() < deadline);
  if (!status.ok()) {
    return ::testing::AssertionFailure()
           << "member " << slot(i).name
           << " cannot serve a linearizable Range: " << Describe(status);
  }
  std::set<std::string> found(present.begin(), present.end());
  std::vector<std::string> missing;
  for (const auto& k : keys) {
    if (!found.count(k)) missing.push_back(k);
  }
  if (missing.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << missing.size() << " of " << keys.size() << " acknowledged keys missing on member "
          << slot(i).name << ", e.g.";
  for (size_t k = 0; k < std::min<size_t>(5, missing.size()); ++k)
    failure << " " << missing[k];
  return failure;
}

::testing::AssertionResult LocalCluster::WaitForSameHash(const std::vector<size_t>& members,
                                                         Deadline deadline, int64_t* revision) {
  std::vector<std::string> unused;
  int64_t rev = 0;
  grpc::Status status;
  do {
    status = KeysWithPrefix(members.front(), "\x01", In(milliseconds(2000)), &unused, &rev);
  } while (!status.ok() && Clock::now() < deadline);
  if (!status.ok()) {
    return ::testing::AssertionFailure() << "no current revision: " << Describe(status);
  }
  std::string last_problem;
  for (;;) {
    std::set<uint32_t> hashes;
    last_problem.clear();
    for (size_t i : members) {
      auto stub = etcdserverpb::Maintenance::NewStub(ChannelTo(i));
      etcdserverpb::HashKVRequest request;
      request.set_revision(rev);
      etcdserverpb::HashKVResponse response;
      grpc::ClientContext context;
      ConfigureCall(context, milliseconds(2000));
      grpc::Status s = stub->HashKV(&context, request, &response);
      if (!s.ok()) {
        last_problem = "member " + slot(i).name + ": " + Describe(s);
        break;
      }
      hashes.insert(response.hash());
    }
    if (last_problem.empty() && hashes.size() == 1) {
      if (revision) *revision = rev;
      return ::testing::AssertionSuccess();
    }
    if (last_problem.empty()) last_problem = std::to_string(hashes.size()) + " different hashes";
    if (Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "no agreement on HashKV at revision " << rev << ": " << last_problem;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
}

grpc::Status LocalCluster::OnAnyVoter(
    Deadline deadline, const std::function<grpc::Status(etcdserverpb::Cluster::Stub&)>& call) {
  grpc::Status last(grpc::StatusCode::DEADLINE_EXCEEDED, "no member to send to");
  size_t attempt = 0;
  while (Clock::now() < deadline) {
    std::vector<ClientTarget> targets = ClientTargets();
    if (targets.empty()) break;
    auto stub = etcdserverpb::Cluster::NewStub(targets[attempt++ % targets.size()].channel);
    last = call(*stub);
    // Only a member that could not get an answer from the cluster is worth trying again;
    // any other outcome is the cluster's answer.
    if (last.error_code() != grpc::StatusCode::UNAVAILABLE &&
        last.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return last;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return last;
}

::testing::AssertionResult LocalCluster::AddMember(bool learner, Deadline deadline, size_t* index) {
  size_t i = NewSlot("m" + std::to_string(next_name_++), options_.token);
  MemberSlot s = slot(i);
  etcdserverpb::MemberAddResponse response;
  grpc::Status status = OnAnyVoter(deadline, [&](etcdserverpb::Cluster::Stub& stub) {
    etcdserverpb::MemberAddRequest request;
    request.add_peerurls(s.PeerUrl());
    request.set_islearner(learner);
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(3000));
    return stub.MemberAdd(&context, request, &response);
  });
  if (!status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[i].removed = true;  // never part of the cluster
    return ::testing::AssertionFailure() << "MemberAdd: " << Describe(status);
  }
  // --initial-cluster: every member of the response, named as this harness named them.
  std::string cluster;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[i].id = response.member().id();
    slots_[i].learner = learner;
    slots_[i].initial_state = "existing";
    for (const auto& m : response.members()) {
      for (const auto& other : slots_) {
        if (m.peerurls_size() > 0 && other.PeerUrl() == m.peerurls(0)) {
          cluster += (cluster.empty() ? "" : ",") + other.name + "=" + other.PeerUrl();
        }
      }
    }
    slots_[i].initial_cluster = cluster;
  }
  if (cluster.find(s.PeerUrl()) == std::string::npos) {
    return ::testing::AssertionFailure() << "the new member is not in MemberAdd's member list";
  }
  Spawn(i);
  *index = i;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult LocalCluster::PromoteMember(size_t i, Deadline deadline) {
  const uint64_t id = slot(i).id;
  grpc::Status status;
  for (;;) {
    status = OnAnyVoter(deadline, [&](etcdserverpb::Cluster::Stub& stub) {
      etcdserverpb::MemberPromoteRequest request;
      request.set_id(id);
      etcdserverpb::MemberPromoteResponse response;
      grpc::ClientContext context;
      ConfigureCall(context, milliseconds(3000));
      return stub.MemberPromote(&context, request, &response);
    });
    const bool not_ready =
        status.error_message().find("which is in sync with leader") != std::string::npos;
    if (!not_ready || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  if (!status.ok()) return ::testing::AssertionFailure() << "MemberPromote: " << Describe(status);
  std::lock_guard<std::mutex> lock(mu_);
  slots_[i].learner = false;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult LocalCluster::RemoveMember(size_t i, Deadline deadline) {
  const uint64_t id = slot(i).id;
  {
    // Client traffic stops going to it now: it is about to leave.
    std::lock_guard<std::mutex> lock(mu_);
    slots_[i].removed = true;
  }
  grpc::Status status = OnAnyVoter(deadline, [&](etcdserverpb::Cluster::Stub& stub) {
    etcdserverpb::MemberRemoveRequest request;
    request.set_id(id);
    etcdserverpb::MemberRemoveResponse response;
    grpc::ClientContext context;
    ConfigureCall(context, milliseconds(3000));
    return stub.MemberRemove(&context, request, &response);
  });
  if (!status.ok()) return ::testing::AssertionFailure() << "MemberRemove: " << Describe(status);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult LocalCluster::MemberIds(size_t i, std::vector<uint64_t>* ids) {
  auto stub = etcdserverpb::Cluster::NewStub(ChannelTo(i));
  etcdserverpb::MemberListRequest request;
  etcdserverpb::MemberListResponse response;
  grpc::ClientContext context;
  ConfigureCall(context, milliseconds(2000));
  grpc::Status status = stub->MemberList(&context, request, &response);
  if (!status.ok()) return ::testing::AssertionFailure() << "MemberList: " << Describe(status);
  ids->clear();
  for (const auto& m : response.members())
    ids->push_back(m.id());
  std::sort(ids->begin(), ids->end());
  return ::testing::AssertionSuccess();
}

size_t LocalCluster::LogSize(size_t i) const {
  std::error_code ec;
  auto n = fs::file_size(slot(i).log_path, ec);
  return ec ? 0 : static_cast<size_t>(n);
}

std::string LocalCluster::LogSince(size_t i, size_t offset) const {
  return ReadFileFrom(slot(i).log_path, offset);
}

void LocalCluster::PrintLogTails() const {
  for (size_t i = 0; i < size(); ++i) {
    MemberSlot s = slot(i);
    std::cerr << "----- last lines of " << s.log_path.string() << "\n"
              << LastLines(ReadFileFrom(s.log_path, 0), kLogTailLines) << "\n";
  }
}

}  // namespace raftkv::integration

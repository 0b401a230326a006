// Leader election across three processes with raftkv::concurrency::Election (the same keys
// as `etcdctl elect`).
//
//   leader_election <work-dir>
//     starts a one-member cluster serving gRPC, runs three candidate processes (this program
//     again, in candidate mode), and checks that each led exactly once and never two at a
//     time.
//   leader_election --candidate NAME ENDPOINT
//     campaigns, leads for a moment (recording its term under the leader's guard), resigns.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"
#include "raftkv/client.h"
#include "raftkv/concurrency/election.h"
#include "raftkv/concurrency/session.h"
#include "raftkv/embedded_member.h"

namespace {

constexpr char kElection[] = "example-election";

int Candidate(const std::string& name, const std::string& endpoint) {
  auto kv = raftkv::Connect({.endpoints = {endpoint}});
  if (!kv.ok()) return 1;
  auto session = raftkv::concurrency::Session::Create(**kv, {.ttl_seconds = 5});
  if (!session.ok()) return 1;
  raftkv::concurrency::Election election(**session, kElection);
  if (auto s = election.Campaign(name, raftkv::Within(std::chrono::seconds(30))); !s.ok()) {
    std::fprintf(stderr, "%s: campaign: %s\n", name.c_str(), s.ToString().c_str());
    return 1;
  }
  std::printf("%s leads\n", name.c_str());
  // While leading: claim /leading, which must be free (nobody else leads), then free it.
  raftkv::TxnRequest claim;
  claim.compare = {raftkv::Compare::CreateRevision("/leading", raftkv::Compare::Result::kEqual, 0)};
  claim.success = {raftkv::Op::Put("/leading", name), raftkv::Op::Put("/led/" + name, "yes")};
  auto claimed = (*kv)->Txn(claim);
  if (!claimed.ok() || !claimed->succeeded) {
    std::fprintf(stderr, "%s: two leaders at once\n", name.c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (!(*kv)->Delete("/leading").ok()) return 1;
  if (!election.Resign().ok()) return 1;
  std::printf("%s resigned\n", name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--candidate") == 0) return Candidate(argv[2], argv[3]);

  const std::filesystem::path dir = argc > 1 ? argv[1] : "leader-election";
  std::filesystem::remove_all(dir);
  raftkv::MemberOptions options;
  options.data_dir = (dir / "member").string();
  options.listen_peer_urls = {"http://127.0.0.1:" + std::to_string(examples::FreePort())};
  const std::string endpoint = "127.0.0.1:" + std::to_string(examples::FreePort());
  options.listen_client_urls = {"http://" + endpoint};
  auto member = raftkv::EmbeddedMember::Start(options);
  if (!member.ok()) return 1;

  std::vector<pid_t> candidates;
  for (const char* name : {"alice", "bob", "carol"}) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/proc/self/exe", argv[0], "--candidate", name, endpoint.c_str(), nullptr);
      ::_exit(127);
    }
    candidates.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : candidates) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  auto led = (*member)->kv().Get("/led/", raftkv::WithPrefix("/led/"));
  if (failures != 0 || !led.ok() || led->kvs.size() != 3) {
    std::fprintf(stderr, "election failed: %d candidates failed\n", failures);
    return 1;
  }
  std::printf("each of the 3 candidates led once, one at a time\n");
  (*member)->Stop();
  return 0;
}

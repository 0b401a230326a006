// A client program: starts a 3-member cluster (embedded members serving etcd's gRPC API on
// local ports, as three `raftkv` processes would), connects to it with raftkv::Connect and
// uses put, get, watch and txn.
//
//   client_basics <work-dir>

#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "free_port.h"
#include "raftkv/client.h"
#include "raftkv/embedded_member.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "client-basics";
  std::filesystem::remove_all(dir);

  // The cluster.
  std::vector<raftkv::MemberOptions> options(3);
  std::map<std::string, std::vector<std::string>> initial_cluster;
  raftkv::ClientOptions client;
  for (int i = 0; i < 3; ++i) {
    options[i].name = "m" + std::to_string(i);
    options[i].data_dir = (dir / options[i].name).string();
    options[i].listen_peer_urls = {"http://127.0.0.1:" + std::to_string(examples::FreePort())};
    const std::string client_url = "http://127.0.0.1:" + std::to_string(examples::FreePort());
    options[i].listen_client_urls = {client_url};
    options[i].heartbeat_interval = std::chrono::milliseconds(50);
    options[i].election_timeout = std::chrono::milliseconds(500);
    initial_cluster[options[i].name] = options[i].listen_peer_urls;
    client.endpoints.push_back(client_url);
  }
  std::vector<std::unique_ptr<raftkv::EmbeddedMember>> members(3);
  std::vector<std::thread> starting;
  for (int i = 0; i < 3; ++i) {
    options[i].initial_cluster = initial_cluster;
    starting.emplace_back([&, i] {
      auto member = raftkv::EmbeddedMember::Start(options[i]);
      if (member.ok()) members[i] = std::move(*member);
    });
  }
  for (auto& t : starting)
    t.join();
  for (auto& m : members) {
    if (!m) return 1;
  }

  {
    // The client: one line to connect, then the etcd API in plain C++.
    auto kv = raftkv::Connect(client);
    if (!kv.ok()) return Fail("connect", kv.status());

    // Watch a prefix; events arrive on the watch's thread.
    auto watcher =
        (*kv)->Watch("/app/", {.range_end = raftkv::PrefixEnd("/app/")},
                     [](const raftkv::WatchResponse& response) {
                       for (const auto& e : response.events) {
                         std::printf("watch: %s %s = %s (rev %lld)\n",
                                     e.type == raftkv::WatchEvent::Type::kPut ? "PUT" : "DELETE",
                                     e.kv.key.c_str(), e.kv.value.c_str(),
                                     static_cast<long long>(e.kv.mod_revision));
                       }
                     });
    if (!watcher.ok()) return Fail("watch", watcher.status());

    auto put = (*kv)->Put("/app/config", "v1");
    if (!put.ok()) return Fail("put", put.status());
    auto get = (*kv)->Get("/app/config");
    if (!get.ok()) return Fail("get", get.status());
    const raftkv::KeyValue& current = get->kvs.at(0);
    std::printf("get: %s = %s (mod_revision %lld)\n", current.key.c_str(), current.value.c_str(),
                static_cast<long long>(current.mod_revision));

    // Compare-and-swap: update only if nobody changed the key since we read it.
    raftkv::TxnRequest cas;
    cas.compare = {raftkv::Compare::ModRevision("/app/config", raftkv::Compare::Result::kEqual,
                                                current.mod_revision)};
    cas.success = {raftkv::Op::Put("/app/config", "v2")};
    cas.failure = {raftkv::Op::Get("/app/config")};
    auto txn = (*kv)->Txn(cas);
    if (!txn.ok()) return Fail("txn", txn.status());
    std::printf("txn: %s\n", txn->succeeded ? "swapped v1 -> v2" : "lost the race");
    auto stale = (*kv)->Txn(cas);  // the same compare again: now stale
    if (!stale.ok() || stale->succeeded) return 1;
    std::printf("txn again: compare failed, current value %s\n",
                stale->responses.at(0).get.kvs.at(0).value.c_str());

    auto deleted = (*kv)->Delete("/app/config");
    if (!deleted.ok()) return Fail("delete", deleted.status());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the watch print
  }
  for (auto& m : members)
    m->Stop();
  return 0;
}

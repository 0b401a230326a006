// Three raftkv members inside one process: start them, write through one, read the write on
// every member (linearizably), watch from another, then stop them cleanly.
//
//   embedded_cluster <work-dir>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"
#include "raftkv/embedded_member.h"

namespace {

// A free TCP port on 127.0.0.1 (bind port 0, read it back).
}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "embedded-cluster";
  std::filesystem::remove_all(dir);

  // The same options as `raftkv --name m0 --initial-cluster m0=...,m1=...,m2=...`.
  std::vector<raftkv::MemberOptions> options(3);
  std::map<std::string, std::vector<std::string>> initial_cluster;
  for (int i = 0; i < 3; ++i) {
    options[i].name = "m" + std::to_string(i);
    options[i].data_dir = (dir / options[i].name).string();
    options[i].listen_peer_urls = {"http://127.0.0.1:" + std::to_string(examples::FreePort())};
    options[i].heartbeat_interval = std::chrono::milliseconds(50);
    options[i].election_timeout = std::chrono::milliseconds(500);
    initial_cluster[options[i].name] = options[i].listen_peer_urls;
  }
  // Members of a new cluster wait for each other: start them side by side.
  std::vector<std::unique_ptr<raftkv::EmbeddedMember>> members(3);
  std::vector<std::thread> starting;
  for (int i = 0; i < 3; ++i) {
    options[i].initial_cluster = initial_cluster;
    starting.emplace_back([&, i] {
      auto member = raftkv::EmbeddedMember::Start(options[i]);
      if (!member.ok()) {
        std::fprintf(stderr, "start %d: %s\n", i, member.status().ToString().c_str());
        return;
      }
      members[i] = std::move(*member);
    });
  }
  for (auto& t : starting)
    t.join();
  for (auto& m : members) {
    if (!m) return 1;
  }

  // Watch on m2 what is written through m0.
  auto watcher = members[2]->kv().Watch("greeting");
  if (!watcher.ok()) return 1;
  auto put = members[0]->kv().Put("greeting", "hello from m0");
  if (!put.ok()) {
    std::fprintf(stderr, "put: %s\n", put.status().ToString().c_str());
    return 1;
  }
  std::printf("put at revision %lld\n", static_cast<long long>(put->header.revision));
  for (auto& m : members) {
    auto got = m->kv().Get("greeting");  // linearizable: sees the put on every member
    if (!got.ok() || got->kvs.size() != 1) return 1;
    std::printf("member %llx reads: %s\n", static_cast<unsigned long long>(m->id()),
                got->kvs[0].value.c_str());
  }
  for (;;) {
    auto response = (*watcher)->Next(raftkv::Within(std::chrono::seconds(5)));
    if (!response.ok()) return 1;
    if (!response->events.empty()) {
      std::printf("m2 watched: %s = %s\n", response->events[0].kv.key.c_str(),
                  response->events[0].kv.value.c_str());
      break;
    }
  }
  auto list = members[1]->MemberList();
  if (!list.ok() || list->size() != 3) return 1;
  std::printf("cluster of %zu members\n", list->size());

  watcher->reset();  // watches end before their member
  for (auto& m : members)
    m->Stop();
  return 0;
}

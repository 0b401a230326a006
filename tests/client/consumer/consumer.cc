// Embedded member through OpenKV, from an installed raftkv: put, then get it back.
#include <cstdio>
#include <string>

#include "raftkv/open.h"
#include "raftkv/raft.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string target = std::string("embedded://") + argv[1] + "?peer=" + argv[2];
  auto kv = raftkv::OpenKV(target);
  if (!kv.ok()) {
    std::fprintf(stderr, "%s\n", kv.status().ToString().c_str());
    return 1;
  }
  if (!(*kv)->Put("installed", "works").ok()) return 1;
  auto got = (*kv)->Get("installed");
  if (!got.ok() || got->kvs.size() != 1 || got->kvs[0].value != "works") return 1;
  raftkv::raft::MemoryStorage storage;  // the bare raft core is there too
  std::printf("consumer: %s\n", got->kvs[0].value.c_str());
  return storage.LastIndex() == 0 ? 0 : 1;
}

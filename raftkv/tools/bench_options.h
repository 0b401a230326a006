// Flags of `raftkv-bench`, shared by every case.
#pragma once

#include <cstdint>
#include <string>

namespace raftkv::bench {

struct BenchOptions {
  std::string endpoints = "127.0.0.1:2379";
  int conns = 1;
  int clients = 1;
  int threads = 2;  // completion-queue threads driving all clients
  int64_t total = 10000;
  std::string duration;  // absl duration, e.g. "10s"; overrides --total when set
  int key_size = 8;
  int val_size = 8;
  int64_t key_space_size = 1;
  bool sequential_keys = false;
  std::string consistency = "l";
  int64_t warmup = 0;
  bool json = false;
  // watch
  int watchers = 10;
  double put_rate = 100;  // writer puts per second
  bool watch_prefix = false;
  // lease-keepalive
  int64_t lease_ttl_seconds = 30;
};

}  // namespace raftkv::bench

#include "raftkv/raft/panic.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

namespace raftkv::raft {

void Panic(const std::string& message) {
  spdlog::critical("{}", message);
  spdlog::default_logger()->flush();
  std::abort();
}

}  // namespace raftkv::raft

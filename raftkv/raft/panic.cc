#include "raftkv/raft/panic.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace raftkv::raft {

void Panic(const std::string& message) {
  spdlog::critical("{}", message);
  spdlog::default_logger()->flush();
  std::abort();
}

}  // namespace raftkv::raft

#ifndef RAFTKV_RAFT_PANIC_H_
#define RAFTKV_RAFT_PANIC_H_

#include <fmt/format.h>

#include <string>

namespace raftkv::raft {

// Logs the message as critical and aborts. For broken invariants of the consensus core only:
// continuing after one could lose or corrupt committed data.
[[noreturn]] void Panic(const std::string& message);

}  // namespace raftkv::raft

#define RAFT_ASSERT(cond, ...)                                             \
  do {                                                                     \
    if (!(cond)) ::raftkv::raft::Panic(fmt::format("raft: " __VA_ARGS__)); \
  } while (false)

#endif  // RAFTKV_RAFT_PANIC_H_

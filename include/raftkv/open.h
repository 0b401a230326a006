#ifndef RAFTKV_OPEN_H_
#define RAFTKV_OPEN_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "raftkv/kv.h"

namespace raftkv {

// A KV from one string, so a program chooses remote or embedded storage in one line:
//
//   raftkv://host:port[,host:port...]  a remote client of those members (Connect with the
//                                      default ClientOptions)
//   embedded:///path/to/data-dir       a single-member cluster inside this process with its
//     [?client=http://host:port]       data in that directory (created if missing), owned by
//                                      the KV and stopped when it is destroyed; `client`
//                                      also serves etcd's gRPC API there (e.g. for etcdctl)
//
// InvalidArgument for anything else.
absl::StatusOr<std::unique_ptr<KV>> OpenKV(std::string_view target);

}  // namespace raftkv

#endif  // RAFTKV_OPEN_H_

#ifndef RAFTKV_SERVER_ETCD_VERSION_H_
#define RAFTKV_SERVER_ETCD_VERSION_H_

#include <string_view>

namespace raftkv::server {

// The etcd versions raftkv reports (Maintenance.Status, /version, `raftkv --version`).
// Clients pick features by these: etcdctl and clientv3 treat a 3.4 server as speaking exactly
// the 3.4 API that proto/etcdserverpb describes.
inline constexpr std::string_view kEtcdServerVersion = "3.4.23";
inline constexpr std::string_view kEtcdClusterVersion = "3.4.0";

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_ETCD_VERSION_H_

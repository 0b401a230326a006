#ifndef RAFTKV_SERVER_MEMBER_ID_H_
#define RAFTKV_SERVER_MEMBER_ID_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace raftkv::server {

// A member's id, derived as etcd derives it: the first 8 bytes (big endian) of the SHA-1 of
// its sorted peer URLs joined, the cluster token and, for members added at runtime, the time
// of the addition in seconds (so a re-added member gets a new id).
uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& cluster_token,
                         std::optional<int64_t> added_at_unix_seconds);

// The cluster's id: the first 8 bytes of the SHA-1 of the sorted initial member ids, each
// 8 bytes big endian. Members of different clusters refuse each other's messages by it.
uint64_t ComputeClusterId(std::vector<uint64_t> member_ids);

// Formats an id as etcd prints ids: lowercase hex without leading zeros.
std::string IdToHex(uint64_t id);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_MEMBER_ID_H_

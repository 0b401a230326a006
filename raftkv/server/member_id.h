#ifndef RAFTKV_SERVER_MEMBER_ID_H_
#define RAFTKV_SERVER_MEMBER_ID_H_

#include <cstdint>
#include <string>
#include <vector>

namespace raftkv::server {

// A member's id, derived as etcd derives a bootstrap member's: the first 8 bytes (big endian)
// of the SHA-1 of its sorted peer URLs joined and the cluster token. Members added at runtime
// get their id the same way (etcd also mixes in the time), so that the new member, started
// with the same URLs and token, finds its own id; re-adding a removed member therefore needs
// new peer URLs.
uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& cluster_token);

// The cluster's id: the first 8 bytes of the SHA-1 of the cluster token. Members of different
// clusters refuse each other's messages by it. (etcd hashes the initial member ids instead; a
// member joining later cannot know those, but it knows the token.)
uint64_t ComputeClusterId(const std::string& cluster_token);

// Formats an id as etcd prints ids: lowercase hex without leading zeros.
std::string IdToHex(uint64_t id);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_MEMBER_ID_H_

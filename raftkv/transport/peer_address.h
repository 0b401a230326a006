#ifndef RAFTKV_TRANSPORT_PEER_ADDRESS_H_
#define RAFTKV_TRANSPORT_PEER_ADDRESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace raftkv::transport {

struct PeerAddress {
  std::string host;  // name, IPv4 literal, or IPv6 literal without brackets
  uint16_t port = 0;
  bool operator==(const PeerAddress&) const = default;
};

// Parses "host:port", "[v6]:port", or an etcd-style peer URL "http://host:port[/]" (the scheme
// only says where the port is: this transport speaks its own framing over plain TCP, so
// "https" is refused rather than silently sent in clear).
absl::StatusOr<PeerAddress> ParsePeerAddress(std::string_view url);

std::string ToString(const PeerAddress& address);

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_PEER_ADDRESS_H_

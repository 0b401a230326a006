#include "raftkv/transport/peer_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace raftkv::transport {
namespace {

absl::Status BadUrl(std::string_view url, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("peer url \"", std::string(url), "\": ", std::string(problem)));
}

}  // namespace

absl::StatusOr<PeerAddress> ParsePeerAddress(std::string_view url) {
  std::string_view rest = url;
  if (const size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, scheme_end);
    if (scheme != "http" && scheme != "tcp") return BadUrl(url, "only plain TCP is supported");
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  PeerAddress address;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") {
      return BadUrl(url, "want [ipv6]:port");
    }
    address.host = std::string(rest.substr(1, close - 1));
    port_text = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos ||
        rest.substr(0, colon).find(':') != std::string_view::npos) {
      return BadUrl(url, "want host:port");
    }
    address.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  uint32_t port = 0;
  if (address.host.empty() ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port > 65535) {
    return BadUrl(url, "bad host or port");
  }
  address.port = static_cast<uint16_t>(port);
  return address;
}

std::string ToString(const PeerAddress& address) {
  if (address.host.find(':') != std::string::npos) {
    return absl::StrCat("[", address.host, "]:", address.port);
  }
  return absl::StrCat(address.host, ":", address.port);
}

}  // namespace raftkv::transport

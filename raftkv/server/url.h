#ifndef RAFTKV_SERVER_URL_H_
#define RAFTKV_SERVER_URL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raftkv::server {

// An http URL as etcd's flags take them: scheme://host:port, no path.
struct Url {
  std::string scheme;
  std::string host;
  uint16_t port = 0;

  std::string ToString() const;  // "http://host:port"
  std::string HostPort() const;  // "host:port"
};

// Parses one URL. Only http is served (TLS is not supported yet); a missing port, a path or
// an unknown scheme is an InvalidArgument error that quotes the URL.
absl::StatusOr<Url> ParseUrl(absl::string_view text);
// Parses a comma-separated list of URLs, as in --listen-client-urls.
absl::StatusOr<std::vector<Url>> ParseUrlList(absl::string_view text);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_URL_H_

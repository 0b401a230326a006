#include "raftkv/server/url.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace raftkv::server {
namespace {

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid URL \"", text, "\": ", why));
}

}  // namespace

std::string Url::ToString() const {
  return absl::StrCat(scheme, "://", HostPort());
}

std::string Url::HostPort() const {
  // IPv6 literals keep their brackets.
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  size_t sep = rest.find("://");
  if (sep == absl::string_view::npos) return Bad(text, "missing scheme (want http://host:port)");
  Url url;
  url.scheme = std::string(rest.substr(0, sep));
  if (url.scheme == "https" || url.scheme == "unixs") {
    return Bad(text, "TLS is not supported yet; use http");
  }
  if (url.scheme != "http") return Bad(text, "scheme must be http");
  rest.remove_prefix(sep + 3);
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find('/') != absl::string_view::npos) return Bad(text, "a URL may not have a path");
  size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return Bad(text, "missing port");
  absl::string_view host = rest.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return Bad(text, "unbalanced brackets");
  }
  if (host.empty()) return Bad(text, "missing host");
  uint32_t port = 0;
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port > 65535) {
    return Bad(text, "port must be a number from 0 to 65535");
  }
  url.host = std::string(host);
  url.port = static_cast<uint16_t>(port);
  return url;
}

absl::StatusOr<std::vector<Url>> ParseUrlList(absl::string_view text) {
  std::vector<Url> urls;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    auto url = ParseUrl(part);
    if (!url.ok()) return url.status();
    urls.push_back(*std::move(url));
  }
  if (urls.empty()) return absl::InvalidArgumentError("empty URL list");
  return urls;
}

}  // namespace raftkv::server

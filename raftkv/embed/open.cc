#include "raftkv/open.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "raftkv/client.h"
#include "raftkv/client/backend.h"
#include "raftkv/embed/member_core.h"

namespace raftkv {
namespace {

constexpr absl::string_view kRemoteScheme = "raftkv://";
constexpr absl::string_view kEmbeddedScheme = "embedded://";

absl::StatusOr<std::unique_ptr<KV>> OpenEmbedded(absl::string_view rest) {
  MemberOptions options;
  std::vector<absl::string_view> path_and_query = absl::StrSplit(rest, absl::MaxSplits('?', 1));
  options.data_dir.assign(path_and_query[0].data(), path_and_query[0].size());
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("embedded:// needs a data directory path");
  }
  if (path_and_query.size() > 1) {
    for (absl::string_view param : absl::StrSplit(path_and_query[1], '&')) {
      std::vector<absl::string_view> kv = absl::StrSplit(param, absl::MaxSplits('=', 1));
      if (kv.size() == 2 && kv[0] == "client") {
        options.listen_client_urls.emplace_back(kv[1]);
      } else if (kv.size() == 2 && kv[0] == "peer") {
        options.listen_peer_urls.emplace_back(kv[1]);
      } else if (kv.size() == 2 && kv[0] == "name") {
        options.name.assign(kv[1].data(), kv[1].size());
      } else {
        return absl::InvalidArgumentError(absl::StrCat("unknown embedded:// parameter: ", param));
      }
    }
  }
  absl::StatusOr<std::shared_ptr<internal::MemberCore>> core = internal::MemberCore::Start(options);
  if (!core.ok()) return core.status();
  return std::make_unique<KV>(internal::NewEmbeddedBackend(*core, /*own=*/true),
                              options.request_timeout);
}

}  // namespace

absl::StatusOr<std::unique_ptr<KV>> OpenKV(std::string_view target_text) {
  const absl::string_view target(target_text.data(), target_text.size());
  if (absl::StartsWith(target, kRemoteScheme)) {
    ClientOptions options;
    for (absl::string_view endpoint : absl::StrSplit(target.substr(kRemoteScheme.size()), ',')) {
      if (!endpoint.empty()) options.endpoints.emplace_back(endpoint);
    }
    return Connect(options);
  }
  if (absl::StartsWith(target, kEmbeddedScheme)) {
    return OpenEmbedded(target.substr(kEmbeddedScheme.size()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected raftkv://host:port,... or embedded:///data-dir, got: ", target));
}

}  // namespace raftkv

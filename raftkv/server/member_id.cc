#include "raftkv/server/member_id.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace raftkv::server {
namespace {

uint64_t Sha1Prefix(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i)
    id = (id << 8) | digest[i];
  return id;
}

}  // namespace

uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& cluster_token,
                         std::optional<int64_t> added_at_unix_seconds) {
  std::sort(peer_urls.begin(), peer_urls.end());
  std::string data = absl::StrCat(absl::StrJoin(peer_urls, ""), cluster_token);
  if (added_at_unix_seconds) absl::StrAppend(&data, *added_at_unix_seconds);
  return Sha1Prefix(data);
}

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  std::string data;
  data.reserve(member_ids.size() * 8);
  for (uint64_t id : member_ids) {
    for (int shift = 56; shift >= 0; shift -= 8)
      data.push_back(static_cast<char>(id >> shift));
  }
  return Sha1Prefix(data);
}

std::string IdToHex(uint64_t id) {
  return absl::StrCat(absl::Hex(id));
}

}  // namespace raftkv::server

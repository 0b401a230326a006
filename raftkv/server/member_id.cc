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

uint64_t ComputeMemberId(std::vector<std::string> peer_urls, const std::string& cluster_token) {
  std::sort(peer_urls.begin(), peer_urls.end());
  return Sha1Prefix(absl::StrCat(absl::StrJoin(peer_urls, ""), cluster_token));
}

uint64_t ComputeClusterId(const std::string& cluster_token) {
  return Sha1Prefix(absl::StrCat("raftkv-cluster/", cluster_token));
}

std::string IdToHex(uint64_t id) {
  return absl::StrCat(absl::Hex(id));
}

}  // namespace raftkv::server

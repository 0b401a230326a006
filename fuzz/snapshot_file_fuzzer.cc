// The state machine snapshot file (`raftkv snapshot restore`, Maintenance.Snapshot) as
// UnpackSnapshot reads it. Arbitrary bytes must unpack or be refused with an error, leave
// nothing behind on refusal, and never create a file outside the target directory. Inputs
// starting with 'V' get the padding and SHA-256 digest appended, so the fuzzer gets past
// the digest check at the end.

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_temp_dir.h"
#include "raftkv/server/snapshot_file.h"

namespace {

namespace fs = std::filesystem;

std::string Sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

// The file layout's tail: zero padding to a multiple of 512, then the digest of all before.
std::string WithValidDigest(std::string body) {
  body.append((512 - body.size() % 512) % 512, '\0');
  return body + Sha256(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string file = !input.empty() && input[0] == 'V' ? WithValidDigest(input.substr(1)) : input;
  const fs::path& dir = raftkv::fuzz::FuzzTempDir::Fresh();
  const fs::path file_path = dir / "snapshot.db";
  const fs::path jail = dir / "jail";
  const fs::path target = jail / "db";
  fs::create_directory(jail);
  raftkv::fuzz::FuzzTempDir::WriteFile(file_path, file);
  absl::Status status = raftkv::server::UnpackSnapshot(file_path, target);
  // Whatever the outcome, nothing may appear beside the target directory.
  for (const fs::directory_entry& entry : fs::directory_iterator(jail)) {
    if (entry.path() != target) std::abort();
  }
  if (!status.ok() && fs::exists(target)) std::abort();
  return 0;
}

#include "fuzz_temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace raftkv::fuzz {
namespace fs = std::filesystem;

FuzzTempDir::FuzzTempDir() {
  std::error_code ec;
  fs::path base =
      fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::string pattern = (base / "raftkv-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = pattern;
}

FuzzTempDir::~FuzzTempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

const fs::path& FuzzTempDir::Fresh() {
  static FuzzTempDir dir;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir.path_, ec)) {
    fs::remove_all(entry.path(), ec);
  }
  return dir.path_;
}

void FuzzTempDir::WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace raftkv::fuzz

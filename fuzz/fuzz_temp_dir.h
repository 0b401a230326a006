#ifndef RAFTKV_FUZZ_FUZZ_TEMP_DIR_H_
#define RAFTKV_FUZZ_FUZZ_TEMP_DIR_H_

#include <filesystem>
#include <string_view>

namespace raftkv::fuzz {

// A scratch directory for targets whose code under test reads files: created once per
// process (in /dev/shm when it exists, so each run stays in memory), emptied before each
// input, removed when the process exits.
class FuzzTempDir {
 public:
  // The process's directory, emptied.
  static const std::filesystem::path& Fresh();

  // Writes bytes to path, replacing it.
  static void WriteFile(const std::filesystem::path& path, std::string_view bytes);

  FuzzTempDir(const FuzzTempDir&) = delete;
  FuzzTempDir& operator=(const FuzzTempDir&) = delete;
  ~FuzzTempDir();

 private:
  FuzzTempDir();
  std::filesystem::path path_;
};

}  // namespace raftkv::fuzz

#endif  // RAFTKV_FUZZ_FUZZ_TEMP_DIR_H_

#ifndef RAFTKV_UTIL_CRC32C_H_
#define RAFTKV_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace raftkv::util {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI (RFC 3720), ext4
// and LevelDB. Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), else a
// slicing-by-8 table. Extend(0, ...) starts a new checksum; Extend(Extend(0, a), b) equals the
// checksum of a followed by b, so a record's parts can be summed without copying them together.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(absl::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// The portable implementation alone, so tests can check both paths agree on this machine.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t size);

// Whether Crc32cExtend uses the SSE4.2 instruction on this CPU.
bool Crc32cIsHardwareAccelerated();

}  // namespace raftkv::util

#endif  // RAFTKV_UTIL_CRC32C_H_

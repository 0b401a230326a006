#ifndef RAFTKV_TRANSPORT_CRC32C_H_
#define RAFTKV_TRANSPORT_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace raftkv::transport {

// CRC-32C (Castagnoli), as used by iSCSI, ext4 and RocksDB. Extend(0, data) is the CRC of data;
// Extend(Extend(0, a), b) == Extend(0, a + b). Uses the SSE4.2 instruction when the CPU has it.
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_CRC32C_H_

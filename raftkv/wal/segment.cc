#include "raftkv/wal/segment.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace raftkv::wal {
namespace {

constexpr uint32_t kMagic = 0x57564B52;  // "RKVW" read as little endian
constexpr uint32_t kVersion = 1;
constexpr size_t kFixedSize = 4 + 4 + 8 + 8 + 8 + 4 + 4;

template <typename T>
void PutLittleEndian(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

template <typename T>
T TakeLittleEndian(absl::string_view* in) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  }
  in->remove_prefix(sizeof(T));
  return v;
}

bool ParseHex64(absl::string_view text, uint64_t* value) {
  if (text.size() != 16) return false;
  for (char c : text) {
    bool lower_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!lower_hex) return false;
  }
  return absl::SimpleHexAtoi(text, value);
}

}  // namespace

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  std::string hard_state = header.hard_state.SerializeAsString();
  std::string snapshot = header.snapshot ? header.snapshot->SerializeAsString() : std::string();
  std::string out;
  out.reserve(kFixedSize + hard_state.size() + snapshot.size());
  PutLittleEndian<uint32_t>(&out, kMagic);
  PutLittleEndian<uint32_t>(&out, kVersion);
  PutLittleEndian<uint64_t>(&out, header.sequence);
  PutLittleEndian<uint64_t>(&out, header.first_index);
  PutLittleEndian<uint64_t>(&out, header.previous_end);
  PutLittleEndian<uint32_t>(&out, static_cast<uint32_t>(hard_state.size()));
  // A snapshot marker always serializes to at least a few bytes (its index is >= 1), so an
  // empty encoding can stand for "no marker".
  PutLittleEndian<uint32_t>(&out, static_cast<uint32_t>(snapshot.size()));
  out += hard_state;
  out += snapshot;
  return out;
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload) {
  if (payload.size() < kFixedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment header too short (", payload.size(), " bytes)"));
  }
  uint32_t magic = TakeLittleEndian<uint32_t>(&payload);
  uint32_t version = TakeLittleEndian<uint32_t>(&payload);
  if (magic != kMagic) return absl::InvalidArgumentError("bad segment magic");
  if (version != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported segment version ", version));
  }
  SegmentHeader header;
  header.sequence = TakeLittleEndian<uint64_t>(&payload);
  header.first_index = TakeLittleEndian<uint64_t>(&payload);
  header.previous_end = TakeLittleEndian<uint64_t>(&payload);
  uint32_t hard_state_size = TakeLittleEndian<uint32_t>(&payload);
  uint32_t snapshot_size = TakeLittleEndian<uint32_t>(&payload);
  if (static_cast<uint64_t>(hard_state_size) + snapshot_size != payload.size()) {
    return absl::InvalidArgumentError("segment header lengths do not match its size");
  }
  if (!header.hard_state.ParseFromArray(payload.data(), static_cast<int>(hard_state_size))) {
    return absl::InvalidArgumentError("unparsable hard state in segment header");
  }
  payload.remove_prefix(hard_state_size);
  if (snapshot_size > 0) {
    header.snapshot.emplace();
    if (!header.snapshot->ParseFromArray(payload.data(), static_cast<int>(snapshot_size))) {
      return absl::InvalidArgumentError("unparsable snapshot marker in segment header");
    }
  }
  return header;
}

std::string SegmentFileName(uint64_t sequence, uint64_t first_index) {
  return absl::StrFormat("%016x-%016x.wal", sequence, first_index);
}

std::optional<ParsedSegmentName> ParseSegmentFileName(absl::string_view name) {
  // 16 + 1 + 16 + 4
  if (name.size() != 37 || name[16] != '-' || name.substr(33) != ".wal") return std::nullopt;
  ParsedSegmentName parsed;
  if (!ParseHex64(name.substr(0, 16), &parsed.sequence)) return std::nullopt;
  if (!ParseHex64(name.substr(17, 16), &parsed.first_index)) return std::nullopt;
  return parsed;
}

}  // namespace raftkv::wal

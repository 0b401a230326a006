#include "raftkv/mvcc/encoding.h"

namespace raftkv::mvcc {
namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';
constexpr char kPutTag = 'p';
constexpr char kTombstoneTag = 't';

void AppendBigEndian64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool ReadVarint(std::string_view* in, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

void AppendUserKeyPrefix(std::string_view user_key, std::string* out) {
  out->reserve(out->size() + user_key.size() + 2 + kRevisionSuffixSize);
  for (char c : user_key) {
    out->push_back(c);
    if (c == kEscape) out->push_back(kEscapedZero);
  }
  out->push_back(kEscape);
  out->push_back(kTerminator);
}

std::string EncodeUserKeyPrefix(std::string_view user_key) {
  std::string out;
  AppendUserKeyPrefix(user_key, &out);
  return out;
}

std::string EncodeVersionKey(std::string_view user_key, Revision revision) {
  std::string out;
  AppendUserKeyPrefix(user_key, &out);
  AppendBigEndian64(~static_cast<uint64_t>(revision.main), &out);
  AppendBigEndian64(~static_cast<uint64_t>(revision.sub), &out);
  return out;
}

Revision VersionKeyRevision(std::string_view version_key) {
  const std::string_view suffix = version_key.substr(version_key.size() - kRevisionSuffixSize);
  return Revision{static_cast<int64_t>(~ReadBigEndian64(suffix)),
                  static_cast<int64_t>(~ReadBigEndian64(suffix.substr(8)))};
}

bool DecodeVersionKey(std::string_view version_key, std::string* user_key, Revision* revision) {
  if (version_key.size() < 2 + kRevisionSuffixSize) return false;
  const std::string_view prefix = VersionKeyPrefix(version_key);
  user_key->clear();
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != kEscape) {
      user_key->push_back(prefix[i]);
      continue;
    }
    if (i + 1 >= prefix.size()) return false;
    if (prefix[i + 1] == kTerminator) {
      if (i + 2 != prefix.size()) return false;
      *revision = VersionKeyRevision(version_key);
      return true;
    }
    if (prefix[i + 1] != kEscapedZero) return false;
    user_key->push_back(kEscape);
    ++i;
  }
  return false;
}

std::string EncodePutRecord(int64_t create_revision, int64_t version, int64_t lease,
                            std::string_view value) {
  std::string out;
  out.reserve(1 + 30 + value.size());
  out.push_back(kPutTag);
  AppendVarint(static_cast<uint64_t>(create_revision), &out);
  AppendVarint(static_cast<uint64_t>(version), &out);
  AppendVarint(static_cast<uint64_t>(lease), &out);
  out.append(value.data(), value.size());
  return out;
}

std::string EncodeTombstoneRecord() {
  return std::string(1, kTombstoneTag);
}

bool IsTombstoneRecord(std::string_view record) {
  return !record.empty() && record.front() == kTombstoneTag;
}

bool DecodePutRecord(std::string_view user_key, Revision revision, std::string_view record,
                     bool keys_only, mvccpb::KeyValue* kv) {
  if (record.empty() || record.front() != kPutTag) return false;
  record.remove_prefix(1);
  uint64_t create = 0, version = 0, lease = 0;
  if (!ReadVarint(&record, &create) || !ReadVarint(&record, &version) ||
      !ReadVarint(&record, &lease)) {
    return false;
  }
  kv->set_key(user_key.data(), user_key.size());
  kv->set_create_revision(static_cast<int64_t>(create));
  kv->set_mod_revision(revision.main);
  kv->set_version(static_cast<int64_t>(version));
  kv->set_lease(static_cast<int64_t>(lease));
  if (keys_only) {
    kv->clear_value();
  } else {
    kv->set_value(record.data(), record.size());
  }
  return true;
}

std::string EncodeLatestRecord(const LatestVersion& latest) {
  std::string out;
  out.reserve(40);
  AppendVarint(static_cast<uint64_t>(latest.revision.main), &out);
  AppendVarint(static_cast<uint64_t>(latest.revision.sub), &out);
  AppendVarint(static_cast<uint64_t>(latest.create_revision), &out);
  AppendVarint(static_cast<uint64_t>(latest.version), &out);
  AppendVarint(static_cast<uint64_t>(latest.lease), &out);
  return out;
}

std::optional<LatestVersion> DecodeLatestRecord(std::string_view record) {
  uint64_t fields[5];
  for (uint64_t& field : fields) {
    if (!ReadVarint(&record, &field)) return std::nullopt;
  }
  LatestVersion latest;
  latest.revision = Revision{static_cast<int64_t>(fields[0]), static_cast<int64_t>(fields[1])};
  latest.create_revision = static_cast<int64_t>(fields[2]);
  latest.version = static_cast<int64_t>(fields[3]);
  latest.lease = static_cast<int64_t>(fields[4]);
  return latest;
}

std::string EncodeRevisionKey(Revision revision) {
  std::string out;
  out.reserve(16);
  AppendBigEndian64(static_cast<uint64_t>(revision.main), &out);
  AppendBigEndian64(static_cast<uint64_t>(revision.sub), &out);
  return out;
}

Revision DecodeRevisionKey(std::string_view revision_key) {
  return Revision{static_cast<int64_t>(ReadBigEndian64(revision_key)),
                  static_cast<int64_t>(ReadBigEndian64(revision_key.substr(8)))};
}

std::string EncodeLeasePrefix(int64_t lease) {
  std::string out;
  AppendBigEndian64(static_cast<uint64_t>(lease), &out);
  return out;
}

std::string EncodeLeaseKey(int64_t lease, std::string_view user_key) {
  std::string out = EncodeLeasePrefix(lease);
  out.append(user_key.data(), user_key.size());
  return out;
}

std::string EncodeFixed64(uint64_t value) {
  std::string out;
  AppendBigEndian64(value, &out);
  return out;
}

std::optional<uint64_t> DecodeFixed64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  return ReadBigEndian64(bytes);
}

}  // namespace raftkv::mvcc

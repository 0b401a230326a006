#ifndef RAFTKV_MVCC_ENCODING_H_
#define RAFTKV_MVCC_ENCODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mvccpb/kv.pb.h"

namespace raftkv::mvcc {

// A point in the store's history. `main` is the cluster-wide revision (one per write request
// or write txn); `sub` orders the changes inside one main revision.
struct Revision {
  int64_t main = 0;
  int64_t sub = 0;
  friend auto operator<=>(const Revision&, const Revision&) = default;
};

// ---- "kv" column family: one entry per version of a key, ordered by key then newest first.
//
// RocksDB key: Escape(user_key) ++ 0x00 0x01 ++ BE64(~main) ++ BE64(~sub).
// The escaping (0x00 -> 0x00 0xFF) plus the 0x00 0x01 terminator keeps user keys in byte
// order whatever bytes they hold, so a key range [a, b) is one contiguous RocksDB range.
// Inverting the revision puts the newest version of a key first, so "latest version at or
// below revision R" is a single Seek, and reading at the current revision mostly walks
// consecutive entries.
//
// The value is the version record (see EncodePutRecord): the value bytes live here, once;
// the other column families hold only small pointers.

// Escape(user_key) ++ terminator: the common prefix of every version of `user_key`.
std::string EncodeUserKeyPrefix(std::string_view user_key);
void AppendUserKeyPrefix(std::string_view user_key, std::string* out);

// The kv-CF key of `user_key` at `revision`.
std::string EncodeVersionKey(std::string_view user_key, Revision revision);

// Splits a kv-CF key. Returns false if `version_key` is not one.
bool DecodeVersionKey(std::string_view version_key, std::string* user_key, Revision* revision);

// The part of a kv-CF key before the revision (what EncodeUserKeyPrefix returns).
inline constexpr size_t kRevisionSuffixSize = 16;
inline std::string_view VersionKeyPrefix(std::string_view version_key) {
  return version_key.substr(0, version_key.size() - kRevisionSuffixSize);
}
// Decodes only the revision suffix of a kv-CF key (which must be at least 16 bytes).
Revision VersionKeyRevision(std::string_view version_key);

// A version record: a put (create revision, version, lease, value) or a tombstone.
// Layout: 'p' varint(create) varint(version) varint(lease as uint64) value... | 't'.
// Smaller than a serialized KeyValue and the key and mod revision are already in the key.
std::string EncodePutRecord(int64_t create_revision, int64_t version, int64_t lease,
                            std::string_view value);
std::string EncodeTombstoneRecord();
bool IsTombstoneRecord(std::string_view record);

// Fills `kv` from a kv-CF entry. With `keys_only` the value is left empty (no copy).
// Returns false if the record is malformed or is a tombstone.
bool DecodePutRecord(std::string_view user_key, Revision revision, std::string_view record,
                     bool keys_only, mvccpb::KeyValue* kv);

// ---- "latest" column family: user key -> where its newest version is and what it says
// (mod revision, create revision, version, lease), for keys that exist now. A few dozen
// bytes per key: a Get here answers "what does this key look like now" (every Put needs it
// for version and create revision) without touching the version data, and stops at the
// newest file holding the key, where a Seek over "kv" has to merge every file holding any
// of its versions.
struct LatestVersion {
  Revision revision;
  int64_t create_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};
std::string EncodeLatestRecord(const LatestVersion& latest);
std::optional<LatestVersion> DecodeLatestRecord(std::string_view record);

// ---- "rev" column family: BE64(main) ++ BE64(sub) -> user key.
// The history in revision order: what watchers catch up from, and what compaction walks to
// find the keys it has to visit.
std::string EncodeRevisionKey(Revision revision);
Revision DecodeRevisionKey(std::string_view revision_key);

// ---- "lease" column family: BE64(lease id) ++ user key -> "".
// The keys currently attached to each lease, for the lease module (revoke, recovery).
std::string EncodeLeaseKey(int64_t lease, std::string_view user_key);
std::string EncodeLeasePrefix(int64_t lease);

// ---- fixed-width integers for the "meta" column family.
std::string EncodeFixed64(uint64_t value);
std::optional<uint64_t> DecodeFixed64(std::string_view bytes);

}  // namespace raftkv::mvcc

#endif  // RAFTKV_MVCC_ENCODING_H_

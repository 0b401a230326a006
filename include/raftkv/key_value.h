#ifndef RAFTKV_KEY_VALUE_H_
#define RAFTKV_KEY_VALUE_H_

#include <cstdint>
#include <string>

namespace raftkv {

// Where and when a response was produced. Every response carries one.
struct ResponseHeader {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;  // the member that answered
  // The store's revision when the request was served: for a write, the revision it created
  // (or the current one if it changed nothing); for a read, the revision it saw.
  int64_t revision = 0;
  uint64_t raft_term = 0;
};

// One version of a key, as etcd's mvccpb.KeyValue.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision of the put that created the key (since its last delete)
  int64_t mod_revision = 0;     // revision of the last put of this version
  int64_t version = 0;          // number of puts since creation; a delete resets it to 0
  int64_t lease = 0;            // attached lease id, 0 for none
};

}  // namespace raftkv

#endif  // RAFTKV_KEY_VALUE_H_

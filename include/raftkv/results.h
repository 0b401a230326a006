#ifndef RAFTKV_RESULTS_H_
#define RAFTKV_RESULTS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "raftkv/key_value.h"

namespace raftkv {

struct GetResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
  bool more = false;  // more keys matched than `limit` allowed
  int64_t count = 0;  // how many keys matched (all of them, whatever the limit)
};

struct PutResponse {
  ResponseHeader header;
  std::optional<KeyValue> prev_kv;  // with PutOptions::prev_kv, if the key existed
};

struct DeleteResponse {
  ResponseHeader header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // with DeleteOptions::prev_kv
};

struct CompactResponse {
  ResponseHeader header;
};

}  // namespace raftkv

#endif  // RAFTKV_RESULTS_H_

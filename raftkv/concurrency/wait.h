#ifndef RAFTKV_CONCURRENCY_WAIT_H_
#define RAFTKV_CONCURRENCY_WAIT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "raftkv/kv.h"

namespace raftkv::concurrency::internal {

// The deadline of one KV call inside a wait that ends at `deadline` (Deadline{}: none):
// the KV's default timeout, but never past the wait's end.
Deadline CallDeadline(Deadline deadline);

// RangeOptions for the oldest (first created) key under `prefix`.
RangeOptions FirstCreated(std::string_view prefix);

// etcd's waitDeletes: waits until no key under `prefix` has a create revision at or below
// `max_create_revision`, i.e. every older waiter or candidate is gone.
absl::Status WaitDeletes(KV& kv, const std::string& prefix, int64_t max_create_revision,
                         Deadline deadline);

}  // namespace raftkv::concurrency::internal

#endif  // RAFTKV_CONCURRENCY_WAIT_H_

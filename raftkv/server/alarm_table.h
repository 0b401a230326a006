#ifndef RAFTKV_SERVER_ALARM_TABLE_H_
#define RAFTKV_SERVER_ALARM_TABLE_H_

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.pb.h"

namespace raftkv::mvcc {
class ApplyBatch;
class Store;
}  // namespace raftkv::mvcc

namespace raftkv::server {

// The cluster's raised alarms (etcd's alarm store), replicated through the log and kept in
// the state machine so they survive restarts. Thread-safe: the apply thread changes it,
// request handlers ask whether writes are allowed.
class AlarmTable {
 public:
  // Applies a committed AlarmRequest (GET, ACTIVATE, DEACTIVATE) as etcd does, writing the
  // change into batch.
  absl::StatusOr<etcdserverpb::AlarmResponse> Apply(const etcdserverpb::AlarmRequest& req,
                                                    mvcc::ApplyBatch& batch);
  // Reloads the alarms from the store (start-up, snapshot).
  absl::Status Restore(const mvcc::Store& store);

  bool Has(etcdserverpb::AlarmType type) const;
  std::vector<etcdserverpb::AlarmMember> List() const;

 private:
  using Alarm = std::pair<uint64_t, int>;  // member id, AlarmType
  mutable absl::Mutex mu_;
  std::set<Alarm> alarms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_ALARM_TABLE_H_

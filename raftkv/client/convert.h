#ifndef RAFTKV_CLIENT_CONVERT_H_
#define RAFTKV_CLIENT_CONVERT_H_

#include <string_view>

#include "etcdserverpb/rpc.pb.h"
#include "raftkv/lease.h"
#include "raftkv/options.h"
#include "raftkv/results.h"
#include "raftkv/txn.h"
#include "raftkv/watch.h"

// The public plain-C++ types to and from etcd's protobuf messages (field for field).
namespace raftkv::internal {

etcdserverpb::RangeRequest ToProto(std::string_view key, const RangeOptions& options);
etcdserverpb::PutRequest ToProto(std::string_view key, std::string_view value,
                                 const PutOptions& options);
etcdserverpb::DeleteRangeRequest ToProto(std::string_view key, const DeleteOptions& options);
etcdserverpb::TxnRequest ToProto(const TxnRequest& txn);
etcdserverpb::WatchCreateRequest ToProto(std::string_view key, const WatchOptions& options);

ResponseHeader FromProto(const etcdserverpb::ResponseHeader& header);
KeyValue FromProto(const mvccpb::KeyValue& kv);
GetResponse FromProto(const etcdserverpb::RangeResponse& response);
PutResponse FromProto(const etcdserverpb::PutResponse& response);
DeleteResponse FromProto(const etcdserverpb::DeleteRangeResponse& response);
TxnResponse FromProto(const etcdserverpb::TxnResponse& response);
CompactResponse FromProto(const etcdserverpb::CompactionResponse& response);
WatchResponse FromProto(const etcdserverpb::WatchResponse& response);
LeaseGrantResponse FromProto(const etcdserverpb::LeaseGrantResponse& response);
LeaseRevokeResponse FromProto(const etcdserverpb::LeaseRevokeResponse& response);
LeaseTimeToLiveResponse FromProto(const etcdserverpb::LeaseTimeToLiveResponse& response);
LeaseKeepAliveResponse FromProto(const etcdserverpb::LeaseKeepAliveResponse& response);

}  // namespace raftkv::internal

#endif  // RAFTKV_CLIENT_CONVERT_H_

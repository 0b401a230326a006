#include "raftkv/client/convert.h"

#include <string>

namespace raftkv::internal {
namespace {

etcdserverpb::RangeRequest::SortOrder SortOrderProto(SortOrder order) {
  switch (order) {
    case SortOrder::kNone:
      return etcdserverpb::RangeRequest::NONE;
    case SortOrder::kAscend:
      return etcdserverpb::RangeRequest::ASCEND;
    case SortOrder::kDescend:
      return etcdserverpb::RangeRequest::DESCEND;
  }
  return etcdserverpb::RangeRequest::NONE;
}

etcdserverpb::RangeRequest::SortTarget SortTargetProto(SortTarget target) {
  switch (target) {
    case SortTarget::kKey:
      return etcdserverpb::RangeRequest::KEY;
    case SortTarget::kVersion:
      return etcdserverpb::RangeRequest::VERSION;
    case SortTarget::kCreateRevision:
      return etcdserverpb::RangeRequest::CREATE;
    case SortTarget::kModRevision:
      return etcdserverpb::RangeRequest::MOD;
    case SortTarget::kValue:
      return etcdserverpb::RangeRequest::VALUE;
  }
  return etcdserverpb::RangeRequest::KEY;
}

etcdserverpb::Compare CompareProto(const Compare& compare) {
  etcdserverpb::Compare out;
  out.set_key(compare.key);
  out.set_range_end(compare.range_end);
  switch (compare.result) {
    case Compare::Result::kEqual:
      out.set_result(etcdserverpb::Compare::EQUAL);
      break;
    case Compare::Result::kNotEqual:
      out.set_result(etcdserverpb::Compare::NOT_EQUAL);
      break;
    case Compare::Result::kGreater:
      out.set_result(etcdserverpb::Compare::GREATER);
      break;
    case Compare::Result::kLess:
      out.set_result(etcdserverpb::Compare::LESS);
      break;
  }
  switch (compare.target) {
    case Compare::Target::kVersion:
      out.set_target(etcdserverpb::Compare::VERSION);
      out.set_version(compare.number);
      break;
    case Compare::Target::kCreateRevision:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(compare.number);
      break;
    case Compare::Target::kModRevision:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(compare.number);
      break;
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(compare.value);
      break;
    case Compare::Target::kLease:
      out.set_target(etcdserverpb::Compare::LEASE);
      out.set_lease(compare.number);
      break;
  }
  return out;
}

etcdserverpb::RequestOp OpProto(const Op& op) {
  etcdserverpb::RequestOp out;
  switch (op.type) {
    case Op::Type::kGet:
      *out.mutable_request_range() = ToProto(op.key, op.range);
      out.mutable_request_range()->set_serializable(false);
      break;
    case Op::Type::kPut:
      *out.mutable_request_put() = ToProto(op.key, op.value, op.put);
      break;
    case Op::Type::kDelete:
      *out.mutable_request_delete_range() = ToProto(op.key, op.del);
      break;
  }
  return out;
}

}  // namespace

etcdserverpb::RangeRequest ToProto(std::string_view key, const RangeOptions& options) {
  etcdserverpb::RangeRequest out;
  out.set_key(std::string(key));
  out.set_range_end(options.range_end);
  out.set_limit(options.limit);
  out.set_revision(options.revision);
  out.set_serializable(options.serializable);
  out.set_keys_only(options.keys_only);
  out.set_count_only(options.count_only);
  out.set_sort_order(SortOrderProto(options.sort_order));
  out.set_sort_target(SortTargetProto(options.sort_target));
  out.set_min_mod_revision(options.min_mod_revision);
  out.set_max_mod_revision(options.max_mod_revision);
  out.set_min_create_revision(options.min_create_revision);
  out.set_max_create_revision(options.max_create_revision);
  return out;
}

etcdserverpb::PutRequest ToProto(std::string_view key, std::string_view value,
                                 const PutOptions& options) {
  etcdserverpb::PutRequest out;
  out.set_key(std::string(key));
  out.set_value(std::string(value));
  out.set_lease(options.lease);
  out.set_prev_kv(options.prev_kv);
  out.set_ignore_value(options.ignore_value);
  out.set_ignore_lease(options.ignore_lease);
  return out;
}

etcdserverpb::DeleteRangeRequest ToProto(std::string_view key, const DeleteOptions& options) {
  etcdserverpb::DeleteRangeRequest out;
  out.set_key(std::string(key));
  out.set_range_end(options.range_end);
  out.set_prev_kv(options.prev_kv);
  return out;
}

etcdserverpb::TxnRequest ToProto(const TxnRequest& txn) {
  etcdserverpb::TxnRequest out;
  for (const Compare& c : txn.compare)
    *out.add_compare() = CompareProto(c);
  for (const Op& op : txn.success)
    *out.add_success() = OpProto(op);
  for (const Op& op : txn.failure)
    *out.add_failure() = OpProto(op);
  return out;
}

etcdserverpb::WatchCreateRequest ToProto(std::string_view key, const WatchOptions& options) {
  etcdserverpb::WatchCreateRequest out;
  out.set_key(std::string(key));
  out.set_range_end(options.range_end);
  out.set_start_revision(options.start_revision);
  out.set_prev_kv(options.prev_kv);
  out.set_progress_notify(options.progress_notify);
  if (options.filter_put) out.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  if (options.filter_delete) out.add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  return out;
}

ResponseHeader FromProto(const etcdserverpb::ResponseHeader& header) {
  return ResponseHeader{header.cluster_id(), header.member_id(), header.revision(),
                        header.raft_term()};
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(),          kv.value(),   kv.create_revision(),
                  kv.mod_revision(), kv.version(), kv.lease()};
}

GetResponse FromProto(const etcdserverpb::RangeResponse& response) {
  GetResponse out;
  out.header = FromProto(response.header());
  out.kvs.reserve(response.kvs_size());
  for (const auto& kv : response.kvs())
    out.kvs.push_back(FromProto(kv));
  out.more = response.more();
  out.count = response.count();
  return out;
}

PutResponse FromProto(const etcdserverpb::PutResponse& response) {
  PutResponse out;
  out.header = FromProto(response.header());
  if (response.has_prev_kv()) out.prev_kv = FromProto(response.prev_kv());
  return out;
}

DeleteResponse FromProto(const etcdserverpb::DeleteRangeResponse& response) {
  DeleteResponse out;
  out.header = FromProto(response.header());
  out.deleted = response.deleted();
  for (const auto& kv : response.prev_kvs())
    out.prev_kvs.push_back(FromProto(kv));
  return out;
}

TxnResponse FromProto(const etcdserverpb::TxnResponse& response) {
  TxnResponse out;
  out.header = FromProto(response.header());
  out.succeeded = response.succeeded();
  for (const auto& op : response.responses()) {
    OpResponse r;
    if (op.has_response_range()) {
      r.type = Op::Type::kGet;
      r.get = FromProto(op.response_range());
    } else if (op.has_response_put()) {
      r.type = Op::Type::kPut;
      r.put = FromProto(op.response_put());
    } else {
      r.type = Op::Type::kDelete;
      r.del = FromProto(op.response_delete_range());
    }
    out.responses.push_back(std::move(r));
  }
  return out;
}

CompactResponse FromProto(const etcdserverpb::CompactionResponse& response) {
  return CompactResponse{FromProto(response.header())};
}

WatchResponse FromProto(const etcdserverpb::WatchResponse& response) {
  WatchResponse out;
  out.header = FromProto(response.header());
  out.created = response.created();
  out.canceled = response.canceled();
  out.compact_revision = response.compact_revision();
  out.cancel_reason = response.cancel_reason();
  out.events.reserve(response.events_size());
  for (const auto& e : response.events()) {
    WatchEvent event;
    event.type =
        e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    event.kv = FromProto(e.kv());
    if (e.has_prev_kv()) event.prev_kv = FromProto(e.prev_kv());
    out.events.push_back(std::move(event));
  }
  return out;
}

LeaseGrantResponse FromProto(const etcdserverpb::LeaseGrantResponse& response) {
  return LeaseGrantResponse{FromProto(response.header()), response.id(), response.ttl()};
}

LeaseRevokeResponse FromProto(const etcdserverpb::LeaseRevokeResponse& response) {
  return LeaseRevokeResponse{FromProto(response.header())};
}

LeaseTimeToLiveResponse FromProto(const etcdserverpb::LeaseTimeToLiveResponse& response) {
  LeaseTimeToLiveResponse out;
  out.header = FromProto(response.header());
  out.id = response.id();
  out.ttl = response.ttl();
  out.granted_ttl = response.grantedttl();
  for (const auto& key : response.keys())
    out.keys.push_back(key);
  return out;
}

LeaseKeepAliveResponse FromProto(const etcdserverpb::LeaseKeepAliveResponse& response) {
  return LeaseKeepAliveResponse{FromProto(response.header()), response.id(), response.ttl()};
}

}  // namespace raftkv::internal

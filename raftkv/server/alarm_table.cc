#include "raftkv/server/alarm_table.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "raftkv/mvcc/store.h"

namespace raftkv::server {
namespace {

constexpr absl::string_view kAlarmPrefix = "alarm/";

std::string AlarmKey(uint64_t member, int type) {
  return absl::StrCat(kAlarmPrefix, absl::Hex(member), "/", type);
}

etcdserverpb::AlarmMember ToProto(uint64_t member, int type) {
  etcdserverpb::AlarmMember m;
  m.set_memberid(member);
  m.set_alarm(static_cast<etcdserverpb::AlarmType>(type));
  return m;
}

}  // namespace

absl::StatusOr<etcdserverpb::AlarmResponse> AlarmTable::Apply(const etcdserverpb::AlarmRequest& req,
                                                              mvcc::ApplyBatch& batch) {
  etcdserverpb::AlarmResponse resp;
  Alarm alarm{req.memberid(), static_cast<int>(req.alarm())};
  absl::MutexLock lock(&mu_);
  switch (req.action()) {
    case etcdserverpb::AlarmRequest::GET:
      for (const auto& [member, type] : alarms_) {
        if (req.alarm() == etcdserverpb::NONE || type == static_cast<int>(req.alarm())) {
          *resp.add_alarms() = ToProto(member, type);
        }
      }
      break;
    case etcdserverpb::AlarmRequest::ACTIVATE:
      if (req.alarm() == etcdserverpb::NONE) break;
      if (alarms_.insert(alarm).second) {
        if (auto s = batch.PutAux(AlarmKey(alarm.first, alarm.second), ""); !s.ok()) return s;
      }
      *resp.add_alarms() = ToProto(alarm.first, alarm.second);
      break;
    case etcdserverpb::AlarmRequest::DEACTIVATE:
      if (alarms_.erase(alarm) == 0) break;
      if (auto s = batch.DeleteAux(AlarmKey(alarm.first, alarm.second)); !s.ok()) return s;
      *resp.add_alarms() = ToProto(alarm.first, alarm.second);
      break;
    default:
      return absl::InvalidArgumentError("unknown alarm action");
  }
  return resp;
}

absl::Status AlarmTable::Restore(const mvcc::Store& store) {
  auto records = store.ScanAux(std::string_view(kAlarmPrefix.data(), kAlarmPrefix.size()));
  if (!records.ok()) return records.status();
  std::set<Alarm> alarms;
  for (const auto& [key, value] : *records) {
    std::vector<absl::string_view> parts = absl::StrSplit(key.substr(kAlarmPrefix.size()), '/');
    uint64_t member = 0;
    int type = 0;
    if (parts.size() != 2 || !absl::SimpleHexAtoi(parts[0], &member) ||
        !absl::SimpleAtoi(parts[1], &type)) {
      return absl::DataLossError(absl::StrCat("malformed alarm record \"", key, "\""));
    }
    alarms.emplace(member, type);
  }
  absl::MutexLock lock(&mu_);
  alarms_ = std::move(alarms);
  return absl::OkStatus();
}

bool AlarmTable::Has(etcdserverpb::AlarmType type) const {
  absl::MutexLock lock(&mu_);
  for (const auto& a : alarms_) {
    if (a.second == static_cast<int>(type)) return true;
  }
  return false;
}

std::vector<etcdserverpb::AlarmMember> AlarmTable::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<etcdserverpb::AlarmMember> out;
  for (const auto& [member, type] : alarms_)
    out.push_back(ToProto(member, type));
  return out;
}

}  // namespace raftkv::server

#include "raftkv/raft/errors.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace raftkv::raft {
namespace {

constexpr absl::string_view kCompacted = "requested index is unavailable due to compaction";
constexpr absl::string_view kUnavailable = "requested entry at index is unavailable";
constexpr absl::string_view kSnapTemp = "snapshot is temporarily unavailable";
constexpr absl::string_view kSnapOutOfDate = "requested index is older than the existing snapshot";
constexpr absl::string_view kDropped = "raft proposal dropped";

bool Has(const absl::Status& s, absl::StatusCode code, absl::string_view prefix) {
  return s.code() == code && absl::StartsWith(s.message(), prefix);
}

}  // namespace

absl::Status ErrCompacted() {
  return absl::OutOfRangeError(kCompacted);
}
bool IsCompacted(const absl::Status& s) {
  return Has(s, absl::StatusCode::kOutOfRange, kCompacted);
}

absl::Status ErrEntryUnavailable() {
  return absl::NotFoundError(kUnavailable);
}
bool IsEntryUnavailable(const absl::Status& s) {
  return Has(s, absl::StatusCode::kNotFound, kUnavailable);
}

absl::Status ErrSnapshotTemporarilyUnavailable() {
  return absl::UnavailableError(kSnapTemp);
}
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s) {
  return Has(s, absl::StatusCode::kUnavailable, kSnapTemp);
}

absl::Status ErrSnapOutOfDate() {
  return absl::FailedPreconditionError(kSnapOutOfDate);
}
bool IsSnapOutOfDate(const absl::Status& s) {
  return Has(s, absl::StatusCode::kFailedPrecondition, kSnapOutOfDate);
}

absl::Status ErrProposalDropped(absl::string_view why) {
  return absl::UnavailableError(absl::StrCat(kDropped, ": ", why));
}
bool IsProposalDropped(const absl::Status& s) {
  return Has(s, absl::StatusCode::kUnavailable, kDropped);
}

absl::Status ErrStepLocalMsg() {
  return absl::InvalidArgumentError("raft: cannot step raft local message");
}
absl::Status ErrStepPeerNotFound() {
  return absl::InvalidArgumentError("raft: cannot step as peer not found");
}

}  // namespace raftkv::raft

#ifndef RAFTKV_RAFT_ERRORS_H_
#define RAFTKV_RAFT_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace raftkv::raft {

// The errors the consensus core and its Storage report. Each has one status code and one
// message so that hosts can test for them with the Is* functions below.

// Storage: the requested index is older than the first index kept (compacted away).
absl::Status ErrCompacted();
bool IsCompacted(const absl::Status& s);

// Storage: the requested index is newer than the last index stored.
absl::Status ErrEntryUnavailable();
bool IsEntryUnavailable(const absl::Status& s);

// Storage: a snapshot is being prepared; the leader retries later.
absl::Status ErrSnapshotTemporarilyUnavailable();
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s);

// Storage: ApplySnapshot or CreateSnapshot was given an index older than the one it has.
absl::Status ErrSnapOutOfDate();
bool IsSnapOutOfDate(const absl::Status& s);

// A proposal was refused: no leader is known, this member is a learner or is being removed,
// a leadership transfer is in progress, or the uncommitted log is over its size limit.
absl::Status ErrProposalDropped(absl::string_view why);
bool IsProposalDropped(const absl::Status& s);

// Step got a local-only message type from the network, or a message from an unknown member.
absl::Status ErrStepLocalMsg();
absl::Status ErrStepPeerNotFound();

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_ERRORS_H_

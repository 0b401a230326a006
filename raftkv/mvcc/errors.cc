#include "raftkv/mvcc/errors.h"

namespace raftkv::mvcc {

absl::Status ErrCompacted() {
  return absl::OutOfRangeError(kCompactedMessage);
}
bool IsCompacted(const absl::Status& status) {
  return absl::IsOutOfRange(status) && status.message() == kCompactedMessage;
}

absl::Status ErrFutureRev() {
  return absl::OutOfRangeError(kFutureRevMessage);
}
bool IsFutureRev(const absl::Status& status) {
  return absl::IsOutOfRange(status) && status.message() == kFutureRevMessage;
}

absl::Status ErrKeyNotFound() {
  return absl::InvalidArgumentError(kKeyNotFoundMessage);
}
bool IsKeyNotFound(const absl::Status& status) {
  return absl::IsInvalidArgument(status) && status.message() == kKeyNotFoundMessage;
}

}  // namespace raftkv::mvcc

// absl::Status -> grpc::Status: codes keep their numbers and messages their text, because etcd
// clients match errors by message.

#include "raftkv/server/grpc_status.h"

#include "gtest/gtest.h"
#include "raftkv/mvcc/errors.h"
#include "raftkv/server/errors.h"

namespace raftkv::server {
namespace {

TEST(GrpcStatusTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(GrpcStatusTest, EtcdErrorsKeepCodeAndMessage) {
  grpc::Status status = ToGrpcStatus(ErrNoLeader());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "etcdserver: no leader");

  status = ToGrpcStatus(mvcc::ErrCompacted());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(status.error_message(), "etcdserver: mvcc: required revision has been compacted");

  status = ToGrpcStatus(ErrAuthNotEnabled());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "etcdserver: authentication is not enabled");
}

TEST(GrpcStatusTest, EveryCodeMapsToTheSameNumber) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status).error_code()), code);
  }
}

TEST(GrpcStatusTest, UnknownCodeBecomesUnknown) {
  absl::Status status(static_cast<absl::StatusCode>(42), "odd");
  grpc::Status converted = ToGrpcStatus(status);
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(converted.error_message(), "odd");
}

}  // namespace
}  // namespace raftkv::server

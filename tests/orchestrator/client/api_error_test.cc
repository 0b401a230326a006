#include "orchestrator/client/api_error.h"

#include <gtest/gtest.h>

#include "orchestrator/api/status.h"

namespace orch::client {
namespace {

TEST(ApiErrorTest, NotFoundCarriesTheStatusObject) {
  const api::Json status = api::StatusNotFound({"", "pods"}, "web");
  const absl::Status error = ApiError(404, status.dump());
  EXPECT_TRUE(absl::IsNotFound(error));
  EXPECT_TRUE(client::IsNotFound(error));
  EXPECT_EQ(HttpCodeOf(error), 404);
  EXPECT_EQ(ReasonOf(error), "NotFound");
  ASSERT_TRUE(StatusObjectOf(error).has_value());
  EXPECT_EQ(*StatusObjectOf(error), status);
  EXPECT_NE(error.message().find("pods \"web\" not found"), std::string_view::npos);
}

TEST(ApiErrorTest, A409IsAlreadyExistsOrConflictByReason) {
  const absl::Status exists = ApiError(409, api::StatusAlreadyExists({"", "pods"}, "a").dump());
  EXPECT_TRUE(absl::IsAlreadyExists(exists));
  EXPECT_TRUE(client::IsAlreadyExists(exists));
  EXPECT_FALSE(client::IsConflict(exists));

  const absl::Status conflict = ApiError(409, api::StatusConflict({"", "pods"}, "a").dump());
  EXPECT_TRUE(absl::IsAborted(conflict));
  EXPECT_TRUE(client::IsConflict(conflict));
  EXPECT_FALSE(client::IsAlreadyExists(conflict));
}

TEST(ApiErrorTest, CodesFollowTheTable) {
  EXPECT_TRUE(absl::IsInvalidArgument(ApiError(400, "")));
  EXPECT_TRUE(absl::IsUnauthenticated(ApiError(401, "")));
  EXPECT_TRUE(absl::IsPermissionDenied(ApiError(403, "")));
  EXPECT_TRUE(absl::IsUnimplemented(ApiError(405, "")));
  const absl::Status gone = ApiError(410, api::StatusTooOldResourceVersion(5, 17).dump());
  EXPECT_TRUE(absl::IsOutOfRange(gone));
  EXPECT_TRUE(client::IsGone(gone));
  EXPECT_EQ(ReasonOf(gone), "Expired");
  EXPECT_TRUE(absl::IsInvalidArgument(ApiError(415, "")));
  EXPECT_TRUE(client::IsInvalid(ApiError(422, "")));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiError(422, "")));
  EXPECT_TRUE(absl::IsResourceExhausted(ApiError(429, "")));
  EXPECT_TRUE(absl::IsInternal(ApiError(500, "")));
  EXPECT_TRUE(absl::IsUnavailable(ApiError(503, "")));
  EXPECT_TRUE(absl::IsDeadlineExceeded(ApiError(504, "")));
  EXPECT_TRUE(absl::IsFailedPrecondition(ApiError(418, "")));
}

TEST(ApiErrorTest, AnyTextBodyBecomesTheMessage) {
  const absl::Status error = ApiError(502, "bad gateway");
  EXPECT_EQ(HttpCodeOf(error), 502);
  EXPECT_EQ(ReasonOf(error), "");
  EXPECT_FALSE(StatusObjectOf(error).has_value());
  EXPECT_NE(error.message().find("bad gateway"), std::string_view::npos);
}

TEST(ApiErrorTest, OtherErrorsHaveNoHttpCode) {
  EXPECT_EQ(HttpCodeOf(absl::UnavailableError("connection refused")), 0);
  EXPECT_FALSE(client::IsNotFound(absl::NotFoundError("x")));
  EXPECT_EQ(ReasonOf(absl::OkStatus()), "");
}

}  // namespace
}  // namespace orch::client

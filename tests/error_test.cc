// Tests of the Twilio error payload carried in absl::Status (error.h).
#include "userstore/error.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "common/twilio_errors.h"
#include "gtest/gtest.h"

namespace userstore {
namespace {

using internal::BadRequest;
using internal::Conflict;
using internal::NotFound;

TEST(ErrorTest, TwilioErrorCarriesCodeStatusAndMessage) {
  absl::Status s = TwilioError(absl::StatusCode::kUnimplemented, 405,
                               twilio_code::kInvalidParameter, "Method not allowed");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(), "Method not allowed");
  EXPECT_EQ(TwilioCode(s), 20001);
  EXPECT_EQ(HttpStatus(s), 405);
}

TEST(ErrorTest, OkStatus) {
  EXPECT_EQ(TwilioCode(absl::OkStatus()), 0);
  EXPECT_EQ(HttpStatus(absl::OkStatus()), 200);
}

TEST(ErrorTest, BadRequest) {
  absl::Status s = BadRequest(twilio_code::kIdentityTooLong, "Identity too long");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Identity too long");
  EXPECT_EQ(TwilioCode(s), 50207);
  EXPECT_EQ(HttpStatus(s), 400);
}

TEST(ErrorTest, NotFound) {
  absl::Status s = NotFound("The requested resource was not found");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "The requested resource was not found");
  EXPECT_EQ(TwilioCode(s), 20404);
  EXPECT_EQ(HttpStatus(s), 404);
}

TEST(ErrorTest, Conflict) {
  absl::Status s = Conflict(twilio_code::kUserAlreadyExists, "User already exists");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "User already exists");
  EXPECT_EQ(TwilioCode(s), 50201);
  EXPECT_EQ(HttpStatus(s), 409);
}

TEST(ErrorTest, PayloadSurvivesCopyMoveAndStatusOr) {
  absl::Status original = Conflict(twilio_code::kUserAlreadyExists, "dup");
  absl::Status copy = original;
  absl::Status moved = std::move(copy);
  EXPECT_EQ(TwilioCode(moved), 50201);
  EXPECT_EQ(HttpStatus(moved), 409);

  absl::StatusOr<int> or_value = BadRequest(twilio_code::kAttributesInvalid, "bad");
  ASSERT_FALSE(or_value.ok());
  EXPECT_EQ(TwilioCode(or_value.status()), 50304);
  EXPECT_EQ(HttpStatus(or_value.status()), 400);
  EXPECT_EQ(original, Conflict(twilio_code::kUserAlreadyExists, "dup"));
}

TEST(ErrorTest, NonUserstoreStatusIsInternal) {
  for (const absl::Status& s : {absl::InvalidArgumentError("x"), absl::NotFoundError("y"),
                                absl::InternalError("z"), absl::UnknownError("")}) {
    EXPECT_EQ(TwilioCode(s), 20500) << s;
    EXPECT_EQ(HttpStatus(s), 500) << s;
  }
}

TEST(ErrorTest, ForeignPayloadIsIgnored) {
  absl::Status s = absl::InvalidArgumentError("x");
  s.SetPayload("type.googleapis.com/other.Error", absl::Cord("50201 409"));
  EXPECT_EQ(TwilioCode(s), 20500);
  EXPECT_EQ(HttpStatus(s), 500);
}

TEST(ErrorTest, PayloadCanBeCopiedOntoAnotherStatus) {
  // A caller that rewrites the message but keeps payloads keeps the codes.
  absl::Status src = BadRequest(twilio_code::kRoleNotFound, "Role not found");
  absl::Status dst(src.code(), "context: Role not found");
  src.ForEachPayload(
      [&dst](absl::string_view url, const absl::Cord& payload) { dst.SetPayload(url, payload); });
  EXPECT_EQ(TwilioCode(dst), 50100);
  EXPECT_EQ(HttpStatus(dst), 400);
}

TEST(ErrorTest, OkCodeIsNotReturnedAsOk) {
  // REQUIRES code != kOk; an OK code still yields a non-OK status rather than
  // silently dropping the error.
  absl::Status s = TwilioError(absl::StatusCode::kOk, 400, 20001, "oops");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(TwilioCode(s), 20001);
  EXPECT_EQ(HttpStatus(s), 400);
}

}  // namespace
}  // namespace userstore

// Revisions (User::revision), preconditions (UserUpdate::if_revision and
// DeleteUser's if_revision, 412/20412) and merge-patch updates
// (UserUpdate::attributes_patch) of a memory Store, one thread at a time.
// The concurrent properties are in store_chat_concurrency_test.cc; revisions
// across a restart in durable_revision_test.cc.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "tests/support/user_params.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::AttributesUpdate;
using testing::kRoleSid;
using testing::kServiceSid;
using testing::PatchUpdate;
using testing::TestStore;

UserCreate Id(std::string identity, std::optional<std::string> attributes = std::nullopt) {
  return testing::NewUser(std::move(identity), std::move(attributes));
}

// The fields a refused write must leave as they were.
void ExpectSameStoredUser(const User& before, const User& after) {
  EXPECT_EQ(after.sid, before.sid);
  EXPECT_EQ(after.attributes, before.attributes);
  EXPECT_EQ(after.friendly_name, before.friendly_name);
  EXPECT_EQ(after.role_sid, before.role_sid);
  EXPECT_EQ(after.date_updated, before.date_updated);
  EXPECT_EQ(after.revision, before.revision);
  EXPECT_EQ(after.joined_channels_count, before.joined_channels_count);
}

void ExpectPreconditionFailed(const absl::Status& s) {
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(HttpStatus(s), 412) << s;
  EXPECT_EQ(TwilioCode(s), twilio_code::kPreconditionFailed) << s;
}

class StoreRevisionTest : public ::testing::Test {
 protected:
  // Creates `identity` and returns it as stored.
  User Make(const std::string& identity, std::optional<std::string> attributes = std::nullopt) {
    absl::StatusOr<User> u = t_->CreateUser(kServiceSid, Id(identity, std::move(attributes)));
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : User();
  }
  User Fetch(const std::string& key) {
    absl::StatusOr<User> u = t_->FetchUser(kServiceSid, key);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : User();
  }

  TestStore t_;
};

TEST_F(StoreRevisionTest, CreateGivesARevisionThatFetchReturns) {
  const User a = Make("a");
  const User b = Make("b");
  EXPECT_GT(a.revision, 0u);
  EXPECT_GT(b.revision, a.revision);  // never repeated within the Service
  EXPECT_EQ(Fetch("a").revision, a.revision);
  EXPECT_EQ(Fetch(a.sid).revision, a.revision);
  // The fill form and the list agree.
  User out;
  ASSERT_OK(t_->FetchUser(kServiceSid, "b", &out));
  EXPECT_EQ(out.revision, b.revision);
  ASSERT_OK_AND_ASSIGN(const Page page, t_->ListUsers(kServiceSid, {}));
  ASSERT_EQ(page.users.size(), 2u);
  EXPECT_EQ(page.users[0].revision, a.revision);
  EXPECT_EQ(page.users[1].revision, b.revision);
}

TEST_F(StoreRevisionTest, EveryUpdateMovesTheRevisionStrictlyUp) {
  User last = Make("a");
  UserUpdate name;
  name.friendly_name = "Alice";
  UserUpdate role;
  role.role_sid = kRoleSid;
  UserUpdate clear;
  clear.friendly_name = "";
  // Including an update that changes nothing visible, and one that grows the
  // record past its block (the replace path, not the in-place one).
  for (const UserUpdate& u :
       {AttributesUpdate(R"({"x":1})"), AttributesUpdate(R"({"x":1})"), name, role, clear,
        AttributesUpdate("{\"big\":\"" + std::string(2000, 'b') + "\"}"), PatchUpdate(R"({"y":2})"),
        PatchUpdate("{}")}) {
    ASSERT_OK_AND_ASSIGN(const User next, t_->UpdateUser(kServiceSid, "a", u));
    EXPECT_GT(next.revision, last.revision);
    EXPECT_EQ(Fetch("a").revision, next.revision);
    last = next;
  }
  // A joined-channels change is a write of the stored user too.
  ASSERT_OK_AND_ASSIGN(const User joined, t_->AddJoinedChannels(kServiceSid, "a", 2));
  EXPECT_GT(joined.revision, last.revision);
  // Another user's write moves only that user's revision.
  const User b = Make("b");
  EXPECT_GT(b.revision, joined.revision);
  EXPECT_EQ(Fetch("a").revision, joined.revision);
}

TEST_F(StoreRevisionTest, PresenceMovesNeitherRevisionNorDateUpdated) {
  ASSERT_OK(t_->SetReachabilityEnabled(kServiceSid, true));
  const User a = Make("a");
  t_.clock->Advance(60);  // a write now would move date_updated
  ASSERT_OK_AND_ASSIGN(const User online, t_->SetUserOnline(kServiceSid, "a", true));
  EXPECT_EQ(online.revision, a.revision);
  // A push Binding makes the user notifiable (issue 17): presence too.
  BindingCreate binding;
  binding.endpoint = "apn-token";
  ASSERT_OK_AND_ASSIGN(const Binding registered, t_->RegisterBinding(kServiceSid, "a", binding));
  const User notifiable = Fetch("a");
  EXPECT_EQ(notifiable.is_notifiable, true);
  EXPECT_EQ(notifiable.revision, a.revision);
  ASSERT_OK(t_->DeleteBinding(kServiceSid, "a", registered.sid));
  EXPECT_EQ(Fetch("a").is_notifiable, false);
  ASSERT_OK_AND_ASSIGN(const UserConnection c1, t_->ConnectUser(kServiceSid, a.sid));
  EXPECT_EQ(c1.user.revision, a.revision);
  ASSERT_OK_AND_ASSIGN(const UserConnection c2, t_->ConnectOrCreateUser(kServiceSid, Id("a")));
  EXPECT_FALSE(c2.created);
  EXPECT_EQ(c2.user.revision, a.revision);
  ASSERT_OK_AND_ASSIGN(const UserConnection d, t_->DisconnectUser(kServiceSid, "a"));
  EXPECT_EQ(d.user.revision, a.revision);
  ASSERT_OK_AND_ASSIGN(const User offline, t_->SetUserOnline(kServiceSid, "a", false));
  EXPECT_EQ(offline.revision, a.revision);
  const User after = Fetch("a");
  EXPECT_EQ(after.revision, a.revision);
  EXPECT_EQ(after.date_updated, a.date_updated);
  // A precondition taken before the presence changes still holds.
  ASSERT_OK(t_->UpdateUser(kServiceSid, "a", AttributesUpdate(R"({"k":1})", a.revision)));
}

TEST_F(StoreRevisionTest, MatchingIfRevisionUpdates) {
  const User a = Make("a", R"({"n":0})");
  t_.clock->Advance(5);
  ASSERT_OK_AND_ASSIGN(
      const User u1, t_->UpdateUser(kServiceSid, "a", AttributesUpdate(R"({"n":1})", a.revision)));
  EXPECT_EQ(u1.attributes, R"({"n":1})");
  EXPECT_GT(u1.revision, a.revision);
  EXPECT_EQ(u1.date_updated, a.date_updated + absl::Seconds(5));
  // By SID, with a patch and the new revision.
  ASSERT_OK_AND_ASSIGN(const User u2,
                       t_->UpdateUser(kServiceSid, a.sid, PatchUpdate(R"({"m":2})", u1.revision)));
  EXPECT_EQ(u2.attributes, R"({"n":1,"m":2})");
  EXPECT_GT(u2.revision, u1.revision);
  ExpectSameStoredUser(u2, Fetch("a"));
}

TEST_F(StoreRevisionTest, MismatchedIfRevisionFailsAndChangesNothing) {
  const User a = Make("a", R"({"n":0})");
  ASSERT_OK_AND_ASSIGN(const User current,
                       t_->UpdateUser(kServiceSid, "a", AttributesUpdate(R"({"n":1})")));
  t_.clock->Advance(60);
  UserUpdate everything = AttributesUpdate(R"({"n":2})", a.revision);  // stale
  everything.friendly_name = "changed";
  everything.role_sid = kRoleSid;
  const uint64_t wrong[] = {a.revision, current.revision + 1, current.revision - 1, 0, UINT64_MAX};
  for (uint64_t revision : wrong) {
    SCOPED_TRACE(revision);
    everything.if_revision = revision;
    ExpectPreconditionFailed(t_->UpdateUser(kServiceSid, "a", everything).status());
    ExpectPreconditionFailed(t_->UpdateUser(kServiceSid, a.sid, everything).status());
    ExpectPreconditionFailed(
        t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"n":3})", revision)).status());
    // The fill form leaves `*out` as it was.
    User out;
    out.identity = "untouched";
    ExpectPreconditionFailed(t_->UpdateUser(kServiceSid, "a", everything, &out));
    EXPECT_EQ(out.identity, "untouched");
    EXPECT_EQ(out.revision, 0u);
    ExpectSameStoredUser(current, Fetch("a"));
  }
}

TEST_F(StoreRevisionTest, IfRevisionAloneIsNotAnUpdate) {
  const User a = Make("a");
  UserUpdate only;
  only.if_revision = a.revision;
  EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", only), 400,
                      twilio_code::kUpdateWithoutParameters);
  ExpectSameStoredUser(a, Fetch("a"));
}

TEST_F(StoreRevisionTest, OtherErrorsComeBeforeOrWithTheirOwnCodes) {
  const User a = Make("a");
  // Unknown user with a precondition: 404, not 412.
  EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "nobody", AttributesUpdate("{}", a.revision)),
                      404, twilio_code::kNotFound);
  EXPECT_TWILIO_ERROR(t_->DeleteUser(kServiceSid, "nobody", a.revision), 404,
                      twilio_code::kNotFound);
  // An invalid field is refused whatever the revision.
  EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", AttributesUpdate("[1]", a.revision + 1)),
                      400, twilio_code::kAttributesInvalid);
  ExpectSameStoredUser(a, Fetch("a"));
}

TEST_F(StoreRevisionTest, DeleteWithAWrongRevisionFailsAndTheRightOneDeletes) {
  const User a = Make("a");
  ASSERT_OK_AND_ASSIGN(const User updated,
                       t_->UpdateUser(kServiceSid, "a", AttributesUpdate(R"({"v":1})")));
  for (uint64_t wrong : {a.revision, updated.revision + 1, uint64_t{0}}) {
    ExpectPreconditionFailed(t_->DeleteUser(kServiceSid, "a", wrong));
    ExpectPreconditionFailed(t_->DeleteUser(kServiceSid, a.sid, wrong));
    ASSERT_OK_AND_ASSIGN(const bool exists, t_->UserExists(kServiceSid, "a"));
    EXPECT_TRUE(exists);
    ExpectSameStoredUser(updated, Fetch("a"));
  }
  ASSERT_OK_AND_ASSIGN(const uint64_t count, t_->CountUsers(kServiceSid));
  EXPECT_EQ(count, 1u);
  ASSERT_OK(t_->DeleteUser(kServiceSid, a.sid, updated.revision));
  ASSERT_OK_AND_ASSIGN(const bool exists, t_->UserExists(kServiceSid, "a"));
  EXPECT_FALSE(exists);
  EXPECT_TWILIO_ERROR(t_->FetchUser(kServiceSid, "a"), 404, twilio_code::kNotFound);
  // Without a precondition, as before.
  Make("b");
  ASSERT_OK(t_->DeleteUser(kServiceSid, "b"));
}

TEST_F(StoreRevisionTest, ARecreatedIdentityNeverRepeatsARevision) {
  const User a = Make("a");
  ASSERT_OK_AND_ASSIGN(const User updated,
                       t_->UpdateUser(kServiceSid, "a", AttributesUpdate("{}")));
  ASSERT_OK(t_->DeleteUser(kServiceSid, "a"));
  const User again = Make("a");
  EXPECT_NE(again.sid, a.sid);
  EXPECT_GT(again.revision, updated.revision);
  // The old revision is no precondition for the new user.
  ExpectPreconditionFailed(
      t_->UpdateUser(kServiceSid, "a", AttributesUpdate("{}", updated.revision)).status());
}

// ---- merge patch through UpdateUser ------------------------------------------

TEST_F(StoreRevisionTest, PatchSetsOneKeyAndKeepsTheRest) {
  Make("a", R"({ "keep" : [ 1 , 2 ], "n":1.0,"o":{"x":1}})");
  ASSERT_OK_AND_ASSIGN(const User u, t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"n":2})")));
  // Untouched members keep their bytes; the rewritten object is compact.
  EXPECT_EQ(u.attributes, R"({"keep":[ 1 , 2 ],"n":2,"o":{"x":1}})");
  ASSERT_OK_AND_ASSIGN(
      const User v, t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"o":{"y":"z"},"new":true})")));
  EXPECT_EQ(v.attributes, R"({"keep":[ 1 , 2 ],"n":2,"o":{"x":1,"y":"z"},"new":true})");
  EXPECT_EQ(Fetch("a").attributes, v.attributes);
}

TEST_F(StoreRevisionTest, PatchNullRemovesAKey) {
  Make("a", R"({"a":1,"b":{"c":2,"d":3}})");
  ASSERT_OK_AND_ASSIGN(
      const User u, t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"a":null,"b":{"c":null}})")));
  EXPECT_EQ(u.attributes, R"({"b":{"d":3}})");
  // Removing a key that is not there changes nothing but the revision.
  ASSERT_OK_AND_ASSIGN(const User v,
                       t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"zz":null})")));
  EXPECT_EQ(v.attributes, u.attributes);
  EXPECT_GT(v.revision, u.revision);
}

TEST_F(StoreRevisionTest, PatchOfAUserWithoutAttributesStartsFromAnEmptyObject) {
  Make("a");
  EXPECT_EQ(Fetch("a").attributes, "{}");
  ASSERT_OK_AND_ASSIGN(const User u, t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"k":"v"})")));
  EXPECT_EQ(u.attributes, R"({"k":"v"})");
}

TEST_F(StoreRevisionTest, PatchWithOtherFieldsAppliesThemAll) {
  Make("a", R"({"a":1})");
  UserUpdate u = PatchUpdate(R"({"b":2})");
  u.friendly_name = "Alice";
  u.role_sid = kRoleSid;
  ASSERT_OK_AND_ASSIGN(const User v, t_->UpdateUser(kServiceSid, "a", u));
  EXPECT_EQ(v.attributes, R"({"a":1,"b":2})");
  EXPECT_EQ(v.friendly_name, "Alice");
  EXPECT_EQ(v.role_sid, kRoleSid);
}

TEST_F(StoreRevisionTest, InvalidPatchIs50304AndChangesNothing) {
  const User a = Make("a", R"({"a":1})");
  for (const char* bad : {"", "{", "{\"a\":}", "nope", "{\"a\":1}x", "{\"a\":\"\xff\"}",
                          "{\"n\":123456789012345678901234567890}"}) {
    SCOPED_TRACE(bad);
    EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", PatchUpdate(bad)), 400,
                        twilio_code::kAttributesInvalid);
  }
  // Valid JSON whose result is not an object: a non-object patch replaces
  // the whole target (RFC 7396), and attributes must be an object.
  for (const char* not_object : {"[1]", "\"x\"", "1", "null"}) {
    SCOPED_TRACE(not_object);
    EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", PatchUpdate(not_object)), 400,
                        twilio_code::kAttributesInvalid);
  }
  ExpectSameStoredUser(a, Fetch("a"));
}

TEST_F(StoreRevisionTest, PatchDeeperThanTheLimitIs50304) {
  StoreOptions options;
  options.limits.max_attributes_depth = 3;
  TestStore t(options);
  ASSERT_OK(t->CreateUser(kServiceSid, Id("a", R"({"a":{"b":1}})")));
  // Depth 3 fits; the patch alone deeper than 3 does not.
  ASSERT_OK(t->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"a":{"c":{"d":1}}})")));
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"x":{"y":{"z":{"w":1}}}})")),
                      400, twilio_code::kAttributesInvalid);
  ASSERT_OK_AND_ASSIGN(const User u, t->FetchUser(kServiceSid, "a"));
  EXPECT_EQ(u.attributes, R"({"a":{"b":1,"c":{"d":1}}})");
}

TEST_F(StoreRevisionTest, PatchedResultOverTheLimitIs50303AndChangesNothing) {
  StoreOptions options;
  options.limits.max_attributes_bytes = 64;
  TestStore t(options);
  const std::string start = R"({"a":")" + std::string(40, 'a') + R"("})";  // 48 bytes
  ASSERT_OK_AND_ASSIGN(const User a, t->CreateUser(kServiceSid, Id("a", start)));
  // The patch alone is small; the result, one byte over: 48 - 1 + 18 = 65.
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"b":"0123456789"})")), 400,
                      twilio_code::kAttributesTooLong);
  ASSERT_OK_AND_ASSIGN(const User after, t->FetchUser(kServiceSid, "a"));
  ExpectSameStoredUser(a, after);
  // Exactly at the limit is accepted (48 - 1 + 17 = 64).
  ASSERT_OK_AND_ASSIGN(const User fits,
                       t->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"b":"012345678"})")));
  EXPECT_EQ(fits.attributes.size(), 64u);
}

// user.h: a patch longer than max_attributes_bytes is refused before any
// lock (50303), even one that would shrink the attributes; at the limit it
// is applied.
TEST_F(StoreRevisionTest, PatchLongerThanTheLimitIs50303) {
  StoreOptions options;
  options.limits.max_attributes_bytes = 32;
  TestStore t(options);
  ASSERT_OK_AND_ASSIGN(const User a, t->CreateUser(kServiceSid, Id("a", R"({"a":1,"b":2})")));
  // 35 bytes, removing keys only.
  const std::string over = R"({"a":null,"b":null,"cccccccc":null})";
  ASSERT_EQ(over.size(), 35u);
  EXPECT_TWILIO_ERROR(t->UpdateUser(kServiceSid, "a", PatchUpdate(over)), 400,
                      twilio_code::kAttributesTooLong);
  ExpectSameStoredUser(a, *t->FetchUser(kServiceSid, "a"));
  const std::string at = R"({"a":null,"b":null,"ccccc":null})";
  ASSERT_EQ(at.size(), 32u);
  ASSERT_OK_AND_ASSIGN(const User patched, t->UpdateUser(kServiceSid, "a", PatchUpdate(at)));
  EXPECT_EQ(patched.attributes, "{}");
}

TEST_F(StoreRevisionTest, AttributesAndPatchTogetherAre400) {
  const User a = Make("a", R"({"a":1})");
  UserUpdate both = PatchUpdate(R"({"b":2})");
  both.attributes = R"({"c":3})";
  EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", both), 400, twilio_code::kInvalidParameter);
  both.if_revision = a.revision;
  EXPECT_TWILIO_ERROR(t_->UpdateUser(kServiceSid, "a", both), 400, twilio_code::kInvalidParameter);
  ExpectSameStoredUser(a, Fetch("a"));
}

TEST_F(StoreRevisionTest, PatchKeepsPresenceAndConnections) {
  ASSERT_OK(t_->SetReachabilityEnabled(kServiceSid, true));
  Make("a");
  ASSERT_OK(t_->ConnectUser(kServiceSid, "a"));
  ASSERT_OK(t_->ConnectUser(kServiceSid, "a"));
  // Small (in place) and large (a new record) patches alike.
  ASSERT_OK(t_->UpdateUser(kServiceSid, "a", PatchUpdate(R"({"s":1})")));
  ASSERT_OK(
      t_->UpdateUser(kServiceSid, "a", PatchUpdate("{\"l\":\"" + std::string(3000, 'l') + "\"}")));
  EXPECT_EQ(Fetch("a").is_online, true);
  ASSERT_OK_AND_ASSIGN(const UserConnection d, t_->DisconnectUser(kServiceSid, "a"));
  EXPECT_EQ(d.connections, 1u);
  EXPECT_EQ(d.user.is_online, true);
}

}  // namespace
}  // namespace userstore

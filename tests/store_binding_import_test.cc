// Store::ImportBindings (import.h, BindingImport) and StoreReader::ReadBindings
// (inspect.h): push Bindings exported from a durable store and imported into
// another come back exactly (a round trip), and each row is decided as
// ImportOptions::mode says.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kServiceSid;
using testing::TestStore;

constexpr char kService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

BindingCreate Params(BindingType type, std::string endpoint) {
  BindingCreate p;
  p.binding_type = type;
  p.endpoint = std::move(endpoint);
  return p;
}

std::string Describe(const Binding& b) {
  return absl::StrCat(b.sid, " ", b.user_sid, " ", b.identity, " ",
                      static_cast<int>(b.binding_type), " ", b.endpoint, " ", b.credential_sid,
                      " [", absl::StrJoin(b.message_types, ","), "] ",
                      absl::ToUnixSeconds(b.date_created), " ", absl::ToUnixSeconds(b.date_updated),
                      " ", b.service_sid);
}

std::vector<std::string> All(Store& store, std::string_view service) {
  std::vector<std::string> out;
  BindingListRequest request;
  request.page_size = 100;
  absl::StatusOr<BindingPage> page = store.ListBindings(service, request);
  EXPECT_TRUE(page.ok()) << page.status();
  if (page.ok()) {
    for (const Binding& b : page->bindings) out.push_back(Describe(b));
  }
  return out;
}

BindingImport FromBinding(const Binding& b) {
  BindingImport row;
  row.sid = b.sid;
  row.user_key = b.user_sid;
  row.binding_type = b.binding_type;
  row.endpoint = b.endpoint;
  row.credential_sid = b.credential_sid;
  row.message_types = b.message_types;
  row.date_created = b.date_created;
  row.date_updated = b.date_updated;
  return row;
}

// Export (StoreReader beside the closed durable store) and import into a
// memory Store: every Service field, user and Binding as it was.
TEST(StoreBindingImport, RoundTripThroughStoreReader) {
  testing::TempDir dir("userstore-binding-import");
  std::vector<std::string> before;
  {
    StoreOptions options;
    int64_t now = 1600000000;
    options.clock = [&now] { return absl::FromUnixSeconds(now); };
    DurableOptions durable;
    durable.sync = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir.Sub("s"), options, durable));
    ServiceCreate sc;
    sc.sid = kService;
    ASSERT_OK(store->CreateService(sc));
    for (const char* identity : {"a", "b", "gone"}) {
      UserCreate c;
      c.identity = identity;
      ASSERT_OK(store->CreateUser(kService, c));
    }
    BindingCreate full = Params(BindingType::kFcm, "fcm-a");
    full.credential_sid = "CRaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    full.message_types = {"new_message", "invited_to_channel"};
    ASSERT_OK(store->RegisterBinding(kService, "a", full));
    now += 7;
    ASSERT_OK(store->RegisterBinding(kService, "b", Params(BindingType::kApn, "apn-b")));
    ASSERT_OK(store->RegisterBinding(kService, "gone", Params(BindingType::kApn, "x")));
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kGcm, "gcm-a")));
    now += 5;
    ASSERT_OK(store->RegisterBinding(kService, "b", Params(BindingType::kApn, "apn-b")));  // again
    ASSERT_OK(store->DeleteUser(kService, "gone"));
    before = All(*store, kService);
    ASSERT_EQ(before.size(), 3u);
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StoreReader> reader, StoreReader::Open(dir.Sub("s")));
  std::vector<std::string> read;
  std::vector<BindingImport> rows;
  ASSERT_OK(reader->ReadBindings(kService, [&](const Binding& b) {
    read.push_back(Describe(b));
    rows.push_back(FromBinding(b));
    return true;
  }));
  EXPECT_EQ(read, before);
  std::vector<UserImport> users;
  ASSERT_OK(reader->VisitUsers(kService, [&](const User& u) {
    UserImport row;
    row.sid = u.sid;
    row.identity = u.identity;
    row.role_sid = u.role_sid;
    row.date_created = u.date_created;
    row.date_updated = u.date_updated;
    users.push_back(row);
    return true;
  }));
  ASSERT_OK_AND_ASSIGN(const std::vector<Role> roles, reader->ListRoles(kService));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> copy, Store::Create());
  ASSERT_OK(copy->ImportService(reader->services().at(0), roles));
  ASSERT_OK_AND_ASSIGN(const ImportResult imported_users, copy->ImportUsers(kService, users));
  EXPECT_EQ(imported_users.inserted, 2u);
  ASSERT_OK_AND_ASSIGN(const ImportResult imported, copy->ImportBindings(kService, rows));
  EXPECT_EQ(imported.inserted, 3u);
  EXPECT_EQ(imported.rejected, 0u);
  EXPECT_EQ(All(*copy, kService), before);
  ASSERT_OK(copy->SetReachabilityEnabled(kService, true));
  ASSERT_OK_AND_ASSIGN(const User a, copy->FetchUser(kService, "a"));
  EXPECT_EQ(a.is_notifiable, true);
  // Imported again: kSkip skips all, kUpsert replaces all in place.
  ImportOptions skip;
  skip.mode = ImportMode::kSkip;
  ASSERT_OK_AND_ASSIGN(const ImportResult skipped, copy->ImportBindings(kService, rows, skip));
  EXPECT_EQ(skipped.skipped, 3u);
  ImportOptions upsert;
  upsert.mode = ImportMode::kUpsert;
  ASSERT_OK_AND_ASSIGN(const ImportResult replaced, copy->ImportBindings(kService, rows, upsert));
  EXPECT_EQ(replaced.replaced, 3u);
  EXPECT_EQ(All(*copy, kService), before);
  // An unknown Service.
  EXPECT_TWILIO_ERROR(reader->ReadBindings(kServiceSid, [](const Binding&) { return true; }), 404,
                      20404);
}

TEST(StoreBindingImport, RowsAreDecidedByMode) {
  StoreOptions options;
  options.limits.max_bindings_per_user = 2;
  TestStore t(options);
  UserCreate c;
  c.identity = "u";
  ASSERT_OK_AND_ASSIGN(const User u, t->CreateUser(kServiceSid, c));
  c.identity = "v";
  ASSERT_OK(t->CreateUser(kServiceSid, c));
  ASSERT_OK_AND_ASSIGN(const Binding held,
                       t->RegisterBinding(kServiceSid, "u", Params(BindingType::kApn, "held")));
  ASSERT_OK_AND_ASSIGN(const Binding gone,
                       t->RegisterBinding(kServiceSid, "v", Params(BindingType::kApn, "gone")));
  ASSERT_OK(t->DeleteBinding(kServiceSid, "", gone.sid));

  auto row = [&](std::string sid, std::string user, std::string endpoint) {
    BindingImport r;
    r.sid = std::move(sid);
    r.user_key = std::move(user);
    r.endpoint = std::move(endpoint);
    r.date_created = r.date_updated = absl::FromUnixSeconds(1500000000);
    return r;
  };
  const std::string fresh = "BS" + std::string(32, '1');
  std::vector<BindingImport> rows = {
      row("BSshort", "u", "e"),                               // 0: bad SID
      row(fresh, "nobody", "e"),                              // 1: unknown user
      row(gone.sid, "v", "e"),                                // 2: a deleted SID
      row(held.sid, "u", "held"),                             // 3: SID taken
      row("BS" + std::string(32, '2'), "u", "held"),          // 4: key taken
      row("BS" + std::string(32, '3'), u.sid, "new"),         // 5: inserted (u by SID)
      row("BS" + std::string(32, '4'), "u", "one-too-many"),  // 6: beyond the limit
      row(held.sid, "v", "elsewhere"),                        // 7: SID taken (v's row)
  };
  rows[0].date_updated = absl::FromUnixSeconds(1);  // (the SID is checked first)
  ImportOptions dry;
  dry.dry_run = true;
  ASSERT_OK_AND_ASSIGN(const ImportResult planned, t->ImportBindings(kServiceSid, rows, dry));
  ASSERT_OK_AND_ASSIGN(const BindingPage untouched, t->ListBindings(kServiceSid, {}));
  EXPECT_EQ(untouched.bindings.size(), 1u);
  ASSERT_OK_AND_ASSIGN(const ImportResult result, t->ImportBindings(kServiceSid, rows));
  EXPECT_EQ(planned.inserted, result.inserted);
  EXPECT_EQ(planned.rejected, result.rejected);
  EXPECT_EQ(result.inserted, 1u);
  EXPECT_EQ(result.rejected, 7u);
  ASSERT_EQ(result.errors.size(), 7u);
  const std::vector<std::pair<int, int>> codes = {{400, 20001}, {404, 20404}, {409, 20001},
                                                  {409, 20001}, {409, 20001}, {403, 20403},
                                                  {409, 20001}};
  const std::vector<size_t> indexes = {0, 1, 2, 3, 4, 6, 7};
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(result.errors[i].index, indexes[i]);
    EXPECT_EQ(HttpStatus(result.errors[i].status), codes[i].first) << result.errors[i].status;
    EXPECT_EQ(TwilioCode(result.errors[i].status), codes[i].second) << result.errors[i].status;
    EXPECT_EQ(TwilioCode(planned.errors.at(i).status), codes[i].second);
  }
  EXPECT_EQ(result.errors[2].status.message(),
            "Binding SID " + gone.sid +
                " belonged to a deleted Binding: a SID never comes back into use");
  ASSERT_OK_AND_ASSIGN(const Binding inserted,
                       t->FetchBinding(kServiceSid, "u", "BS" + std::string(32, '3')));
  EXPECT_EQ(inserted.endpoint, "new");
  EXPECT_EQ(inserted.date_created, absl::FromUnixSeconds(1500000000));

  // kUpsert: the same SID of the same user is replaced, keeping its place;
  // another user's SID is refused.
  ImportOptions upsert;
  upsert.mode = ImportMode::kUpsert;
  std::vector<BindingImport> again = {row(held.sid, "u", "moved"), row(held.sid, "v", "x")};
  ASSERT_OK_AND_ASSIGN(const ImportResult upserted, t->ImportBindings(kServiceSid, again, upsert));
  EXPECT_EQ(upserted.replaced, 1u);
  ASSERT_EQ(upserted.errors.size(), 1u);
  EXPECT_EQ(upserted.errors[0].status.message(),
            "Binding " + held.sid + " belongs to another user");
  ASSERT_OK_AND_ASSIGN(const BindingPage page, t->ListBindings(kServiceSid, {}));
  ASSERT_EQ(page.bindings.size(), 2u);
  EXPECT_EQ(page.bindings[0].sid, held.sid);
  EXPECT_EQ(page.bindings[0].endpoint, "moved");
  // Bad options.
  ImportOptions bad;
  bad.mode = static_cast<ImportMode>(9);
  EXPECT_TWILIO_ERROR(t->ImportBindings(kServiceSid, rows, bad), 400, 20001);
  EXPECT_TWILIO_ERROR(t->ImportBindings("ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", rows), 404, 20404);
}

}  // namespace
}  // namespace userstore

// Filtered lists, counts and the indexed attribute across a durable
// Store's close and reopen (issue 18): the declaration is journaled (a/<IS>)
// and the indexes are rebuilt from the restored users.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

constexpr char kService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class DurableFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    StoreOptions options;
    options.clock = [c = clock_] { return c->Now(); };
    DurableOptions durable;
    durable.sync = false;
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir_.Sub("store"), std::move(options), std::move(durable));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  testing::TempDir dir_{"userstore-durable-filter"};
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
};

std::vector<std::string> Identities(const Page& p) {
  std::vector<std::string> out;
  for (const User& u : p.users) out.push_back(u.identity);
  return out;
}

// Every page of `filter` (page size 2) in order.
std::vector<std::string> Walk(Store& store, const UserFilter& filter) {
  std::vector<std::string> out;
  PageRequest r;
  r.filter = filter;
  r.page_size = 2;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<Page> p = store.ListUsers(kService, r);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    for (const std::string& id : Identities(*p)) out.push_back(id);
    if (p->next_page_token.empty()) break;
    r.page = p->page + 1;
    r.page_token = p->next_page_token;
  }
  return out;
}

UserFilter Attr(std::string value) {
  UserFilter f;
  f.attribute_key = "team";
  f.attribute_value = std::move(value);
  return f;
}

TEST_F(DurableFilterTest, DeclarationAndIndexesSurviveReopen) {
  std::string role;
  std::string token;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ServiceCreate sc;
    sc.sid = kService;
    ASSERT_OK(store->CreateService(sc));
    RoleCreate rc;
    rc.friendly_name = "admin";
    absl::StatusOr<Role> admin = store->AddRole(kService, rc);
    ASSERT_OK(admin);
    role = admin->sid;
    const char* teams[] = {"red", "blue", "red", "red", "blue"};
    for (int i = 0; i < 5; ++i) {
      UserCreate c;
      c.identity = "u" + std::to_string(4 - i);
      c.attributes = std::string(R"({"team":")") + teams[i] + "\"}";
      if (i % 2 == 0) c.role_sid = role;
      ASSERT_OK(store->CreateUser(kService, c));
      clock_->Advance(1);
      if (i == 1) ASSERT_OK(store->SetIndexedAttribute(kService, "team"));
    }
    UserUpdate u;
    u.attributes = R"({"team":"blue"})";
    ASSERT_OK(store->UpdateUser(kService, "u1", u));
    ASSERT_OK(store->DeleteUser(kService, "u0", UserDelete{}));
    EXPECT_EQ(Walk(*store, Attr(R"("red")")), (std::vector<std::string>{"u4", "u2"}));
    PageRequest r;
    r.filter = Attr(R"("blue")");
    r.page_size = 1;
    absl::StatusOr<Page> p = store->ListUsers(kService, r);
    ASSERT_OK(p);
    token = p->next_page_token;
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string key, store->IndexedAttribute(kService));
  EXPECT_EQ(key, "team");
  EXPECT_EQ(Walk(*store, Attr(R"("red")")), (std::vector<std::string>{"u4", "u2"}));
  EXPECT_EQ(Walk(*store, Attr(R"("blue")")), (std::vector<std::string>{"u3", "u1"}));
  ASSERT_OK_AND_ASSIGN(uint64_t blue, store->CountUsers(kService, Attr(R"("blue")")));
  EXPECT_EQ(blue, 2u);
  UserFilter by_role;
  by_role.role_sid = role;
  EXPECT_EQ(Walk(*store, by_role), (std::vector<std::string>{"u4", "u2"}));
  UserFilter prefix;
  prefix.identity_prefix = "u";
  EXPECT_EQ(Walk(*store, prefix), (std::vector<std::string>{"u1", "u2", "u3", "u4"}));
  // A token issued before the restart still serves its filter.
  PageRequest r;
  r.filter = Attr(R"("blue")");
  r.page_size = 1;
  r.page = 1;
  r.page_token = token;
  ASSERT_OK_AND_ASSIGN(Page next, store->ListUsers(kService, r));
  EXPECT_EQ(Identities(next), std::vector<std::string>{"u1"});

  // `userstore check` knows the a/ key.
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckStore(dir_.Sub("store")));
  EXPECT_TRUE(report.problems.empty()) << FormatCheckReport(report);

  // Removing the declaration persists too.
  ASSERT_OK(store->SetIndexedAttribute(kService, ""));
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(key, store->IndexedAttribute(kService));
  EXPECT_EQ(key, "");
  EXPECT_TWILIO_ERROR(store->CountUsers(kService, Attr(R"("red")")), 400, 20001);
}

}  // namespace
}  // namespace userstore

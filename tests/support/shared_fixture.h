// A test fixture for shared Stores (Store::OpenShared) against a real
// PostgreSQL: skipped unless USERSTORE_PG_CONNINFO is set
// (tests/postgres/README.md). Each test gets its own database, dropped at
// the end (with the replication slots its Stores left, if any).
#ifndef USERSTORE_TESTS_SUPPORT_SHARED_FIXTURE_H_
#define USERSTORE_TESTS_SUPPORT_SHARED_FIXTURE_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "shared/pg.h"
#include "sid/sid.h"
#include "tests/support/test_store.h"
#include "userstore/store.h"

namespace userstore::testing {

class SharedFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conninfo = std::getenv("USERSTORE_PG_CONNINFO");
    if (conninfo == nullptr || *conninfo == '\0') {
      GTEST_SKIP() << "USERSTORE_PG_CONNINFO is not set: start PostgreSQL with "
                      "scripts/postgres.sh start";
    }
    admin_conninfo_ = conninfo;
    // A lowercase hex name: no quoting needed, and no user data in the SQL.
    database_ = "ut_" + internal::FormatSid("ut", internal::RandomSidBytes()).substr(2, 16);
    auto admin = Admin();
    ASSERT_TRUE(admin.ok()) << admin.status();
    ASSERT_TRUE(admin->Exec(("CREATE DATABASE " + database_).c_str(), {}).ok());
    conninfo_ = admin_conninfo_ + " dbname=" + database_;
  }

  void TearDown() override {
    if (database_.empty()) return;
    auto admin = Admin();
    ASSERT_TRUE(admin.ok()) << admin.status();
    auto dropped = admin->Exec(("DROP DATABASE " + database_ + " WITH (FORCE)").c_str(), {});
    EXPECT_TRUE(dropped.ok()) << dropped.status();
  }

  // A connection to the cluster's own database (not the test's).
  absl::StatusOr<internal::shared::PgConn> Admin() const {
    return internal::shared::PgConn::Connect(admin_conninfo_, absl::Seconds(30));
  }
  // A connection to the test's database.
  absl::StatusOr<internal::shared::PgConn> Database() const {
    return internal::shared::PgConn::Connect(conninfo_, absl::Seconds(30));
  }

  std::unique_ptr<Store> Open(SharedOptions shared = {}) {
    auto store = Store::OpenShared(conninfo_, {}, shared);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A Store with Service kServiceSid created in the database.
  std::unique_ptr<Store> OpenWithService(SharedOptions shared = {}) {
    std::unique_ptr<Store> store = Open(std::move(shared));
    if (store == nullptr) return nullptr;
    ServiceCreate params;
    params.sid = kServiceSid;
    params.friendly_name = "shared";
    auto service = store->EnsureService(params);
    EXPECT_TRUE(service.ok()) << service.status();
    return store;
  }

  // Waits until `reader` has applied every write acknowledged so far by any
  // Store (10 s at most).
  static absl::Status CatchUp(Store& writer, Store& reader) {
    absl::StatusOr<uint64_t> position = writer.SharedPosition();
    if (!position.ok()) return position.status();
    return reader.WaitForPosition(*position, absl::Seconds(10));
  }

  // Every user of Service kServiceSid on `store`, by SID:
  // "identity|revision|attributes".
  static std::map<std::string, std::string> Contents(Store& store) {
    std::map<std::string, std::string> out;
    PageRequest request;
    request.page_size = 100;
    for (;;) {
      absl::StatusOr<Page> page = store.ListUsers(kServiceSid, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      for (const User& u : page->users) {
        out[u.sid] = u.identity + "|" + std::to_string(u.revision) + "|" + u.attributes;
      }
      if (page->next_page_token.empty()) return out;
      request.page_token = page->next_page_token;
    }
  }

  std::string admin_conninfo_;
  std::string database_;
  std::string conninfo_;
};

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_SHARED_FIXTURE_H_

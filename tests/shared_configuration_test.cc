// The Conversations Configuration of shared Stores (Store::OpenShared): one
// row of userstore_configuration (schema v2), loaded at open and replicated
// to every Store through the logical replication stream; no update lost
// when two Stores write; a v1 database upgraded. Skipped unless
// USERSTORE_PG_CONNINFO is set (tests/postgres/README.md).
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "shared/pg.h"
#include "tests/support/shared_fixture.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::shared::PgConn;
using testing::kServiceSid;

constexpr char kMessaging[] = "MGdddddddddddddddddddddddddddddddd";

class SharedConfigurationTest : public testing::SharedFixture {
 protected:
  // Runs `sql` on the test's database.
  void Sql(const char* sql) {
    auto conn = Database();
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto done = conn->Exec(sql, {});
    ASSERT_TRUE(done.ok()) << sql << ": " << done.status();
  }
  // The first cell of `sql`'s result.
  std::string Query(const char* sql) {
    auto conn = Database();
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return "";
    auto result = conn->Exec(sql, {});
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
    if (!result.ok() || result->rows() < 1) return "";
    return std::string(result->Get(0, 0));
  }
  // Every field of `store`'s Configuration but the account, "|"-joined.
  static std::string Fields(const Store& store) {
    const Configuration c = store.FetchConfiguration();
    return c.default_chat_service_sid + "|" + c.default_messaging_service_sid + "|" +
           c.default_inactive_timer + "|" + c.default_closed_timer;
  }
  static void ExpectNoApplyErrors(const Store& store) {
    const std::optional<ReplicaStatus> status = store.Replica();
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->apply_errors, 0u) << status->last_error;
  }
};

TEST_F(SharedConfigurationTest, AnUpdateOnOneStoreIsSeenOnTheOther) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();  // opened before the update
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Fields(*b), "|||");
  EXPECT_EQ(b->FetchConfiguration().account_sid, a->FetchConfiguration().account_sid);

  ConfigurationUpdate update;
  update.default_chat_service_sid = kServiceSid;
  update.default_inactive_timer = "PT1H";
  ASSERT_OK(a->UpdateConfiguration(update));
  ASSERT_OK(CatchUp(*a, *b));
  EXPECT_EQ(Fields(*b), std::string(kServiceSid) + "||PT1H|");

  // B updates other fields: A's survive, and A sees B's.
  update = {};
  update.default_messaging_service_sid = kMessaging;
  update.default_closed_timer = "PT10M";
  ASSERT_OK_AND_ASSIGN(const Configuration merged, b->UpdateConfiguration(update));
  EXPECT_EQ(merged.default_chat_service_sid, kServiceSid);
  ASSERT_OK(CatchUp(*b, *a));
  const std::string expected = std::string(kServiceSid) + "|" + kMessaging + "|PT1H|PT10M";
  EXPECT_EQ(Fields(*a), expected);
  EXPECT_EQ(Fields(*b), expected);
  EXPECT_EQ(Query("SELECT revision FROM userstore_configuration"), "2");
  ExpectNoApplyErrors(*a);
  ExpectNoApplyErrors(*b);

  // A Store opened now loads it.
  std::unique_ptr<Store> c = Open();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Fields(*c), expected);
  // Refused updates write nothing.
  update = {};
  update.default_chat_service_sid = "ISffffffffffffffffffffffffffffffff";
  EXPECT_TWILIO_ERROR(c->UpdateConfiguration(update), 404, 20404);
  update.default_chat_service_sid = "IS1";
  EXPECT_TWILIO_ERROR(c->UpdateConfiguration(update), 400, 20001);
  EXPECT_EQ(Query("SELECT revision FROM userstore_configuration"), "2");
}

// Another host's update that this Store has not applied yet: its own
// update is refused by the database (409/20409), retried once caught up,
// and keeps the other host's field.
TEST_F(SharedConfigurationTest, UpdatesOfTwoHostsAreBothKept) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  for (int round = 1; round <= 10; ++round) {
    const std::string minutes = "PT" + std::to_string(round) + "M";
    const std::string hours = "PT" + std::to_string(round) + "H";
    ConfigurationUpdate on_a;
    on_a.default_inactive_timer = minutes;
    ConfigurationUpdate on_b;
    on_b.default_closed_timer = hours;
    // Back to back, with no catching up in between.
    ASSERT_OK(a->UpdateConfiguration(on_a));
    ASSERT_OK_AND_ASSIGN(const Configuration after_b, b->UpdateConfiguration(on_b));
    EXPECT_EQ(after_b.default_inactive_timer, minutes);  // A's, read by B's retry
    EXPECT_EQ(after_b.default_closed_timer, hours);
  }
  ASSERT_OK(CatchUp(*a, *b));
  ASSERT_OK(CatchUp(*b, *a));
  EXPECT_EQ(Fields(*a), "||PT10M|PT10H");
  EXPECT_EQ(Fields(*b), "||PT10M|PT10H");
  EXPECT_EQ(Query("SELECT revision FROM userstore_configuration"), "20");
  ExpectNoApplyErrors(*a);
  ExpectNoApplyErrors(*b);
}

// A Service just created through another Store: its SID is accepted (the
// Store catches up on 404/20404 and looks again).
TEST_F(SharedConfigurationTest, AServiceOfAnotherStoreMayBeTheDefault) {
  std::unique_ptr<Store> a = Open();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  for (const char* sid :
       {"ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee1", "ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee2"}) {
    ServiceCreate service;
    service.sid = sid;
    ASSERT_OK(a->CreateService(service));
    ConfigurationUpdate update;
    update.default_chat_service_sid = sid;
    ASSERT_OK_AND_ASSIGN(const Configuration c, b->UpdateConfiguration(update));
    EXPECT_EQ(c.default_chat_service_sid, sid);
  }
}

// A database made by a library of schema v1 (no userstore_configuration) is
// upgraded by the first Store that opens it.
TEST_F(SharedConfigurationTest, AVersion1DatabaseIsUpgraded) {
  {
    std::unique_ptr<Store> first = OpenWithService();
    ASSERT_NE(first, nullptr);
    UserCreate params;
    params.identity = "dana";
    ASSERT_OK(first->CreateUser(kServiceSid, params));
  }
  // Back to what schema v1 was.
  Sql("DROP TABLE userstore_configuration");
  Sql("UPDATE userstore_meta SET schema_version = 1");
  EXPECT_EQ(Query("SELECT to_regclass('userstore_configuration') IS NULL"), "t");

  std::unique_ptr<Store> a = Open();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Query("SELECT schema_version FROM userstore_meta"), "2");
  EXPECT_EQ(Query("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'userstore' AND "
                  "tablename = 'userstore_configuration'"),
            "1");
  ASSERT_OK(a->FetchUser(kServiceSid, "dana"));  // the data is untouched
  EXPECT_EQ(Fields(*a), "|||");
  std::unique_ptr<Store> b = Open();
  ASSERT_NE(b, nullptr);
  ConfigurationUpdate update;
  update.default_chat_service_sid = kServiceSid;
  ASSERT_OK(a->UpdateConfiguration(update));
  ASSERT_OK(CatchUp(*a, *b));
  EXPECT_EQ(Fields(*b), std::string(kServiceSid) + "|||");
  ExpectNoApplyErrors(*b);
}

// A row no Store would have written: a Store refuses to open on it, and a
// running Store's stream counts an apply error and keeps what it had.
TEST_F(SharedConfigurationTest, AMalformedRowIsRefused) {
  std::unique_ptr<Store> a = OpenWithService();
  ASSERT_NE(a, nullptr);
  ConfigurationUpdate update;
  update.default_inactive_timer = "PT5M";
  ASSERT_OK(a->UpdateConfiguration(update));
  Sql("UPDATE userstore_configuration SET revision = revision + 1, "
      "default_inactive_timer = 'five minutes'");
  ASSERT_OK(CatchUp(*a, *a));
  EXPECT_EQ(a->FetchConfiguration().default_inactive_timer, "PT5M");
  const std::optional<ReplicaStatus> status = a->Replica();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->apply_errors, 1u);
  EXPECT_NE(status->last_error.find("DefaultInactiveTimer"), std::string::npos)
      << status->last_error;
  const auto b = Store::OpenShared(conninfo_, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(HttpStatus(b.status()), 500);
  EXPECT_NE(b.status().message().find("Configuration"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace userstore

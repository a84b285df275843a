// The Conversations Configuration of the C++ API (Store::FetchConfiguration,
// Store::UpdateConfiguration) on a memory Store.
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_store.h"
#include "userstore/configuration.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using testing::kAccountSid;
using testing::kServiceSid;
using testing::TestStore;

constexpr char kMessagingSid[] = "MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST(StoreConfiguration, NewStoreHasOnlyTheAccount) {
  TestStore t;
  const Configuration c = t->FetchConfiguration();
  EXPECT_EQ(c.account_sid, kAccountSid);
  EXPECT_EQ(c.default_chat_service_sid, "");
  EXPECT_EQ(c.default_messaging_service_sid, "");
  EXPECT_EQ(c.default_inactive_timer, "");
  EXPECT_EQ(c.default_closed_timer, "");
}

TEST(StoreConfiguration, UpdateSetsTheGivenFieldsAndKeepsTheOthers) {
  TestStore t;
  ConfigurationUpdate update;
  update.default_chat_service_sid = kServiceSid;
  update.default_inactive_timer = "PT1H";
  ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(update));
  EXPECT_EQ(c.account_sid, kAccountSid);
  EXPECT_EQ(c.default_chat_service_sid, kServiceSid);
  EXPECT_EQ(c.default_inactive_timer, "PT1H");
  EXPECT_EQ(c.default_messaging_service_sid, "");

  update = {};
  update.default_messaging_service_sid = kMessagingSid;
  update.default_closed_timer = "P1DT12H";
  ASSERT_OK_AND_ASSIGN(c, t->UpdateConfiguration(update));
  EXPECT_EQ(c.default_chat_service_sid, kServiceSid);  // kept
  EXPECT_EQ(c.default_inactive_timer, "PT1H");         // kept
  EXPECT_EQ(c.default_messaging_service_sid, kMessagingSid);
  EXPECT_EQ(c.default_closed_timer, "P1DT12H");

  const Configuration fetched = t->FetchConfiguration();
  EXPECT_EQ(fetched.account_sid, kAccountSid);
  EXPECT_EQ(fetched.default_chat_service_sid, kServiceSid);
  EXPECT_EQ(fetched.default_messaging_service_sid, kMessagingSid);
  EXPECT_EQ(fetched.default_inactive_timer, "PT1H");
  EXPECT_EQ(fetched.default_closed_timer, "P1DT12H");
}

TEST(StoreConfiguration, EmptyClearsAField) {
  TestStore t;
  ConfigurationUpdate update;
  update.default_chat_service_sid = kServiceSid;
  update.default_closed_timer = "PT10M";
  ASSERT_OK(t->UpdateConfiguration(update));
  update = {};
  update.default_chat_service_sid = "";
  ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(update));
  EXPECT_EQ(c.default_chat_service_sid, "");
  EXPECT_EQ(c.default_closed_timer, "PT10M");
  EXPECT_EQ(t->FetchConfiguration().default_chat_service_sid, "");
}

TEST(StoreConfiguration, UpdateWithNothingSetReturnsTheConfigurationUnchanged) {
  TestStore t;
  ConfigurationUpdate update;
  update.default_inactive_timer = "PT5M";
  ASSERT_OK(t->UpdateConfiguration(update));
  ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(ConfigurationUpdate{}));
  EXPECT_EQ(c.account_sid, kAccountSid);
  EXPECT_EQ(c.default_inactive_timer, "PT5M");
}

TEST(StoreConfiguration, SidsAreStoredInLowercase) {
  TestStore t;
  ConfigurationUpdate update;
  update.default_chat_service_sid = "ISAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  update.default_messaging_service_sid = "MGBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(update));
  EXPECT_EQ(c.default_chat_service_sid, kServiceSid);
  EXPECT_EQ(c.default_messaging_service_sid, kMessagingSid);
  EXPECT_EQ(t->FetchConfiguration().default_chat_service_sid, kServiceSid);
}

TEST(StoreConfiguration, MalformedSidsAre400AndChangeNothing) {
  TestStore t;
  ConfigurationUpdate good;
  good.default_chat_service_sid = kServiceSid;
  good.default_messaging_service_sid = kMessagingSid;
  ASSERT_OK(t->UpdateConfiguration(good));
  for (const char* bad :
       {"IS123", "MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ISgggggggggggggggggggggggggggggggg", " ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    ConfigurationUpdate update;
    update.default_chat_service_sid = bad;
    update.default_inactive_timer = "PT1M";  // valid, but the update fails as a whole
    EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 400, 20001);
  }
  for (const char* bad :
       {"MG", "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}) {
    ConfigurationUpdate update;
    update.default_messaging_service_sid = bad;
    EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 400, 20001);
  }
  const Configuration c = t->FetchConfiguration();
  EXPECT_EQ(c.default_chat_service_sid, kServiceSid);
  EXPECT_EQ(c.default_messaging_service_sid, kMessagingSid);
  EXPECT_EQ(c.default_inactive_timer, "");
}

TEST(StoreConfiguration, AnUnknownServiceIs404AndChangesNothing) {
  TestStore t;
  ConfigurationUpdate update;
  update.default_chat_service_sid = "ISffffffffffffffffffffffffffffffff";
  update.default_closed_timer = "PT10M";
  EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 404, 20404);
  EXPECT_EQ(t->FetchConfiguration().default_chat_service_sid, "");
  EXPECT_EQ(t->FetchConfiguration().default_closed_timer, "");
  // A shape error is reported before the Service is looked up.
  update.default_closed_timer = "10 minutes";
  EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 400, 20001);
  // Once the Service exists, the same update succeeds.
  ServiceCreate service;
  service.sid = "ISffffffffffffffffffffffffffffffff";
  ASSERT_OK(t->CreateService(service));
  update.default_closed_timer = "PT10M";
  ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(update));
  EXPECT_EQ(c.default_chat_service_sid, "ISffffffffffffffffffffffffffffffff");
}

TEST(StoreConfiguration, TimersAreIso8601Durations) {
  TestStore t;
  for (const char* good : {"PT1M", "PT10M", "P1D", "PT1H", "PT30S", "P2DT3H4M5S", "PT1H30M", "P0D",
                           "PT0S", "P1DT1S", "P12345678901234567890123456789D"}) {
    ConfigurationUpdate update;
    update.default_inactive_timer = good;
    update.default_closed_timer = good;
    ASSERT_OK_AND_ASSIGN(Configuration c, t->UpdateConfiguration(update));
    EXPECT_EQ(c.default_inactive_timer, good);
    EXPECT_EQ(c.default_closed_timer, good);
  }
  ConfigurationUpdate keep;
  keep.default_inactive_timer = "PT2M";
  keep.default_closed_timer = "PT20M";
  ASSERT_OK(t->UpdateConfiguration(keep));
  for (const char* bad :
       {"P",     "PT",    "T1H",    "1H",     "PT1",    "PT1H2",
        "P1H",   "PT1D",  "PT1M1H", "PT1S1M", "P1DT",   "P1W",
        "P1Y",   "P1M",   "PT1.5S", "PT-1M",  "pt1m",   "PT1m",
        " PT1M", "PT1M ", "PT1M\n", "P1D1D",  "PT1H1H", "P1234567890123456789012345678901D",
        "PT１M"}) {
    SCOPED_TRACE(bad);
    ConfigurationUpdate update;
    update.default_inactive_timer = bad;
    EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 400, 20001);
    update = {};
    update.default_closed_timer = bad;
    EXPECT_TWILIO_ERROR(t->UpdateConfiguration(update), 400, 20001);
  }
  const Configuration c = t->FetchConfiguration();
  EXPECT_EQ(c.default_inactive_timer, "PT2M");
  EXPECT_EQ(c.default_closed_timer, "PT20M");
  // "" clears a timer.
  ConfigurationUpdate clear;
  clear.default_inactive_timer = "";
  ASSERT_OK_AND_ASSIGN(Configuration cleared, t->UpdateConfiguration(clear));
  EXPECT_EQ(cleared.default_inactive_timer, "");
  EXPECT_EQ(cleared.default_closed_timer, "PT20M");
}

TEST(StoreConfiguration, StoresDoNotShareTheirConfiguration) {
  TestStore a;
  TestStore b;
  ConfigurationUpdate update;
  update.default_chat_service_sid = kServiceSid;
  ASSERT_OK(a->UpdateConfiguration(update));
  EXPECT_EQ(a->FetchConfiguration().default_chat_service_sid, kServiceSid);
  EXPECT_EQ(b->FetchConfiguration().default_chat_service_sid, "");
}

// Concurrent updates of different fields: none is lost (updates are
// serialised), and readers see only whole values.
TEST(StoreConfiguration, ConcurrentUpdatesOfDifferentFieldsAreAllKept) {
  TestStore t;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < kRounds; ++i) {
      ConfigurationUpdate u;
      u.default_inactive_timer = "PT" + std::to_string(i + 1) + "M";
      EXPECT_TRUE(t->UpdateConfiguration(u).ok());
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kRounds; ++i) {
      ConfigurationUpdate u;
      u.default_closed_timer = "PT" + std::to_string(i + 1) + "H";
      EXPECT_TRUE(t->UpdateConfiguration(u).ok());
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kRounds; ++i) {
      const Configuration c = t->FetchConfiguration();
      EXPECT_EQ(c.account_sid, kAccountSid);
      if (!c.default_inactive_timer.empty()) {
        EXPECT_EQ(c.default_inactive_timer.back(), 'M');
      }
      if (!c.default_closed_timer.empty()) {
        EXPECT_EQ(c.default_closed_timer.back(), 'H');
      }
    }
  });
  for (std::thread& th : threads) th.join();
  const Configuration c = t->FetchConfiguration();
  EXPECT_EQ(c.default_inactive_timer, "PT" + std::to_string(kRounds) + "M");
  EXPECT_EQ(c.default_closed_timer, "PT" + std::to_string(kRounds) + "H");
}

}  // namespace
}  // namespace userstore

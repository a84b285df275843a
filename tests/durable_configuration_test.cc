// The Conversations Configuration of a durable Store: kept across a close
// and reopen (c/configuration), a failed journal write changes nothing, and
// `userstore check` accepts it and reports what is wrong with it.
#include <memory>
#include <string>
#include <utility>

#include "durable/codec.h"
#include "durable/open.h"
#include "durable/rocks_journal.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/inspect.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::JournalWrapper;

constexpr char kService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kOtherService[] = "IScccccccccccccccccccccccccccccccc";
constexpr char kMessaging[] = "MGdddddddddddddddddddddddddddddddd";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-durable-configuration") {}
};

// Opens (or creates) the durable Store in `path` with Services kService and
// kOtherService.
std::unique_ptr<Store> OpenWithServices(const std::string& path) {
  DurableOptions durable;
  durable.sync = false;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, {}, durable);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  for (const char* sid : {kService, kOtherService}) {
    ServiceCreate service;
    service.sid = sid;
    bool created = false;
    EXPECT_TRUE((*store)->EnsureService(service, &created).ok());
  }
  return *std::move(store);
}

void ExpectConfiguration(const Configuration& c, const std::string& chat,
                         const std::string& messaging, const std::string& inactive,
                         const std::string& closed) {
  EXPECT_EQ(c.default_chat_service_sid, chat);
  EXPECT_EQ(c.default_messaging_service_sid, messaging);
  EXPECT_EQ(c.default_inactive_timer, inactive);
  EXPECT_EQ(c.default_closed_timer, closed);
}

TEST(DurableConfiguration, SetReopenFetch) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  std::string account;
  {
    std::unique_ptr<Store> store = OpenWithServices(path);
    ASSERT_NE(store, nullptr);
    account = store->options().account_sid;
    // A new store: nothing stored, and nothing after a reopen either.
    ExpectConfiguration(store->FetchConfiguration(), "", "", "", "");
  }
  {
    std::unique_ptr<Store> store = OpenWithServices(path);
    ASSERT_NE(store, nullptr);
    ExpectConfiguration(store->FetchConfiguration(), "", "", "", "");
    ConfigurationUpdate update;
    update.default_chat_service_sid = kService;
    update.default_messaging_service_sid = kMessaging;
    update.default_inactive_timer = "PT1H";
    update.default_closed_timer = "P1DT12H";
    ASSERT_OK(store->UpdateConfiguration(update));
  }
  {
    std::unique_ptr<Store> store = OpenWithServices(path);
    ASSERT_NE(store, nullptr);
    const Configuration c = store->FetchConfiguration();
    EXPECT_EQ(c.account_sid, account);
    ExpectConfiguration(c, kService, kMessaging, "PT1H", "P1DT12H");
    // A second update after a reopen: the stored revision goes on from the
    // one restored; fields cleared with "" stay cleared.
    ConfigurationUpdate update;
    update.default_chat_service_sid = kOtherService;
    update.default_messaging_service_sid = "";
    ASSERT_OK(store->UpdateConfiguration(update));
  }
  {
    std::unique_ptr<Store> store = OpenWithServices(path);
    ASSERT_NE(store, nullptr);
    ExpectConfiguration(store->FetchConfiguration(), kOtherService, "", "PT1H", "P1DT12H");
  }
  ASSERT_OK_AND_ASSIGN(const CheckReport report, CheckStore(path));
  EXPECT_TRUE(report.ok()) << FormatCheckReport(report);
  // A read-only StoreReader (export, list) sees it too.
  ASSERT_OK_AND_ASSIGN(const std::unique_ptr<StoreReader> reader, StoreReader::Open(path));
  EXPECT_EQ(reader->configuration().account_sid, account);
  ExpectConfiguration(reader->configuration(), kOtherService, "", "PT1H", "P1DT12H");
}

TEST(DurableConfiguration, AStoreReaderOfAStoreNeverConfiguredSeesOnlyTheAccount) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  std::string account;
  {
    std::unique_ptr<Store> store = OpenWithServices(path);
    ASSERT_NE(store, nullptr);
    account = store->options().account_sid;
  }
  ASSERT_OK_AND_ASSIGN(const std::unique_ptr<StoreReader> reader, StoreReader::Open(path));
  EXPECT_EQ(reader->configuration().account_sid, account);
  ExpectConfiguration(reader->configuration(), "", "", "", "");
}

// Fails every PutConfiguration while `fail` is set.
class FailingConfiguration final : public JournalWrapper {
 public:
  FailingConfiguration(std::unique_ptr<Journal> inner, bool* fail)
      : JournalWrapper(std::move(inner)), fail_(fail) {}
  absl::Status PutConfiguration(const Configuration& configuration, uint64_t revision) override {
    ++calls;
    if (*fail_) return absl::UnavailableError("injected");
    return JournalWrapper::PutConfiguration(configuration, revision);
  }
  int calls = 0;

 private:
  const bool* const fail_;
};

TEST(DurableConfiguration, AFailedWriteChangesNothing) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  {
    std::unique_ptr<Store> store = OpenWithServices(path);  // the Services
    ASSERT_NE(store, nullptr);
  }
  bool fail = false;
  FailingConfiguration* journal = nullptr;
  internal::durable::OpenHooks hooks;
  hooks.wrap_journal = [&](std::unique_ptr<Journal> inner) -> std::unique_ptr<Journal> {
    auto wrapper = std::make_unique<FailingConfiguration>(std::move(inner), &fail);
    journal = wrapper.get();
    return wrapper;
  };
  {
    DurableOptions durable;
    durable.sync = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<internal::StoreImpl> store,
                         internal::durable::OpenDurable(path, {}, durable, hooks));
    ConfigurationUpdate first;
    first.default_chat_service_sid = kService;
    first.default_inactive_timer = "PT5M";
    ASSERT_OK(store->UpdateConfiguration(first));
    fail = true;
    ConfigurationUpdate second;
    second.default_chat_service_sid = kOtherService;
    second.default_closed_timer = "PT30M";
    const absl::StatusOr<Configuration> failed = store->UpdateConfiguration(second);
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(HttpStatus(failed.status()), 500);
    EXPECT_EQ(journal->calls, 2);
    // Memory is unchanged...
    ExpectConfiguration(store->FetchConfiguration(), kService, "", "PT5M", "");
    // ...and an invalid update fails before the journal is called.
    ConfigurationUpdate invalid;
    invalid.default_closed_timer = "30 minutes";
    EXPECT_TWILIO_ERROR(store->UpdateConfiguration(invalid), 400, 20001);
    EXPECT_EQ(journal->calls, 2);
    fail = false;
    ConfigurationUpdate third;
    third.default_closed_timer = "PT10M";
    ASSERT_OK_AND_ASSIGN(const Configuration c, store->UpdateConfiguration(third));
    ExpectConfiguration(c, kService, "", "PT5M", "PT10M");
  }
  // ...and so is the disk: the failed write never reached it.
  std::unique_ptr<Store> store = OpenWithServices(path);
  ASSERT_NE(store, nullptr);
  ExpectConfiguration(store->FetchConfiguration(), kService, "", "PT5M", "PT10M");
}

TEST(DurableConfiguration, CodecRoundTripsAndRefusesDamage) {
  Configuration c;
  c.default_chat_service_sid = kService;
  c.default_inactive_timer = "PT1M";
  const std::string value = internal::durable::EncodeConfiguration(c, 7);
  Configuration decoded;
  uint64_t revision = 0;
  ASSERT_OK(internal::durable::DecodeConfiguration(value, &decoded, &revision));
  EXPECT_EQ(revision, 7u);
  ExpectConfiguration(decoded, kService, "", "PT1M", "");
  // Every truncation and an extra byte are corruption, as is revision 0.
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_EQ(
        internal::durable::DecodeConfiguration(value.substr(0, n), &decoded, &revision).code(),
        absl::StatusCode::kDataLoss)
        << n;
  }
  EXPECT_EQ(internal::durable::DecodeConfiguration(value + "x", &decoded, &revision).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(internal::durable::DecodeConfiguration(internal::durable::EncodeConfiguration(c, 0),
                                                   &decoded, &revision)
                .code(),
            absl::StatusCode::kDataLoss);
}

// Writes `value` under `key` into the (closed) store in `path`.
void PutRaw(const std::string& path, const std::string& key, const std::string& value) {
  internal::durable::RocksOpen how;
  absl::StatusOr<internal::durable::StoreDb> db = internal::durable::OpenRocks(path, how);
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::WriteBatch batch;
  batch.Put(key, value);
  ASSERT_TRUE((*db)->Write(rocksdb::WriteOptions(), &batch).ok());
}

// A Configuration the Store would never have written: check reports it,
// and Store::Open refuses the directory as corrupt.
TEST(DurableConfiguration, CheckAndOpenReportABadConfiguration) {
  struct Case {
    const char* name;
    std::string key;
    Configuration configuration;
    const char* problem;  // a substring of the check's problem
  };
  Configuration unknown_service;
  unknown_service.default_chat_service_sid = "ISeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  Configuration bad_timer;
  bad_timer.default_inactive_timer = "ten minutes";
  const Case cases[] = {
      {"unknown Service", std::string(internal::durable::kConfigurationKey), unknown_service,
       "names unknown Service"},
      {"bad timer", std::string(internal::durable::kConfigurationKey), bad_timer,
       "DefaultInactiveTimer"},
      {"unknown c/ key", "c/other", Configuration(), "unknown key"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    TempDir dir;
    const std::string path = dir.Sub("store");
    {
      std::unique_ptr<Store> store = OpenWithServices(path);
      ASSERT_NE(store, nullptr);
    }
    PutRaw(path, test.key, internal::durable::EncodeConfiguration(test.configuration, 1));
    ASSERT_OK_AND_ASSIGN(const CheckReport report, CheckStore(path));
    EXPECT_FALSE(report.ok());
    EXPECT_NE(FormatCheckReport(report).find(test.problem), std::string::npos)
        << FormatCheckReport(report);
    const absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(path, {}, {});
    EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << reopened.status();
  }
}

}  // namespace
}  // namespace userstore

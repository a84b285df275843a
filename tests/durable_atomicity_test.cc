// Durable mode: a failed disk write fails the call and leaves memory
// unchanged, and what reaches the disk is exactly what memory shows.
//
// Two fault sources: a Journal wrapper that fails every Nth call before it
// reaches RocksDB (many failures, several threads, checked against a reopen),
// and a RocksDB FileSystem that fails the write-ahead log's appends or syncs
// (the real error path, including the journal's fail-stop latch).
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "durable/open.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::Journal;
using internal::JournalEvent;
using internal::JournalWrapper;
using internal::StoreImpl;
using internal::UserRecord;

constexpr char kService[] = "IScccccccccccccccccccccccccccccccc";

// A fresh directory per test.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-atomicity") {}
};

absl::Status Injected() {
  return TwilioError(absl::StatusCode::kUnavailable, 500, twilio_code::kInternal,
                     "injected disk failure");
}

bool IsInjected(const absl::Status& s) { return absl::StrContains(s.message(), "injected"); }

// Forwards to the real journal except every `every`-th call, which fails
// without reaching the disk.
class FlakyJournal final : public JournalWrapper {
 public:
  FlakyJournal(std::unique_ptr<Journal> inner, int every)
      : JournalWrapper(std::move(inner)), every_(every) {}
  absl::Status PutService(const Service& service, const std::vector<Role>& roles) override {
    if (Fail()) return Injected();
    return JournalWrapper::PutService(service, roles);
  }
  absl::Status PutRole(const Role& role) override {
    if (Fail()) return Injected();
    return JournalWrapper::PutRole(role);
  }
  absl::Status PutUser(std::string_view service_sid, const UserRecord& record,
                       const JournalEvent* event) override {
    if (Fail()) return Injected();
    return JournalWrapper::PutUser(service_sid, record, event);
  }
  absl::Status PutUsers(std::string_view service_sid, const std::vector<const UserRecord*>& records,
                        const std::vector<JournalEvent>& events) override {
    if (Fail()) return Injected();
    return JournalWrapper::PutUsers(service_sid, records, events);
  }
  absl::Status DeleteUser(std::string_view service_sid, const UserRecord& record,
                          const JournalEvent* event) override {
    if (Fail()) return Injected();
    return JournalWrapper::DeleteUser(service_sid, record, event);
  }
  absl::Status PutEvent(std::string_view service_sid, const UserRecord& record,
                        const JournalEvent& event) override {
    if (Fail()) return Injected();
    return JournalWrapper::PutEvent(service_sid, record, event);
  }
  int failures() const { return failures_.load(); }

 private:
  bool Fail() {
    if (++calls_ % every_ != 0) return false;
    ++failures_;
    return true;
  }
  const int every_;
  std::atomic<int> calls_{0};
  std::atomic<int> failures_{0};
};

// The persistent fields of a user ("" when absent). Dates as Unix seconds:
// absl::FormatTime from several threads races in Abseil's uninstrumented
// lazy time-zone loading (a TSan false positive).
std::string StateOf(const absl::StatusOr<User>& u) {
  if (!u.ok()) {
    EXPECT_EQ(HttpStatus(u.status()), 404) << u.status();
    return "";
  }
  return absl::StrCat(u->sid, "|", u->role_sid, "|", u->attributes, "|",
                      u->friendly_name.value_or("<null>"), "|", u->joined_channels_count, "|",
                      absl::ToUnixSeconds(u->date_updated));
}

// Every user of kService by identity, via a paging walk.
std::vector<std::string> Snapshot(const StoreImpl& store) {
  std::vector<std::string> out;
  PageRequest request;
  request.page_size = 50;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(kService, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const User& u : page->users) out.push_back(u.identity + "=" + StateOf(u));
    if (page->next_page_token.empty()) return out;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

std::vector<std::string> RoleNames(const StoreImpl& store) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<Role>> roles = store.ListRoles(kService);
  EXPECT_TRUE(roles.ok());
  if (roles.ok()) {
    for (const Role& r : *roles) out.push_back(r.sid + " " + r.friendly_name);
  }
  return out;
}

TEST(DurableAtomicity, FailedJournalWritesChangeNothingInMemoryOrOnDisk) {
  TempDir dir;
  internal::durable::OpenHooks hooks;
  FlakyJournal* flaky = nullptr;
  hooks.wrap_journal = [&](std::unique_ptr<Journal> inner) -> std::unique_ptr<Journal> {
    auto wrapper = std::make_unique<FlakyJournal>(std::move(inner), 3);
    flaky = wrapper.get();
    return wrapper;
  };
  DurableOptions durable;
  durable.sync = false;
  auto opened = internal::durable::OpenDurable(dir.Sub("store"), {}, durable, hooks);
  ASSERT_OK(opened);
  std::unique_ptr<StoreImpl> store = *std::move(opened);
  // Service creation: retried until it gets through; each failure leaves no Service.
  ServiceCreate sc;
  sc.sid = kService;
  for (;;) {
    absl::StatusOr<Service> s = store->CreateService(sc);
    if (s.ok()) break;
    ASSERT_TRUE(IsInjected(s.status())) << s.status();
    EXPECT_EQ(HttpStatus(s.status()), 500);
    EXPECT_TWILIO_ERROR(store->FetchService(kService), 404, 20404);
  }
  std::vector<std::string> roles = RoleNames(*store);
  for (int i = 0; i < 6; ++i) {
    RoleCreate rc;
    rc.friendly_name = absl::StrCat("role ", i);
    absl::StatusOr<Role> r = store->AddRole(kService, rc);
    if (r.ok()) {
      roles.push_back(r->sid + " " + r->friendly_name);
    } else {
      ASSERT_TRUE(IsInjected(r.status())) << r.status();
    }
    EXPECT_EQ(RoleNames(*store), roles);
  }
  for (bool enabled : {true, false, true}) {
    ASSERT_OK_AND_ASSIGN(const Service before, store->FetchService(kService));
    absl::StatusOr<Service> s = store->SetReachabilityEnabled(kService, enabled);
    ASSERT_OK_AND_ASSIGN(const Service now, store->FetchService(kService));
    EXPECT_EQ(now.reachability_enabled, s.ok() ? enabled : before.reachability_enabled);
  }

  // Four threads, each on its own identities, check every failed call.
  constexpr int kThreads = 4;
  constexpr int kSteps = 150;
  std::atomic<int> checked_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int step = 0; step < kSteps; ++step) {
        const std::string identity = absl::StrCat("t", t, "-", step % 7);
        const std::string before = StateOf(store->FetchUser(kService, identity));
        absl::Status status;
        switch (step % 5) {
          case 0:
          case 1: {
            UserCreate c;
            c.identity = identity;
            c.attributes = absl::StrCat(R"({"step":)", step, "}");
            c.friendly_name = absl::StrCat("name ", step);
            status = store->CreateUser(kService, c).status();
            break;
          }
          case 2: {
            UserUpdate u;
            u.attributes = absl::StrCat(R"({"updated":)", step, "}");
            if (step % 2 == 0) u.friendly_name = "";
            status = store->UpdateUser(kService, identity, u).status();
            break;
          }
          case 3:
            status = store->AddJoinedChannels(kService, identity, step).status();
            break;
          default:
            status = store->DeleteUser(kService, identity);
            break;
        }
        if (IsInjected(status)) {
          EXPECT_EQ(StateOf(store->FetchUser(kService, identity)), before) << identity;
          ++checked_failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GT(checked_failures.load(), 50);
  EXPECT_GE(flaky->failures(), checked_failures.load());

  const std::vector<std::string> users = Snapshot(*store);
  ASSERT_OK_AND_ASSIGN(const Service service, store->FetchService(kService));
  EXPECT_GT(users.size(), 0u);
  store.reset();
  // The disk holds exactly what memory showed: no failed write, every other.
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(dir.Sub("store"), {}, durable);
  ASSERT_OK(reopened);
  absl::StatusOr<Service> after = (*reopened)->FetchService(kService);
  ASSERT_OK(after);
  EXPECT_EQ(after->reachability_enabled, service.reachability_enabled);
  (*reopened).reset();
  hooks.wrap_journal = nullptr;
  auto again = internal::durable::OpenDurable(dir.Sub("store"), {}, durable, hooks);
  ASSERT_OK(again);
  EXPECT_EQ(Snapshot(**again), users);
  EXPECT_EQ(RoleNames(**again), roles);
}

// A FileSystem whose write-ahead-log files fail their appends (or syncs)
// while `fail_appends` (or `fail_syncs`) is set.
class FaultyFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  static const char* kClassName() { return "userstore.FaultyFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *result = std::make_unique<File>(std::move(*result), this);
    }
    return s;
  }

  std::atomic<bool> fail_appends{false};
  std::atomic<bool> fail_syncs{false};

 private:
  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FaultyFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_appends) return rocksdb::IOStatus::IOError("injected append failure");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_appends) return rocksdb::IOStatus::IOError("injected append failure");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_syncs) return rocksdb::IOStatus::IOError("injected sync failure");
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_syncs) return rocksdb::IOStatus::IOError("injected sync failure");
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FaultyFileSystem* const fs_;
  };
};

struct FaultyEnv {
  FaultyEnv()
      : fs(std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default())),
        env(rocksdb::NewCompositeEnv(fs)) {}
  std::shared_ptr<FaultyFileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

UserCreate Id(const std::string& identity) {
  UserCreate c;
  c.identity = identity;
  return c;
}

// Runs one disk fault (`arm` sets it) against a store with user "kept", and
// checks: the call fails with 500/20500, memory is unchanged, later writes
// are refused (fail-stop) while reads work; after a reopen the failed write
// is absent (append failure) or may be present (sync failure: the bytes may
// have reached the log) and writes work again.
void RunDiskFault(bool sync, const std::function<void(FaultyFileSystem&)>& arm,
                  bool failed_write_may_survive) {
  TempDir dir;
  FaultyEnv faulty;
  internal::durable::OpenHooks hooks;
  hooks.env = faulty.env.get();
  DurableOptions durable;
  durable.sync = sync;
  {
    auto opened = internal::durable::OpenDurable(dir.Sub("store"), {}, durable, hooks);
    ASSERT_OK(opened);
    StoreImpl& store = **opened;
    ServiceCreate sc;
    sc.sid = kService;
    ASSERT_OK(store.CreateService(sc));
    ASSERT_OK(store.CreateUser(kService, Id("kept")));
    const std::string kept = StateOf(store.FetchUser(kService, "kept"));

    arm(*faulty.fs);
    absl::StatusOr<User> lost = store.CreateUser(kService, Id("lost"));
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(HttpStatus(lost.status()), 500) << lost.status();
    EXPECT_EQ(TwilioCode(lost.status()), 20500);
    EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
    EXPECT_TWILIO_ERROR(store.FetchUser(kService, "lost"), 404, 20404);
    EXPECT_EQ(Snapshot(store).size(), 1u);

    faulty.fs->fail_appends = false;
    faulty.fs->fail_syncs = false;
    // Fail-stop: nothing more is written until the store is reopened.
    UserUpdate u;
    u.attributes = R"({"x":1})";
    absl::StatusOr<User> refused = store.UpdateUser(kService, "kept", u);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "reopened")) << refused.status();
    EXPECT_EQ(StateOf(store.FetchUser(kService, "kept")), kept);
    EXPECT_FALSE(store.DeleteUser(kService, "kept").ok());
    EXPECT_EQ(StateOf(store.FetchUser(kService, "kept")), kept);
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(dir.Sub("store"), {}, durable);
  ASSERT_OK(reopened);
  Store& store = **reopened;
  ASSERT_OK(store.FetchUser(kService, "kept"));
  if (!failed_write_may_survive) {
    EXPECT_TWILIO_ERROR(store.FetchUser(kService, "lost"), 404, 20404);
  }
  ASSERT_OK(store.CreateUser(kService, Id("after")));
}

TEST(DurableAtomicity, FailedLogAppendFailsTheCallAndStopsWrites) {
  RunDiskFault(/*sync=*/false, [](FaultyFileSystem& fs) { fs.fail_appends = true; },
               /*failed_write_may_survive=*/false);
}

TEST(DurableAtomicity, FailedLogSyncFailsTheCallAndStopsWrites) {
  RunDiskFault(/*sync=*/true, [](FaultyFileSystem& fs) { fs.fail_syncs = true; },
               /*failed_write_may_survive=*/true);
}

}  // namespace
}  // namespace userstore

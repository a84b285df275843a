// Push Bindings in a durable Store (durable/binding_codec.h): they survive a
// reopen with the users' is_notifiable, a failed write changes nothing, a
// user's delete takes its Bindings in the same write, and a reopen drops
// Bindings whose user is gone (a journal that wrote the two apart).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "durable/binding_codec.h"
#include "durable/check.h"
#include "durable/open.h"
#include "durable/rocks_journal.h"
#include "gtest/gtest.h"
#include "store/journal.h"
#include "store/store_impl.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::BindingRecord;
using internal::Journal;
using internal::JournalEvent;
using internal::JournalWrapper;
using internal::StoreImpl;
using internal::UserRecord;

constexpr char kService[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-bindings") {}
};

BindingCreate Params(BindingType type, std::string endpoint,
                     std::vector<std::string> message_types = {}) {
  BindingCreate p;
  p.binding_type = type;
  p.endpoint = std::move(endpoint);
  p.message_types = std::move(message_types);
  return p;
}

std::string Describe(const Binding& b) {
  return absl::StrCat(b.sid, " ", b.user_sid, " ", b.identity, " ",
                      static_cast<int>(b.binding_type), " ", b.endpoint, " ", b.credential_sid,
                      " [", absl::StrJoin(b.message_types, ","), "] ",
                      absl::ToUnixSeconds(b.date_created), " ", absl::ToUnixSeconds(b.date_updated),
                      " ", b.account_sid, " ", b.service_sid);
}

std::vector<std::string> Everything(Store& store, BindingListRequest request = {}) {
  std::vector<std::string> out;
  request.page_size = 2;
  for (;;) {
    absl::StatusOr<BindingPage> page = store.ListBindings(kService, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const Binding& b : page->bindings) out.push_back(Describe(b));
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
    ++request.page;
  }
  return out;
}

class DurableBindingsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    StoreOptions options;
    options.clock = [this] { return absl::FromUnixSeconds(now_); };
    DurableOptions durable;
    durable.sync = false;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path(), options, durable);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  void MakeUsers(Store& store) {
    ServiceCreate sc;
    sc.sid = kService;
    sc.reachability_enabled = true;
    ASSERT_OK(store.CreateService(sc));
    for (const char* identity : {"a", "b", "c"}) {
      UserCreate c;
      c.identity = identity;
      ASSERT_OK(store.CreateUser(kService, c));
    }
  }
  std::string path() const { return dir_.Sub("store"); }

  TempDir dir_;
  int64_t now_ = 1600000000;
};

TEST_F(DurableBindingsTest, RegisterReopenList) {
  std::vector<std::string> before;
  std::string token;  // a page token minted before the reopen
  std::string deleted_sid;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    MakeUsers(*store);
    BindingCreate full = Params(BindingType::kApn, "apn-a", {"new_message", "added_to_channel"});
    full.credential_sid = "CRcccccccccccccccccccccccccccccccc";
    ASSERT_OK_AND_ASSIGN(const Binding a1, store->RegisterBinding(kService, "a", full));
    EXPECT_EQ(a1.credential_sid, "CRcccccccccccccccccccccccccccccccc");
    BindingCreate with_credential = Params(BindingType::kGcm, "gcm-b", {"invited_to_channel"});
    with_credential.credential_sid = "CRdddddddddddddddddddddddddddddddd";
    ASSERT_OK(store->RegisterBinding(kService, "b", with_credential));
    ASSERT_OK_AND_ASSIGN(const Binding a2,
                         store->RegisterBinding(kService, "a", Params(BindingType::kFcm, "fcm-a")));
    now_ += 30;
    bool created = true;
    ASSERT_OK(store->RegisterBinding(
        kService, "a", Params(BindingType::kApn, "apn-a", {"new_message"}), &created));
    EXPECT_FALSE(created);
    ASSERT_OK(store->DeleteBinding(kService, "a", a2.sid));
    deleted_sid = a2.sid;
    ASSERT_OK_AND_ASSIGN(const Binding b2,
                         store->RegisterBinding(kService, "b", Params(BindingType::kApn, "apn-b")));
    ASSERT_OK(store->RegisterBinding(kService, "c", Params(BindingType::kApn, "apn-c")));
    ASSERT_OK_AND_ASSIGN(const BindingPage all, store->ListBindings(kService, {}));
    ASSERT_EQ(all.bindings.size(), 4u);
    // c: had one, has none (is_notifiable false, the n/ mark).
    ASSERT_OK(store->DeleteBinding(kService, "", all.bindings[3].sid));
    before = Everything(*store);
    ASSERT_EQ(before.size(), 3u);
    BindingListRequest first;
    first.page_size = 1;
    ASSERT_OK_AND_ASSIGN(const BindingPage page, store->ListBindings(kService, first));
    token = page.next_page_token;
    (void)b2;
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Everything(*store), before);
  EXPECT_TRUE(absl::StrContains(before[1],
                                " gcm-b CRdddddddddddddddddddddddddddddddd [invited_to_channel] "))
      << before[1];
  // The re-registration replaced the credential (none given) and the types.
  EXPECT_TRUE(absl::StrContains(before[0], " apn-a  [new_message] 1600000000 1600000030 "))
      << before[0];
  ASSERT_OK_AND_ASSIGN(const User a, store->FetchUser(kService, "a"));
  EXPECT_EQ(a.is_notifiable, true);
  ASSERT_OK_AND_ASSIGN(const User c, store->FetchUser(kService, "c"));
  EXPECT_EQ(c.is_notifiable, false);  // restored from its mark
  UserCreate d;
  d.identity = "d";
  ASSERT_OK(store->CreateUser(kService, d));
  ASSERT_OK_AND_ASSIGN(const User dd, store->FetchUser(kService, "d"));
  EXPECT_EQ(dd.is_notifiable, std::nullopt);  // never registered
  EXPECT_TWILIO_ERROR(store->FetchBinding(kService, "", deleted_sid), 404, 20404);
  // A token minted before the reopen goes on after it.
  BindingListRequest next;
  next.page_size = 1;
  next.page = 1;
  next.page_token = token;
  ASSERT_OK_AND_ASSIGN(const BindingPage second, store->ListBindings(kService, next));
  ASSERT_EQ(second.bindings.size(), 1u);
  EXPECT_EQ(Describe(second.bindings[0]), before[1]);
  // A new Binding comes after the restored ones; c's registration clears
  // its mark (true after another reopen).
  ASSERT_OK(store->RegisterBinding(kService, "c", Params(BindingType::kGcm, "gcm-c")));
  std::vector<std::string> after = Everything(*store);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_TRUE(absl::StrContains(after[3], " gcm-c ")) << after[3];
  store.reset();
  absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Everything(*store), after);
  ASSERT_OK_AND_ASSIGN(const User c2, store->FetchUser(kService, "c"));
  EXPECT_EQ(c2.is_notifiable, true);
}

TEST_F(DurableBindingsTest, DeletingAUserDeletesItsBindingsOnDisk) {
  std::string kept;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    MakeUsers(*store);
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1")));
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kGcm, "2")));
    ASSERT_OK_AND_ASSIGN(const Binding b,
                         store->RegisterBinding(kService, "b", Params(BindingType::kApn, "1")));
    kept = b.sid;
    ASSERT_OK_AND_ASSIGN(const Binding c,
                         store->RegisterBinding(kService, "c", Params(BindingType::kApn, "1")));
    ASSERT_OK(store->DeleteBinding(kService, "c", c.sid));  // c is marked
    ASSERT_OK(store->DeleteUser(kService, "a"));
    ASSERT_OK(store->DeleteUser(kService, "c"));
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(const BindingPage all, store->ListBindings(kService, {}));
  ASSERT_EQ(all.bindings.size(), 1u);
  EXPECT_EQ(all.bindings[0].sid, kept);
  for (const char* identity : {"a", "c"}) {
    UserCreate again;
    again.identity = identity;
    ASSERT_OK_AND_ASSIGN(const User u, store->CreateUser(kService, again));
    ASSERT_OK_AND_ASSIGN(const User fetched, store->FetchUser(kService, u.sid));
    EXPECT_EQ(fetched.is_notifiable, std::nullopt) << identity;  // no Binding, no mark
  }
  store.reset();
  absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
}

absl::Status Injected() {
  return TwilioError(absl::StatusCode::kUnavailable, 500, twilio_code::kInternal,
                     "injected disk failure");
}

// Fails the next Binding call when told to (before it reaches the disk, so
// the journal goes on); with `split`, writes a user's delete with its
// Bindings as two writes, the user's first, and "dies" between them (the
// second never happens).
class BindingFaults final : public JournalWrapper {
 public:
  BindingFaults(std::unique_ptr<Journal> inner, bool split)
      : JournalWrapper(std::move(inner)), split_(split) {}
  void FailNext() { fail_next_ = true; }
  absl::Status PutBinding(std::string_view service_sid, const BindingRecord& binding,
                          const UserRecord& user, const JournalEvent* event) override {
    if (Take()) return Injected();
    return JournalWrapper::PutBinding(service_sid, binding, user, event);
  }
  absl::Status DeleteBinding(std::string_view service_sid, const BindingRecord& binding,
                             const UserRecord& user, const JournalEvent* event) override {
    if (Take()) return Injected();
    return JournalWrapper::DeleteBinding(service_sid, binding, user, event);
  }
  absl::Status DeleteUserAndBindings(std::string_view service_sid, const UserRecord& user,
                                     const std::vector<BindingRecord>& bindings,
                                     const JournalEvent* event) override {
    if (split_) {
      if (absl::Status s = JournalWrapper::DeleteUser(service_sid, user, event); !s.ok()) return s;
      return Injected();  // the crash: the Bindings' deletes are never written
    }
    if (Take()) return Injected();
    return JournalWrapper::DeleteUserAndBindings(service_sid, user, bindings, event);
  }

 private:
  bool Take() { return std::exchange(fail_next_, false); }
  const bool split_;
  bool fail_next_ = false;
};

std::unique_ptr<StoreImpl> OpenWithFaults(const std::string& path, bool split,
                                          BindingFaults** faults = nullptr) {
  internal::durable::OpenHooks hooks;
  hooks.wrap_journal = [split, faults](std::unique_ptr<Journal> inner) -> std::unique_ptr<Journal> {
    auto wrapper = std::make_unique<BindingFaults>(std::move(inner), split);
    if (faults != nullptr) *faults = wrapper.get();
    return wrapper;
  };
  DurableOptions durable;
  durable.sync = false;
  auto opened = internal::durable::OpenDurable(path, {}, durable, hooks);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

// The Bindings and is_notifiable of the Service as text, for comparisons.
std::string StateOf(StoreImpl& store) {
  std::string out;
  absl::StatusOr<BindingPage> page = store.ListBindings(kService, {});
  EXPECT_TRUE(page.ok()) << page.status();
  if (page.ok()) {
    for (const Binding& b : page->bindings) absl::StrAppend(&out, Describe(b), "\n");
  }
  for (const char* identity : {"a", "b", "c"}) {
    absl::StatusOr<User> u = store.FetchUser(kService, identity);
    absl::StrAppend(&out, identity, ":",
                    !u.ok()             ? "gone"
                    : !u->is_notifiable ? "null"
                    : *u->is_notifiable ? "true"
                                        : "false",
                    "\n");
  }
  return out;
}

TEST(DurableBindingsFaults, FailedWritesChangeNothing) {
  TempDir dir;
  std::string state;
  {
    BindingFaults* faults = nullptr;
    std::unique_ptr<StoreImpl> store = OpenWithFaults(dir.Sub("store"), false, &faults);
    ASSERT_NE(store, nullptr);
    ServiceCreate sc;
    sc.sid = kService;
    sc.reachability_enabled = true;
    ASSERT_OK(store->CreateService(sc));
    for (const char* identity : {"a", "b", "c"}) {
      UserCreate c;
      c.identity = identity;
      ASSERT_OK(store->CreateUser(kService, c));
    }
    ASSERT_OK_AND_ASSIGN(const uint64_t position, store->EventPosition(kService));
    const std::string empty = StateOf(*store);
    EXPECT_EQ(empty, "a:null\nb:null\nc:null\n");
    // A failed first registration: no Binding, no is_notifiable, no event.
    faults->FailNext();
    EXPECT_TWILIO_ERROR(
        store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1"), nullptr), 500, 20500);
    EXPECT_EQ(StateOf(*store), empty);
    ASSERT_OK_AND_ASSIGN(const uint64_t unchanged, store->EventPosition(kService));
    EXPECT_EQ(unchanged, position);

    ASSERT_OK_AND_ASSIGN(
        const Binding a1,
        store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1", {"new_message"}),
                               nullptr));
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kGcm, "2"), nullptr));
    ASSERT_OK_AND_ASSIGN(
        const Binding b1,
        store->RegisterBinding(kService, "b", Params(BindingType::kApn, "1"), nullptr));
    state = StateOf(*store);
    // A failed re-registration, Binding delete (the user's last, too) and
    // user delete: each changes nothing.
    faults->FailNext();
    EXPECT_TWILIO_ERROR(
        store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1", {"added_to_channel"}),
                               nullptr),
        500, 20500);
    EXPECT_EQ(StateOf(*store), state);
    faults->FailNext();
    EXPECT_TWILIO_ERROR(store->DeleteBinding(kService, "a", a1.sid), 500, 20500);
    EXPECT_EQ(StateOf(*store), state);
    faults->FailNext();
    EXPECT_TWILIO_ERROR(store->DeleteBinding(kService, "", b1.sid), 500, 20500);
    EXPECT_EQ(StateOf(*store), state);
    faults->FailNext();
    EXPECT_TWILIO_ERROR(store->DeleteUser(kService, "a"), 500, 20500);
    EXPECT_EQ(StateOf(*store), state);
  }
  // The disk holds what memory showed.
  std::unique_ptr<StoreImpl> store = OpenWithFaults(dir.Sub("store"), false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(StateOf(*store), state);
}

// A journal that writes a user's delete and its Bindings' apart, with a
// crash between: the reopen drops the Bindings whose user is gone (and
// check reports them until then).
TEST(DurableBindingsFaults, ReopenDropsBindingsOfDeletedUsers) {
  TempDir dir;
  std::string kept;
  {
    std::unique_ptr<StoreImpl> store = OpenWithFaults(dir.Sub("store"), /*split=*/true);
    ASSERT_NE(store, nullptr);
    ServiceCreate sc;
    sc.sid = kService;
    sc.reachability_enabled = true;
    ASSERT_OK(store->CreateService(sc));
    for (const char* identity : {"a", "b"}) {
      UserCreate c;
      c.identity = identity;
      ASSERT_OK(store->CreateUser(kService, c));
    }
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1"), nullptr));
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kGcm, "2"), nullptr));
    ASSERT_OK_AND_ASSIGN(
        const Binding b,
        store->RegisterBinding(kService, "b", Params(BindingType::kApn, "1"), nullptr));
    kept = b.sid;
    // The user's delete reaches the disk, its Bindings' does not.
    EXPECT_TWILIO_ERROR(store->DeleteUser(kService, "a"), 500, 20500);
  }
  absl::StatusOr<internal::durable::CheckReport> report =
      internal::durable::CheckStore(dir.Sub("store"));
  ASSERT_OK(report);
  EXPECT_FALSE(report->ok());
  EXPECT_TRUE(absl::StrContains(internal::durable::FormatCheckReport(*report), "does not exist"))
      << internal::durable::FormatCheckReport(*report);
  {
    StoreOptions options;
    DurableOptions durable;
    durable.sync = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(dir.Sub("store"), options, durable));
    EXPECT_TWILIO_ERROR(store->FetchUser(kService, "a"), 404, 20404);
    ASSERT_OK_AND_ASSIGN(const BindingPage all, store->ListBindings(kService, {}));
    ASSERT_EQ(all.bindings.size(), 1u);
    EXPECT_EQ(all.bindings[0].sid, kept);
    // A new "a" has none.
    UserCreate again;
    again.identity = "a";
    ASSERT_OK(store->CreateUser(kService, again));
    BindingListRequest of_a;
    of_a.user_key = "a";
    ASSERT_OK_AND_ASSIGN(const BindingPage mine, store->ListBindings(kService, of_a));
    EXPECT_TRUE(mine.bindings.empty());
  }
  // The writable open deleted the orphans: the store checks clean.
  report = internal::durable::CheckStore(dir.Sub("store"));
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
}

// A Binding value that does not decode is damage: check names it, and an
// open refuses the store (kDataLoss) rather than dropping it.
TEST_F(DurableBindingsTest, UndecodableBindingIsDamage) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    MakeUsers(*store);
    ASSERT_OK(store->RegisterBinding(kService, "a", Params(BindingType::kApn, "1")));
  }
  {
    internal::durable::RocksOpen how;
    absl::StatusOr<internal::durable::StoreDb> db = internal::durable::OpenRocks(path(), how);
    ASSERT_OK(db);
    std::unique_ptr<rocksdb::Iterator> it((*db)->NewIterator(rocksdb::ReadOptions()));
    it->Seek("b/");
    ASSERT_TRUE(it->Valid() && it->key().starts_with("b/"));
    const std::string key = it->key().ToString();
    std::string value = it->value().ToString();
    value.push_back('!');  // a trailing byte
    it.reset();
    ASSERT_TRUE((*db)->Put(rocksdb::WriteOptions(), key, value).ok());
  }
  absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(absl::StrContains(internal::durable::FormatCheckReport(*report), "malformed Binding"))
      << internal::durable::FormatCheckReport(*report);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path(), {}, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
}

}  // namespace
}  // namespace userstore

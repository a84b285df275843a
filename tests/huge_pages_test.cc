// StoreOptions::record_memory = RecordMemory::kHugePages: the RecordArena
// (size classes, reuse, owner lookup, the madvise'd mapping), records made in
// it, and a Store that keeps its records there doing every operation, from
// many threads and in durable mode. Run under ASan and TSan as well.
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "arena/record_arena.h"
#include "gtest/gtest.h"
#include "store/user_record.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

using internal::RecordArena;
using internal::UserRecord;
using testing::kServiceSid;
using testing::TestStore;

// ---- RecordArena ----------------------------------------------------------

TEST(RecordArenaTest, BlockSizesAreItsClasses) {
  EXPECT_EQ(RecordArena::BlockSize(0), 0u);
  EXPECT_EQ(RecordArena::BlockSize(1), 16u);
  EXPECT_EQ(RecordArena::BlockSize(81), 96u);
  EXPECT_EQ(RecordArena::BlockSize(96), 96u);
  EXPECT_EQ(RecordArena::BlockSize(1024), 1024u);
  EXPECT_EQ(RecordArena::BlockSize(1025), 1152u);
  EXPECT_EQ(RecordArena::BlockSize(RecordArena::kMaxBlock), RecordArena::kMaxBlock);
  EXPECT_EQ(RecordArena::BlockSize(RecordArena::kMaxBlock + 1), 0u);
  for (size_t n = 1; n <= RecordArena::kMaxBlock; ++n) {
    const size_t b = RecordArena::BlockSize(n);
    ASSERT_GE(b, n);
    ASSERT_LT(b - n, n <= 1024 ? 16u : 128u) << n;  // fits UserRecord's slack byte
    ASSERT_EQ(RecordArena::BlockSize(b), b);
  }
}

TEST(RecordArenaTest, BlocksAreAlignedDistinctOwnedAndReused) {
  RecordArena arena;
  EXPECT_EQ(arena.mapped_bytes(), 0u);  // nothing mapped before the first block
  std::vector<void*> blocks;
  std::set<uintptr_t> seen;
  for (size_t i = 0; i < 5000; ++i) {
    const size_t size = RecordArena::BlockSize(80 + (i * 37) % 3000);
    void* b = arena.Allocate(size);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(b) % 16, 0u);
    ASSERT_TRUE(seen.insert(reinterpret_cast<uintptr_t>(b)).second);
    ASSERT_EQ(RecordArena::OwnerOf(b), &arena);
    std::memset(b, 0xab, size);  // every byte is ours (ASan checks)
    blocks.push_back(b);
  }
  EXPECT_GT(arena.mapped_bytes(), 0u);
  EXPECT_EQ(arena.mapped_bytes() % RecordArena::kRegionBytes, 0u);
  // A freed block is what its class hands out next.
  const size_t size = RecordArena::BlockSize(80 + (7 * 37) % 3000);
  RecordArena::Free(blocks[7], size);
  EXPECT_EQ(arena.Allocate(size), blocks[7]);
  // Two arenas own their own blocks.
  RecordArena other;
  void* mine = other.Allocate(96);
  EXPECT_EQ(RecordArena::OwnerOf(mine), &other);
  RecordArena::Free(mine, 96);
  for (size_t i = 0; i < blocks.size(); ++i) {
    RecordArena::Free(blocks[i], RecordArena::BlockSize(80 + (i * 37) % 3000));
  }
}

TEST(RecordArenaTest, ManyThreadsAllocateAndFree) {
  RecordArena arena;
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<unsigned char*, size_t>> mine;
      for (int i = 0; i < 20000; ++i) {
        const size_t size = RecordArena::BlockSize(80 + static_cast<size_t>((i * 13 + t) % 500));
        auto* b = static_cast<unsigned char*>(arena.Allocate(size));
        std::memset(b, t + 1, size);
        mine.emplace_back(b, size);
        if (i % 3 == 2) {  // free an older one, possibly from another thread's class list
          auto [old, old_size] = mine[mine.size() / 2];
          for (size_t k = 0; k < old_size; ++k) {
            if (old[k] != t + 1) ++bad;
          }
          RecordArena::Free(old, old_size);
          mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(mine.size() / 2));
        }
      }
      for (auto [b, size] : mine) RecordArena::Free(b, size);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// The smaps entry of the mapping that holds `address`.
std::string SmapsEntryOf(const void* address) {
  std::ifstream in("/proc/self/smaps");
  std::string line;
  std::ostringstream entry;
  bool inside = false;
  const auto target = reinterpret_cast<uintptr_t>(address);
  while (std::getline(in, line)) {
    uintptr_t start = 0;
    uintptr_t end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> start >> dash >> end && dash == '-' &&
        line.find(':') > line.find(' ')) {
      if (inside) break;  // the next mapping starts
      inside = target >= start && target < end;
    }
    if (inside) entry << line << "\n";
  }
  return entry.str();
}

std::string ThpMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return "";
  const size_t open = line.find('[');
  const size_t close = line.find(']');
  return open == std::string::npos || close < open ? "" : line.substr(open + 1, close - open - 1);
}

TEST(RecordArenaTest, ItsMemoryIsAdvisedForHugePages) {
  const std::string mode = ThpMode();
  if (mode.empty()) GTEST_SKIP() << "no /sys/kernel/mm/transparent_hugepage: kernel without THP";
  RecordArena arena;
  void* block = arena.Allocate(RecordArena::kMaxBlock);
  std::memset(block, 1, RecordArena::kMaxBlock);
  const std::string entry = SmapsEntryOf(block);
  ASSERT_FALSE(entry.empty()) << "no smaps entry for the arena's region";
  // VmFlags "hg": madvise(MADV_HUGEPAGE) took effect on the mapping.
  const size_t flags = entry.find("VmFlags:");
  ASSERT_NE(flags, std::string::npos) << entry;
  const std::string vm_flags = entry.substr(flags, entry.find('\n', flags) - flags);
  EXPECT_NE(vm_flags.find(" hg"), std::string::npos) << vm_flags;
  if (mode == "never") {
    RecordArena::Free(block, RecordArena::kMaxBlock);
    GTEST_SKIP() << "THP is 'never' here: the advice is recorded but cannot be honoured";
  }
  // THPeligible (Linux >= 5.8 for anonymous mappings' accuracy): 1 when the
  // kernel may back this mapping with huge pages.
  const size_t eligible = entry.find("THPeligible:");
  if (eligible != std::string::npos) {
    std::istringstream value(entry.substr(eligible + std::strlen("THPeligible:")));
    int bit = -1;
    value >> bit;
    EXPECT_EQ(bit, 1) << entry;
  }
  // Whether a huge page actually backs it depends on free contiguous memory
  // (defrag): reported, not required.
  const size_t anon = entry.find("AnonHugePages:");
  if (anon != std::string::npos) {
    std::cout << "arena mapping " << entry.substr(anon, entry.find('\n', anon) - anon) << "\n";
  }
  RecordArena::Free(block, RecordArena::kMaxBlock);
}

// ---- UserRecord in an arena -----------------------------------------------

TEST(RecordArenaTest, RecordsLiveInTheArenaUpToTheLargestBlock) {
  RecordArena arena;
  UserRecord::Ptr r =
      UserRecord::Make({"alice", R"({"a":1})", std::string_view("Alice")}, nullptr, &arena);
  EXPECT_TRUE(r->in_arena());
  EXPECT_EQ(RecordArena::OwnerOf(r.get()), &arena);
  EXPECT_EQ(r->allocated_size(), RecordArena::BlockSize(r->allocated_size()));
  EXPECT_EQ(r->identity(), "alice");
  EXPECT_EQ(r->attributes(), R"({"a":1})");
  EXPECT_EQ(r->friendly_name(), "Alice");
  r->sequence = 9;
  // In place while it fits; the block size stays.
  const size_t block = r->allocated_size();
  EXPECT_TRUE(r->AssignTextInPlace(R"({"a":2})", std::nullopt));
  EXPECT_EQ(r->attributes(), R"({"a":2})");
  EXPECT_EQ(r->friendly_name(), std::nullopt);
  EXPECT_EQ(r->allocated_size(), block);
  EXPECT_TRUE(r->in_arena());
  // A grown replacement, from the same arena, with the header copied.
  const std::string big(900, 'x');
  UserRecord::Ptr next = UserRecord::Make({r->identity(), big, std::nullopt}, r.get(), &arena);
  EXPECT_TRUE(next->in_arena());
  EXPECT_EQ(next->sequence, 9u);
  EXPECT_EQ(next->attributes(), big);
  r.reset();
  // Over the largest block: malloc, and freed there.
  const std::string huge(RecordArena::kMaxBlock, 'y');
  UserRecord::Ptr malloced = UserRecord::Make({"bob", huge, std::nullopt}, nullptr, &arena);
  EXPECT_FALSE(malloced->in_arena());
  EXPECT_EQ(malloced->attributes(), huge);
  // Without an arena: malloc, as before.
  EXPECT_FALSE(UserRecord::Make({"carol", {}, std::nullopt})->in_arena());
}

// ---- a Store with RecordMemory::kHugePages ----------------------------------

StoreOptions HugePages() {
  StoreOptions options;
  options.record_memory = RecordMemory::kHugePages;
  options.limits.max_attributes_bytes = 40000;  // records past the arena's largest block too
  return options;
}

std::string Attributes(int i, size_t pad) {
  return absl::StrCat(R"({"i":)", i, R"(,"pad":")", std::string(pad, 'p'), "\"}");
}

TEST(HugePagesStoreTest, RejectsAnUnknownRecordMemory) {
  StoreOptions options;
  options.record_memory = static_cast<RecordMemory>(7);
  EXPECT_TWILIO_ERROR(Store::Create(options), 400, 20001);
}

TEST(HugePagesStoreTest, EveryOperation) {
  TestStore t(HugePages());
  ASSERT_NE(t.store, nullptr);
  EXPECT_EQ(t->options().record_memory, RecordMemory::kHugePages);
  std::vector<std::string> sids;
  for (int i = 0; i < 300; ++i) {
    UserCreate c;
    c.identity = absl::StrCat("user-", i);
    c.attributes = Attributes(i, static_cast<size_t>(i % 50));
    if (i % 3 == 0) c.friendly_name = absl::StrCat("User ", i);
    ASSERT_OK_AND_ASSIGN(User u, t->CreateUser(kServiceSid, c));
    sids.push_back(u.sid);
  }
  for (int i = 0; i < 300; ++i) {
    const size_t ui = static_cast<size_t>(i);
    ASSERT_OK_AND_ASSIGN(User by_sid, t->FetchUser(kServiceSid, sids[ui]));
    ASSERT_OK_AND_ASSIGN(User by_identity, t->FetchUser(kServiceSid, absl::StrCat("user-", i)));
    EXPECT_EQ(by_sid.sid, by_identity.sid);
    EXPECT_EQ(by_sid.attributes, Attributes(i, ui % 50));
    if (i % 3 == 0) {
      EXPECT_EQ(by_sid.friendly_name, absl::StrCat("User ", i));
    }
  }
  // Updates: same size (in place), grown (a new block of a larger class),
  // shrunk, and past the arena's largest block (malloc) and back.
  for (size_t pad : {size_t{10}, size_t{400}, size_t{5}, size_t{20000}, size_t{30}}) {
    for (int i = 0; i < 300; i += 7) {
      UserUpdate u;
      u.attributes = Attributes(-i, pad);
      u.friendly_name = absl::StrCat("renamed ", pad);
      ASSERT_OK_AND_ASSIGN(User updated,
                           t->UpdateUser(kServiceSid, sids[static_cast<size_t>(i)], u));
      EXPECT_EQ(updated.attributes, *u.attributes);
      ASSERT_OK_AND_ASSIGN(User fetched, t->FetchUser(kServiceSid, sids[static_cast<size_t>(i)]));
      EXPECT_EQ(fetched.attributes, *u.attributes);
      EXPECT_EQ(fetched.friendly_name, *u.friendly_name);
      EXPECT_EQ(fetched.identity, absl::StrCat("user-", i));
    }
  }
  // Header-only changes.
  ASSERT_OK_AND_ASSIGN(User got, t->GetOrCreateUser(kServiceSid, "user-1"));
  EXPECT_EQ(got.sid, sids[1]);
  ASSERT_OK_AND_ASSIGN(User fresh, t->GetOrCreateUser(kServiceSid, "newcomer"));
  EXPECT_EQ(fresh.identity, "newcomer");
  // Deletes, then a list of what is left, in creation order.
  for (int i = 0; i < 300; i += 2)
    ASSERT_OK(t->DeleteUser(kServiceSid, sids[static_cast<size_t>(i)]));
  EXPECT_TWILIO_ERROR(t->FetchUser(kServiceSid, sids[0]), 404, 20404);
  std::vector<std::string> listed;
  PageRequest request;
  request.page_size = 100;
  for (int64_t page = 0;; ++page) {
    request.page = page;
    ASSERT_OK_AND_ASSIGN(Page p, t->ListUsers(kServiceSid, request));
    for (const User& u : p.users) listed.push_back(u.identity);
    if (p.next_page_token.empty()) break;
    request.page_token = p.next_page_token;
  }
  std::vector<std::string> expected;
  for (int i = 1; i < 300; i += 2) expected.push_back(absl::StrCat("user-", i));
  expected.push_back("newcomer");
  EXPECT_EQ(listed, expected);
  // Re-create deleted identities: freed blocks are reused.
  for (int i = 0; i < 300; i += 2) {
    UserCreate c;
    c.identity = absl::StrCat("user-", i);
    c.attributes = Attributes(i, 3);
    ASSERT_OK(t->CreateUser(kServiceSid, c));
  }
}

TEST(HugePagesStoreTest, ManyThreads) {
  TestStore t(HugePages());
  ASSERT_NE(t.store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kUsers = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int round = 0; round < 3; ++round) {
        // Identities shared by all threads: creates race, one wins each.
        for (int i = 0; i < kUsers; ++i) {
          UserCreate c;
          c.identity = absl::StrCat("u", i);
          c.attributes = Attributes(th, static_cast<size_t>(i % 40));
          absl::StatusOr<User> u = t->CreateUser(kServiceSid, c);
          if (!u.ok() && TwilioCode(u.status()) != 50201) {
            ADD_FAILURE() << u.status();
            ++failures;
          }
        }
        for (int i = 0; i < kUsers; ++i) {
          const std::string id = absl::StrCat("u", (i * 7 + th) % kUsers);
          UserUpdate up;
          up.attributes = Attributes(th, static_cast<size_t>((i * 31 + th) % 600));
          absl::StatusOr<User> u = t->UpdateUser(kServiceSid, id, up);
          if (!u.ok() && TwilioCode(u.status()) != 20404) {
            ADD_FAILURE() << u.status();
            ++failures;
          }
          absl::StatusOr<User> f = t->FetchUser(kServiceSid, id);
          if (f.ok() && (f->identity != id || f->attributes.rfind(R"({"i":)", 0) != 0)) {
            ADD_FAILURE() << f->identity << " " << f->attributes;
            ++failures;
          }
        }
        for (int i = th; i < kUsers; i += kThreads + 1) {
          absl::Status s = t->DeleteUser(kServiceSid, absl::StrCat("u", i));
          if (!s.ok() && TwilioCode(s) != 20404) {
            ADD_FAILURE() << s;
            ++failures;
          }
        }
        PageRequest request;
        request.page_size = 50;
        absl::StatusOr<Page> p = t->ListUsers(kServiceSid, request);
        if (!p.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(HugePagesStoreTest, DurableStoreHonoursIt) {
  testing::TempDir dir("userstore-huge");
  const std::string path = dir.Sub("store");
  std::vector<std::string> sids;
  StoreOptions options = HugePages();
  options.account_sid = testing::kAccountSid;
  std::string service_sid;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(path, options));
    ASSERT_OK_AND_ASSIGN(Service service, store->CreateService({}));
    service_sid = service.sid;
    for (int i = 0; i < 100; ++i) {
      UserCreate c;
      c.identity = absl::StrCat("d", i);
      c.attributes = Attributes(i, static_cast<size_t>(i));
      ASSERT_OK_AND_ASSIGN(User u, store->CreateUser(service_sid, c));
      sids.push_back(u.sid);
    }
    UserUpdate up;
    up.attributes = Attributes(1, 700);
    ASSERT_OK(store->UpdateUser(service_sid, sids[1], up));
    ASSERT_OK(store->DeleteUser(service_sid, sids[2]));
  }
  // Reopened: recovery moves each record into the arena; then it serves.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(path, options));
  EXPECT_TWILIO_ERROR(store->FetchUser(service_sid, sids[2]), 404, 20404);
  ASSERT_OK_AND_ASSIGN(User one, store->FetchUser(service_sid, sids[1]));
  EXPECT_EQ(one.attributes, Attributes(1, 700));
  for (int i = 3; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(User u, store->FetchUser(service_sid, sids[static_cast<size_t>(i)]));
    EXPECT_EQ(u.attributes, Attributes(i, static_cast<size_t>(i)));
    UserUpdate up;
    up.attributes = Attributes(-i, static_cast<size_t>(i) * 3);
    ASSERT_OK(store->UpdateUser(service_sid, sids[static_cast<size_t>(i)], up));
  }
  ASSERT_OK(store->DeleteUser(service_sid, sids[3]));
}

}  // namespace
}  // namespace userstore

// Damage to a store directory (docs/durable.md, "Damage"): each kind has a
// row in the table there and a test here. A damaged store is refused by
// every open with kDataLoss and left exactly as it was, and `check` reports
// it; only an empty or new directory is ever created into; one directory is
// open once per process however it is spelled; a full disk fails writes
// without killing the process; a store's directory is private.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "durable/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::kServiceSid;

class DurableDamageTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Sub("store"); }

  // The log is left at close: these tests damage it.
  static DurableOptions NoSync() {
    DurableOptions d;
    d.sync = false;
    d.flush_on_close = false;
    return d;
  }

  absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& where) {
    return Store::Open(where, {}, NoSync());
  }

  // A store with a Service and `users` users, closed. With `flushed`, it is
  // reopened once so that the users move from the write-ahead log into a
  // table (RocksDB flushes what it recovers).
  void MakeStore(int users, bool flushed) {
    {
      absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
      ASSERT_OK(store);
      ServiceCreate service;
      service.sid = kServiceSid;
      ASSERT_OK((*store)->CreateService(service));
      for (int i = 0; i < users; ++i) {
        UserCreate u;
        u.identity = absl::StrCat("user-", i);
        u.attributes = R"({"payload":"0123456789012345678901234567890123456789"})";
        ASSERT_OK((*store)->CreateUser(kServiceSid, u));
      }
    }
    if (flushed) ASSERT_OK(Open(path()));
  }

  uint64_t CountUsers(const std::string& where) {
    absl::StatusOr<std::unique_ptr<Store>> store = Open(where);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return 0;
    uint64_t n = 0;
    PageRequest request;
    request.page_size = 100;
    for (;;) {
      absl::StatusOr<Page> page = (*store)->ListUsers(kServiceSid, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return n;
      n += page->users.size();
      if (page->next_page_token.empty()) return n;
      request.page_token = page->next_page_token;
      ++request.page;
    }
  }

  // Every file of the store with its contents.
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(path())) {
      std::ifstream in(entry.path(), std::ios::binary);
      files[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
  }

  // The store's files whose names end with `suffix`.
  std::vector<std::string> Files(const std::string& suffix) const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path())) {
      const std::string name = entry.path().filename().string();
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(entry.path().string());
      }
    }
    return out;
  }

  // Opening fails with kDataLoss, twice, and changes no file (unless
  // `untouched` is false: damage found only while reading every record, after
  // RocksDB opened the store for writing); check reports a problem
  // containing `problem`.
  void ExpectRefusedAndUntouched(const std::string& problem, bool untouched = true) {
    const std::map<std::string, std::string> before = Snapshot();
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
      ASSERT_FALSE(store.ok()) << "attempt " << attempt << " opened a damaged store";
      EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
      EXPECT_EQ(HttpStatus(store.status()), 500);
    }
    absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
    ASSERT_OK(report);
    EXPECT_FALSE(report->ok());
    ASSERT_FALSE(report->problems.empty());
    EXPECT_THAT(report->problems[0], HasSubstr(problem));
    if (untouched) {
      EXPECT_EQ(Snapshot() == before, true) << "a refused open or check changed the directory";
    }
  }

  testing::TempDir dir_{"userstore-damage"};
};

// --- missing CURRENT ------------------------------------------------------

TEST_F(DurableDamageTest, MissingCurrentWithTablesIsNeverInitialisedOver) {
  MakeStore(5, /*flushed=*/true);
  ASSERT_FALSE(Files(".sst").empty());
  ASSERT_TRUE(fs::remove(path() + "/CURRENT"));
  ExpectRefusedAndUntouched("CURRENT file is missing");
}

TEST_F(DurableDamageTest, MissingCurrentWithOnlyTheLogIsNeverInitialisedOver) {
  MakeStore(5, /*flushed=*/false);
  ASSERT_FALSE(Files(".log").empty());
  ASSERT_TRUE(fs::remove(path() + "/CURRENT"));
  ExpectRefusedAndUntouched("CURRENT file is missing");
}

TEST_F(DurableDamageTest, InterruptedCreationWithoutDataIsCreatedAfresh) {
  // What RocksDB writes before CURRENT when creating: no data file yet.
  ASSERT_TRUE(fs::create_directory(path()));
  std::ofstream(path() + "/IDENTITY") << "x";
  std::ofstream(path() + "/MANIFEST-000001") << "";
  std::ofstream(path() + "/LOCK") << "";
  ASSERT_OK(Open(path()));  // created afresh
  MakeStore(2, false);      // and it is a working store
  EXPECT_EQ(CountUsers(path()), 2u);
}

TEST_F(DurableDamageTest, MissingLogOfAStoreNeverReopenedIsDataLoss) {
  // Everything this store holds is in its first write-ahead log.
  MakeStore(5, /*flushed=*/false);
  ASSERT_TRUE(Files(".sst").empty());
  const std::vector<std::string> logs = Files(".log");
  ASSERT_EQ(logs.size(), 1u);
  ASSERT_TRUE(fs::remove(logs[0]));
  ExpectRefusedAndUntouched("no write-ahead log");
}

TEST_F(DurableDamageTest, CorruptTableBlockFailsOpenAndCheck) {
  MakeStore(200, /*flushed=*/true);
  const std::vector<std::string> tables = Files(".sst");
  ASSERT_EQ(tables.size(), 1u);
  {
    // A byte inside the first data block (blocks start at offset 0).
    std::fstream f(tables[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.read(&c, 1);
    f.seekp(100);
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  ExpectRefusedAndUntouched("orrupt", /*untouched=*/false);
}

// --- one directory, one open per process ----------------------------------

TEST_F(DurableDamageTest, SameDirectoryUnderAnotherSpellingIsAlreadyOpen) {
  MakeStore(3, false);
  const std::string link = dir_.Sub("link");
  fs::create_directory_symlink(path(), link);
  absl::StatusOr<std::unique_ptr<Store>> first = Open(path());
  ASSERT_OK(first);
  for (const std::string& other : {path() + "/", path() + "/.", dir_.path() + "/./store", link,
                                   link + "/", dir_.path() + "/store/../store"}) {
    absl::StatusOr<std::unique_ptr<Store>> second = Open(other);
    ASSERT_FALSE(second.ok()) << other << " opened a second time";
    EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << other;
    EXPECT_THAT(std::string(second.status().message()), HasSubstr("already open")) << other;
  }
  first->reset();
  // Nothing was damaged, and once closed it opens under any spelling.
  EXPECT_EQ(CountUsers(link + "/"), 3u);
  EXPECT_EQ(CountUsers(path()), 3u);
}

TEST_F(DurableDamageTest, ConcurrentOpensOfOneDirectoryHaveOneWinner) {
  MakeStore(1, false);
  const std::string link = dir_.Sub("link");
  fs::create_directory_symlink(path(), link);
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> opened{0};
    std::vector<std::unique_ptr<Store>> stores(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        absl::StatusOr<std::unique_ptr<Store>> s = Open(t % 2 ? link + "/" : path());
        if (s.ok()) {
          ++opened;
          stores[static_cast<size_t>(t)] = *std::move(s);
        } else {
          EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(opened.load(), 1) << "round " << round;
  }
}

// --- write-ahead log damage -------------------------------------------------

TEST_F(DurableDamageTest, CorruptLogMiddleFailsOpenAndCheckAndKeepsTheLog) {
  MakeStore(40, /*flushed=*/false);
  const std::vector<std::string> logs = Files(".log");
  ASSERT_EQ(logs.size(), 1u);
  const auto size = fs::file_size(logs[0]);
  {
    std::fstream f(logs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 3));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size / 3));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  const std::string name = fs::path(logs[0]).filename().string();
  ExpectRefusedAndUntouched(name);
  absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(name));
}

TEST_F(DurableDamageTest, TornLogTailLosesOnlyTheLastWrite) {
  MakeStore(40, /*flushed=*/false);
  const std::vector<std::string> logs = Files(".log");
  ASSERT_EQ(logs.size(), 1u);
  // Cut the last record (one user, ~150 bytes) in half: a write torn by a
  // crash, which was never acknowledged.
  fs::resize_file(logs[0], fs::file_size(logs[0]) - 60);
  absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
  EXPECT_EQ(report->users, 39u);
  EXPECT_EQ(CountUsers(path()), 39u);
}

// --- table and MANIFEST damage ----------------------------------------------

TEST_F(DurableDamageTest, MissingTableFailsOpenAndCheck) {
  MakeStore(5, /*flushed=*/true);
  const std::vector<std::string> tables = Files(".sst");
  ASSERT_FALSE(tables.empty());
  for (const std::string& t : tables) ASSERT_TRUE(fs::remove(t));
  ExpectRefusedAndUntouched("damaged");
}

TEST_F(DurableDamageTest, TruncatedTableFailsOpenAndCheck) {
  MakeStore(5, /*flushed=*/true);
  const std::vector<std::string> tables = Files(".sst");
  ASSERT_FALSE(tables.empty());
  fs::resize_file(tables[0], fs::file_size(tables[0]) / 2);
  ExpectRefusedAndUntouched(fs::path(tables[0]).filename().string());
}

TEST_F(DurableDamageTest, TruncatedManifestFailsOpenAndCheck) {
  MakeStore(5, /*flushed=*/true);
  const std::vector<std::string> manifests = Files("");
  std::string manifest;
  for (const std::string& f : manifests) {
    if (fs::path(f).filename().string().rfind("MANIFEST-", 0) == 0) manifest = f;
  }
  ASSERT_FALSE(manifest.empty());
  fs::resize_file(manifest, fs::file_size(manifest) / 2);
  ExpectRefusedAndUntouched("MANIFEST");
}

// --- permissions --------------------------------------------------------------

TEST_F(DurableDamageTest, PreExistingOpenDirectoryIsMadePrivate) {
  ASSERT_TRUE(fs::create_directory(path()));
  fs::permissions(path(), fs::perms(0755));
  MakeStore(2, false);
  auto mode = [](const std::string& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(path()), 0700u);
  // A store whose directory was opened up since: check says so, the next
  // open closes it again, including the files that were there.
  fs::permissions(path(), fs::perms(0755));
  for (const auto& entry : fs::directory_iterator(path())) {
    fs::permissions(entry.path(), fs::perms(0644));
  }
  absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  ASSERT_EQ(report->problems.size(), 1u) << internal::durable::FormatCheckReport(*report);
  EXPECT_THAT(report->problems[0], HasSubstr("mode 0755"));
  EXPECT_EQ(CountUsers(path()), 2u);
  EXPECT_EQ(mode(path()), 0700u);
  // A file that was there at the open (files RocksDB makes later get the
  // umask's mode, behind the 0700 directory).
  EXPECT_EQ(mode(path() + "/IDENTITY"), 0600u);
  report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
}

TEST_F(DurableDamageTest, StoreOpenedThroughASymlinkIsMadePrivate) {
  ASSERT_TRUE(fs::create_directory(path()));
  fs::permissions(path(), fs::perms(0755));
  const std::string link = dir_.Sub("link");
  fs::create_directory_symlink(path(), link);
  ASSERT_OK(Open(link));
  struct stat st;
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

// --- check beside a running store ---------------------------------------------

TEST_F(DurableDamageTest, CheckNeverKeepsAStoreFromOpening) {
  MakeStore(300, false);
  std::atomic<bool> stop{false};
  std::atomic<int> checks{0};
  std::thread checker([&] {
    while (!stop.load()) {
      absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(path());
      EXPECT_TRUE(report.ok()) << report.status();
      ++checks;
    }
  });
  for (int i = 0; i < 30; ++i) {
    absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
    EXPECT_TRUE(store.ok()) << "open " << i << " beside a check: " << store.status();
  }
  stop = true;
  checker.join();
  EXPECT_GT(checks.load(), 0);
}

TEST_F(DurableDamageTest, CheckSaysInUseWithoutTakingTheLock) {
  MakeStore(3, false);
  absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
  ASSERT_OK(store);
  absl::StatusOr<internal::durable::CheckReport> report =
      internal::durable::CheckStore(path() + "/");
  ASSERT_OK(report);
  EXPECT_TRUE(report->in_use);
  EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
  store->reset();
  report = internal::durable::CheckStore(path());
  ASSERT_OK(report);
  EXPECT_FALSE(report->in_use);
}

// Another process sees RocksDB's lock on `dir`/LOCK (fcntl(F_GETLK) in a
// child: only system calls between fork and _exit).
bool LockSeenFromAnotherProcess(const std::string& dir) {
  const std::string lock = dir + "/LOCK";
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(lock.c_str(), O_RDONLY);
    struct flock query {};
    query.l_type = F_WRLCK;
    query.l_whence = SEEK_SET;
    const bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &query) == 0 && query.l_type != F_UNLCK;
    ::_exit(locked ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// POSIX drops every fcntl lock a process holds on a file when it closes any
// descriptor of that file: a check in the process of a running Store must
// not open and close LOCK, or it unlocks the Store for other processes.
TEST_F(DurableDamageTest, CheckInTheStoresProcessKeepsItsLock) {
  MakeStore(3, false);
  absl::StatusOr<std::unique_ptr<Store>> store = Open(path());
  ASSERT_OK(store);
  ASSERT_TRUE(LockSeenFromAnotherProcess(path()));
  for (const std::string& spelling : {path(), path() + "/"}) {
    absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(spelling);
    ASSERT_OK(report);
    EXPECT_TRUE(report->in_use);
    EXPECT_TRUE(LockSeenFromAnotherProcess(path())) << "check released the Store's lock";
  }
}

// --- full disk ------------------------------------------------------------------

// A small tmpfs, mounted for the test (root only; skipped elsewhere).
class SmallFilesystem {
 public:
  explicit SmallFilesystem(const std::string& where) : where_(where) {
    fs::create_directory(where_);
    mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, "size=1m") == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string where_;
  bool mounted_ = false;
};

void FillTheDisk(const std::string& where, bool sync) {
  SmallFilesystem disk(where);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): skipped";
  DurableOptions durable;
  durable.sync = sync;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(where + "/store", {}, durable);
  ASSERT_OK(store);
  ServiceCreate service;
  service.sid = kServiceSid;
  ASSERT_OK((*store)->CreateService(service));
  const std::string attributes = R"({"k":")" + std::string(2000, 'x') + R"("})";
  int created = 0;
  absl::Status failure;
  for (int i = 0; i < 2000 && failure.ok(); ++i) {
    UserCreate u;
    u.identity = absl::StrCat("user-", i);
    u.attributes = attributes;
    absl::StatusOr<User> user = (*store)->CreateUser(kServiceSid, u);
    if (user.ok()) {
      ++created;
    } else {
      failure = user.status();
    }
  }
  // 1 MiB holds at most ~500 such users: the disk filled, and the process
  // is still here.
  ASSERT_FALSE(failure.ok()) << "the disk never filled";
  std::cout << "created " << created << " users before the disk was full: " << failure << "\n";
  // RocksDB's own file logger aborted the process when it wrote after one
  // of its writes failed; whether that happens here depends on when it
  // flushes (every few seconds), so the test also pins its absence: no LOG
  // file in the directory, RocksDB logs through userstore's logger.
  EXPECT_FALSE(fs::exists(where + "/store/LOG"));
  EXPECT_GT(created, 0);
  EXPECT_EQ(HttpStatus(failure), 500) << failure;
  EXPECT_EQ(TwilioCode(failure), 20500) << failure;
  // Writes stop, reads go on.
  UserCreate more;
  more.identity = "after-the-failure";
  EXPECT_EQ(HttpStatus((*store)->CreateUser(kServiceSid, more).status()), 500);
  EXPECT_EQ(HttpStatus((*store)->DeleteUser(kServiceSid, "user-0")), 500);
  absl::StatusOr<User> first = (*store)->FetchUser(kServiceSid, "user-0");
  ASSERT_OK(first);
  EXPECT_EQ(first->attributes, attributes);
  EXPECT_EQ((*store)->FetchUser(kServiceSid, "after-the-failure").status().code(),
            absl::StatusCode::kNotFound);
  store->reset();  // closing on a full disk does not abort either
}

TEST_F(DurableDamageTest, FullDiskFailsWritesWithoutAbortingSynced) {
  FillTheDisk(dir_.Sub("disk"), /*sync=*/true);
}

TEST_F(DurableDamageTest, FullDiskFailsWritesWithoutAbortingUnsynced) {
  FillTheDisk(dir_.Sub("disk"), /*sync=*/false);
}

}  // namespace
}  // namespace userstore

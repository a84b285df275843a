// Crash test of durable mode (issue 5 §5): a writer process (this test
// binary, re-executed as DurableCrash.DISABLED_Writer) runs several threads
// of create / update / delete / joined-count / presence writes against a
// durable store and reports each write through a pipe, before the call (the
// intent) and after it returned OK (the acknowledgement). The test kills it
// with SIGKILL at a random moment (sometimes while it is still opening the
// store), reopens the store and checks:
//   - every acknowledged write is there: each user is in its last
//     acknowledged state, or in the state of the one write that was in
//     flight for it (a later, unacknowledged write may have reached the disk);
//   - no other user exists, none is half-written (every field matches one
//     of those states), presence is unknown again;
//   - the SID and identity indexes agree and a paging walk returns every user
//     exactly once;
//   - page tokens issued before the kill still work and resume at the right
//     place;
//   - while the writer runs, the directory cannot be opened a second time;
//   - `check` finds the directory sound.
// USERSTORE_CRASH_CYCLES (default 50) and USERSTORE_CRASH_SEED (default:
// random, printed) control a run; tests/crash/soak.sh runs many cycles.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "durable/check.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"
#include "userstore/error.h"
#include "userstore/store.h"

extern char** environ;

namespace userstore {
namespace {

constexpr char kService[] = "IS0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c";
constexpr char kDirEnv[] = "USERSTORE_CRASH_WRITER_DIR";
constexpr char kCycleEnv[] = "USERSTORE_CRASH_WRITER_CYCLE";
constexpr char kSeedEnv[] = "USERSTORE_CRASH_WRITER_SEED";
constexpr char kSyncEnv[] = "USERSTORE_CRASH_WRITER_SYNC";
constexpr int kAckFd = 3;  // the writer's end of the pipe
constexpr int kWriterThreads = 3;
constexpr size_t kMaxUsersPerThread = 30;

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = getenv(name);
  uint64_t value;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

// The persistent state of a user as one line field: sid|role|attributes|
// friendly name ("~" when null)|joined_channels_count.
std::string StateOf(const User& u) {
  return absl::StrCat(u.sid, "|", u.role_sid, "|", u.attributes, "|", u.friendly_name.value_or("~"),
                      "|", u.joined_channels_count);
}

// ---- the writer (child process) ---------------------------------------------

void Emit(const std::string& line) {
  // One write() of less than PIPE_BUF bytes: lines of different threads
  // never interleave.
  const std::string out = line + "\n";
  if (write(kAckFd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) _exit(5);
}

[[noreturn]] void Fatal(const std::string& what) {
  Emit("E\t" + what);
  _exit(3);
}

void WriterThread(Store* store, int t, uint64_t cycle, uint64_t seed,
                  std::map<std::string, User> mine, const std::string& user_role,
                  const std::string& admin_role) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(t));  // t >= 0
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  uint64_t next = 0;
  for (;;) {
    const bool must_create = mine.size() < 4;
    const bool may_create = mine.size() < kMaxUsersPerThread;
    if (must_create || (may_create && pick(10) < 3)) {
      const std::string identity = absl::StrCat("c", cycle, "-t", t, "-", next++);
      const bool implicit = pick(4) == 0;
      UserCreate c;
      c.identity = identity;
      std::string role = user_role;
      if (!implicit) {
        c.attributes = absl::StrCat(R"({"v":)", pick(1000), "}");
        if (pick(2) == 0) c.friendly_name = absl::StrCat("n", pick(1000));
        if (pick(3) == 0) role = admin_role;
        c.role_sid = role;
      }
      Emit(absl::StrCat("I\t", t, "\t", identity, "\t*|", role, "|", c.attributes.value_or("{}"),
                        "|", c.friendly_name.value_or("~"), "|0"));
      absl::StatusOr<User> u =
          implicit ? store->GetOrCreateUser(kService, identity) : store->CreateUser(kService, c);
      if (!u.ok()) Fatal(absl::StrCat("create ", identity, ": ", u.status().ToString()));
      Emit(absl::StrCat("A\t", t, "\t", identity, "\t", StateOf(*u)));
      mine[identity] = *u;
      continue;
    }
    auto it = mine.begin();
    std::advance(it, pick(mine.size()));
    const std::string identity = it->first;
    User expected = it->second;
    const uint64_t op = may_create ? pick(10) : 6;  // full: delete
    if (op <= 3) {
      UserUpdate u;
      if (pick(2) == 0) u.attributes = absl::StrCat(R"({"u":)", pick(1000), "}");
      if (pick(2) == 0) u.friendly_name = pick(3) == 0 ? "" : absl::StrCat("m", pick(1000));
      if (!u.attributes && !u.friendly_name) u.role_sid = pick(2) == 0 ? admin_role : user_role;
      if (u.attributes) expected.attributes = *u.attributes;
      if (u.friendly_name) {
        expected.friendly_name =
            u.friendly_name->empty() ? std::nullopt : std::optional<std::string>(*u.friendly_name);
      }
      if (u.role_sid) expected.role_sid = *u.role_sid;
      Emit(absl::StrCat("I\t", t, "\t", identity, "\t", StateOf(expected)));
      absl::StatusOr<User> done = store->UpdateUser(kService, identity, u);
      if (!done.ok()) Fatal(absl::StrCat("update ", identity, ": ", done.status().ToString()));
      Emit(absl::StrCat("A\t", t, "\t", identity, "\t", StateOf(*done)));
      it->second = *done;
    } else if (op <= 5) {
      const int64_t delta = expected.joined_channels_count > 0 && pick(3) == 0
                                ? -1
                                : 1 + static_cast<int64_t>(pick(5));
      expected.joined_channels_count += delta;
      Emit(absl::StrCat("I\t", t, "\t", identity, "\t", StateOf(expected)));
      absl::StatusOr<User> done = store->AddJoinedChannels(kService, identity, delta);
      if (!done.ok()) Fatal(absl::StrCat("joined ", identity, ": ", done.status().ToString()));
      Emit(absl::StrCat("A\t", t, "\t", identity, "\t", StateOf(*done)));
      it->second = *done;
    } else if (op <= 7) {
      Emit(absl::StrCat("I\t", t, "\t", identity, "\tDEL"));
      const absl::Status s = store->DeleteUser(kService, pick(2) == 0 ? identity : expected.sid);
      if (!s.ok()) Fatal(absl::StrCat("delete ", identity, ": ", s.ToString()));
      Emit(absl::StrCat("A\t", t, "\t", identity, "\tDEL"));
      mine.erase(it);
    } else if (op == 8) {
      // Presence is runtime state: written, never persisted.
      if (!store->SetUserOnline(kService, identity, true).ok()) Fatal("presence " + identity);
    } else {
      absl::StatusOr<User> got = store->FetchUser(kService, identity);
      if (!got.ok() || StateOf(*got) != StateOf(expected)) Fatal("memory lost " + identity);
    }
  }
}

// Opens the store, reports "R" and writes until killed. Users are owned by
// the thread whose number their identity carries ("c<cycle>-t<thread>-<n>").
[[noreturn]] void RunWriter(const std::string& dir) {
  DurableOptions durable;
  durable.sync = EnvNumber(kSyncEnv, 0) != 0;
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir, {}, durable);
  if (!opened.ok()) Fatal("open: " + opened.status().ToString());
  Store* store = opened->get();
  std::string user_role;
  std::string admin_role;
  absl::StatusOr<std::vector<Role>> roles = store->ListRoles(kService);
  if (!roles.ok()) Fatal("roles: " + roles.status().ToString());
  for (const Role& r : *roles) {
    if (r.friendly_name == "service user") user_role = r.sid;
    if (r.friendly_name == "service admin") admin_role = r.sid;
  }
  std::vector<std::map<std::string, User>> owned(kWriterThreads);
  PageRequest request;
  request.page_size = 100;
  for (;;) {
    absl::StatusOr<Page> page = store->ListUsers(kService, request);
    if (!page.ok()) Fatal("list: " + page.status().ToString());
    for (const User& u : page->users) {
      std::vector<std::string> parts = absl::StrSplit(u.identity, '-');
      int t = 0;
      if (parts.size() != 3 || !absl::SimpleAtoi(parts[1].substr(1), &t) || t < 0 ||
          t >= kWriterThreads) {
        Fatal("unexpected identity " + u.identity);
      }
      owned[static_cast<size_t>(t)][u.identity] = u;  // checked: 0 <= t < kWriterThreads
    }
    if (page->next_page_token.empty()) break;
    request.page_token = page->next_page_token;
    ++request.page;
  }
  Emit("R");
  const uint64_t cycle = EnvNumber(kCycleEnv, 0);
  const uint64_t seed = EnvNumber(kSeedEnv, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back(WriterThread, store, t, cycle, seed, owned[static_cast<size_t>(t)],
                         user_role, admin_role);
  }
  // The test kills us long before this; never outlive a test that died.
  std::this_thread::sleep_for(std::chrono::seconds(60));
  Fatal("not killed within 60 s");
}

TEST(DurableCrash, DISABLED_Writer) {
  const char* dir = getenv(kDirEnv);
  if (dir == nullptr) GTEST_SKIP() << "the writer of DurableCrash.KillCycles, not a test";
  RunWriter(dir);
}

// ---- the test (parent process) -------------------------------------------------

// What the writer reported, per identity.
class Model {
 public:
  // Applies one "I"/"A"/"E"/"R" line.
  void Apply(const std::string& line) {
    if (line == "R") {
      ready_ = true;
      return;
    }
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('\t', 3));
    if (f[0] == "E") {
      ADD_FAILURE() << "writer failed: " << line;
      return;
    }
    ASSERT_EQ(f.size(), 4u) << line;
    const std::string& identity = f[2];
    if (f[0] == "I") {
      EXPECT_FALSE(in_flight_.contains(f[1])) << "two writes in flight on thread " << f[1];
      in_flight_[f[1]] = identity;
      pending_[identity] = f[3];
      ++intents_;
    } else {
      ASSERT_EQ(f[0], "A") << line;
      if (f[3] == "DEL") {
        acked_.erase(identity);
      } else {
        acked_[identity] = f[3];
      }
      pending_.erase(identity);
      in_flight_.erase(f[1]);
      ++acks_;
    }
  }

  // Checks the reopened store against the reports, then adopts its state.
  void Verify(const Store& store) {
    std::map<std::string, std::string> now;
    std::vector<std::string> identities;
    for (const auto& [id, state] : acked_) identities.push_back(id);
    for (const auto& [id, state] : pending_) identities.push_back(id);
    for (const std::string& id : identities) {
      absl::StatusOr<User> u = store.FetchUser(kService, id);
      std::optional<std::string> actual;
      if (u.ok()) {
        actual = StateOf(*u);
        EXPECT_EQ(u->is_online, std::nullopt) << "presence persisted for " << id;
      } else {
        EXPECT_EQ(HttpStatus(u.status()), 404) << u.status();
      }
      auto a = acked_.find(id);
      const std::optional<std::string> last =
          a == acked_.end() ? std::nullopt : std::optional<std::string>(a->second);
      auto p = pending_.find(id);
      const bool ok = actual == last || (p != pending_.end() && Matches(p->second, actual));
      EXPECT_TRUE(ok) << id << ": found " << actual.value_or("<absent>") << ", last acknowledged "
                      << last.value_or("<absent>") << ", in flight "
                      << (p == pending_.end() ? "<none>" : p->second);
      if (actual) now[id] = *actual;
    }
    acked_ = std::move(now);
    pending_.clear();
    in_flight_.clear();
    ready_ = false;
  }

  const std::map<std::string, std::string>& users() const { return acked_; }
  bool ready() const { return ready_; }
  uint64_t acks() const { return acks_; }
  uint64_t intents() const { return intents_; }

 private:
  static bool Matches(const std::string& intent, const std::optional<std::string>& actual) {
    if (intent == "DEL") return !actual;
    if (!actual) return false;
    if (absl::StartsWith(intent, "*|")) {  // a create: any SID
      const size_t bar = actual->find('|');
      return bar != std::string::npos && actual->substr(bar + 1) == intent.substr(2);
    }
    return *actual == intent;
  }

  std::map<std::string, std::string> acked_;      // identity -> last acknowledged state
  std::map<std::string, std::string> pending_;    // identity -> the write in flight
  std::map<std::string, std::string> in_flight_;  // thread -> identity
  bool ready_ = false;
  uint64_t acks_ = 0;
  uint64_t intents_ = 0;
};

// A token issued before a kill, and the SIDs shown up to it.
struct SavedToken {
  std::string token;
  absl::flat_hash_set<std::string> shown;
};

std::vector<User> Walk(const Store& store) {
  std::vector<User> out;
  PageRequest request;
  request.page_size = 7;
  for (;;) {
    absl::StatusOr<Page> page = store.ListUsers(kService, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    out.insert(out.end(), page->users.begin(), page->users.end());
    if (page->next_page_token.empty()) return out;
    request.page_token = page->next_page_token;
    ++request.page;
  }
}

// The writer process and the read end of its pipe.
class Writer {
 public:
  Writer(const std::string& dir, uint64_t cycle, uint64_t seed, bool sync) {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_fd_ = fds[0];
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.push_back(absl::StrCat(kDirEnv, "=", dir));
    env_strings.push_back(absl::StrCat(kCycleEnv, "=", cycle));
    env_strings.push_back(absl::StrCat(kSeedEnv, "=", seed));
    env_strings.push_back(absl::StrCat(kSyncEnv, "=", sync ? 1 : 0));
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=DurableCrash.DISABLED_Writer";
    std::string disabled = "--gtest_also_run_disabled_tests";
    std::vector<char*> argv = {exe.data(), filter.data(), disabled.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], kAckFd);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
  }
  ~Writer() {
    if (pid_ > 0) Kill();
    close(read_fd_);
  }

  // Reads lines into `model` until `deadline` or EOF; false at EOF.
  bool Pump(Model* model, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      pollfd p{read_fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = read(read_fd_, chunk, sizeof(chunk));
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));  // n > 0
      size_t start = 0;
      for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
        model->Apply(buffer_.substr(start, nl - start));
      }
      buffer_.erase(0, start);
    }
  }

  // Waits for the writer to report ready (or to die).
  bool WaitReady(Model* model) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!model->ready() && std::chrono::steady_clock::now() < deadline) {
      if (!Pump(model, std::chrono::steady_clock::now() + std::chrono::milliseconds(5))) break;
    }
    return model->ready();
  }

  // SIGKILL, then every line written before it, then the exit status.
  void Kill(Model* model = nullptr) {
    kill(pid_, SIGKILL);
    if (model != nullptr) {
      while (Pump(model, std::chrono::steady_clock::now() + std::chrono::seconds(30))) {
      }
      EXPECT_TRUE(buffer_.empty()) << "a torn line: " << buffer_;  // lines are atomic
    }
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string buffer_;
};

// A fresh directory per test.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("userstore-crash") {}
};

TEST(DurableCrash, KillCyclesLoseNoAcknowledgedWrite) {
  const uint64_t cycles = EnvNumber("USERSTORE_CRASH_CYCLES", 50);
  const uint64_t seed = EnvNumber("USERSTORE_CRASH_SEED", std::random_device{}());
  std::cout << "USERSTORE_CRASH_SEED=" << seed << " USERSTORE_CRASH_CYCLES=" << cycles << "\n";
  std::mt19937_64 rng(seed);
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir, {});
    ASSERT_OK(store);
    ServiceCreate sc;
    sc.sid = kService;
    sc.reachability_enabled = true;  // so that persisted presence would show
    ASSERT_OK((*store)->CreateService(sc));
  }
  Model model;
  std::vector<SavedToken> tokens;
  uint64_t early_kills = 0;
  uint64_t lock_checks = 0;
  uint64_t tokens_checked = 0;
  for (uint64_t cycle = 1; cycle <= cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle, " of seed ", seed));
    const bool sync = cycle % 4 == 0;
    Writer writer(dir, cycle, seed + cycle, sync);
    if (rng() % 10 == 0) {
      // Kill while the writer may still be opening / recovering the store.
      ++early_kills;
      writer.Pump(&model,
                  std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 30000));
    } else {
      ASSERT_TRUE(writer.WaitReady(&model)) << "the writer did not start";
      if (cycle % 10 == 1) {
        // One process at a time: the running writer holds the directory.
        ++lock_checks;
        absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(dir, {});
        EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
      }
      writer.Pump(&model, std::chrono::steady_clock::now() +
                              std::chrono::microseconds(1000 + rng() % 25000));
    }
    writer.Kill(&model);
    if (::testing::Test::HasFatalFailure()) return;

    absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(dir, {});
    ASSERT_OK(reopened);
    const Store& store = **reopened;
    model.Verify(store);
    // Indexes agree; the walk returns every user exactly once.
    const std::vector<User> walk = Walk(store);
    absl::flat_hash_set<std::string> seen;
    for (const User& u : walk) {
      EXPECT_TRUE(seen.insert(u.sid).second) << "walk returned " << u.sid << " twice";
      auto it = model.users().find(u.identity);
      EXPECT_TRUE(it != model.users().end() && it->second == StateOf(u))
          << "unexpected user " << u.identity << " " << StateOf(u);
      absl::StatusOr<User> by_sid = store.FetchUser(kService, u.sid);
      EXPECT_TRUE(by_sid.ok() && StateOf(*by_sid) == StateOf(u) && by_sid->identity == u.identity)
          << u.sid;
    }
    EXPECT_EQ(walk.size(), model.users().size());
    // Tokens issued before the kill resume right after the users they had
    // shown: those users (if still there) come first in the walk, and the
    // page is what follows them.
    for (const SavedToken& saved : tokens) {
      PageRequest request;
      request.page_size = 5;
      request.page = 1;
      request.page_token = saved.token;
      absl::StatusOr<Page> page = store.ListUsers(kService, request);
      ASSERT_OK(page);
      size_t skip = 0;
      while (skip < walk.size() && saved.shown.contains(walk[skip].sid)) ++skip;
      for (size_t i = skip; i < walk.size(); ++i) {
        EXPECT_FALSE(saved.shown.contains(walk[i].sid)) << "creation order changed";
      }
      std::vector<std::string> expected;
      for (size_t i = skip; i < walk.size() && expected.size() < 5; ++i) {
        expected.push_back(walk[i].sid);
      }
      std::vector<std::string> got;
      for (const User& u : page->users) got.push_back(u.sid);
      EXPECT_EQ(got, expected);
      ++tokens_checked;
    }
    tokens.clear();
    PageRequest request;
    request.page_size = 5;
    absl::flat_hash_set<std::string> shown;
    for (int p = 0; p < 3; ++p) {
      absl::StatusOr<Page> page = store.ListUsers(kService, request);
      ASSERT_OK(page);
      for (const User& u : page->users) shown.insert(u.sid);
      if (page->next_page_token.empty()) break;
      tokens.push_back({page->next_page_token, shown});
      request.page_token = page->next_page_token;
      ++request.page;
    }
    reopened->reset();
    if (cycle % 10 == 0 || cycle == cycles) {
      absl::StatusOr<internal::durable::CheckReport> report = internal::durable::CheckStore(dir);
      ASSERT_OK(report);
      EXPECT_TRUE(report->ok()) << internal::durable::FormatCheckReport(*report);
      EXPECT_EQ(report->users, model.users().size());
    }
    if (::testing::Test::HasFailure()) return;
  }
  std::cout << cycles << " kill cycles: " << model.acks() << " acknowledged writes of "
            << model.intents() << " started, " << early_kills << " kills during open, "
            << lock_checks << " second-open checks, " << tokens_checked
            << " page tokens resumed across a kill\n";
  EXPECT_GT(model.acks(), cycles);  // the writer did write
  EXPECT_GT(tokens_checked, 0u);
}

}  // namespace
}  // namespace userstore

// merge_experiment: issue 13's lost-update experiment, repeated.
//
// T threads (default 8) each set their own key of one user N times (default
// 1,000), with values 1..N, on a durable store (sync on, in a fresh
// temporary directory) and then on a memory store. Each write is an
// UpdateUser with an RFC 7396 merge patch ({"k<t>": i}), applied under the
// user's lock. Reported, one line per mode: lost_merges, acknowledged
// merges a later write undid (found by walking every write's result, the user
// right after it, in revision order: see LostMerges), and lost_keys, keys
// whose final value is not the last one written.
//
// --baseline adds the way issue 13 had to do it before merge patches: fetch,
// parse, set the key, write the whole text back (no precondition), which
// loses updates when two threads interleave.
//
// Usage: merge_experiment [--threads=T] [--merges=N] [--baseline] [--dir=PARENT]
// Built with USERSTORE_BUILD_BENCHMARKS=ON (bench/CMakeLists.txt).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "simdjson.h"
#include "userstore/store.h"

namespace {

constexpr char kService[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

struct Config {
  int threads = 8;
  int merges = 1000;
  bool baseline = false;
  std::string parent = std::filesystem::temp_directory_path().string();
};

struct Outcome {
  uint64_t attempted = 0;
  uint64_t failed = 0;       // calls that returned an error
  uint64_t lost_merges = 0;  // acknowledged merges a later write undid
  uint64_t lost_keys = 0;    // keys whose final value is not the last written
  double seconds = 0;
};

// What one acknowledged write left: the user right after it (UpdateUser's
// result is taken under the user's lock, and revisions rise in commit order).
struct Snapshot {
  uint64_t revision;
  int writer;
  int value;
  std::string attributes;
};

// Merges that were acknowledged and then undone: walking the writes in
// commit (revision) order, a snapshot whose key k<u> is below the last value
// u's own acknowledged writes had set lost that write. Each lost write is
// counted once.
uint64_t LostMerges(std::vector<Snapshot>& writes, int threads) {
  std::sort(writes.begin(), writes.end(),
            [](const Snapshot& a, const Snapshot& b) { return a.revision < b.revision; });
  std::vector<int64_t> expected(static_cast<size_t>(threads), 0);
  std::set<std::pair<int, int64_t>> lost;
  simdjson::dom::parser parser;
  for (const Snapshot& w : writes) {
    expected[static_cast<size_t>(w.writer)] = w.value;
    simdjson::dom::object object;
    if (parser.parse(w.attributes).get(object) != simdjson::SUCCESS) continue;
    for (int u = 0; u < threads; ++u) {
      int64_t seen = 0;  // absent: nothing written yet
      if (object[absl::StrCat("k", u)].get(seen) != simdjson::SUCCESS) seen = 0;
      if (seen < expected[static_cast<size_t>(u)]) {
        lost.emplace(u, expected[static_cast<size_t>(u)]);
      }
    }
  }
  return lost.size();
}

// The whole-text read-modify-write of issue 13: set `key` to `value` in the
// object `text` (re-serialized with simdjson's minifier for the rest).
std::string SetKey(simdjson::dom::parser& parser, const std::string& text, const std::string& key,
                   int value) {
  simdjson::dom::object object;
  if (parser.parse(text).get(object) != simdjson::SUCCESS) return text;
  std::string out = "{";
  for (auto [k, v] : object) {
    if (k == key) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += k;  // the keys here need no escaping (k0, k1, ...)
    out += "\":";
    out += simdjson::to_string(v);
  }
  absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", key, "\":", value, "}");
  return out;
}

Outcome Run(userstore::Store& store, const Config& config, bool patch) {
  userstore::UserCreate create;
  create.identity = patch ? "merged" : "rmw";
  create.attributes = "{}";
  Outcome outcome;
  if (!store.CreateUser(kService, create).ok()) {
    std::fprintf(stderr, "create failed\n");
    exit(1);
  }
  std::atomic<uint64_t> attempted{0}, failed{0};
  std::vector<std::vector<Snapshot>> writes(static_cast<size_t>(config.threads));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < config.threads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = absl::StrCat("k", t);
      simdjson::dom::parser parser;
      userstore::User user, written;
      std::vector<Snapshot>& mine = writes[static_cast<size_t>(t)];
      mine.reserve(static_cast<size_t>(config.merges));
      for (int i = 1; i <= config.merges; ++i) {
        ++attempted;
        userstore::UserUpdate u;
        if (patch) {
          u.attributes_patch = absl::StrCat("{\"", key, "\":", i, "}");
        } else {
          if (!store.FetchUser(kService, create.identity, &user).ok()) {
            ++failed;
            continue;
          }
          u.attributes = SetKey(parser, user.attributes, key, i);
        }
        if (!store.UpdateUser(kService, create.identity, u, &written).ok()) {
          ++failed;
          continue;
        }
        mine.push_back({written.revision, t, i, written.attributes});
      }
    });
  }
  for (auto& th : threads) th.join();
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.attempted = attempted.load();
  outcome.failed = failed.load();
  absl::StatusOr<userstore::User> final_user = store.FetchUser(kService, create.identity);
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (!final_user.ok() || parser.parse(final_user->attributes).get(object) != simdjson::SUCCESS) {
    std::fprintf(stderr, "final fetch failed\n");
    exit(1);
  }
  for (int t = 0; t < config.threads; ++t) {
    int64_t value = -1;
    if (object[absl::StrCat("k", t)].get(value) != simdjson::SUCCESS || value != config.merges) {
      ++outcome.lost_keys;
    }
  }
  std::vector<Snapshot> all;
  for (std::vector<Snapshot>& mine : writes) {
    for (Snapshot& w : mine) all.push_back(std::move(w));
  }
  outcome.lost_merges = LostMerges(all, config.threads);
  return outcome;
}

void Print(std::string_view mode, std::string_view method, const Config& config, const Outcome& o) {
  std::printf(
      "mode=%-12s method=%-9s threads=%d merges_attempted=%llu failed=%llu "
      "lost_merges=%llu keys=%d lost_keys=%llu seconds=%.2f\n",
      std::string(mode).c_str(), std::string(method).c_str(), config.threads,
      static_cast<unsigned long long>(o.attempted), static_cast<unsigned long long>(o.failed),
      static_cast<unsigned long long>(o.lost_merges), config.threads,
      static_cast<unsigned long long>(o.lost_keys), o.seconds);
  std::fflush(stdout);
}

// A positive int, all of `text`.
bool PositiveInt(std::string_view text, int* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0;
}

bool Flag(std::string_view arg, std::string_view name, std::string_view* value) {
  if (arg.substr(0, name.size()) != name) return false;
  *value = arg.substr(name.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string_view v;
    if (Flag(arg, "--threads=", &v) && PositiveInt(v, &config.threads)) {
    } else if (Flag(arg, "--merges=", &v) && PositiveInt(v, &config.merges)) {
    } else if (arg == "--baseline") {
      config.baseline = true;
    } else if (Flag(arg, "--dir=", &v)) {
      config.parent = std::string(v);
    } else {
      std::fprintf(stderr, "usage: %s [--threads=T] [--merges=N] [--baseline] [--dir=PARENT]\n",
                   argv[0]);
      return 2;
    }
  }
  userstore::ServiceCreate service;
  service.sid = kService;

  // Durable, sync on: every acknowledged write fsync'ed.
  std::string dir = config.parent + "/merge-experiment-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  {
    userstore::DurableOptions durable;
    durable.sync = true;
    auto store = userstore::Store::Open(dir + "/store", {}, durable);
    if (!store.ok() || !(*store)->CreateService(service).ok()) {
      std::fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
      return 1;
    }
    Print("durable-sync", "patch", config, Run(**store, config, true));
    if (config.baseline) Print("durable-sync", "rmw", config, Run(**store, config, false));
  }
  std::filesystem::remove_all(dir);

  auto store = userstore::Store::Create();
  if (!store.ok() || !(*store)->CreateService(service).ok()) return 1;
  Print("memory", "patch", config, Run(**store, config, true));
  if (config.baseline) Print("memory", "rmw", config, Run(**store, config, false));
  return 0;
}

#include "bench/workload.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace userstore::bench {
namespace {

constexpr uint64_t kSeed = 20240601;
constexpr size_t kAttributesPoolSize = 4096;
// Lowercase only: an identity can never be SID-shaped ("US" + hex).
constexpr char kIdentityAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789._-@";

std::string RandomText(std::mt19937_64& rng, size_t length, std::string_view alphabet) {
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string out(length, ' ');
  for (char& c : out) c = alphabet[pick(rng)];
  return out;
}

// A JSON object of about `target` bytes, shaped like a chat profile.
std::string RandomAttributes(std::mt19937_64& rng, size_t target) {
  constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz";
  constexpr std::string_view kHex = "0123456789abcdef";
  std::uniform_int_distribution<int> tier(0, 5);
  std::string json = absl::StrCat(
      R"({"display_name":")", RandomText(rng, 10, kLetters), R"(","email":")",
      RandomText(rng, 8, kLetters), R"(@example.com","avatar":"https://cdn.example.com/a/)",
      RandomText(rng, 16, kHex), R"(.png","locale":"en-US","tier":)", tier(rng),
      R"(,"verified":true,"tags":[")", RandomText(rng, 6, kLetters), R"(",")",
      RandomText(rng, 5, kLetters), R"("])");
  constexpr absl::string_view kBioOpen = R"(,"bio":")";
  const size_t fixed = json.size() + kBioOpen.size() + 2;  // + `"}`
  absl::StrAppend(&json, kBioOpen, RandomText(rng, target > fixed ? target - fixed : 1, kLetters),
                  "\"}");
  return json;
}

std::unique_ptr<Workload> Build(size_t users) {
  auto w = std::make_unique<Workload>();
  std::mt19937_64 rng(kSeed);
  w->users = users;
  w->batch = std::clamp<size_t>(users / 10, 1, 20000);

  // Identities: unique, 5-40 bytes; the first N are preloaded, the rest fresh.
  const size_t wanted = users + kMaxThreads * w->batch;
  std::uniform_int_distribution<size_t> length(5, 40);
  absl::flat_hash_set<std::string> seen;
  seen.reserve(wanted);
  std::vector<std::string> all;
  all.reserve(wanted);
  while (all.size() < wanted) {
    std::string id = RandomText(rng, length(rng), kIdentityAlphabet);
    if (seen.insert(id).second) all.push_back(std::move(id));
  }
  const auto split = static_cast<std::ptrdiff_t>(users);  // users <= all.size()
  w->identities.assign(std::make_move_iterator(all.begin()),
                       std::make_move_iterator(all.begin() + split));
  w->fresh_identities.assign(std::make_move_iterator(all.begin() + split),
                             std::make_move_iterator(all.end()));
  w->contended_identity = "Contended.Identity";  // uppercase: never generated

  std::uniform_int_distribution<size_t> attr_length(180, 230);
  w->attributes_pool.reserve(kAttributesPoolSize);
  for (size_t i = 0; i < kAttributesPoolSize; ++i) {
    w->attributes_pool.push_back(RandomAttributes(rng, attr_length(rng)));
  }

  size_t probes = 1;
  while (probes < std::max<size_t>(users, 1 << 16)) probes <<= 1;
  std::uniform_int_distribution<uint32_t> user(0, static_cast<uint32_t>(users - 1));
  w->probes.resize(probes);
  for (uint32_t& p : w->probes) p = user(rng);

  double bytes = 0;
  for (size_t i = 0; i < users; ++i) {
    bytes +=
        static_cast<double>(34 + 34 + w->identities[i].size() + w->AttributesOf(i).size() + 3 * 8);
  }
  w->payload_bytes_per_user = bytes / static_cast<double>(users);
  return w;
}

}  // namespace

const Workload& GetWorkload(size_t users) {
  static std::mutex mu;
  static auto* workloads = new std::map<size_t, std::unique_ptr<Workload>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Workload>& w = (*workloads)[users];
  if (!w) w = Build(users);
  return *w;
}

}  // namespace userstore::bench

// Fuzz target: the whole REST facade (include/userstore/rest.h), Chat v2's
// routes and Conversations v1's, over a Store holding two Services and a few
// users, the first Service the Conversations default (/v1/Users).
//
// Input: text, requests separated by a line "===". Each request is
//   METHOD TARGET          (first line; split on the first space)
//   Name: value            (header lines, up to an empty line)
//
//   body                   (everything after the empty line)
// Optional first lines: "#auto" serves through a facade with
// auto_create_services; "#ext" with enable_extensions; "#root", "#deep" and "#pct" use a Store
// whose base URL has no path, three segments and a trailing slash, or percent-encoded segments
// ("/a%20b/v%2F2"); "#convdeep" a Conversations base URL of three segments
// and a trailing slash. Placeholders, expanded anywhere: {IS} / {IS2} the two
// Service SIDs, {US0}..
// {US3} the SIDs of the first Service's seed users, {TOKEN} a valid
// next-page token of the first Service (PageSize=1), {TOKEN2} one of the second
// Service, {TOKENV1} one of the first Service's Conversations list, {BS0} /
// {BS1} the first Service's seed push Bindings (alice's apn "tok-a", bob's
// fcm "tok-b"), {BS2} the second Service's, {BTOKEN} a valid next-page token
// of the first Service's Bindings list (PageSize=1), {PAD:n} n bytes of 'x'
// (n <= 70000, to reach the body and target bounds), and a
// header line {HEADERS:n} adds n headers (n <= 200).
//
// Properties, for every request:
//   - the status is one the contract allows (200, 201, 204, 400, 404, 405,
//     409, 412), never 5xx, with a Twilio code allowed for it;
//   - a single user's 200 / 201 has ETag "<revision>" of the stored user,
//     and no other success has an ETag;
//   - HEAD has GET's status and headers, an empty body and no effect (and
//     the GET is checked as below);
//   - 204 has an empty body and no headers; any other response has
//     Content-Type application/json; charset=utf-8 and a body that simdjson
//     accepts; an error body has exactly code, message, more_info (the
//     code's Twilio page) and status (= the HTTP status); a 405 has Allow;
//   - success bodies have the shape of their route (a Chat or Conversations
//     user, page, service, roles, the Configuration, Binding, User Binding;
//     with "#ext", a count {"count","url"} and a batch upsert's items in
//     input order, each user the batch wrote as the Store holds it)
//     and a page holds at most meta.page_size <= 100 users (<= 50 for a
//     Conversations page; 1000 Bindings);
//   - a users or Bindings page's url, first_page_url, next_page_url and
//     previous_page_url, followed verbatim, are served (200, the page they
//     name); only next and previous may be null (previous always on page 0);
//     next and previous name a non-empty page sharing no item with this one
//     (so no link leads to an empty page or loops back to this one);
//   - a request that is not a successful create, update or delete leaves
//     every user and every push Binding of both Services exactly as it was;
//     a successful one has the effect its body shows (the user or Binding
//     fetched from the Store renders to the same JSON, Chat's or
//     Conversations' as the body's, a deleted user is gone with its
//     Bindings, a deleted Binding is gone and nothing else; a Configuration
//     update changes no user);
//   - in the first Service (reachability on) a user's is_notifiable is true
//     exactly while it holds a Binding (else false, or null if it never
//     had one); in the second (off) it is null.
#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_util.h"
#include "userstore/binding.h"
#include "userstore/error.h"
#include "userstore/json.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::fuzz {
namespace {

constexpr char kServiceA[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kServiceB[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kJsonType[] = "application/json; charset=utf-8";
constexpr size_t kMaxRequests = 16;

using Headers = std::vector<std::pair<std::string, std::string>>;

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

struct World {
  std::unique_ptr<Store> store;
  std::vector<std::string> seed_sids;     // users of Service A
  std::vector<std::string> binding_sids;  // {BS0}, {BS1} (A), {BS2} (B)
  std::string token_a, token_b, token_v1, binding_token;
};

World MakeWorld(const std::string& base_url, const std::string& conversations_base_url) {
  World w;
  StoreOptions options;
  options.account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  options.page_token_key = "rest-facade-fuzzer";
  options.clock = [] { return absl::FromUnixSeconds(1458853519); };
  if (!base_url.empty()) options.base_url = base_url;
  if (!conversations_base_url.empty()) options.conversations_base_url = conversations_base_url;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(options);
  FUZZ_CHECK(store.ok(), "Store::Create: %s", Describe(store.status()).c_str());
  w.store = *std::move(store);
  ServiceCreate a;
  a.sid = kServiceA;
  a.reachability_enabled = true;
  ServiceCreate b;
  b.sid = kServiceB;
  FUZZ_CHECK(w.store->CreateService(a).ok() && w.store->CreateService(b).ok(), "CreateService");
  ConfigurationUpdate configuration;
  configuration.default_chat_service_sid = kServiceA;
  absl::StatusOr<Configuration> configured = w.store->UpdateConfiguration(configuration);
  FUZZ_CHECK(configured.ok(), "UpdateConfiguration: %s", Describe(configured.status()).c_str());
  const char* identities[] = {"alice", "bob", "team/alice", "a b"};
  for (const char* identity : identities) {
    UserCreate create;
    create.identity = identity;
    if (create.identity == "bob") {
      create.attributes = R"({"team":"blue","n":[1,2,{"x":null}]})";
      create.friendly_name = "Bob \"B\" \\ Smith";
    }
    absl::StatusOr<User> user = w.store->CreateUser(kServiceA, create);
    FUZZ_CHECK(user.ok(), "CreateUser: %s", Describe(user.status()).c_str());
    w.seed_sids.push_back(user->sid);
  }
  FUZZ_CHECK(w.store->SetUserOnline(kServiceA, "alice", true).ok(), "SetUserOnline");
  UserCreate other;
  other.identity = "alice";
  FUZZ_CHECK(w.store->CreateUser(kServiceB, other).ok(), "CreateUser B");
  UserCreate other2;
  other2.identity = "carol";
  FUZZ_CHECK(w.store->CreateUser(kServiceB, other2).ok(), "CreateUser B");
  PageRequest first;
  first.page_size = 1;
  absl::StatusOr<Page> pa = w.store->ListUsers(kServiceA, first);
  absl::StatusOr<Page> pb = w.store->ListUsers(kServiceB, first);
  FUZZ_CHECK(pa.ok() && pb.ok(), "ListUsers");
  w.token_a = pa->next_page_token;
  w.token_b = pb->next_page_token;
  first.api = PageApi::kConversations;
  absl::StatusOr<Page> pv1 = w.store->ListUsers(kServiceA, first);
  FUZZ_CHECK(pv1.ok(), "ListUsers v1");
  w.token_v1 = pv1->next_page_token;
  const struct {
    const char* service;
    const char* user;
    BindingType type;
    const char* endpoint;
  } seeds[] = {{kServiceA, "alice", BindingType::kApn, "tok-a"},
               {kServiceA, "bob", BindingType::kFcm, "tok-b"},
               {kServiceB, "alice", BindingType::kGcm, "tok-c"}};
  for (const auto& seed : seeds) {
    BindingCreate create;
    create.binding_type = seed.type;
    create.endpoint = seed.endpoint;
    create.message_types = {"new_message"};
    absl::StatusOr<Binding> binding = w.store->RegisterBinding(seed.service, seed.user, create);
    FUZZ_CHECK(binding.ok(), "RegisterBinding: %s", Describe(binding.status()).c_str());
    w.binding_sids.push_back(binding->sid);
  }
  BindingListRequest first_binding;
  first_binding.page_size = 1;
  absl::StatusOr<BindingPage> bp = w.store->ListBindings(kServiceA, first_binding);
  FUZZ_CHECK(bp.ok() && !bp->next_page_token.empty(), "ListBindings");
  w.binding_token = bp->next_page_token;
  return w;
}

// Every push Binding of both Services (in creation order per Service).
std::vector<Binding> BindingSnapshot(const Store& store) {
  std::vector<Binding> out;
  for (const char* service : {kServiceA, kServiceB}) {
    BindingListRequest request;
    request.page_size = 1000;
    for (;;) {
      absl::StatusOr<BindingPage> page = store.ListBindings(service, request);
      FUZZ_CHECK(page.ok(), "ListBindings: %s", Describe(page.status()).c_str());
      for (Binding& binding : page->bindings) out.push_back(std::move(binding));
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
      request.page += 1;
    }
  }
  return out;
}

bool SameBindings(const std::vector<Binding>& a, const std::vector<Binding>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Binding& x = a[i];
    const Binding& y = b[i];
    if (x.sid != y.sid || x.account_sid != y.account_sid || x.service_sid != y.service_sid ||
        x.user_sid != y.user_sid || x.identity != y.identity || x.binding_type != y.binding_type ||
        x.endpoint != y.endpoint || x.credential_sid != y.credential_sid ||
        x.message_types != y.message_types || x.date_created != y.date_created ||
        x.date_updated != y.date_updated) {
      return false;
    }
  }
  return true;
}

// Every user of both Services, fetched one by one (so presence counts too):
// equal snapshots mean an unchanged store. (Compared as values, not rendered,
// so the checks add no JSON-writer coverage noise.)
std::vector<User> Snapshot(const Store& store) {
  std::vector<User> out;
  for (const char* service : {kServiceA, kServiceB}) {
    PageRequest request;
    request.page_size = 100;
    for (;;) {
      absl::StatusOr<Page> page = store.ListUsers(service, request);
      FUZZ_CHECK(page.ok(), "ListUsers: %s", Describe(page.status()).c_str());
      for (const User& listed : page->users) {
        absl::StatusOr<User> user = store.FetchUser(service, listed.sid);
        FUZZ_CHECK(user.ok(), "FetchUser of a listed user: %s", Describe(user.status()).c_str());
        out.push_back(*std::move(user));
      }
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
      request.page += 1;
    }
  }
  return out;
}

// `notifiable`: compare is_notifiable too (a Binding write changes it).
bool SameUsers(const std::vector<User>& a, const std::vector<User>& b, bool notifiable = true) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const User& x = a[i];
    const User& y = b[i];
    if (x.sid != y.sid || x.account_sid != y.account_sid || x.service_sid != y.service_sid ||
        x.role_sid != y.role_sid || x.identity != y.identity || x.attributes != y.attributes ||
        x.is_online != y.is_online || (notifiable && x.is_notifiable != y.is_notifiable) ||
        x.friendly_name != y.friendly_name || x.joined_channels_count != y.joined_channels_count ||
        x.date_created != y.date_created || x.date_updated != y.date_updated) {
      return false;
    }
  }
  return true;
}

std::string Expand(std::string_view text, const World& w) {
  std::string out = absl::StrReplaceAll(Av(text), {{"{IS}", kServiceA},
                                                   {"{IS2}", kServiceB},
                                                   {"{US0}", w.seed_sids[0]},
                                                   {"{US1}", w.seed_sids[1]},
                                                   {"{US2}", w.seed_sids[2]},
                                                   {"{US3}", w.seed_sids[3]},
                                                   {"{TOKENV1}", w.token_v1},
                                                   {"{TOKEN}", w.token_a},
                                                   {"{TOKEN2}", w.token_b},
                                                   {"{BS0}", w.binding_sids[0]},
                                                   {"{BS1}", w.binding_sids[1]},
                                                   {"{BS2}", w.binding_sids[2]},
                                                   {"{BTOKEN}", w.binding_token}});
  // {PAD:n}
  std::string result;
  size_t pos = 0;
  for (;;) {
    const size_t at = out.find("{PAD:", pos);
    const size_t end = at == std::string::npos ? at : out.find('}', at);
    if (end == std::string::npos) break;
    uint32_t n = 0;
    if (!absl::SimpleAtoi(absl::string_view(out).substr(at + 5, end - at - 5), &n) || n > 70000) {
      result.append(out, pos, end + 1 - pos);
    } else {
      result.append(out, pos, at - pos);
      result.append(n, 'x');
    }
    pos = end + 1;
  }
  result.append(out, pos, std::string::npos);
  return result;
}

struct ParsedInput {
  bool auto_create = false;
  bool extensions = false;
  std::string base_url;                // empty: the default
  std::string conversations_base_url;  // empty: the default
  std::vector<std::string_view> requests;
};

ParsedInput SplitInput(std::string_view text) {
  ParsedInput in;
  while (!text.empty() && text[0] == '#') {
    const size_t nl = text.find('\n');
    const std::string_view flag = text.substr(0, nl);
    if (flag == "#auto") in.auto_create = true;
    if (flag == "#ext") in.extensions = true;
    if (flag == "#root") in.base_url = "http://localhost:8080";
    if (flag == "#deep") in.base_url = "https://chat.example.com/api/chat/v2/";
    if (flag == "#pct") in.base_url = "http://localhost:8080/a%20b/v%2F2";
    if (flag == "#convdeep") in.conversations_base_url = "http://localhost:8080/api/conv/v1/";
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  for (absl::string_view part : absl::StrSplit(Av(text), "\n===\n")) {
    if (in.requests.size() == kMaxRequests) break;
    in.requests.emplace_back(part.data(), part.size());
  }
  return in;
}

Request MakeRequest(std::string_view text, const World& w) {
  Request request;
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  const size_t space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  if (space != std::string_view::npos) request.target = Expand(line.substr(space + 1), w);
  // Headers up to an empty line.
  while (!text.empty()) {
    nl = text.find('\n');
    line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) break;
    uint32_t n = 0;
    if (line.substr(0, 9) == "{HEADERS:" && line.back() == '}' &&
        absl::SimpleAtoi(Av(line.substr(9, line.size() - 10)), &n) && n <= 200) {
      for (uint32_t i = 0; i < n; ++i) request.headers.emplace_back("X-Pad", "1");
      continue;
    }
    const size_t colon = line.find(':');
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), Expand(value, w));
  }
  request.body = Expand(text, w);
  return request;
}

const std::string* FindHeader(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool CodeAllowed(int status, int64_t code) {
  static const std::set<int64_t> k400 = {
      twilio_code::kInvalidParameter,    twilio_code::kUpdateWithoutParameters,
      twilio_code::kFriendlyNameTooLong, twilio_code::kRoleNotFound,
      twilio_code::kRoleWrongType,       twilio_code::kIdentityEmpty,
      twilio_code::kIdentityIsSid,       twilio_code::kIdentityTooLong,
      twilio_code::kAttributesTooLong,   twilio_code::kAttributesInvalid};
  switch (status) {
    case 400:
      return k400.count(code) > 0;
    case 403:  // a user's Bindings at Limits::max_bindings_per_user
      return code == twilio_code::kForbidden;
    case 404:
      return code == twilio_code::kNotFound;
    case 405:
      return code == twilio_code::kInvalidParameter;
    case 409:
      return code == twilio_code::kUserAlreadyExists;
    case 412:
      return code == twilio_code::kPreconditionFailed;
  }
  return false;
}

void CheckErrorBody(const Response& r, simdjson::dom::object body, const std::string& dump) {
  int64_t code = 0, status = 0;
  std::string_view message, more_info;
  FUZZ_CHECK(body.size() == 4 && body["code"].get(code) == simdjson::SUCCESS &&
                 body["message"].get(message) == simdjson::SUCCESS &&
                 body["more_info"].get(more_info) == simdjson::SUCCESS &&
                 body["status"].get(status) == simdjson::SUCCESS,
             "malformed error body: %s", dump.c_str());
  FUZZ_CHECK(status == r.status, "error body status %lld vs HTTP %d: %s",
             static_cast<long long>(status), r.status, dump.c_str());
  FUZZ_CHECK(CodeAllowed(r.status, code), "code %lld not allowed with %d: %s",
             static_cast<long long>(code), r.status, dump.c_str());
  FUZZ_CHECK(more_info == absl::StrCat("https://www.twilio.com/docs/errors/", code),
             "more_info: %s", dump.c_str());
  FUZZ_CHECK(!message.empty(), "empty message: %s", dump.c_str());
  if (r.status == 405) FUZZ_CHECK(FindHeader(r, "Allow") != nullptr, "405 without Allow");
}

// The Service SID of a user body: Chat's service_sid or Conversations'
// chat_service_sid.
std::string_view ServiceOf(simdjson::dom::object user) {
  std::string_view service;
  if (user["service_sid"].get(service) == simdjson::SUCCESS) return service;
  FUZZ_CHECK(user["chat_service_sid"].get(service) == simdjson::SUCCESS, "user without a Service");
  return service;
}

// Checks a success body; returns the user SID for user bodies ("" otherwise).
std::string CheckSuccessBody(const Store& store, simdjson::dom::object body,
                             const std::string& dump) {
  std::string_view sid;
  if (body["sid"].get(sid) == simdjson::SUCCESS) {
    std::string_view identity, attributes, service;
    if (sid.substr(0, 2) == "US") {
      // Chat's 14 keys, or Conversations' 13 (chat_service_sid, no
      // joined_channels_count).
      const bool chat = body["service_sid"].get(service) == simdjson::SUCCESS;
      FUZZ_CHECK(sid.size() == 34 && body["identity"].get(identity) == simdjson::SUCCESS &&
                     body["attributes"].get(attributes) == simdjson::SUCCESS &&
                     (chat ? body.size() == 14
                           : body.size() == 13 &&
                                 body["chat_service_sid"].get(service) == simdjson::SUCCESS),
                 "malformed user body: %s", dump.c_str());
      return std::string(sid);
    }
    if (sid.substr(0, 2) == "BS") {
      // A Binding (links, no user_sid) or a User Binding (user_sid, no links).
      std::string_view user_sid;
      simdjson::dom::object links;
      const bool user_binding = body["user_sid"].get(user_sid) == simdjson::SUCCESS;
      FUZZ_CHECK(sid.size() == 34 && body["identity"].get(identity) == simdjson::SUCCESS &&
                     body.size() == 12 &&
                     (user_binding || body["links"].get(links) == simdjson::SUCCESS),
                 "malformed Binding body: %s", dump.c_str());
      return "";
    }
    FUZZ_CHECK(sid.substr(0, 2) == "IS" && sid.size() == 34, "unexpected body: %s", dump.c_str());
    return "";
  }
  std::string_view url;
  if (body["default_chat_service_sid"].error() == simdjson::SUCCESS) {
    // The Configuration: its 7 keys, its url below the Conversations base.
    FUZZ_CHECK(body.size() == 7 && body["url"].get(url) == simdjson::SUCCESS &&
                   url == store.options().conversations_base_url + "/Configuration",
               "malformed Configuration: %s", dump.c_str());
    return "";
  }
  uint64_t count = 0;
  if (body["count"].get(count) == simdjson::SUCCESS) {
    // X-Userstore-Count (extensions): {"count":N,"url":"{Chat base}/…"}.
    FUZZ_CHECK(body.size() == 2 && body["url"].get(url) == simdjson::SUCCESS &&
                   url.substr(0, store.options().base_url.size()) == store.options().base_url &&
                   url.ends_with("X-Userstore-Count=true"),
               "malformed count: %s", dump.c_str());
    return "";
  }
  if (body["meta"].error() != simdjson::SUCCESS) {
    // A batch upsert (extensions): {"users":[…]}, one item per input row in
    // input order; a success names its user, a failure its Twilio error.
    simdjson::dom::array items;
    FUZZ_CHECK(body.size() == 1 && body["users"].get(items) == simdjson::SUCCESS &&
                   items.size() >= 1 && items.size() <= kMaxUpsertRows,
               "no meta: %s", dump.c_str());
    int64_t expected = 0;
    for (simdjson::dom::element item : items) {
      int64_t index = -1, status = 0, code = 0;
      std::string_view outcome, user_sid;
      FUZZ_CHECK(item["index"].get(index) == simdjson::SUCCESS && index == expected++ &&
                     item["status"].get(status) == simdjson::SUCCESS &&
                     item["outcome"].get(outcome) == simdjson::SUCCESS,
                 "malformed batch item: %s", dump.c_str());
      if (outcome == "failed") {
        FUZZ_CHECK(status >= 400 && item["code"].get(code) == simdjson::SUCCESS &&
                       CodeAllowed(static_cast<int>(status), code),
                   "malformed batch failure: %s", dump.c_str());
      } else {
        FUZZ_CHECK((status == 201) == (outcome == "created") && (status == 201 || status == 200) &&
                       item["user"]["sid"].get(user_sid) == simdjson::SUCCESS,
                   "malformed batch success: %s", dump.c_str());
      }
    }
    return "";
  }
  simdjson::dom::object meta;
  FUZZ_CHECK(body["meta"].get(meta) == simdjson::SUCCESS, "no meta: %s", dump.c_str());
  std::string_view key;
  int64_t page_size = 0;
  FUZZ_CHECK(meta["key"].get(key) == simdjson::SUCCESS &&
                 meta["page_size"].get(page_size) == simdjson::SUCCESS,
             "malformed meta: %s", dump.c_str());
  simdjson::dom::array items;
  FUZZ_CHECK(body[key].get(items) == simdjson::SUCCESS, "no %.*s array: %s",
             static_cast<int>(key.size()), key.data(), dump.c_str());
  if (key == "users" || key == "bindings") {
    std::string_view page_url;
    FUZZ_CHECK(meta["url"].get(page_url) == simdjson::SUCCESS, "meta.url: %s", dump.c_str());
    const std::string& conversations = store.options().conversations_base_url;
    const int64_t max = key == "bindings"                                           ? 1000
                        : page_url.substr(0, conversations.size()) == conversations ? 50
                                                                                    : 100;
    FUZZ_CHECK(
        page_size >= 1 && page_size <= max && static_cast<int64_t>(items.size()) <= page_size,
        "page of %zu %.*s, page_size %lld", items.size(), static_cast<int>(key.size()), key.data(),
        static_cast<long long>(page_size));
  } else {
    FUZZ_CHECK(key == "roles", "meta.key %.*s", static_cast<int>(key.size()), key.data());
  }
  return "";
}

// The origin of the Store's base URL ("https://chat.twilio.com" for
// "https://chat.twilio.com/v2"): a paging URL minus it is a request target.
std::string_view Origin(std::string_view base_url) {
  const size_t scheme = base_url.find("://");
  const size_t path = base_url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  return base_url.substr(0, path);
}

// The base URL a page's links must start with: the Conversations base for a
// Conversations page (its meta.url starts with it: it is a different
// origin, or a different path below one), else the Chat base.
std::string_view PageBase(const Store& store, std::string_view page_url) {
  const std::string& conversations = store.options().conversations_base_url;
  const std::string& chat = store.options().base_url;
  const bool in_conversations = page_url.substr(0, conversations.size()) == conversations;
  const bool in_chat = page_url.substr(0, chat.size()) == chat;
  if (in_conversations && (!in_chat || conversations.size() > chat.size())) return conversations;
  return chat;
}

// A users or Bindings page's meta URLs, followed verbatim as a client does,
// are served: 200 with the page index they name.
void FollowPagingLinks(const RestFacade& facade, const Store& store, simdjson::dom::object body,
                       const std::string& dump) {
  simdjson::dom::object meta;
  std::string_view key;
  if (body["meta"].get(meta) != simdjson::SUCCESS || meta["key"].get(key) != simdjson::SUCCESS ||
      (key != "users" && key != "bindings")) {
    return;
  }
  int64_t page = 0;
  FUZZ_CHECK(meta["page"].get(page) == simdjson::SUCCESS && page >= 0 && page <= kMaxPageIndex,
             "meta.page: %s", dump.c_str());
  std::set<std::string_view> shown;  // the SIDs on this page
  simdjson::dom::array users;
  FUZZ_CHECK(body[key].get(users) == simdjson::SUCCESS, "items: %s", dump.c_str());
  for (simdjson::dom::element user : users) {
    std::string_view sid;
    FUZZ_CHECK(user["sid"].get(sid) == simdjson::SUCCESS, "item sid: %s", dump.c_str());
    shown.insert(sid);
  }
  std::string_view page_url;
  FUZZ_CHECK(meta["url"].get(page_url) == simdjson::SUCCESS, "meta.url: %s", dump.c_str());
  const std::string_view base = PageBase(store, page_url);
  const std::string_view origin = Origin(base);
  const struct {
    const char* name;
    int64_t page;
  } links[] = {{"url", page},
               {"first_page_url", 0},
               // (a page index is at most 2^63 - 2: page + 1 cannot overflow)
               {"next_page_url", page < INT64_MAX ? page + 1 : -1},
               {"previous_page_url", page > 0 ? page - 1 : -1}};
  for (const auto& link : links) {
    simdjson::dom::element value;
    FUZZ_CHECK(meta[link.name].get(value) == simdjson::SUCCESS, "meta.%s missing: %s", link.name,
               dump.c_str());
    FUZZ_CHECK(value.is_null() || page > 0 || std::string_view(link.name) != "previous_page_url",
               "meta.previous_page_url on page 0: %s", dump.c_str());
    if (value.is_null()) {
      FUZZ_CHECK(std::string_view(link.name) == "next_page_url" ||
                     std::string_view(link.name) == "previous_page_url",
                 "meta.%s is null: %s", link.name, dump.c_str());
      continue;
    }
    std::string_view url;
    FUZZ_CHECK(value.get(url) == simdjson::SUCCESS && url.substr(0, base.size()) == base,
               "meta.%s not below %.*s: %s", link.name, static_cast<int>(base.size()), base.data(),
               dump.c_str());
    Request follow;
    follow.method = "GET";
    follow.target = std::string(url.substr(origin.size()));
    const Response r = facade.Handle(follow);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    int64_t got_page = -1;
    FUZZ_CHECK(r.status == 200 && parser.parse(r.body).get(root) == simdjson::SUCCESS &&
                   root["meta"]["page"].get(got_page) == simdjson::SUCCESS && got_page == link.page,
               "following meta.%s (%s) gave %d %s; from %s", link.name, follow.target.c_str(),
               r.status, r.body.substr(0, 300).c_str(), dump.c_str());
    // previous and next name a page of items not shown here (each looks one
    // item behind / ahead): never an empty page, never this page again.
    const std::string_view name = link.name;
    if (name != "next_page_url" && name != "previous_page_url") continue;
    simdjson::dom::array linked_users;
    FUZZ_CHECK(root[key].get(linked_users) == simdjson::SUCCESS && linked_users.size() > 0,
               "meta.%s (%s) names an empty page; from %s", link.name, follow.target.c_str(),
               dump.c_str());
    for (simdjson::dom::element user : linked_users) {
      std::string_view sid;
      FUZZ_CHECK(user["sid"].get(sid) == simdjson::SUCCESS && shown.count(sid) == 0,
                 "meta.%s (%s) shows %.*s again; from %s", link.name, follow.target.c_str(),
                 static_cast<int>(sid.size()), sid.data(), dump.c_str());
    }
  }
}

// In Service A (reachability on) a user's is_notifiable is true exactly
// while it holds a Binding; in Service B (off) it is null.
void CheckNotifiable(const std::vector<User>& users, const std::vector<Binding>& bindings,
                     const std::string& dump) {
  std::set<std::string_view> holders;
  for (const Binding& binding : bindings) holders.insert(binding.user_sid);
  for (const User& user : users) {
    // Without a Binding: false, or null when the user never had one.
    const bool ok = user.service_sid != kServiceA ? !user.is_notifiable.has_value()
                    : holders.count(user.sid) > 0 ? user.is_notifiable == std::optional<bool>(true)
                                                  : user.is_notifiable != std::optional<bool>(true);
    FUZZ_CHECK(ok, "is_notifiable of %s is not its Bindings': %s", user.identity.c_str(),
               dump.c_str());
  }
}

void CheckOne(const RestFacade& facade, World& w, const Request& request) {
  const std::vector<User> before = Snapshot(*w.store);
  const std::vector<Binding> bindings_before = BindingSnapshot(*w.store);
  const Response r = facade.Handle(request);
  const std::string dump = absl::StrCat(request.method, " ", request.target.substr(0, 200), " -> ",
                                        r.status, " ", r.body.substr(0, 400));

  static const bool verbose = std::getenv("USERSTORE_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s\n", dump.c_str());

  if (request.method == "HEAD") {
    // RFC 9110 §9.3.2: GET's status and headers, no content, no effect.
    FUZZ_CHECK(r.body.empty(), "HEAD with a body: %s", dump.c_str());
    FUZZ_CHECK(SameUsers(Snapshot(*w.store), before) &&
                   SameBindings(BindingSnapshot(*w.store), bindings_before),
               "store changed by %s", dump.c_str());
    Request get = request;
    get.method = "GET";
    const Response g = facade.Handle(get);
    FUZZ_CHECK(g.status == r.status && g.headers == r.headers, "HEAD differs from GET (%d %s): %s",
               g.status, g.body.substr(0, 200).c_str(), dump.c_str());
    CheckOne(facade, w, get);
    return;
  }
  FUZZ_CHECK(r.status == 200 || r.status == 201 || r.status == 204 || r.status == 400 ||
                 r.status == 403 || r.status == 404 || r.status == 405 || r.status == 409 ||
                 r.status == 412,
             "status not allowed: %s", dump.c_str());
  bool mutated = false;          // users changed (a user write)
  bool binding_mutated = false;  // Bindings changed (and so is_notifiable)
  const std::vector<User> after = Snapshot(*w.store);
  const std::vector<Binding> bindings_after = BindingSnapshot(*w.store);
  if (r.status == 204) {
    FUZZ_CHECK(r.body.empty() && r.headers.empty(), "204 with a body or headers: %s", dump.c_str());
    FUZZ_CHECK(request.method == "DELETE", "204 for %s", dump.c_str());
    if (after.size() + 1 == before.size()) {
      // A user deleted, with its Bindings and nothing else.
      std::set<std::string> remaining;
      for (const User& user : after) remaining.insert(user.sid);
      std::string gone;
      for (const User& user : before) {
        if (remaining.count(user.sid) == 0) gone = user.sid;
      }
      std::vector<Binding> expected;
      for (const Binding& binding : bindings_before) {
        if (binding.user_sid != gone) expected.push_back(binding);
      }
      FUZZ_CHECK(SameBindings(bindings_after, expected),
                 "a user delete did not delete exactly its Bindings: %s", dump.c_str());
      mutated = true;
    } else {
      // A Binding deleted: exactly one fewer, users unchanged but for
      // is_notifiable.
      FUZZ_CHECK(after.size() == before.size() &&
                     bindings_after.size() + 1 == bindings_before.size() &&
                     SameUsers(after, before, /*notifiable=*/false),
                 "delete did not remove exactly one user or one Binding: %s", dump.c_str());
      binding_mutated = true;
    }
  } else {
    const std::string* type = FindHeader(r, "Content-Type");
    FUZZ_CHECK(type != nullptr && *type == kJsonType, "Content-Type: %s", dump.c_str());
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    FUZZ_CHECK(parser.parse(r.body).get(root) == simdjson::SUCCESS, "body not JSON: %s",
               dump.c_str());
    simdjson::dom::object body;
    FUZZ_CHECK(root.get(body) == simdjson::SUCCESS, "body not an object: %s", dump.c_str());
    if (r.status >= 400) {
      CheckErrorBody(r, body, dump);
    } else {
      FUZZ_CHECK(r.status == 200 || request.method == "POST", "%s", dump.c_str());
      const std::string sid = CheckSuccessBody(*w.store, body, dump);
      const std::string* etag = FindHeader(r, "ETag");
      if (sid.empty()) {
        FUZZ_CHECK(etag == nullptr, "ETag on a response without a user: %s", dump.c_str());
      } else {
        const std::string_view service = ServiceOf(body);
        absl::StatusOr<User> stored = w.store->FetchUser(service, sid);
        FUZZ_CHECK(
            stored.ok() && etag != nullptr && *etag == absl::StrCat("\"", stored->revision, "\""),
            "ETag is not the stored user's revision: %s", dump.c_str());
      }
      if (request.method == "GET") FollowPagingLinks(facade, *w.store, body, dump);
      const bool configuration = body["default_chat_service_sid"].error() == simdjson::SUCCESS;
      const bool batch = request.method == "POST" && body["users"].error() == simdjson::SUCCESS;
      std::string_view binding_sid;
      if (request.method == "POST" && sid.empty() &&
          body["sid"].get(binding_sid) == simdjson::SUCCESS && binding_sid.substr(0, 2) == "BS") {
        // A registered Binding: the stored one renders to exactly this body.
        std::string_view service;
        FUZZ_CHECK(body["service_sid"].get(service) == simdjson::SUCCESS, "service_sid");
        absl::StatusOr<Binding> stored = w.store->FetchBinding(service, "", binding_sid);
        FUZZ_CHECK(stored.ok() && UserBindingJson(*stored, w.store->options().base_url) == r.body,
                   "response differs from the stored Binding: %s", dump.c_str());
        FUZZ_CHECK(bindings_after.size() == bindings_before.size() + (r.status == 201 ? 1 : 0) &&
                       SameUsers(after, before, /*notifiable=*/false),
                   "a registration changed more than its Binding: %s", dump.c_str());
        binding_mutated = true;
      } else if (batch) {
        // Each user a batch made or changed renders as its item shows it.
        simdjson::dom::array items;
        FUZZ_CHECK(body["users"].get(items) == simdjson::SUCCESS, "batch: %s", dump.c_str());
        for (simdjson::dom::element item : items) {
          std::string_view user_sid, service, identity, attributes;
          simdjson::dom::element user;
          if (item["user"].get(user) != simdjson::SUCCESS) continue;
          FUZZ_CHECK(user["sid"].get(user_sid) == simdjson::SUCCESS &&
                         user["service_sid"].get(service) == simdjson::SUCCESS &&
                         user["identity"].get(identity) == simdjson::SUCCESS &&
                         user["attributes"].get(attributes) == simdjson::SUCCESS,
                     "batch user: %s", dump.c_str());
          absl::StatusOr<User> stored = w.store->FetchUser(service, user_sid);
          FUZZ_CHECK(
              stored.ok() && stored->identity == identity && stored->attributes == attributes,
              "a batch item differs from the stored user: %s", dump.c_str());
        }
        FUZZ_CHECK(SameBindings(bindings_after, bindings_before),
                   "a batch changed the Bindings: %s", dump.c_str());
        mutated = true;
      } else if (request.method == "POST" && !configuration) {
        FUZZ_CHECK(!sid.empty(), "POST success without a user: %s", dump.c_str());
        // The stored user renders to exactly this body (same SID, fields),
        // in the body's API, with its URLs (account-level or the Service's).
        absl::StatusOr<User> stored = w.store->FetchUser(ServiceOf(body), sid);
        FUZZ_CHECK(stored.ok(), "created/updated user not in the store: %s", dump.c_str());
        std::string rendered = UserJson(*stored, w.store->options().base_url);
        if (body["chat_service_sid"].error() == simdjson::SUCCESS) {
          const std::string& base = w.store->options().conversations_base_url;
          std::string_view url;
          FUZZ_CHECK(body["url"].get(url) == simdjson::SUCCESS, "url");
          const bool account = url == base + "/Users/" + sid;
          rendered = ConversationsUserJson(
              *stored, base, account ? ConversationsPath::kAccount : ConversationsPath::kService);
        }
        FUZZ_CHECK(rendered == r.body, "response differs from the stored user: %s", dump.c_str());
        FUZZ_CHECK(SameBindings(bindings_after, bindings_before),
                   "a user write changed the Bindings: %s", dump.c_str());
        mutated = true;
      }
    }
  }
  if (!mutated && !binding_mutated) {
    FUZZ_CHECK(SameUsers(after, before) && SameBindings(bindings_after, bindings_before),
               "store changed by %s", dump.c_str());
  }
  CheckNotifiable(after, bindings_after, dump);
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  const ParsedInput input = SplitInput(std::string_view(reinterpret_cast<const char*>(data), size));
  World world = MakeWorld(input.base_url, input.conversations_base_url);
  FacadeOptions options;
  options.auto_create_services = input.auto_create;
  options.enable_extensions = input.extensions;
  const RestFacade facade(world.store.get(), options);
  for (std::string_view text : input.requests) {
    CheckOne(facade, world, MakeRequest(text, world));
  }
  return 0;
}

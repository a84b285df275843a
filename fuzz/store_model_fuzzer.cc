// Fuzz target: model-based test of the Store (include/userstore/store.h).
//
// The input is a sequence of operations (one selector byte, then operands):
// create, update, delete, get-or-create, fetch by SID (either hex case) or
// identity, presence and channel-count changes, clock moves, and paging
// walks (forward, backward over previous-page tokens, and forward with
// creates / deletes between pages). Each is applied to a fresh Store with two
// Services and to a plain model (std::map from identity to the expected user,
// per Service). Properties:
//   - every operation succeeds exactly when the model says it must, and fails
//     with one of the Twilio codes the model derives from the rules of
//     store.h / behaviour.md §4 (the exact code when only one rule applies);
//   - after every operation the Store's full listing equals the model's users
//     in creation order (every field), and the touched user fetches (by SID
//     and by identity) as the model predicts; a failed operation changes
//     nothing;
//   - a paging walk returns exactly the model's users in creation order, full
//     pages until the last, no next token on the last page, previous tokens
//     leading back to the same pages, tokens rejected by the other Service;
//   - a walk with creates and deletes between pages returns each user at most
//     once, in creation order, including every user that existed for the
//     whole walk, and none that never existed; each page is exactly the users
//     alive after the last one shown; its previous and next tokens exist
//     exactly when users are alive before / after it, and lead exactly to
//     them (an empty page included: no token to an empty page or itself);
//   - the same backward: from the last page over previous tokens, with
//     writes between pages, each page is exactly the users alive before the
//     previous page's first one;
//   - post-event listeners fire exactly once per successful create / update
//     with webhook_enabled, never otherwise;
//   - issue 15: the change feed, read after every operation from where the
//     last read stopped, is numbered 1, 2, 3, ... with no gap, and replaying
//     it (added / updated set the user, removed erases it) gives exactly the
//     model's users, every field (presence included, as a fetch shows it);
//   - issue 13: every write of a stored user (create, update, joined-count
//     change) gives it a revision above every revision the Service handed
//     out before, presence and connection changes keep it, and every read
//     returns the model's; merge-patch updates (attributes_patch) give the
//     patched text ApplyMergePatch predicts (merge_patch_fuzzer checks that
//     function against RFC 7396), its errors otherwise; if_revision on update
//     and delete fails with 412/20412 exactly when it is not the user's, after
//     the parameter errors and 404 and before the patch's own errors;
//     GetOrCreateUser with initial fields says whether it created and applies
//     them only then; connections count up and down (never below 0) with
//     is_online true exactly while above 0, and SetUserOnline keeps them in
//     step;
//   - issue 18 (FilterStep): the indexed attribute declared (or replaced,
//     or removed) as the model says; a filtered walk (identity prefix, role,
//     date range, indexed attribute value) with small pages returns exactly
//     the model's matching users in the filter's order (identity bytes; date
//     then creation; creation), and CountUsers(filter) their number; a bad
//     filter (an undeclared key, a value that is not a string or a number,
//     two criteria) fails with 400/20001;
//   - issue 17: is_notifiable follows the user's push Bindings (registered
//     and deleted; re-registering an endpoint makes no second one), and a
//     user deleted and created again has none;
//   - issue 18: batch upserts (BatchUpsert) create, update or keep each row
//     as the model predicts, with each row's own error codes.
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_util.h"
#include "json/merge_patch.h"
#include "userstore/attributes.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore::fuzz {
namespace {

constexpr size_t kMaxOps = 64;
constexpr char kServiceA[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";     // reachability on
constexpr char kServiceB[] = "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";     // reachability off
constexpr char kExtraRole[] = "RLeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";    // deployment
constexpr char kChannelRole[] = "RLcccccccccccccccccccccccccccccccc";  // channel
constexpr char kUnknownRole[] = "RL00000000000000000000000000000000";
constexpr int64_t kStart = 1458853519;

// Debian's Abseil has its own string_view, so no absl::AsciiStrTo*(string_view).
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}
std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  return out;
}

// ---- the model -------------------------------------------------------------

struct ModelUser {
  std::string sid;  // lowercase, as minted
  std::string identity;
  std::string role_sid;
  std::string attributes = "{}";
  std::optional<std::string> friendly_name;
  std::optional<bool> online, notifiable;
  std::map<std::string, std::string> bindings;  // its push Bindings: endpoint -> BS SID
  int64_t joined = 0;
  int64_t created = 0, updated = 0;
  uint64_t order = 0;        // creation order within the run
  uint64_t revision = 0;     // as the Store handed it out (checked on every read)
  uint32_t connections = 0;  // live connections (ConnectUser)
};

struct ModelService {
  std::string sid;
  bool reachability = false;
  std::string default_role;
  std::map<std::string, ModelUser> users;  // by identity
  uint64_t last_revision = 0;              // the highest revision handed out
  // Issue 15: the change feed read so far, replayed (by SID).
  uint64_t feed_after = 0;
  std::map<std::string, User> replayed;

  ModelUser* FindKey(std::string_view key) {
    if (IsUserSid(key)) {
      const std::string lower = Lower(key.substr(2));
      for (auto& [identity, user] : users) {
        if (user.sid.substr(2) == lower) return &user;
      }
      return nullptr;
    }
    auto it = users.find(std::string(key));
    return it == users.end() ? nullptr : &it->second;
  }
  std::vector<const ModelUser*> InOrder() const {
    std::vector<const ModelUser*> out;
    for (const auto& [identity, user] : users) out.push_back(&user);
    std::sort(out.begin(), out.end(),
              [](const ModelUser* a, const ModelUser* b) { return a->order < b->order; });
    return out;
  }

  static bool IsUserSid(std::string_view key) {
    if (key.size() != 34 || key.substr(0, 2) != "US") return false;
    for (char c : key.substr(2)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  }
};

// The Twilio codes a request may fail with; empty: it must succeed.
using Codes = std::set<int>;

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsText(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size()) && s.find('\0') == std::string_view::npos;
}

void IdentityCodes(std::string_view identity, Codes* codes) {
  if (identity.empty()) {
    codes->insert(twilio_code::kIdentityEmpty);
    return;
  }
  if (!IsText(identity)) {
    codes->insert(twilio_code::kInvalidParameter);
    return;  // the length of invalid UTF-8 is not meaningful
  }
  if (CodePoints(identity) > 256) codes->insert(twilio_code::kIdentityTooLong);
  if (ModelService::IsUserSid(identity)) codes->insert(twilio_code::kIdentityIsSid);
}

void FriendlyNameCodes(const std::optional<std::string>& name, Codes* codes) {
  if (!name) return;
  if (!IsText(*name)) {
    codes->insert(twilio_code::kInvalidParameter);
  } else if (CodePoints(*name) > 256) {
    codes->insert(twilio_code::kFriendlyNameTooLong);
  }
}

void AttributesCodes(const std::optional<std::string>& attributes, Codes* codes) {
  // The validator itself is checked against an oracle by attributes_fuzzer.
  if (attributes) {
    const absl::Status s = ValidateAttributes(*attributes, Limits());
    if (!s.ok()) codes->insert(TwilioCode(s));
  }
}

// The canonical (lowercase) role a RoleSid names, or its error.
std::optional<std::string> RoleCodes(const std::optional<std::string>& role,
                                     const ModelService& service, Codes* codes) {
  if (!role) return std::nullopt;
  bool shaped = role->size() == 34 && role->substr(0, 2) == "RL";
  for (size_t i = 2; shaped && i < role->size(); ++i) {
    shaped = absl::ascii_isxdigit(static_cast<unsigned char>((*role)[i]));
  }
  if (!shaped) {
    codes->insert(twilio_code::kInvalidParameter);
    return std::nullopt;
  }
  const std::string lower = "RL" + Lower(role->substr(2));
  if (lower == kChannelRole) {
    codes->insert(twilio_code::kRoleWrongType);
  } else if (lower != kExtraRole && lower != service.default_role) {
    codes->insert(twilio_code::kRoleNotFound);
  }
  return lower;
}

// ---- operands ----------------------------------------------------------------

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

std::string PickIdentity(ByteReader& in) {
  static const std::vector<std::string>* const kPool =
      new std::vector<std::string>{"alice",
                                   "bob",
                                   "Alice",
                                   "team/alice",
                                   "a b",
                                   " ",
                                   "\xc3\xa9t\xc3\xa9",
                                   "US" + std::string(32, '0'),  // SID-shaped: 50206
                                   "US" + std::string(32, 'F'),  // SID-shaped, upper hex
                                   "us" + std::string(32, '0'),  // not a SID (prefix case)
                                   "US" + std::string(31, '0'),
                                   "US" + std::string(33, '0'),
                                   std::string(256, 'x'),
                                   std::string(257, 'x'),
                                   Repeat("\xc3\xa9", 256),
                                   Repeat("\xc3\xa9", 257),
                                   "",
                                   "\xff",
                                   std::string("a\0b", 3),
                                   "\xed\xa0\x80",
                                   "\xc0\xaf",
                                   "a\x01"
                                   "b"};
  const uint8_t b = in.Byte();
  if (b < 0xC0) return (*kPool)[b % kPool->size()];
  return in.ShortString(12);
}

std::optional<std::string> PickFriendlyName(ByteReader& in) {
  switch (in.Pick(10)) {
    case 0:
    case 1:
    case 2:
      return std::nullopt;
    case 3:
      return std::string();
    case 4:
      return std::string("Alice \"A\" Smith");
    case 5:
      return std::string(256, 'n');
    case 6:
      return std::string(257, 'n');
    case 7:
      return std::string("\xff");
    case 8:
      return std::string("n\0", 2);
    default:
      return in.ShortString(16);
  }
}

std::optional<std::string> PickAttributes(ByteReader& in) {
  switch (in.Pick(13)) {
    case 0:
    case 1:
    case 2:
      return std::nullopt;
    case 3:
      return std::string("{}");
    case 4:
      return std::string(R"( {"a":1,"b":[true,null,"\u00e9"]} )");
    case 5:
      return std::string("[]");
    case 6:
      return std::string();
    case 7:
      return std::string("{");
    case 8:
      return "{\"k\":\"" + std::string(16384 - 8, 'v') + "\"}";  // exactly 16384
    case 9:
      return "{\"k\":\"" + std::string(16385 - 8, 'v') + "\"}";  // 50303
    case 10:
      return Repeat("{\"a\":", 127) + "{}" + std::string(127, '}');  // depth 128
    case 11:
      return Repeat("{\"a\":", 128) + "{}" + std::string(128, '}');  // depth 129
    default:
      return in.ShortString(24);
  }
}

std::optional<std::string> PickRole(ByteReader& in, const ModelService& service) {
  switch (in.Pick(9)) {
    case 0:
    case 1:
    case 2:
      return std::nullopt;
    case 3:
      return service.default_role;
    case 4:
      return std::string(kExtraRole);
    case 5:
      return "RL" + Upper(std::string(kExtraRole).substr(2));
    case 6:
      return std::string(kChannelRole);
    case 7:
      return std::string(kUnknownRole);
    default:
      return std::string(in.Bool() ? "RLxyz" : "rleeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
  }
}

// ---- the harness -------------------------------------------------------------

class Harness {
 public:
  Harness() {
    StoreOptions options;
    options.account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    options.page_token_key = "store-model-fuzzer";
    options.events.memory_window = 1 << 16;  // more than kMaxOps events: none dropped
    auto clock = clock_;
    options.clock = [clock] { return absl::FromUnixSeconds(clock->load()); };
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(options);
    FUZZ_CHECK(store.ok(), "Store::Create: %s", Describe(store.status()).c_str());
    store_ = *std::move(store);
    auto events = events_;
    store_->AddPostEventListener([events](const UserEvent&) { ++*events; });
    services_[0] = MakeService(kServiceA, true);
    services_[1] = MakeService(kServiceB, false);
  }

  void Run(ByteReader& in) {
    for (size_t op = 0; op < kMaxOps && !in.empty(); ++op) {
      ModelService& service = services_[in.Byte() & 1];
      Step(in, service);
      FUZZ_CHECK(*events_ == expected_events_, "%d post events, expected %d", events_->load(),
                 expected_events_);
    }
  }

 private:
  ModelService MakeService(const char* sid, bool reachability) {
    ServiceCreate create;
    create.sid = sid;
    create.reachability_enabled = reachability;
    absl::StatusOr<Service> service = store_->CreateService(create);
    FUZZ_CHECK(service.ok(), "CreateService: %s", Describe(service.status()).c_str());
    RoleCreate extra;
    extra.sid = kExtraRole;
    extra.friendly_name = "extra";
    RoleCreate channel;
    channel.sid = kChannelRole;
    channel.friendly_name = "channel";
    channel.type = RoleScope::kChannel;
    FUZZ_CHECK(store_->AddRole(sid, extra).ok() && store_->AddRole(sid, channel).ok(), "AddRole");
    ModelService model;
    model.sid = sid;
    model.reachability = reachability;
    model.default_role = service->default_service_role_sid;
    return model;
  }

  // A key addressing a user (or nobody): identity, SID, upper-case SID, the
  // SID of a user of the other Service, or a fresh identity.
  std::string PickKey(ByteReader& in, ModelService& service) {
    const uint8_t how = in.Byte();
    std::vector<const ModelUser*> users = service.InOrder();
    ModelService& other = services_[&service == &services_[0] ? 1 : 0];
    std::vector<const ModelUser*> others = other.InOrder();
    const size_t i = in.Byte();
    switch (how % 6) {
      case 0:
        if (!users.empty()) return users[i % users.size()]->identity;
        break;
      case 1:
        if (!users.empty()) return users[i % users.size()]->sid;
        break;
      case 2:
        if (!users.empty()) {
          return "US" + Upper(users[i % users.size()]->sid.substr(2));
        }
        break;
      case 3:
        if (!others.empty()) return others[i % others.size()]->sid;
        break;
      case 4:
        return "US" + std::string(32, '7');  // well-formed, never minted
      default:
        break;
    }
    return PickIdentity(in);
  }

  void Step(ByteReader& in, ModelService& service) {
    switch (in.Pick(13)) {
      case 0:
      case 1:
        Create(in, service);
        break;
      case 2:
        Update(in, service);
        break;
      case 3:
        Delete(in, service);
        break;
      case 4:
        GetOrCreate(in, service);
        break;
      case 5:
      case 6:
        Fetch(service, PickKey(in, service));
        break;
      case 7:
        Walk(in, service);
        break;
      case 8:
        WalkWithWrites(in, service);
        break;
      case 9:
        WalkBackWithWrites(in, service);
        break;
      case 10:
        Presence(in, service);
        break;
      case 11:
        JoinedChannels(in, service);
        break;
      default: {
        // A clock move of 0..2 s; from 0xC0 up (rare in the seeds written
        // before issue 13, which keep their meaning), an issue 13 operation.
        const uint8_t b = in.Byte();
        if (b < 0xC0) {
          clock_->fetch_add(static_cast<int64_t>(b % 3));
        } else if (b >= 0xF8 && b < 0xFC) {
          BatchUpsert(in, service);  // issue 18
        } else if (b >= 0xFC) {
          FilterStep(in, service, b);  // issue 18 (b % 4 picks the step)
        } else {
          ChatStep(in, service, b);
        }
        break;
      }
    }
    CheckListing(service);
    CheckFeed(service);
  }

  // Issue 15: the feed's new events, numbered on from the last one read,
  // replayed onto the users replayed so far, give exactly the model's users
  // (every field the feed carries).
  void CheckFeed(ModelService& service) {
    for (;;) {
      absl::StatusOr<EventPage> page = store_->ReadEvents(service.sid, service.feed_after, 1000);
      FUZZ_CHECK(page.ok(), "ReadEvents: %s", Describe(page.status()).c_str());
      if (page->events.empty()) break;
      for (const UserEvent& e : page->events) {
        FUZZ_CHECK(e.sequence == service.feed_after + 1, "event %llu after %llu",
                   static_cast<unsigned long long>(e.sequence),
                   static_cast<unsigned long long>(service.feed_after));
        service.feed_after = e.sequence;
        if (e.type == UserEvent::Type::kUserRemoved) {
          FUZZ_CHECK(service.replayed.erase(e.user.sid) == 1, "removal of an unknown user");
        } else {
          FUZZ_CHECK(
              (e.type == UserEvent::Type::kUserAdded) == (service.replayed.count(e.user.sid) == 0),
              "added / updated disagree with the replay");
          service.replayed[e.user.sid] = e.user;
        }
      }
    }
    FUZZ_CHECK(service.replayed.size() == service.users.size(),
               "the feed replays %zu users, model %zu", service.replayed.size(),
               service.users.size());
    for (const auto& [identity, want] : service.users) {
      auto it = service.replayed.find(want.sid);
      FUZZ_CHECK(it != service.replayed.end(), "user %s missing from the feed", want.sid.c_str());
      ExpectUser(it->second, want, service, false, "feed replay");
    }
  }

  // Checks `status` against the expected codes; true when it must succeed.
  static void CheckOutcome(const absl::Status& status, const Codes& codes, const char* op) {
    if (codes.empty()) {
      FUZZ_CHECK(status.ok(), "%s must succeed: %s", op, Describe(status).c_str());
      return;
    }
    FUZZ_CHECK(!status.ok(), "%s must fail with one of %zu codes (first %d)", op, codes.size(),
               *codes.begin());
    FUZZ_CHECK(codes.count(TwilioCode(status)) > 0, "%s failed with %s, expected %d%s", op,
               Describe(status).c_str(), *codes.begin(), codes.size() > 1 ? " or another" : "");
    const int http = HttpStatus(status);
    const int code = TwilioCode(status);
    const int expected_http = code == twilio_code::kNotFound             ? 404
                              : code == twilio_code::kUserAlreadyExists  ? 409
                              : code == twilio_code::kPreconditionFailed ? 412
                                                                         : 400;
    FUZZ_CHECK(http == expected_http, "%s: HTTP %d for code %d", op, http, code);
  }

  void ExpectUser(const User& got, const ModelUser& want, const ModelService& service,
                  bool for_list, const char* op) {
    FUZZ_CHECK(got.sid == want.sid && got.identity == want.identity, "%s: sid/identity", op);
    FUZZ_CHECK(
        got.account_sid == "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" && got.service_sid == service.sid,
        "%s: account/service", op);
    FUZZ_CHECK(got.role_sid == want.role_sid, "%s: role %s, expected %s", op, got.role_sid.c_str(),
               want.role_sid.c_str());
    FUZZ_CHECK(got.attributes == want.attributes, "%s: attributes", op);
    FUZZ_CHECK(got.friendly_name == want.friendly_name, "%s: friendly_name", op);
    FUZZ_CHECK(got.joined_channels_count == want.joined, "%s: joined %lld vs %lld", op,
               static_cast<long long>(got.joined_channels_count),
               static_cast<long long>(want.joined));
    FUZZ_CHECK(got.date_created == absl::FromUnixSeconds(want.created) &&
                   got.date_updated == absl::FromUnixSeconds(want.updated),
               "%s: dates", op);
    FUZZ_CHECK(got.revision == want.revision, "%s: revision %llu, expected %llu", op,
               static_cast<unsigned long long>(got.revision),
               static_cast<unsigned long long>(want.revision));
    const bool shown = !for_list && service.reachability;
    FUZZ_CHECK(got.is_online == (shown ? want.online : std::nullopt) &&
                   got.is_notifiable == (shown ? want.notifiable : std::nullopt),
               "%s: presence", op);
  }

  // The parameters of a create (CreateUser, GetOrCreateUser with fields,
  // ConnectOrCreateUser), their codes in `*codes` and the role they name.
  UserCreate PickCreate(ByteReader& in, const ModelService& service, Codes* codes,
                        std::optional<std::string>* role) {
    UserCreate params;
    params.identity = PickIdentity(in);
    params.friendly_name = PickFriendlyName(in);
    params.attributes = PickAttributes(in);
    params.role_sid = PickRole(in, service);
    params.webhook_enabled = in.Bool();
    IdentityCodes(params.identity, codes);
    FriendlyNameCodes(params.friendly_name, codes);
    AttributesCodes(params.attributes, codes);
    *role = RoleCodes(params.role_sid, service, codes);
    return params;
  }

  // The model of a user the Store just created as `got` from `params`.
  ModelUser Created(ModelService& service, const UserCreate& params,
                    const std::optional<std::string>& role, const User& got, const char* op) {
    ModelUser m;
    m.sid = got.sid;
    FUZZ_CHECK(
        m.sid.size() == 34 && m.sid.substr(0, 2) == "US" && m.sid == "US" + Lower(m.sid.substr(2)),
        "minted SID %s", m.sid.c_str());
    FUZZ_CHECK(minted_.insert(m.sid).second, "SID %s minted twice", m.sid.c_str());
    m.identity = params.identity;
    m.role_sid = role.value_or(service.default_role);
    if (params.attributes) m.attributes = *params.attributes;
    if (params.friendly_name && !params.friendly_name->empty()) {
      m.friendly_name = params.friendly_name;
    }
    m.created = m.updated = clock_->load();
    m.order = next_order_++;
    order_of_sid_[m.sid] = m.order;
    m.revision = NewRevision(service, got.revision, op);
    return m;
  }

  // Applies a successful update to the model user.
  void Updated(ModelService& service, ModelUser* target, const UserUpdate& params,
               const std::optional<std::string>& role, const std::string& patched, const User& got,
               const char* op) {
    if (params.attributes) target->attributes = *params.attributes;
    if (params.attributes_patch) target->attributes = patched;
    if (params.friendly_name) {
      target->friendly_name = params.friendly_name->empty()
                                  ? std::nullopt
                                  : std::optional<std::string>(*params.friendly_name);
    }
    if (role) target->role_sid = *role;
    target->updated = std::max(clock_->load(), target->created);
    target->revision = NewRevision(service, got.revision, op);
    ExpectUser(got, *target, service, false, op);
    if (params.webhook_enabled) ++expected_events_;
    Fetch(service, target->sid);
  }

  void Create(ByteReader& in, ModelService& service) {
    Codes codes;
    std::optional<std::string> role;
    const UserCreate params = PickCreate(in, service, &codes, &role);
    if (codes.empty() && service.users.count(params.identity) > 0) {
      codes.insert(twilio_code::kUserAlreadyExists);
    }
    absl::StatusOr<User> user = store_->CreateUser(service.sid, params);
    CheckOutcome(user.status(), codes, "CreateUser");
    if (!user.ok()) return;
    const ModelUser m = Created(service, params, role, *user, "CreateUser");
    ExpectUser(*user, m, service, false, "CreateUser result");
    service.users[m.identity] = m;
    if (params.webhook_enabled) ++expected_events_;
    Fetch(service, m.sid);
  }

  void Update(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    UserUpdate params;
    params.friendly_name = PickFriendlyName(in);
    params.attributes = PickAttributes(in);
    params.role_sid = PickRole(in, service);
    params.webhook_enabled = in.Bool();
    Codes codes;
    if (!params.friendly_name && !params.attributes && !params.role_sid) {
      codes.insert(twilio_code::kUpdateWithoutParameters);
    }
    FriendlyNameCodes(params.friendly_name, &codes);
    AttributesCodes(params.attributes, &codes);
    std::optional<std::string> role = RoleCodes(params.role_sid, service, &codes);
    ModelUser* target = service.FindKey(key);
    if (target == nullptr) codes.insert(twilio_code::kNotFound);
    absl::StatusOr<User> user = store_->UpdateUser(service.sid, key, params);
    CheckOutcome(user.status(), codes, "UpdateUser");
    if (!user.ok()) return;
    Updated(service, target, params, role, std::string(), *user, "UpdateUser");
  }

  void Delete(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    ModelUser* target = service.FindKey(key);
    Codes codes;
    if (target == nullptr) codes.insert(twilio_code::kNotFound);
    const absl::Status status = store_->DeleteUser(service.sid, key);
    CheckOutcome(status, codes, "DeleteUser");
    if (!status.ok()) return;
    const std::string sid = target->sid, identity = target->identity;
    service.users.erase(identity);
    Fetch(service, sid);
    Fetch(service, identity);
  }

  void GetOrCreate(ByteReader& in, ModelService& service) {
    const std::string identity = PickIdentity(in);
    Codes codes;
    IdentityCodes(identity, &codes);
    absl::StatusOr<User> user = store_->GetOrCreateUser(service.sid, identity);
    CheckOutcome(user.status(), codes, "GetOrCreateUser");
    if (!user.ok()) return;
    auto it = service.users.find(identity);
    if (it == service.users.end()) {
      ModelUser m;
      m.sid = user->sid;
      FUZZ_CHECK(minted_.insert(m.sid).second, "SID %s minted twice", m.sid.c_str());
      m.identity = identity;
      m.role_sid = service.default_role;
      m.created = m.updated = clock_->load();
      m.order = next_order_++;
      order_of_sid_[m.sid] = m.order;
      m.revision = NewRevision(service, user->revision, "GetOrCreateUser");
      it = service.users.emplace(identity, m).first;
    }
    ExpectUser(*user, it->second, service, false, "GetOrCreateUser result");
  }

  void Fetch(ModelService& service, const std::string& key) {
    const ModelUser* want = service.FindKey(key);
    absl::StatusOr<User> got = store_->FetchUser(service.sid, key);
    CheckOutcome(got.status(), want ? Codes{} : Codes{twilio_code::kNotFound}, "FetchUser");
    if (got.ok()) ExpectUser(*got, *want, service, false, "FetchUser");
    // The fast forms: into a User reused across calls (left alone on error),
    // and visited in place.
    const User before = reused_user_;
    const absl::Status into = store_->FetchUser(service.sid, key, &reused_user_);
    int visits = 0;
    User visited;
    const absl::Status read = store_->ReadUser(service.sid, key, [&](const UserView& v) {
      ++visits;
      v.CopyTo(&visited);
    });
    FUZZ_CHECK(into.code() == got.status().code() && read.code() == got.status().code(),
               "fast fetch forms' status");
    FUZZ_CHECK(visits == (got.ok() ? 1 : 0), "ReadUser visited %d times", visits);
    if (got.ok()) {
      FUZZ_CHECK(SameUser(reused_user_, *got) && SameUser(visited, *got), "fast fetch forms' user");
    } else {
      FUZZ_CHECK(SameUser(reused_user_, before), "a failed FetchUser changed the caller's User");
    }
  }

  void Presence(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    const bool online_field = in.Bool(), value = in.Bool();
    ModelUser* target = service.FindKey(key);
    if (!online_field) return PushBinding(key, value, target, service);
    absl::StatusOr<User> user = store_->SetUserOnline(service.sid, key, value);
    CheckOutcome(user.status(), target ? Codes{} : Codes{twilio_code::kNotFound}, "SetPresence");
    if (!user.ok()) return;
    target->online = value;
    // SetUserOnline and the connection count agree (store.h).
    if (!value) {
      target->connections = 0;
    } else if (target->connections == 0) {
      target->connections = 1;
    }
    ExpectUser(*user, *target, service, false, "SetPresence result");
  }

  // Issue 17: is_notifiable follows the user's push Bindings. `add`: the
  // user registers endpoint d0 or d1 (a new Binding, or a re-registration
  // of one it holds); else it deletes its oldest one (none: 404). The user
  // is then notifiable while it holds one, false once it had one and holds
  // none, null before its first.
  void PushBinding(const std::string& key, bool add, ModelUser* target, ModelService& service) {
    const Codes missing = target ? Codes{} : Codes{twilio_code::kNotFound};
    if (add) {
      BindingCreate params;
      params.binding_type = BindingType::kApn;
      params.endpoint = "d" + std::to_string(target ? target->bindings.size() % 2 : 0);
      bool created = false;
      absl::StatusOr<userstore::Binding> b =
          store_->RegisterBinding(service.sid, key, params, &created);
      CheckOutcome(b.status(), missing, "RegisterBinding");
      if (!b.ok()) return;
      auto [it, made] = target->bindings.emplace(params.endpoint, b->sid);
      FUZZ_CHECK(created == made && it->second == b->sid, "RegisterBinding: created");
      FUZZ_CHECK(b->user_sid == target->sid && b->identity == target->identity,
                 "RegisterBinding: user");
      target->notifiable = true;
    } else {
      std::string sid = "BS" + std::string(32, '7');  // never minted
      if (target && !target->bindings.empty()) sid = target->bindings.begin()->second;
      const absl::Status deleted = store_->DeleteBinding(service.sid, key, sid);
      const bool held = target && !target->bindings.empty();
      CheckOutcome(deleted, held ? Codes{} : Codes{twilio_code::kNotFound}, "DeleteBinding");
      if (!deleted.ok()) return;
      target->bindings.erase(target->bindings.begin());
      target->notifiable = !target->bindings.empty();
    }
    BindingListRequest theirs;
    theirs.user_key = target->sid;
    absl::StatusOr<BindingPage> page = store_->ListBindings(service.sid, theirs);
    FUZZ_CHECK(page.ok() && page->bindings.size() == target->bindings.size(),
               "ListBindings of the user");
    absl::StatusOr<User> user = store_->FetchUser(service.sid, target->sid);
    FUZZ_CHECK(user.ok(), "FetchUser after a Binding change");
    ExpectUser(*user, *target, service, false, "after a Binding change");
  }

  // ---- issue 13: revisions, merge patches, preconditions, connections -------

  // A revision the Store just handed out: above every earlier one.
  static uint64_t NewRevision(ModelService& service, uint64_t revision, const char* op) {
    FUZZ_CHECK(revision > service.last_revision, "%s: revision %llu not above %llu", op,
               static_cast<unsigned long long>(revision),
               static_cast<unsigned long long>(service.last_revision));
    service.last_revision = revision;
    return revision;
  }

  void ChatStep(ByteReader& in, ModelService& service, uint8_t selector) {
    switch (selector % 6) {
      case 0:
      case 1:
        PatchUpdate(in, service);
        break;
      case 2:
        ConditionalDelete(in, service);
        break;
      case 3:
        GetOrCreateWith(in, service);
        break;
      default:
        Connection(in, service);
        break;
    }
  }

  // ---- issue 18: batch upsert ----
  // Store::UpsertUsers of 0..6 rows (existing identities, fresh ones and
  // repeats): the call fails 400/20001 exactly when it has no row; each row
  // fails with the codes its own fields give (20001 for an identity that
  // repeats an earlier row), else creates the user (as CreateUser), updates
  // it when a field differs (as UpdateUser, "{}" equal to no attributes), or
  // keeps it (revision and dates too); revisions rise in input order; the
  // listeners fire once per changed row with webhook_enabled.
  void BatchUpsert(ByteReader& in, ModelService& service) {
    std::vector<UserUpsert> rows(in.Pick(7));
    std::vector<Codes> codes(rows.size());
    std::vector<std::optional<std::string>> roles(rows.size());
    std::set<std::string> seen;
    for (size_t i = 0; i < rows.size(); ++i) {
      UserUpsert& row = rows[i];
      const std::vector<const ModelUser*> users = service.InOrder();
      const uint8_t pick = in.Byte();
      row.identity = pick % 2 == 0 && !users.empty() ? users[pick / 2 % users.size()]->identity
                                                     : PickIdentity(in);
      row.friendly_name = PickFriendlyName(in);
      row.attributes = PickAttributes(in);
      row.role_sid = PickRole(in, service);
      IdentityCodes(row.identity, &codes[i]);
      if (codes[i].empty() && !seen.insert(row.identity).second) {
        codes[i].insert(twilio_code::kInvalidParameter);
        continue;
      }
      FriendlyNameCodes(row.friendly_name, &codes[i]);
      AttributesCodes(row.attributes, &codes[i]);
      roles[i] = RoleCodes(row.role_sid, service, &codes[i]);
    }
    UpsertOptions options;
    options.webhook_enabled = in.Bool();
    absl::StatusOr<std::vector<UpsertResult>> results =
        store_->UpsertUsers(service.sid, rows, options);
    CheckOutcome(results.status(), rows.empty() ? Codes{twilio_code::kInvalidParameter} : Codes{},
                 "UpsertUsers");
    if (!results.ok()) return;
    FUZZ_CHECK(results->size() == rows.size(), "UpsertUsers: %zu results for %zu rows",
               results->size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const UpsertResult& r = (*results)[i];
      const UserUpsert& row = rows[i];
      if (!codes[i].empty()) {
        FUZZ_CHECK(r.outcome == UpsertOutcome::kFailed && r.user.sid.empty(),
                   "UpsertUsers row %zu must fail", i);
        CheckOutcome(r.status, codes[i], "UpsertUsers row");
        continue;
      }
      FUZZ_CHECK(r.status.ok(), "UpsertUsers row %zu: %s", i, Describe(r.status).c_str());
      auto it = service.users.find(row.identity);
      if (it == service.users.end()) {
        FUZZ_CHECK(r.outcome == UpsertOutcome::kCreated, "UpsertUsers row %zu must create", i);
        UserCreate create;
        create.identity = row.identity;
        create.attributes = row.attributes;
        create.friendly_name = row.friendly_name;
        const ModelUser m = Created(service, create, roles[i], r.user, "UpsertUsers create");
        ExpectUser(r.user, m, service, false, "UpsertUsers created");
        service.users[m.identity] = m;
      } else {
        ModelUser& target = it->second;
        auto shown = [](const std::string& a) { return a.empty() ? std::string("{}") : a; };
        std::optional<std::string> name = target.friendly_name;
        if (row.friendly_name) {
          name = row.friendly_name->empty() ? std::nullopt : row.friendly_name;
        }
        const bool changed = (roles[i] && *roles[i] != target.role_sid) ||
                             name != target.friendly_name ||
                             (row.attributes && shown(*row.attributes) != shown(target.attributes));
        if (!changed) {
          FUZZ_CHECK(r.outcome == UpsertOutcome::kUnchanged, "UpsertUsers row %zu: unchanged", i);
          ExpectUser(r.user, target, service, false, "UpsertUsers unchanged");
          continue;
        }
        FUZZ_CHECK(r.outcome == UpsertOutcome::kUpdated, "UpsertUsers row %zu must update", i);
        UserUpdate update;
        update.attributes = row.attributes;
        update.friendly_name = row.friendly_name;
        update.webhook_enabled = options.webhook_enabled;  // Updated() counts the listener call
        Updated(service, &target, update, roles[i], std::string(), r.user, "UpsertUsers update");
        continue;
      }
      if (options.webhook_enabled) ++expected_events_;
    }
  }

  static std::optional<std::string> PickPatch(ByteReader& in) {
    switch (in.Pick(12)) {
      case 0:
        return std::nullopt;
      case 1:
        return std::string(R"({"p":1})");
      case 2:
        return std::string(R"({"a":null,"k":"v"})");
      case 3:
        return std::string(R"({"b":[true,null],"o":{"x":1,"y":null}})");
      case 4:
        return std::string(R"({"o":null})");
      case 5:
        return std::string("{}");
      case 6:
        return std::string("[1]");  // replaces the object: 50304
      case 7:
        return std::string("{");  // 50304
      case 8:
        return "{\"big\":\"" + std::string(16384 - 10, 'v') + "\"}";  // over with anything else
      case 9:
        return std::string(R"({"n":123456789012345678901234567890})");  // out of range
      default:
        return in.ShortString(24);
    }
  }

  // No precondition (most often), the user's revision, or a wrong one.
  static std::optional<uint64_t> PickIfRevision(ByteReader& in, const ModelUser* target) {
    const uint64_t current = target != nullptr ? target->revision : 1;
    switch (in.Pick(6)) {
      case 0:
      case 1:
        return std::nullopt;
      case 2:
      case 3:
        return current;
      case 4:
        return current + 1;
      default:
        return current - 1;
    }
  }

  void PatchUpdate(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    ModelUser* target = service.FindKey(key);
    UserUpdate params;
    params.attributes_patch = PickPatch(in);
    if (in.Pick(8) == 0) params.attributes = PickAttributes(in);
    params.friendly_name = in.Pick(4) == 0 ? PickFriendlyName(in) : std::nullopt;
    params.role_sid = in.Pick(4) == 0 ? PickRole(in, service) : std::nullopt;
    params.if_revision = PickIfRevision(in, target);
    params.webhook_enabled = in.Bool();
    // In the Store's order: the parameters, the user, the precondition (under
    // the user's lock), then the patch applied to the stored text.
    Codes codes;
    if (!params.friendly_name && !params.attributes && !params.role_sid &&
        !params.attributes_patch) {
      codes.insert(twilio_code::kUpdateWithoutParameters);
    }
    if (params.attributes && params.attributes_patch) codes.insert(twilio_code::kInvalidParameter);
    FriendlyNameCodes(params.friendly_name, &codes);
    AttributesCodes(params.attributes, &codes);
    std::optional<std::string> role = RoleCodes(params.role_sid, service, &codes);
    std::string patched;
    if (target == nullptr) {
      codes.insert(twilio_code::kNotFound);
    } else if (codes.empty() && params.if_revision && *params.if_revision != target->revision) {
      codes.insert(twilio_code::kPreconditionFailed);
    } else if (codes.empty() && params.attributes_patch) {
      absl::Status s = internal::ApplyMergePatch(target->attributes, *params.attributes_patch,
                                                 Limits(), &patched);
      if (s.ok()) s = ValidateAttributes(patched, Limits());
      if (!s.ok()) codes.insert(TwilioCode(s));
    }
    absl::StatusOr<User> user = store_->UpdateUser(service.sid, key, params);
    CheckOutcome(user.status(), codes, "UpdateUser (patch)");
    if (!user.ok()) return;
    Updated(service, target, params, role, patched, *user, "UpdateUser (patch)");
  }

  void ConditionalDelete(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    ModelUser* target = service.FindKey(key);
    const std::optional<uint64_t> if_revision = PickIfRevision(in, target);
    Codes codes;
    if (target == nullptr) {
      codes.insert(twilio_code::kNotFound);
    } else if (if_revision && *if_revision != target->revision) {
      codes.insert(twilio_code::kPreconditionFailed);
    }
    const absl::Status status = store_->DeleteUser(service.sid, key, if_revision);
    CheckOutcome(status, codes, "DeleteUser (if_revision)");
    if (!status.ok()) {
      if (target != nullptr) Fetch(service, target->sid);  // still there, unchanged
      return;
    }
    const std::string sid = target->sid, identity = target->identity;
    service.users.erase(identity);
    Fetch(service, sid);
    Fetch(service, identity);
  }

  void GetOrCreateWith(ByteReader& in, ModelService& service) {
    Codes codes;
    std::optional<std::string> role;
    const UserCreate params = PickCreate(in, service, &codes, &role);
    const bool connect = in.Bool();  // ConnectOrCreateUser instead
    absl::StatusOr<GetOrCreateResult> result;
    uint32_t connections = 0;
    if (connect) {
      absl::StatusOr<UserConnection> c = store_->ConnectOrCreateUser(service.sid, params);
      if (c.ok()) {
        result = GetOrCreateResult{c->user, c->created};
        connections = c->connections;
      } else {
        result = c.status();
      }
    } else {
      result = store_->GetOrCreateUser(service.sid, params);
    }
    CheckOutcome(result.status(), codes,
                 connect ? "ConnectOrCreateUser" : "GetOrCreateUser (params)");
    if (!result.ok()) return;
    auto it = service.users.find(params.identity);
    FUZZ_CHECK(result->created == (it == service.users.end()), "created %d for %s a user",
               result->created, it == service.users.end() ? "a new" : "an existing");
    if (result->created) {
      it = service.users
               .emplace(params.identity,
                        Created(service, params, role, result->user, "GetOrCreateUser (params)"))
               .first;
      if (params.webhook_enabled) ++expected_events_;
    }
    if (connect) {
      it->second.online = true;
      ++it->second.connections;
      FUZZ_CHECK(connections == it->second.connections, "ConnectOrCreateUser: %u connections",
                 connections);
    }
    ExpectUser(result->user, it->second, service, false, "GetOrCreateUser (params) result");
  }

  void Connection(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    const bool connect = in.Bool();
    ModelUser* target = service.FindKey(key);
    absl::StatusOr<UserConnection> c =
        connect ? store_->ConnectUser(service.sid, key) : store_->DisconnectUser(service.sid, key);
    CheckOutcome(c.status(), target ? Codes{} : Codes{twilio_code::kNotFound},
                 connect ? "ConnectUser" : "DisconnectUser");
    if (!c.ok()) return;
    if (connect) {
      ++target->connections;
    } else if (target->connections > 0) {
      --target->connections;
    }
    if (connect || target->connections == 0) target->online = target->connections > 0;
    FUZZ_CHECK(c->connections == target->connections && !c->created,
               "%s: %u connections, expected %u", connect ? "ConnectUser" : "DisconnectUser",
               c->connections, target->connections);
    ExpectUser(c->user, *target, service, false, "connection result");
  }

  void JoinedChannels(ByteReader& in, ModelService& service) {
    const std::string key = PickKey(in, service);
    static const int64_t kDeltas[] = {
        1, 2, -1, -3, 0, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
    const int64_t delta = kDeltas[in.Pick(7)];
    ModelUser* target = service.FindKey(key);
    Codes codes;
    int64_t next = 0;
    if (target == nullptr) {
      codes.insert(twilio_code::kNotFound);
    } else if (__builtin_add_overflow(target->joined, delta, &next) || next < 0) {
      codes.insert(twilio_code::kInvalidParameter);
    }
    absl::StatusOr<User> user = store_->AddJoinedChannels(service.sid, key, delta);
    CheckOutcome(user.status(), codes, "AddJoinedChannels");
    if (!user.ok()) return;
    target->joined = next;
    target->revision = NewRevision(service, user->revision, "AddJoinedChannels");
    ExpectUser(*user, *target, service, false, "AddJoinedChannels result");
  }

  static int64_t EffectiveSize(int64_t requested) {
    if (requested == 0) return 50;
    return std::min<int64_t>(requested, 100);
  }

  static int64_t PickPageSize(ByteReader& in) {
    static const int64_t kSizes[] = {1, 2, 3, 1, 2, 5, 0, 150};
    return kSizes[in.Pick(8)];
  }

  absl::StatusOr<Page> List(const ModelService& service, int64_t size, int64_t page,
                            const std::string& token) {
    PageRequest request;
    request.page_size = size;
    request.page = page;
    request.page_token = token;
    absl::StatusOr<Page> result = store_->ListUsers(service.sid, request);
    // The fast forms give the same page (nothing runs in between): into a
    // Page reused across calls, and visited.
    const absl::Status into = store_->ListUsers(service.sid, request, &reused_page_);
    std::vector<User> visited;
    const absl::Status visit = store_->VisitUsers(
        service.sid, request, [&](const UserView& v) { visited.push_back(v.ToUser()); }, &links_);
    FUZZ_CHECK(into.code() == result.status().code() && visit.code() == result.status().code(),
               "fast list forms' status: %s / %s / %s", Describe(result.status()).c_str(),
               Describe(into).c_str(), Describe(visit).c_str());
    if (result.ok()) {
      FUZZ_CHECK(
          SameLinks(reused_page_, *result) && SameLinks(links_, *result) && links_.users.empty(),
          "fast list forms' links");
      FUZZ_CHECK(SameUsers(reused_page_.users, result->users) && SameUsers(visited, result->users),
                 "fast list forms' users");
    }
    return result;
  }

  static bool SameUser(const User& a, const User& b) {
    return a.sid == b.sid && a.account_sid == b.account_sid && a.service_sid == b.service_sid &&
           a.role_sid == b.role_sid && a.identity == b.identity && a.attributes == b.attributes &&
           a.is_online == b.is_online && a.is_notifiable == b.is_notifiable &&
           a.friendly_name == b.friendly_name &&
           a.joined_channels_count == b.joined_channels_count && a.date_created == b.date_created &&
           a.date_updated == b.date_updated && a.revision == b.revision;
  }
  static bool SameUsers(const std::vector<User>& a, const std::vector<User>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), SameUser);
  }
  static bool SameLinks(const Page& a, const Page& b) {
    return a.page == b.page && a.page_size == b.page_size && a.page_token == b.page_token &&
           a.next_page_token == b.next_page_token && a.previous_page_token == b.previous_page_token;
  }

  // Full walk with no writes: exactly the model, full pages, and previous
  // tokens lead back page by page.
  void Walk(ByteReader& in, ModelService& service) {
    const int64_t size = PickPageSize(in);
    const int64_t n = EffectiveSize(size);
    const std::vector<const ModelUser*> want = service.InOrder();
    std::vector<Page> pages;
    std::string token;
    size_t seen = 0;
    for (int64_t index = 0;; ++index) {
      absl::StatusOr<Page> page = List(service, size, index, token);
      FUZZ_CHECK(page.ok(), "ListUsers page %lld: %s", static_cast<long long>(index),
                 Describe(page.status()).c_str());
      FUZZ_CHECK(page->page == index && page->page_size == n && page->page_token == token,
                 "page echo");
      FUZZ_CHECK(page->previous_page_token.empty() == (index == 0), "previous token on page %lld",
                 static_cast<long long>(index));
      const bool last = page->next_page_token.empty();
      const size_t expected = last ? want.size() - seen : static_cast<size_t>(n);
      FUZZ_CHECK(page->users.size() == expected, "page %lld has %zu users, expected %zu",
                 static_cast<long long>(index), page->users.size(), expected);
      for (const User& u : page->users) {
        ExpectUser(u, *want[seen++], service, true, "walk");
      }
      pages.push_back(*page);
      if (last) break;
      token = page->next_page_token;
      // Another Service rejects the token.
      const ModelService& other = services_[&service == &services_[0] ? 1 : 0];
      absl::StatusOr<Page> foreign = List(other, size, index + 1, token);
      FUZZ_CHECK(!foreign.ok() && TwilioCode(foreign.status()) == twilio_code::kInvalidParameter,
                 "foreign token: %s", Describe(foreign.status()).c_str());
    }
    FUZZ_CHECK(seen == want.size(), "walk saw %zu of %zu users", seen, want.size());
    // Back from the last page over previous tokens.
    for (size_t k = pages.size() - 1; k > 0; --k) {
      absl::StatusOr<Page> back =
          List(service, size, static_cast<int64_t>(k) - 1, pages[k].previous_page_token);
      FUZZ_CHECK(back.ok(), "previous page: %s", Describe(back.status()).c_str());
      FUZZ_CHECK(back->users.size() == pages[k - 1].users.size(),
                 "previous of page %zu has %zu users, forward had %zu", k, back->users.size(),
                 pages[k - 1].users.size());
      for (size_t j = 0; j < back->users.size(); ++j) {
        FUZZ_CHECK(back->users[j].sid == pages[k - 1].users[j].sid, "previous page differs");
      }
      FUZZ_CHECK(!back->next_page_token.empty(), "previous page without a next token");
    }
  }

  // A position between users, by creation order: users with order > `order`
  // (or >= when `inclusive`) are after it.
  struct Bound {
    uint64_t order = 0;
    bool inclusive = false;
  };

  uint64_t OrderOf(const std::string& sid) const {
    auto it = order_of_sid_.find(sid);
    FUZZ_CHECK(it != order_of_sid_.end(), "listed a user that never existed: %s", sid.c_str());
    return it->second;
  }

  // The first `n` users now alive after `b`, in creation order.
  static std::vector<std::string> AliveAfter(const ModelService& service, Bound b, size_t n) {
    std::vector<std::string> out;
    for (const ModelUser* u : service.InOrder()) {
      if (out.size() == n) break;
      if (u->order > b.order || (b.inclusive && u->order == b.order)) out.push_back(u->sid);
    }
    return out;
  }

  // The last `n` users now alive before `b` (order < b, or <= when inclusive).
  static std::vector<std::string> AliveBefore(const ModelService& service, Bound b, size_t n) {
    std::vector<std::string> all;
    for (const ModelUser* u : service.InOrder()) {
      if (u->order < b.order || (b.inclusive && u->order == b.order)) all.push_back(u->sid);
    }
    if (all.size() > n) all.erase(all.begin(), all.end() - static_cast<ptrdiff_t>(n));
    return all;
  }

  static std::vector<std::string> Sids(const Page& page) {
    std::vector<std::string> out;
    for (const User& u : page.users) out.push_back(u.sid);
    return out;
  }

  static void ExpectSids(const Page& page, const std::vector<std::string>& want, const char* what) {
    const std::vector<std::string> got = Sids(page);
    FUZZ_CHECK(got == want, "%s: %zu users (first %s), expected %zu (first %s)", what, got.size(),
               got.empty() ? "-" : got[0].c_str(), want.size(),
               want.empty() ? "-" : want[0].c_str());
  }

  // Follows `page`'s previous and next tokens (no writes in between) and
  // checks they lead exactly to the neighbouring users. For an empty page the
  // positions are `empty_prev` (users before it) and `empty_next` (after it).
  void CheckLinks(const ModelService& service, int64_t size, int64_t index, const Page& page,
                  Bound empty_prev, Bound empty_next) {
    const size_t n = static_cast<size_t>(EffectiveSize(size));
    Bound prev = empty_prev, next = empty_next;
    if (!page.users.empty()) {
      prev = {OrderOf(page.users.front().sid), false};
      next = {OrderOf(page.users.back().sid), false};
    }
    // A previous token exists exactly when a user precedes the page (never
    // on page 0), as a next token exactly when one follows.
    const std::vector<std::string> before =
        index > 0 ? AliveBefore(service, prev, n) : std::vector<std::string>();
    FUZZ_CHECK(page.previous_page_token.empty() == before.empty(),
               "previous token %s on page %lld but %zu users precede",
               page.previous_page_token.empty() ? "absent" : "set", static_cast<long long>(index),
               before.size());
    if (!before.empty()) {
      absl::StatusOr<Page> preceding = List(service, size, index - 1, page.previous_page_token);
      FUZZ_CHECK(preceding.ok(), "previous page: %s", Describe(preceding.status()).c_str());
      ExpectSids(*preceding, before, "previous page");
    }
    const std::vector<std::string> after = AliveAfter(service, next, n);
    FUZZ_CHECK(page.next_page_token.empty() == after.empty(), "next token %s but %zu users follow",
               page.next_page_token.empty() ? "absent" : "set", after.size());
    if (!after.empty()) {
      absl::StatusOr<Page> following = List(service, size, index + 1, page.next_page_token);
      FUZZ_CHECK(following.ok(), "next page: %s", Describe(following.status()).c_str());
      ExpectSids(*following, after, "next page");
    }
  }

  void Writes(ByteReader& in, ModelService& service) {
    for (size_t w = in.Pick(3); w > 0; --w) {
      switch (in.Pick(3)) {
        case 0:
          Create(in, service);
          break;
        case 1:
          GetOrCreate(in, service);
          break;
        default:
          Delete(in, service);
          break;
      }
    }
  }

  // From the last page back to page 0 over previous tokens, with writes
  // between pages: each page is exactly the users alive before the previous
  // page's first one, and every user alive for the whole walk is seen.
  void WalkBackWithWrites(ByteReader& in, ModelService& service) {
    const int64_t size = PickPageSize(in);
    const size_t n = static_cast<size_t>(EffectiveSize(size));
    std::string token;
    int64_t index = 0;
    Page last;
    for (;; ++index) {
      absl::StatusOr<Page> page = List(service, size, index, token);
      FUZZ_CHECK(page.ok(), "ListUsers: %s", Describe(page.status()).c_str());
      if (page->next_page_token.empty()) {
        last = *std::move(page);
        break;
      }
      token = page->next_page_token;
    }
    if (index == 0) return;
    FUZZ_CHECK(!last.users.empty(), "empty last page %lld without writes",
               static_cast<long long>(index));
    Bound bound{OrderOf(last.users.front().sid), false};
    std::set<std::string> whole;  // alive before `bound` for the whole walk
    for (const std::string& sid : AliveBefore(service, bound, SIZE_MAX)) whole.insert(sid);
    std::set<std::string> seen;
    token = last.previous_page_token;
    for (int64_t k = index - 1; k >= 0; --k) {
      Writes(in, service);
      for (auto it = whole.begin(); it != whole.end();) {
        it = service.FindKey(*it) ? std::next(it) : whole.erase(it);
      }
      absl::StatusOr<Page> page = List(service, size, k, token);
      FUZZ_CHECK(page.ok(), "previous page %lld: %s", static_cast<long long>(k),
                 Describe(page.status()).c_str());
      ExpectSids(*page, AliveBefore(service, bound, n), "backward page");
      for (const User& u : page->users) {
        FUZZ_CHECK(seen.insert(u.sid).second, "user %s listed twice", u.sid.c_str());
      }
      // An empty backward page continues, forward, from its own position.
      CheckLinks(service, size, k, *page, bound, {bound.order, true});
      if (!page->users.empty()) bound = {OrderOf(page->users.front().sid), false};
      token = page->previous_page_token;
      if (token.empty()) break;  // no user precedes the page (CheckLinks)
    }
    for (const std::string& sid : whole) {
      FUZZ_CHECK(seen.count(sid) > 0, "user %s alive during the backward walk not listed",
                 sid.c_str());
    }
  }

  // A walk with creates, deletes and get-or-creates between pages.
  void WalkWithWrites(ByteReader& in, ModelService& service) {
    const int64_t size = PickPageSize(in);
    std::map<std::string, uint64_t> order_of;  // every user alive at some point
    std::set<std::string> whole_walk;          // alive from start to end
    for (const ModelUser* u : service.InOrder()) {
      order_of[u->sid] = u->order;
      whole_walk.insert(u->sid);
    }
    std::set<std::string> seen;
    uint64_t last_order = 0;
    bool first = true;
    std::string token;
    const size_t n = static_cast<size_t>(EffectiveSize(size));
    for (int64_t index = 0; index < 1000; ++index) {
      absl::StatusOr<Page> page = List(service, size, index, token);
      FUZZ_CHECK(page.ok(), "ListUsers: %s", Describe(page.status()).c_str());
      // Exactly the users now alive after the last one shown.
      ExpectSids(*page, AliveAfter(service, {last_order, false}, n), "forward page");
      // An empty forward page (all later users deleted) sits just after the
      // last user shown.
      CheckLinks(service, size, index, *page, {last_order, true}, {last_order, false});
      for (const User& u : page->users) {
        FUZZ_CHECK(seen.insert(u.sid).second, "user %s listed twice", u.sid.c_str());
        auto it = order_of.find(u.sid);
        FUZZ_CHECK(it != order_of.end(), "listed a user that never existed");
        FUZZ_CHECK(first || it->second > last_order, "walk out of creation order");
        first = false;
        last_order = it->second;
      }
      if (page->next_page_token.empty()) break;
      token = page->next_page_token;
      Writes(in, service);
      for (const ModelUser* u : service.InOrder()) order_of.emplace(u->sid, u->order);
      for (auto it = whole_walk.begin(); it != whole_walk.end();) {
        it = service.FindKey(*it) ? std::next(it) : whole_walk.erase(it);
      }
    }
    for (const std::string& sid : whole_walk) {
      FUZZ_CHECK(seen.count(sid) > 0, "user %s alive during the whole walk not listed",
                 sid.c_str());
    }
  }

  // The whole listing equals the model, field by field.
  // ---- issue 18: filters, counts, the indexed attribute ----------------------

  // The canonical form of a JSON value for the attribute index (filter.h):
  // 's' + text of a string, 'n' + the double of a number (-0 as 0); nullopt
  // for anything else. The model's own, through simdjson directly.
  static std::optional<std::string> ModelCanonical(simdjson::dom::element e) {
    std::string_view text;
    double d = 0;
    if (e.type() == simdjson::dom::element_type::STRING && e.get(text) == simdjson::SUCCESS) {
      return "s" + std::string(text);
    }
    if (e.is_number() && e.get_double().get(d) == simdjson::SUCCESS) {
      if (d == 0) d = 0;
      std::string out(1 + sizeof(d), 'n');
      std::memcpy(out.data() + 1, &d, sizeof(d));
      return out;
    }
    return std::nullopt;
  }

  static std::optional<std::string> ModelValue(const std::string& attributes,
                                               const std::string& key) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::object object;
    if (key.empty() || parser.parse(attributes).get(root) != simdjson::SUCCESS ||
        root.get(object) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    std::optional<std::string> value;
    for (simdjson::dom::key_value_pair field : object) {
      if (field.key == key) value = ModelCanonical(field.value);
    }
    return value;
  }

  void FilterStep(ByteReader& in, ModelService& service, uint8_t selector) {
    if (selector % 4 == 0) {
      DeclareIndexedAttribute(in, service);
    } else if (selector % 4 == 1) {
      SetIndexedValue(in, service);
    } else {
      FilteredWalk(in, service);
    }
  }

  // Replaces an existing user's attributes with a text holding an indexed
  // key's value (or not), so that attribute filters have users to find.
  void SetIndexedValue(ByteReader& in, ModelService& service) {
    static const char* const kTexts[] = {R"({"k":1})",
                                         R"({"k":1.0,"a":"v"})",
                                         R"({"k":"v"})",
                                         R"({"k":"\u0076"})",
                                         R"({"k":-0.0})",
                                         R"({"k":true})",
                                         R"({"a":null})",
                                         R"({"k":{"k":1}})",
                                         R"({"k":1,"k":"v"})",
                                         R"({"n":0,"p":""})",
                                         "{}"};
    std::vector<const ModelUser*> users = service.InOrder();
    if (users.empty()) return;
    ModelUser* target = service.FindKey(users[in.Byte() % users.size()]->sid);
    UserUpdate params;
    params.attributes = kTexts[in.Pick(11)];
    absl::StatusOr<User> user = store_->UpdateUser(service.sid, target->sid, params);
    FUZZ_CHECK(user.ok(), "UpdateUser(indexed value): %s", Describe(user.status()).c_str());
    Updated(service, target, params, std::nullopt, std::string(), *user, "UpdateUser");
  }

  void DeclareIndexedAttribute(ByteReader& in, ModelService& service) {
    static const char* const kKeys[] = {"k", "a", "", "p", "n"};
    const std::string key = kKeys[in.Pick(5)];
    const absl::Status status = store_->SetIndexedAttribute(service.sid, key);
    FUZZ_CHECK(status.ok(), "SetIndexedAttribute(%s): %s", key.c_str(), Describe(status).c_str());
    indexed_key_[service.sid] = key;
    absl::StatusOr<std::string> got = store_->IndexedAttribute(service.sid);
    FUZZ_CHECK(got.ok() && *got == key, "IndexedAttribute");
  }

  void FilteredWalk(ByteReader& in, ModelService& service) {
    const std::string& declared = indexed_key_[service.sid];
    std::vector<const ModelUser*> users = service.InOrder();
    UserFilter filter;
    std::function<bool(const ModelUser&)> match;
    bool by_identity = false, by_date = false, valid = true;
    switch (in.Pick(5)) {
      case 0: {  // a prefix of some user's identity, or a short string
        const size_t i = in.Byte();
        filter.identity_prefix = !users.empty() && in.Bool()
                                     ? users[i % users.size()]->identity.substr(0, 1 + i % 3)
                                     : in.ShortString(3);
        if (filter.identity_prefix.empty()) filter.identity_prefix = "u";
        if (!IsText(filter.identity_prefix)) valid = false;
        const std::string prefix = filter.identity_prefix;
        match = [prefix](const ModelUser& u) { return u.identity.rfind(prefix, 0) == 0; };
        by_identity = true;
        break;
      }
      case 1: {
        filter.role_sid = in.Bool() ? service.default_role : std::string(kExtraRole);
        const std::string role = Lower(filter.role_sid);
        match = [role](const ModelUser& u) { return Lower(u.role_sid) == role; };
        break;
      }
      case 2: {  // around the clock's recent seconds
        const int64_t now = clock_->load();
        const int64_t from = now - static_cast<int64_t>(in.Pick(6));
        const int64_t before = now - 2 + static_cast<int64_t>(in.Pick(6));
        const uint8_t which = in.Byte() % 3;
        if (which != 1) filter.created_from = absl::FromUnixSeconds(from);
        if (which != 0) filter.created_before = absl::FromUnixSeconds(before);
        match = [from, before, which](const ModelUser& u) {
          return (which == 1 || u.created >= from) && (which == 0 || u.created < before);
        };
        by_date = true;
        break;
      }
      default: {
        static const char* const kValues[] = {
            "1", "1.0", "-0", "0", R"("v")", R"("\u0076")", "true", "null", "{}", R"("")", "1e400"};
        static const char* const kKeys[] = {"k", "a", "p", "n"};
        filter.attribute_key = in.Bool() && !declared.empty() ? declared : kKeys[in.Pick(4)];
        filter.attribute_value = kValues[in.Pick(11)];
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        std::optional<std::string> want;
        if (parser.parse(filter.attribute_value).get(root) == simdjson::SUCCESS) {
          want = ModelCanonical(root);
        }
        if (filter.attribute_key != declared || !want) valid = false;
        const std::string key = filter.attribute_key;
        match = [want, key](const ModelUser& u) {
          return want && ModelValue(u.attributes, key) == want;
        };
        break;
      }
    }
    if (in.Pick(16) == 0) {  // two criteria
      if (filter.role_sid.empty()) {
        filter.role_sid = service.default_role;
      } else {
        filter.identity_prefix = "u";
      }
      valid = false;
    }
    const absl::StatusOr<uint64_t> count = store_->CountUsers(service.sid, filter);
    if (!valid) {
      FUZZ_CHECK(!count.ok() && TwilioCode(count.status()) == twilio_code::kInvalidParameter,
                 "bad filter counted: %s", Describe(count.status()).c_str());
      return;
    }
    std::vector<const ModelUser*> want;
    for (const ModelUser* u : users) {
      if (match(*u)) want.push_back(u);
    }
    if (by_identity) {
      std::sort(want.begin(), want.end(),
                [](const ModelUser* a, const ModelUser* b) { return a->identity < b->identity; });
    } else if (by_date) {
      std::stable_sort(want.begin(), want.end(), [](const ModelUser* a, const ModelUser* b) {
        return a->created < b->created;
      });
    }
    FUZZ_CHECK(count.ok() && *count == want.size(), "CountUsers(filter): %s, model %zu",
               Describe(count.status()).c_str(), want.size());
    PageRequest request;
    request.filter = filter;
    request.page_size = 1 + static_cast<int64_t>(in.Pick(4));
    std::vector<Page> pages;
    size_t seen = 0;
    for (int64_t index = 0;; ++index) {
      request.page = index;
      absl::StatusOr<Page> page = store_->ListUsers(service.sid, request);
      FUZZ_CHECK(page.ok(), "filtered ListUsers: %s", Describe(page.status()).c_str());
      for (const User& u : page->users) {
        FUZZ_CHECK(seen < want.size() && u.sid == want[seen]->sid, "filtered walk: user %zu is %s",
                   seen, u.identity.c_str());
        ++seen;
      }
      pages.push_back(*page);
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
    }
    FUZZ_CHECK(seen == want.size(), "filtered walk saw %zu of %zu", seen, want.size());
    // Back over previous tokens: the same pages.
    for (size_t k = pages.size() - 1; k > 0; --k) {
      request.page = static_cast<int64_t>(k) - 1;
      request.page_token = pages[k].previous_page_token;
      absl::StatusOr<Page> back = store_->ListUsers(service.sid, request);
      FUZZ_CHECK(back.ok() && Sids(*back) == Sids(pages[k - 1]), "filtered previous page %zu", k);
    }
    // The token of a filter serves no other.
    if (pages.size() > 1) {
      PageRequest other;
      other.page = 1;
      other.page_size = request.page_size;
      other.page_token = pages[0].next_page_token;
      absl::StatusOr<Page> foreign = store_->ListUsers(service.sid, other);
      FUZZ_CHECK(!foreign.ok(), "a filtered token served the unfiltered list");
    }
  }

  std::map<std::string, std::string> indexed_key_;  // issue 18: by Service SID

  void CheckListing(const ModelService& service) {
    const std::vector<const ModelUser*> want = service.InOrder();
    size_t seen = 0;
    std::string token;
    for (int64_t index = 0;; ++index) {
      absl::StatusOr<Page> page = List(service, 100, index, token);
      FUZZ_CHECK(page.ok(), "ListUsers: %s", Describe(page.status()).c_str());
      for (const User& u : page->users) {
        FUZZ_CHECK(seen < want.size(), "store lists more users than the model (%zu)", want.size());
        ExpectUser(u, *want[seen++], service, true, "listing");
      }
      if (page->next_page_token.empty()) break;
      token = page->next_page_token;
    }
    FUZZ_CHECK(seen == want.size(), "store lists %zu users, model has %zu", seen, want.size());
  }

  std::shared_ptr<std::atomic<int64_t>> clock_ = std::make_shared<std::atomic<int64_t>>(kStart);
  std::shared_ptr<std::atomic<int>> events_ = std::make_shared<std::atomic<int>>(0);
  int expected_events_ = 0;
  std::unique_ptr<Store> store_;
  User reused_user_;  // FetchUser's fill form, reused across calls
  Page reused_page_;  // ListUsers' fill form, reused across calls
  Page links_;        // VisitUsers' links
  ModelService services_[2];
  std::set<std::string> minted_;
  std::map<std::string, uint64_t> order_of_sid_;  // every user ever created
  uint64_t next_order_ = 1;
};

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  userstore::fuzz::ByteReader in(data, size);
  userstore::fuzz::Harness harness;
  harness.Run(in);
  return 0;
}

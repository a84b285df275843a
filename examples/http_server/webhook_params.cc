#include "webhook_params.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "userstore/json.h"

namespace userstore_http {
namespace {

constexpr std::array<std::string_view, 5> kNames = {"onUserAdd", "onUserUpdate", "onUserAdded",
                                                    "onUserUpdated", "onUserRemoved"};

const char* Bool(bool b) { return b ? "true" : "false"; }

// The parameters every user webhook shares, for `user` (the user as the
// write leaves it, or as it was before a removal).
void AddUser(const userstore::User& user, bool with_sid, WebhookParams& params) {
  params.emplace_back("AccountSid", user.account_sid);
  params.emplace_back("InstanceSid", user.service_sid);
  if (with_sid) params.emplace_back("UserSid", user.sid);
  params.emplace_back("Identity", user.identity);
  params.emplace_back("RoleSid", user.role_sid);
  params.emplace_back("Attributes", user.attributes);
  if (user.friendly_name.has_value()) params.emplace_back("FriendlyName", *user.friendly_name);
  params.emplace_back("DateCreated", userstore::FormatTwilioDate(user.date_created));
  params.emplace_back("DateUpdated", userstore::FormatTwilioDate(user.date_updated));
  if (user.is_online.has_value()) params.emplace_back("IsOnline", Bool(*user.is_online));
  if (user.is_notifiable.has_value()) {
    params.emplace_back("IsNotifiable", Bool(*user.is_notifiable));
  }
}

}  // namespace

std::string_view WebhookEventName(WebhookEvent event) { return kNames[static_cast<size_t>(event)]; }

absl::StatusOr<WebhookEventSet> ParseWebhookFilter(std::string_view text) {
  WebhookEventSet set = 0;
  for (absl::string_view piece : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    const absl::string_view name = absl::StripAsciiWhitespace(piece);
    size_t i = 0;
    while (i < kNames.size() && name != absl::string_view(kNames[i].data(), kNames[i].size())) ++i;
    if (i == kNames.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--webhook-filter: unknown event '", name,
                       "' (known: onUserAdd, onUserUpdate, onUserAdded, onUserUpdated, "
                       "onUserRemoved)"));
    }
    set |= 1u << i;
  }
  return set;
}

WebhookEvent PostEventOf(userstore::UserEvent::Type type) {
  switch (type) {
    case userstore::UserEvent::Type::kUserAdded:
      return WebhookEvent::kUserAdded;
    case userstore::UserEvent::Type::kUserUpdated:
      return WebhookEvent::kUserUpdated;
    case userstore::UserEvent::Type::kUserRemoved:
      break;
  }
  return WebhookEvent::kUserRemoved;
}

WebhookEvent PreEventOf(userstore::UserEvent::Type type) {
  return type == userstore::UserEvent::Type::kUserAdded ? WebhookEvent::kUserAdd
                                                        : WebhookEvent::kUserUpdate;
}

bool IsPostWebhookEvent(const userstore::UserEvent& event) {
  if (event.origin == userstore::WriteOrigin::kImport) return false;
  // Another host's write: that host sends its webhook (docs/scale-out.md).
  if (event.origin == userstore::WriteOrigin::kReplica) return false;
  if (!event.webhook_enabled && event.origin != userstore::WriteOrigin::kClient) return false;
  constexpr uint32_t kHostState = userstore::user_field::kIsOnline |
                                  userstore::user_field::kIsNotifiable |
                                  userstore::user_field::kJoinedChannelsCount;
  const bool host_state_only = event.changed != 0 && (event.changed & ~kHostState) == 0;
  return !(event.type == userstore::UserEvent::Type::kUserUpdated && host_state_only);
}

WebhookParams PostEventParams(const userstore::UserEvent& event, int retry_count) {
  WebhookParams params;
  params.reserve(17);
  params.emplace_back("EventType", WebhookEventName(PostEventOf(event.type)));
  AddUser(event.user, /*with_sid=*/true, params);
  const bool client = event.origin == userstore::WriteOrigin::kClient;
  params.emplace_back("Source", client ? "SDK" : "API");
  if (client) params.emplace_back("ClientIdentity", event.user.identity);
  params.emplace_back("RetryCount", absl::StrCat(retry_count));
  params.emplace_back("X-Userstore-Sequence", absl::StrCat(event.sequence));
  return params;
}

WebhookParams PreEventParams(const userstore::PreEvent& event) {
  WebhookParams params;
  params.reserve(16);
  params.emplace_back("EventType", WebhookEventName(PreEventOf(event.type)));
  AddUser(event.user, /*with_sid=*/!event.user.sid.empty(), params);
  params.emplace_back("Source", "SDK");
  params.emplace_back("ClientIdentity", event.user.identity);
  params.emplace_back("RetryCount", "0");
  return params;
}

absl::StatusOr<WebhookTarget> ParseWebhookUrl(std::string_view url) {
  const absl::string_view u(url.data(), url.size());
  size_t scheme_end = 0;
  if (absl::StartsWithIgnoreCase(u, "http://")) {
    scheme_end = 7;
  } else if (absl::StartsWithIgnoreCase(u, "https://")) {
    scheme_end = 8;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL must start with http:// or https://, not '", u, "'"));
  }
  for (char c : u) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') {
      return absl::InvalidArgumentError(absl::StrCat(
          "webhook URL '", absl::CHexEscape(u), "' has a space, control character or fragment"));
    }
  }
  WebhookTarget target;
  target.url = std::string(u);
  const size_t path_start = u.find_first_of("/?", scheme_end);
  const absl::string_view authority =
      u.substr(scheme_end, path_start == absl::string_view::npos ? absl::string_view::npos
                                                                 : path_start - scheme_end);
  if (authority.empty() || authority.front() == ':' || absl::StrContains(authority, '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL '", u, "' needs a host (and no user information)"));
  }
  target.origin = absl::StrCat(absl::AsciiStrToLower(u.substr(0, scheme_end)), authority);
  if (path_start != absl::string_view::npos) {
    target.path = std::string(u.substr(path_start));
    if (target.path.front() == '?') target.path = absl::StrCat("/", target.path);
  }
  return target;
}

}  // namespace userstore_http

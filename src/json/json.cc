// The Twilio-shaped renderers of include/userstore/json.h.
//
// Key orders (../shared/spec/behaviour.md §2, §4; docs/json.md):
// - User (fetch / create / update): Twilio's fixtures, all four helper
//   libraries agree (../shared/conformance/twilio-fixtures).
// - User in a list: the same but `joined_channels_count` after
//   `date_updated`, as in the same fixtures.
// - Service: the property order of twilio-oai's chat.v2.service schema
//   (twilio_chat_v2.json); the `links` order of twilio-python's service test.
// - Role and the Roles list: twilio-python's role test fixtures.
#include "userstore/json.h"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "json/json_writer.h"
#include "userstore/error.h"

namespace userstore {

namespace {

using internal::JsonWriter;

// Page size shown in a Roles list: all roles fit on page 0.
constexpr int64_t kRolesPageSize = 50;

// Debian's Abseil has its own absl::string_view (not std::string_view), so
// std views are converted explicitly at Abseil calls.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

std::string UserUrl(const User& user, std::string_view base_url) {
  return absl::StrCat(Av(base_url), "/Services/", user.service_sid, "/Users/", user.sid);
}

std::string ServiceUrl(std::string_view service_sid, std::string_view base_url) {
  return absl::StrCat(Av(base_url), "/Services/", Av(service_sid));
}

// Writes one user; `list_item` selects the list key order.
void WriteUser(const User& user, std::string_view base_url, bool list_item, JsonWriter* w) {
  const std::string url = UserUrl(user, base_url);
  w->BeginObject();
  w->Member("sid", user.sid);
  w->Member("account_sid", user.account_sid);
  w->Member("service_sid", user.service_sid);
  w->Member("role_sid", user.role_sid);
  w->Member("identity", user.identity);
  w->Member("attributes", user.attributes);
  w->Key("is_online");
  w->OptionalBool(user.is_online);
  w->Key("is_notifiable");
  w->OptionalBool(user.is_notifiable);
  w->Key("friendly_name");
  w->OptionalString(user.friendly_name);
  if (!list_item) w->MemberInt("joined_channels_count", user.joined_channels_count);
  w->Member("date_created", FormatTwilioDate(user.date_created));
  w->Member("date_updated", FormatTwilioDate(user.date_updated));
  if (list_item) w->MemberInt("joined_channels_count", user.joined_channels_count);
  w->Key("links");
  w->BeginObject();
  w->Member("user_channels", absl::StrCat(url, "/Channels"));
  w->Member("user_bindings", absl::StrCat(url, "/Bindings"));
  w->EndObject();
  w->Member("url", url);
  w->EndObject();
}

// {list_url}?PageSize=N&Page=P[&PageToken=T]. Tokens are base64url already;
// they are percent-encoded anyway so any token text yields a valid URL.
std::string PageUrl(std::string_view list_url, int64_t page_size, int64_t page,
                    std::string_view token) {
  std::string url = absl::StrCat(Av(list_url), "?PageSize=", page_size, "&Page=", page);
  if (!token.empty()) {
    absl::StrAppend(&url, "&PageToken=", boost::urls::encode(token, boost::urls::unreserved_chars));
  }
  return url;
}

// Writes Twilio's list "meta" object.
void WriteMeta(std::string_view list_url, int64_t page, int64_t page_size, std::string_view token,
               std::string_view previous_token, std::string_view next_token, std::string_view key,
               JsonWriter* w) {
  w->Key("meta");
  w->BeginObject();
  w->MemberInt("page", page);
  w->MemberInt("page_size", page_size);
  w->Member("first_page_url", PageUrl(list_url, page_size, 0, ""));
  w->Key("previous_page_url");
  if (previous_token.empty()) {
    w->Null();
  } else {
    w->String(PageUrl(list_url, page_size, page > 0 ? page - 1 : 0, previous_token));
  }
  w->Member("url", PageUrl(list_url, page_size, page, token));
  w->Key("next_page_url");
  // No index follows kMaxPageIndex (the Store never issues a next token
  // there; a hand-built Page must not overflow page + 1 either).
  if (next_token.empty() || page >= kMaxPageIndex) {
    w->Null();
  } else {
    w->String(PageUrl(list_url, page_size, page + 1, next_token));
  }
  w->Member("key", key);
  w->EndObject();
}

void WriteRole(const Role& role, std::string_view base_url, JsonWriter* w) {
  w->BeginObject();
  w->Member("sid", role.sid);
  w->Member("account_sid", role.account_sid);
  w->Member("service_sid", role.service_sid);
  w->Member("friendly_name", role.friendly_name);
  w->Member("type", role.type == RoleScope::kChannel ? "channel" : "deployment");
  w->Key("permissions");
  w->BeginArray();
  for (const std::string& permission : role.permissions) w->String(permission);
  w->EndArray();
  w->Member("date_created", FormatTwilioDate(role.date_created));
  w->Member("date_updated", FormatTwilioDate(role.date_updated));
  w->Member("url", absl::StrCat(ServiceUrl(role.service_sid, base_url), "/Roles/", role.sid));
  w->EndObject();
}

}  // namespace

std::string FormatTwilioDate(absl::Time t) {
  // Every rendered user carries two dates, so the common case (years
  // 1000-9999) prints the civil fields directly; absl::FormatTime, about three
  // times slower, handles the rest (and infinite times) the same way.
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast() || c.year() < 1000 ||
      c.year() > 9999) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  }
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&out](size_t at, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, c.year(), 4);
  put(5, c.month(), 2);
  put(8, c.day(), 2);
  put(11, c.hour(), 2);
  put(14, c.minute(), 2);
  put(17, c.second(), 2);
  return out;
}

std::string UserJson(const User& user, std::string_view base_url) {
  JsonWriter w;
  WriteUser(user, base_url, /*list_item=*/false, &w);
  return w.Release();
}

std::string PageJson(const Page& page, std::string_view service_sid, std::string_view base_url) {
  const std::string list_url = absl::StrCat(ServiceUrl(service_sid, base_url), "/Users");
  JsonWriter w;
  w.BeginObject();
  WriteMeta(list_url, page.page, page.page_size, page.page_token, page.previous_page_token,
            page.next_page_token, "users", &w);
  w.Key("users");
  w.BeginArray();
  for (const User& user : page.users) {
    WriteUser(user, base_url, /*list_item=*/true, &w);
  }
  w.EndArray();
  w.EndObject();
  return w.Release();
}

std::string ServiceJson(const Service& service, std::string_view base_url) {
  const std::string url = ServiceUrl(service.sid, base_url);
  JsonWriter w;
  w.BeginObject();
  w.Member("sid", service.sid);
  w.Member("account_sid", service.account_sid);
  w.Member("friendly_name", service.friendly_name);
  w.Member("date_created", FormatTwilioDate(service.date_created));
  w.Member("date_updated", FormatTwilioDate(service.date_updated));
  w.Member("default_service_role_sid", service.default_service_role_sid);
  w.Member("default_channel_role_sid", service.default_channel_role_sid);
  w.Member("default_channel_creator_role_sid", service.default_channel_creator_role_sid);
  w.Key("read_status_enabled");
  w.Bool(true);
  w.Key("reachability_enabled");
  w.Bool(service.reachability_enabled);
  w.MemberInt("typing_indicator_timeout", 5);
  w.MemberInt("consumption_report_interval", 10);
  w.Key("limits");
  w.BeginObject();
  w.MemberInt("channel_members", 100);
  w.MemberInt("user_channels", 250);
  w.EndObject();
  w.Key("pre_webhook_url");
  w.Null();
  w.Key("post_webhook_url");
  w.Null();
  w.Key("webhook_method");
  w.Null();
  w.Key("webhook_filters");
  w.Null();
  w.MemberInt("pre_webhook_retry_count", 0);
  w.MemberInt("post_webhook_retry_count", 0);
  w.Key("notifications");
  w.BeginObject();
  w.EndObject();
  w.Key("media");
  w.BeginObject();
  w.MemberInt("size_limit_mb", 150);
  w.Member("compatibility_message", "Media messages are not supported by your client");
  w.EndObject();
  w.Member("url", url);
  w.Key("links");
  w.BeginObject();
  w.Member("channels", absl::StrCat(url, "/Channels"));
  w.Member("users", absl::StrCat(url, "/Users"));
  w.Member("roles", absl::StrCat(url, "/Roles"));
  w.Member("bindings", absl::StrCat(url, "/Bindings"));
  w.EndObject();
  w.EndObject();
  return w.Release();
}

std::string RoleJson(const Role& role, std::string_view base_url) {
  JsonWriter w;
  WriteRole(role, base_url, &w);
  return w.Release();
}

std::string RolesPageJson(const std::vector<Role>& roles, std::string_view service_sid,
                          std::string_view base_url) {
  const std::string list_url = absl::StrCat(ServiceUrl(service_sid, base_url), "/Roles");
  const int64_t page_size = std::max<int64_t>(kRolesPageSize, static_cast<int64_t>(roles.size()));
  JsonWriter w;
  w.BeginObject();
  WriteMeta(list_url, /*page=*/0, page_size, /*token=*/"",
            /*previous_token=*/"", /*next_token=*/"", "roles", &w);
  w.Key("roles");
  w.BeginArray();
  for (const Role& role : roles) WriteRole(role, base_url, &w);
  w.EndArray();
  w.EndObject();
  return w.Release();
}

std::string JsonQuote(std::string_view text) { return internal::JsonQuote(text); }

std::string ErrorJson(const absl::Status& status) {
  const int code = TwilioCode(status);
  JsonWriter w;
  w.BeginObject();
  w.MemberInt("code", code);
  const absl::string_view message = status.message();
  w.Member("message", std::string_view(message.data(), message.size()));
  w.Member("more_info", absl::StrCat("https://www.twilio.com/docs/errors/", code));
  w.MemberInt("status", HttpStatus(status));
  w.EndObject();
  return w.Release();
}

}  // namespace userstore

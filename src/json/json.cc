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
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "json/json_writer.h"
#include "json/render.h"
#include "userstore/error.h"

namespace userstore {

namespace {

using internal::JsonWriter;

// Page size shown in a Roles list: all roles fit on page 0.
constexpr int64_t kRolesPageSize = 50;

// Debian's Abseil has its own absl::string_view (not std::string_view), so
// std views are converted explicitly at Abseil calls.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

std::string ServiceUrl(std::string_view service_sid, std::string_view base_url) {
  return absl::StrCat(Av(base_url), "/Services/", Av(service_sid));
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
  char text[internal::kTwilioDateBound];
  const char* end = internal::WriteTwilioDate(t, text);
  return std::string(text, static_cast<size_t>(end - text));
}

void AppendUserJson(const UserView& user, std::string_view base_url, std::string* out) {
  internal::JsonBuf buf(out);
  internal::AppendUser(user, base_url, /*list_item=*/false, internal::Utf8::kUnchecked, &buf);
}

std::string UserJson(const UserView& user, std::string_view base_url) {
  std::string out;
  AppendUserJson(user, base_url, &out);
  return out;
}

std::string UserJson(const User& user, std::string_view base_url) {
  return UserJson(UserView(user), base_url);
}

std::string PageJson(const Page& page, std::string_view service_sid, std::string_view base_url) {
  std::string users;
  {
    internal::JsonBuf buf(&users);
    for (const User& user : page.users) {
      if (buf.length() > 0) buf.Append(",");
      internal::AppendUser(UserView(user), base_url, /*list_item=*/true, internal::Utf8::kUnchecked,
                           &buf);
    }
  }
  std::string out;
  internal::JsonBuf buf(&out);
  internal::AppendUsersPage(page, service_sid, base_url, users, &buf);
  buf.Finish();
  return out;
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
  const int64_t page_size = std::max<int64_t>(kRolesPageSize, static_cast<int64_t>(roles.size()));
  JsonWriter items;
  items.BeginArray();
  for (const Role& role : roles) WriteRole(role, base_url, &items);
  items.EndArray();
  std::string out;
  internal::JsonBuf buf(&out);
  buf.Append("{");
  internal::AppendListMeta(base_url, service_sid, "Roles", /*page=*/0, page_size, /*token=*/"",
                           /*previous_token=*/"", /*next_token=*/"", "roles", &buf);
  buf.Append(",\"roles\":");
  buf.Append(items.text());
  buf.Append("}");
  buf.Finish();
  return out;
}

std::string JsonQuote(std::string_view text) { return internal::JsonQuote(text); }

namespace internal {

void WriteErrorMembers(const absl::Status& status, JsonWriter* w) {
  const int code = TwilioCode(status);
  w->MemberInt("code", code);
  const absl::string_view message = status.message();
  w->Member("message", std::string_view(message.data(), message.size()));
  w->Member("more_info", absl::StrCat("https://www.twilio.com/docs/errors/", code));
}

}  // namespace internal

std::string ErrorJson(const absl::Status& status) {
  JsonWriter w;
  w.BeginObject();
  internal::WriteErrorMembers(status, &w);
  w.MemberInt("status", HttpStatus(status));
  w.EndObject();
  return w.Release();
}

}  // namespace userstore

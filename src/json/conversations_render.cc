// Conversations v1 bodies (json.h, "Conversations v1"): users, their list
// and the Configuration.
//
// Key orders: the examples of twilio_conversations_v1.json (twilio/twilio-oai)
// for CreateUser / FetchUser / ListUser (conversations.v1.user), their
// ServiceUser twins (conversations.v1.service.service_user) and
// FetchConfiguration; twilio-python's conversations/v1/user and
// conversations/v1/configuration modules read the same fields.
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "json/json_writer.h"
#include "json/render.h"
#include "userstore/json.h"

namespace userstore {
namespace internal {
namespace {

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

template <size_t N>
inline char* Lit(const char (&text)[N], char* p) {
  std::memcpy(p, text, N - 1);
  return p + N - 1;
}

inline char* Bool(std::optional<bool> value, char* p) {
  if (!value) return Lit("null", p);
  return *value ? Lit("true", p) : Lit("false", p);
}

// The room AppendConversationsUser reserves for `user`: every text escaped
// at worst.
size_t ConversationsUserBound(const UserView& user, std::string_view base_url) {
  const size_t url = 6 * (base_url.size() + user.service_sid().size() + user.sid().size()) + 64;
  size_t texts = user.sid().size() + user.account_sid().size() + user.service_sid().size() +
                 user.role_sid().size() + user.identity().size() + user.attributes().size();
  if (user.friendly_name()) texts += user.friendly_name()->size();
  return 400 + 7 * JsonStringBound(0) + 6 * texts + 2 * url + 2 * kTwilioDateBound;
}

}  // namespace

void AppendConversationsUser(const UserView& user, std::string_view base_url,
                             ConversationsPath path, Utf8 utf8, JsonBuf* out) {
  char* p = out->Reserve(ConversationsUserBound(user, base_url));
  p = Lit("{\"sid\":", p);
  p = WriteJsonString(user.sid(), Utf8::kUnchecked, p);
  p = Lit(",\"account_sid\":", p);
  p = WriteJsonString(user.account_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"chat_service_sid\":", p);
  p = WriteJsonString(user.service_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"role_sid\":", p);
  p = WriteJsonString(user.role_sid(), Utf8::kUnchecked, p);
  p = Lit(",\"identity\":", p);
  p = WriteJsonString(user.identity(), utf8, p);
  p = Lit(",\"friendly_name\":", p);
  if (const std::optional<std::string_view> name = user.friendly_name()) {
    p = WriteJsonString(*name, utf8, p);
  } else {
    p = Lit("null", p);
  }
  p = Lit(",\"attributes\":", p);
  p = WriteJsonString(user.attributes(), utf8, p);
  p = Lit(",\"is_online\":", p);
  p = Bool(user.is_online(), p);
  p = Lit(",\"is_notifiable\":", p);
  p = Bool(user.is_notifiable(), p);
  p = Lit(",\"date_created\":\"", p);
  p = WriteTwilioDate(user.date_created(), p);
  p = Lit("\",\"date_updated\":\"", p);
  p = WriteTwilioDate(user.date_updated(), p);
  // The user's URL is written once, then copied for the link.
  p = Lit("\",\"url\":\"", p);
  const char* const url = p;
  p = WriteJsonChars(base_url, Utf8::kUnchecked, p);
  if (path == ConversationsPath::kService) {
    p = Lit("/Services/", p);
    p = WriteJsonChars(user.service_sid(), Utf8::kUnchecked, p);
  }
  p = Lit("/Users/", p);
  p = WriteJsonChars(user.sid(), Utf8::kUnchecked, p);
  const auto url_size = static_cast<size_t>(p - url);
  p = Lit("\",\"links\":{\"user_conversations\":\"", p);
  std::memcpy(p, url, url_size);
  p += url_size;
  p = Lit("/Conversations\"}}", p);
  out->Commit(p);
}

void AppendConversationsUsersPage(const Page& links, std::string_view service_sid,
                                  std::string_view base_url, ConversationsPath path,
                                  std::string_view users, JsonBuf* out) {
  const std::string list_url =
      path == ConversationsPath::kService
          ? absl::StrCat(Av(base_url), "/Services/", Av(service_sid), "/Users")
          : absl::StrCat(Av(base_url), "/Users");
  out->Append("{");
  AppendListMetaAt(list_url, links.page, links.page_size, links.page_token,
                   links.previous_page_token, links.next_page_token, "users", out);
  out->Append(",\"users\":[");
  out->Append(users);
  out->Append("]}");
}

}  // namespace internal

void AppendConversationsUserJson(const UserView& user, std::string_view base_url,
                                 ConversationsPath path, std::string* out) {
  internal::JsonBuf buf(out);
  internal::AppendConversationsUser(user, base_url, path, internal::Utf8::kUnchecked, &buf);
}

std::string ConversationsUserJson(const UserView& user, std::string_view base_url,
                                  ConversationsPath path) {
  std::string out;
  AppendConversationsUserJson(user, base_url, path, &out);
  return out;
}

std::string ConversationsUserJson(const User& user, std::string_view base_url,
                                  ConversationsPath path) {
  return ConversationsUserJson(UserView(user), base_url, path);
}

std::string ConversationsPageJson(const Page& page, std::string_view service_sid,
                                  std::string_view base_url, ConversationsPath path) {
  std::string users;
  {
    internal::JsonBuf buf(&users);
    for (const User& user : page.users) {
      if (buf.length() > 0) buf.Append(",");
      internal::AppendConversationsUser(UserView(user), base_url, path, internal::Utf8::kUnchecked,
                                        &buf);
    }
  }
  std::string out;
  internal::JsonBuf buf(&out);
  internal::AppendConversationsUsersPage(page, service_sid, base_url, path, users, &buf);
  buf.Finish();
  return out;
}

std::string ConfigurationJson(const Configuration& configuration, std::string_view base_url) {
  const absl::string_view base(base_url.data(), base_url.size());
  // An unset field is null (the schema's fields are all nullable).
  auto member = [](internal::JsonWriter* w, std::string_view key, const std::string& value) {
    w->Key(key);
    if (value.empty()) {
      w->Null();
    } else {
      w->String(value);
    }
  };
  internal::JsonWriter w;
  w.BeginObject();
  member(&w, "account_sid", configuration.account_sid);
  member(&w, "default_chat_service_sid", configuration.default_chat_service_sid);
  member(&w, "default_messaging_service_sid", configuration.default_messaging_service_sid);
  member(&w, "default_inactive_timer", configuration.default_inactive_timer);
  member(&w, "default_closed_timer", configuration.default_closed_timer);
  w.Member("url", absl::StrCat(base, "/Configuration"));
  w.Key("links");
  w.BeginObject();
  member(&w, "service",
         configuration.default_chat_service_sid.empty()
             ? std::string()
             : absl::StrCat(base, "/Services/", configuration.default_chat_service_sid,
                            "/Configuration"));
  w.Member("webhooks", absl::StrCat(base, "/Configuration/Webhooks"));
  w.EndObject();
  w.EndObject();
  return w.Release();
}

}  // namespace userstore

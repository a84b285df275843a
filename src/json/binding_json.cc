// The Binding renderers of include/userstore/json.h (BindingJson,
// UserBindingJson, BindingPageJson) and json/binding_render.h.
//
// Key orders: the examples of twilio_chat_v2.json (twilio/twilio-oai):
// "fetch" and "readFull" of /v2/Services/{ServiceSid}/Bindings[/{Sid}] for a
// Binding, of /v2/Services/{ServiceSid}/Users/{UserSid}/Bindings[/{Sid}] for
// a User Binding; "meta" as every Chat v2 list's.
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "json/binding_render.h"
#include "json/json_writer.h"
#include "userstore/json.h"
#include "userstore/page.h"

namespace userstore {
namespace internal {

std::string_view BindingTypeName(BindingType type) {
  switch (type) {
    case BindingType::kApn:
      return "apn";
    case BindingType::kGcm:
      return "gcm";
    case BindingType::kFcm:
      return "fcm";
  }
  return "apn";
}

std::optional<BindingType> ParseBindingType(std::string_view name) {
  for (BindingType type : {BindingType::kApn, BindingType::kGcm, BindingType::kFcm}) {
    if (name == BindingTypeName(type)) return type;
  }
  return std::nullopt;
}

std::string PercentEncode(std::string_view text) {
  const boost::urls::string_view view(text.data(), text.size());
  return boost::urls::encode(view, boost::urls::unreserved_chars);
}

}  // namespace internal

namespace {

using internal::JsonWriter;

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

std::string ServiceUrl(std::string_view base_url, std::string_view service_sid) {
  return absl::StrCat(Av(base_url), "/Services/", Av(service_sid));
}

// The members both shapes share, up to "identity"; `user_sid` (the User
// Binding's) then comes right after it.
void WriteBinding(const Binding& b, std::string_view base_url, bool user_binding, JsonWriter* w) {
  const std::string service_url = ServiceUrl(base_url, b.service_sid);
  w->BeginObject();
  w->Member("sid", b.sid);
  w->Member("account_sid", b.account_sid);
  w->Member("service_sid", b.service_sid);
  w->Member("date_created", FormatTwilioDate(b.date_created));
  w->Member("date_updated", FormatTwilioDate(b.date_updated));
  w->Member("endpoint", b.endpoint);
  w->Member("identity", b.identity);
  if (user_binding) w->Member("user_sid", b.user_sid);
  w->Member("binding_type", internal::BindingTypeName(b.binding_type));
  w->Key("credential_sid");
  if (b.credential_sid.empty()) {
    w->Null();
  } else {
    w->String(b.credential_sid);
  }
  w->Key("message_types");
  w->BeginArray();
  for (const std::string& type : b.message_types) w->String(type);
  w->EndArray();
  if (user_binding) {
    w->Member("url", absl::StrCat(service_url, "/Users/", b.user_sid, "/Bindings/", b.sid));
  } else {
    w->Member("url", absl::StrCat(service_url, "/Bindings/", b.sid));
    w->Key("links");
    w->BeginObject();
    w->Member("user", absl::StrCat(service_url, "/Users/", internal::PercentEncode(b.identity)));
    w->EndObject();
  }
  w->EndObject();
}

// "{list_url}?{filters}PageSize=N&Page=P[&PageToken=T]".
std::string PageUrl(std::string_view list_url, std::string_view filters, int64_t page_size,
                    int64_t page, std::string_view token) {
  std::string url =
      absl::StrCat(Av(list_url), "?", Av(filters), "PageSize=", page_size, "&Page=", page);
  if (!token.empty()) absl::StrAppend(&url, "&PageToken=", internal::PercentEncode(token));
  return url;
}

}  // namespace

std::string BindingJson(const Binding& binding, std::string_view base_url) {
  JsonWriter w;
  WriteBinding(binding, base_url, /*user_binding=*/false, &w);
  return w.Release();
}

std::string UserBindingJson(const Binding& binding, std::string_view base_url) {
  JsonWriter w;
  WriteBinding(binding, base_url, /*user_binding=*/true, &w);
  return w.Release();
}

std::string BindingPageJson(const BindingPage& page, std::string_view service_sid,
                            const BindingListRequest& list, std::string_view base_url) {
  const bool user_list = !list.user_key.empty();
  std::string list_url = ServiceUrl(base_url, service_sid);
  if (user_list) absl::StrAppend(&list_url, "/Users/", internal::PercentEncode(list.user_key));
  absl::StrAppend(&list_url, "/Bindings");
  std::string filters;
  for (BindingType type : list.binding_types) {
    absl::StrAppend(&filters, "BindingType=", Av(internal::BindingTypeName(type)), "&");
  }
  if (!user_list) {
    for (const std::string& identity : list.identities) {
      absl::StrAppend(&filters, "Identity=", internal::PercentEncode(identity), "&");
    }
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("meta");
  w.BeginObject();
  w.MemberInt("page", page.page);
  w.MemberInt("page_size", page.page_size);
  w.Member("first_page_url", PageUrl(list_url, filters, page.page_size, 0, ""));
  w.Key("previous_page_url");
  if (page.previous_page_token.empty()) {
    w.Null();
  } else {
    w.String(PageUrl(list_url, filters, page.page_size, page.page > 0 ? page.page - 1 : 0,
                     page.previous_page_token));
  }
  w.Member("url", PageUrl(list_url, filters, page.page_size, page.page, page.page_token));
  w.Key("next_page_url");
  // No index follows kMaxPageIndex (as for users: page + 1 never overflows).
  if (page.next_page_token.empty() || page.page >= kMaxPageIndex) {
    w.Null();
  } else {
    w.String(PageUrl(list_url, filters, page.page_size, page.page + 1, page.next_page_token));
  }
  w.Member("key", "bindings");
  w.EndObject();
  w.Key("bindings");
  w.BeginArray();
  for (const Binding& binding : page.bindings) WriteBinding(binding, base_url, user_list, &w);
  w.EndArray();
  w.EndObject();
  return w.Release();
}

}  // namespace userstore

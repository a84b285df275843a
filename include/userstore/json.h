// Twilio-shaped JSON rendering of users, pages, services, roles, push
// Bindings and errors (Chat v2), of users, pages and the Configuration of
// Conversations v1, and of change-feed events.
//
// Output is compact UTF-8 JSON with keys in Twilio's order (docs/json.md,
// and the examples of https://www.twilio.com/docs/chat/rest/user-resource):
// a single user's
// `joined_channels_count` comes before `date_created`; in list items it comes
// after `date_updated`, as in Twilio's fixtures. Dates are
// YYYY-MM-DDTHH:MM:SSZ (UTC). URLs are absolute, built from `base_url`
// (no trailing slash, e.g. https://chat.twilio.com/v2) and the SIDs.
// Thread-safe (pure functions). O(size of the output).
#ifndef USERSTORE_JSON_H_
#define USERSTORE_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "userstore/binding.h"
#include "userstore/configuration.h"
#include "userstore/export.h"
#include "userstore/page.h"
#include "userstore/service.h"
#include "userstore/user.h"
#include "userstore/user_view.h"

namespace userstore {

// Twilio's date format: "2016-03-24T21:05:19Z" (UTC; a fraction of a
// second is dropped). Years 1000-9999 print as four digits; other times as
// absl::FormatTime's "%Y-%m-%dT%H:%M:%SZ" prints them (years unpadded, e.g.
// "999-12-31T23:59:59Z"; "infinite-future" / "infinite-past").
USERSTORE_EXPORT std::string FormatTwilioDate(absl::Time t);

// One user, as a fetch / create / update response body.
USERSTORE_EXPORT std::string UserJson(const User& user, std::string_view base_url);

// The same body from a view (user_view.h): byte for byte what UserJson(User)
// renders for the user the view shows (UserJson(User) renders through
// UserView(user)). With Store::ReadUser a host renders a stored user with no
// copy of it: call it inside the visitor, which is where the view is valid.
// The append form adds the body to the end of `*out` (reusing its capacity;
// nothing else in `*out` changes). Texts are escaped as JsonQuote does;
// runs of bytes that need no escape are copied whole.
USERSTORE_EXPORT std::string UserJson(const UserView& user, std::string_view base_url);
USERSTORE_EXPORT void AppendUserJson(const UserView& user, std::string_view base_url,
                                     std::string* out);

// A list response: {"meta": {...}, "users": [...]}. `service_sid` builds the
// paging URLs: {base}/Services/{IS}/Users?PageSize=N&Page=P[&PageToken=T].
USERSTORE_EXPORT std::string PageJson(const Page& page, std::string_view service_sid,
                                      std::string_view base_url);

// Twilio's Service and Role bodies (the fields userstore models), and the
// Roles list ({"meta": {... "key": "roles"}, "roles": [...]}, one page).
USERSTORE_EXPORT std::string ServiceJson(const Service& service, std::string_view base_url);
USERSTORE_EXPORT std::string RoleJson(const Role& role, std::string_view base_url);
USERSTORE_EXPORT std::string RolesPageJson(const std::vector<Role>& roles,
                                           std::string_view service_sid, std::string_view base_url);

// ---- Conversations v1 (https://www.twilio.com/docs/conversations/api/user-resource)
//
// A user as Twilio's Conversations API shows it (conversations.v1.user and
// conversations.v1.service.service_user in twilio_conversations_v1.json;
// twilio-python's conversations/v1/user and service/user modules), keys in
// the order of the OpenAPI examples:
//   {"sid","account_sid","chat_service_sid","role_sid","identity",
//    "friendly_name","attributes","is_online","is_notifiable",
//    "date_created","date_updated","url","links":{"user_conversations"}}
// chat_service_sid is the user's service_sid; there is no
// joined_channels_count, and a list item has the same keys in the same
// order (presence null there, as the Store's list items have it). `base_url`
// is the Conversations base (StoreOptions::conversations_base_url, e.g.
// https://conversations.twilio.com/v1). Dates and escaping as UserJson's.

// Which URLs a Conversations user body names (Twilio's examples): the
// Service's, {base}/Services/{IS}/Users/{US} (the /v1/Services/{IS}/Users
// routes), or the account's default Service's, {base}/Users/{US} (the
// /v1/Users routes). links.user_conversations is url + "/Conversations".
enum class ConversationsPath { kService, kAccount };

USERSTORE_EXPORT std::string ConversationsUserJson(
    const User& user, std::string_view base_url,
    ConversationsPath path = ConversationsPath::kService);
USERSTORE_EXPORT std::string ConversationsUserJson(
    const UserView& user, std::string_view base_url,
    ConversationsPath path = ConversationsPath::kService);
// Appends the body to `*out`, as AppendUserJson does.
USERSTORE_EXPORT void AppendConversationsUserJson(const UserView& user, std::string_view base_url,
                                                  ConversationsPath path, std::string* out);

// A Conversations list response: {"meta": {...}, "users": [...]}, meta as
// PageJson's (page, page_size, first_page_url, previous_page_url, url,
// next_page_url, key "users"), its URLs {base}/Services/{IS}/Users?... or,
// for ConversationsPath::kAccount, {base}/Users?... (then `service_sid` is
// not shown).
USERSTORE_EXPORT std::string ConversationsPageJson(
    const Page& page, std::string_view service_sid, std::string_view base_url,
    ConversationsPath path = ConversationsPath::kService);

// Twilio's Configuration resource
// (https://www.twilio.com/docs/conversations/api/configuration-resource):
//   {"account_sid","default_chat_service_sid","default_messaging_service_sid",
//    "default_inactive_timer","default_closed_timer","url",
//    "links":{"service","webhooks"}}
// in the order of twilio_conversations_v1.json's examples; an empty field is
// null; url is {base}/Configuration, links.service
// {base}/Services/{default_chat_service_sid}/Configuration (null without a
// default Service) and links.webhooks {base}/Configuration/Webhooks.
// `base_url` is the Conversations base.
USERSTORE_EXPORT std::string ConfigurationJson(const Configuration& configuration,
                                               std::string_view base_url);

// Twilio's Chat v2 Binding, as GET /Services/{IS}/Bindings/{BS} returns it
// and as a Service-level list item (twilio_chat_v2.json, schema
// chat.v2.service.binding; key order of its "fetch" and "readFull"
// examples): {"sid","account_sid","service_sid","date_created",
// "date_updated","endpoint","identity","binding_type","credential_sid",
// "message_types":[...],"url":"{base}/Services/{IS}/Bindings/{BS}",
// "links":{"user":"{base}/Services/{IS}/Users/{identity}"}}. The user link
// names the user by identity, as Twilio's examples do, percent-encoded
// (every byte but A-Z a-z 0-9 - . _ ~), so it is one path segment whatever
// the identity holds. credential_sid "" renders as null; binding_type as
// "apn", "gcm" or "fcm". Texts are escaped as JsonQuote does. O(size).
USERSTORE_EXPORT std::string BindingJson(const Binding& binding, std::string_view base_url);

// Twilio's Chat v2 User Binding, as GET
// /Services/{IS}/Users/{UserSid}/Bindings/{BS} returns it and as a user's
// list item (schema chat.v2.service.user.user_binding, its examples' key
// order): BindingJson's fields with "user_sid" after "identity", no
// "links", and "url":"{base}/Services/{IS}/Users/{US}/Bindings/{BS}" (the
// user by SID, as Twilio's examples). O(size).
USERSTORE_EXPORT std::string UserBindingJson(const Binding& binding, std::string_view base_url);

// A Bindings list response: {"meta":{"page","page_size","first_page_url",
// "previous_page_url","url","next_page_url","key":"bindings"},
// "bindings":[...]} (Twilio's ListBindingResponse / ListUserBindingResponse
// examples). With `list.user_key` empty it is the Service's list: items are
// BindingJson and the URLs {base}/Services/{service_sid}/Bindings?...;
// otherwise one user's: items are UserBindingJson and the URLs
// {base}/Services/{service_sid}/Users/{user_key}/Bindings?... (user_key
// percent-encoded as BindingJson's user link; pass the SID in lowercase or
// the identity). Each URL's query is the list's filters, then the paging:
// BindingType=<name> per list.binding_types entry, Identity=<value> per
// list.identities entry (Service list only), in their order, values
// percent-encoded; then PageSize=N&Page=P[&PageToken=T]. The filters are
// kept in every link because the page tokens are bound to them
// (Store::ListBindings): a link followed verbatim is served. previous is
// null without a previous token; next is null without a next token or at
// page kMaxPageIndex. O(size).
USERSTORE_EXPORT std::string BindingPageJson(const BindingPage& page, std::string_view service_sid,
                                             const BindingListRequest& list,
                                             std::string_view base_url);

// One change-feed event (events.h, UserEvent) as `userstore events` prints
// it (docs/cli.md, "events"), compact, keys in this order:
//   {"sequence":N,"service_sid":"IS…","type":"user.added"|"user.updated"|
//    "user.removed","time":"2026-03-24T21:05:19.123456Z" (RFC 3339, UTC,
//    microseconds),"changed":["role_sid","attributes","friendly_name",
//    "is_online","is_notifiable","joined_channels_count"] (the user_field
//    bits set, in that order),"webhook_enabled":B,"origin":"server"|
//    "client"|"import","user":UserJson(event.user)}
// The type names follow Conversations' Event Streams types
// (com.twilio.conversations.user.added / .updated) without the prefix;
// user.removed is userstore's. O(size of the user).
USERSTORE_EXPORT std::string EventJson(const UserEvent& event, std::string_view base_url);

// Twilio's error body: {"code": C, "message": "...", "more_info":
// "https://www.twilio.com/docs/errors/C", "status": S}, C and S from
// TwilioCode() / HttpStatus(). REQUIRES: !status.ok().
USERSTORE_EXPORT std::string ErrorJson(const absl::Status& status);

// `text` as a JSON string literal, quotes included: `"`, `\` and
// U+0000..U+001F escaped (RFC 8259 §7), every other byte copied. Invalid
// UTF-8 never makes invalid JSON: each maximal ill-formed subpart becomes
// \ufffd (Unicode 15 §3.9) and the valid text around it is kept. For hosts
// that wrap the facade's bodies in JSON of their own (as `userstore stdio`
// does). Thread-safe; O(|text|).
USERSTORE_EXPORT std::string JsonQuote(std::string_view text);

}  // namespace userstore

#endif  // USERSTORE_JSON_H_

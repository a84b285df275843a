// Network-free REST facade: Twilio's HTTP APIs for Users over a Store, Chat v2
// and Conversations v1 on the same users.
//
// A host's HTTP server hands each request to RestFacade::Handle and writes the
// returned Response back; no sockets are involved. Served, Chat v2 (paths
// below the path of StoreOptions::base_url, "/v2" by default):
//   POST   /v2/Services/{IS}/Users            create (form body)      201
//   GET    /v2/Services/{IS}/Users            list (PageSize, Page, PageToken)
//   GET    /v2/Services/{IS}/Users/{key}      fetch (key: SID or identity)
//   POST   /v2/Services/{IS}/Users/{key}      update (form body)
//   DELETE /v2/Services/{IS}/Users/{key}      delete                  204
//   GET    /v2/Services/{IS}                  the Service
//   GET    /v2/Services/{IS}/Roles            the Service's roles
//   GET    /v2/Services/{IS}/Bindings         push Bindings (filters
//                                             BindingType, Identity, each
//                                             repeatable; paging as users)
//   GET    /v2/Services/{IS}/Bindings/{BS}    fetch a Binding
//   DELETE /v2/Services/{IS}/Bindings/{BS}    delete                  204
//   GET    /v2/Services/{IS}/Users/{key}/Bindings       the user's
//                                             Bindings (filter BindingType)
//   GET    /v2/Services/{IS}/Users/{key}/Bindings/{BS}  fetch
//   DELETE /v2/Services/{IS}/Users/{key}/Bindings/{BS}  delete    204
// (Twilio's Binding and User Binding resources; json.h's BindingJson,
// UserBindingJson, BindingPageJson.)
// Conversations v1 (paths below the path of
// StoreOptions::conversations_base_url, "/v1" by default), on the same
// Services and users, with Conversations' JSON (json.h,
// ConversationsUserJson):
//   POST   /v1/Services/{IS}/Users            create (form body)      201
//   GET    /v1/Services/{IS}/Users            list (PageSize max 50)
//   GET    /v1/Services/{IS}/Users/{key}      fetch
//   POST   /v1/Services/{IS}/Users/{key}      update
//   DELETE /v1/Services/{IS}/Users/{key}      delete                  204
//   ...    /v1/Users, /v1/Users/{key}         the same on the Service named
//                                             by the Configuration's
//                                             default_chat_service_sid (none:
//                                             404/20404)
//   GET    /v1/Configuration                  ConfigurationJson
//   POST   /v1/Configuration                  update (DefaultChatServiceSid,
//                                             DefaultMessagingServiceSid,
//                                             DefaultInactiveTimer,
//                                             DefaultClosedTimer)
// X-Twilio-Webhook-Enabled is read on a Conversations delete too. Page
// tokens are bound to the API (page.h, PageApi): one minted by one API's
// list is 400/20001 on the other's. A user's Conversations
// (links.user_conversations) and /v1 Roles are not served (404/20404):
// userstore keeps no conversations, and its roles are Chat's. 404 messages
// name a Chat path without its base ("/Services/..."), a Conversations path
// with it ("/v1/Services/..."), as Twilio's do.
// HEAD is served wherever GET is: GET's status and headers, no body (RFC 9110
// §9.3.2).
// The path is split into segments before each is percent-decoded once (so
// Users/team%2Falice is identity "team/alice"); form bodies are
// application/x-www-form-urlencoded ('+' is a space). Unknown paths get
// 404/20404, known paths with another method 405/20001. Errors carry Twilio's
// error body (json.h, ErrorJson).
//
// userstore's additions, which Twilio's clients never trigger (their requests
// get the same status and body as without them):
//   - ETag: every single-user response (fetch, HEAD of a fetch, create,
//     update) carries `ETag: "<revision>"`, a strong entity-tag of
//     User::revision in decimal. Lists, errors and 204s carry none.
//   - If-Match on update (POST .../Users/{key}) and DELETE: `"<revision>"`
//     makes the write conditional (UserUpdate::if_revision, DeleteUser's
//     if_revision): a mismatch is 412/20412 and changes nothing; `*` is no
//     precondition; any other value is 400/20001. Other requests ignore it.
//   - Extension parameters, off unless FacadeOptions::enable_extensions:
//     form parameters named with the prefix "X-Userstore-", which no Twilio
//     parameter can have (Twilio's are PascalCase letters), and the
//     Binding registration route (POST .../Users/{key}/Bindings), where
//     Twilio answers 405. See FacadeOptions.
//
// Source: Twilio's User resources
// (https://www.twilio.com/docs/chat/rest/user-resource,
// https://www.twilio.com/docs/conversations/api/user-resource), the Chat
// Binding and User Binding resources (https://www.twilio.com/docs/chat/rest/
// binding-resource, .../user-binding-resource; twilio_chat_v2.json) and the
// Conversations Configuration resource
// (https://www.twilio.com/docs/conversations/api/configuration-resource);
// the rules in full, the additions included ("ETag and If-Match",
// "Extensions"), are docs/rest.md; Conversations and Bindings beside
// Twilio's, docs/compatibility.md.
//
// Thread-safety: Handle is thread-safe; the facade holds no mutable state of
// its own. The Store must outlive the facade.
#ifndef USERSTORE_REST_H_
#define USERSTORE_REST_H_

#include <string>
#include <utility>
#include <vector>

#include "userstore/export.h"
#include "userstore/store.h"

namespace userstore {

struct Request {
  std::string method;  // "GET", "HEAD", "POST", "DELETE" (case-sensitive, as HTTP)
  std::string target;  // raw request target: path plus optional "?query"
  // Header names are matched case-insensitively; values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // raw body bytes
};

struct Response {
  int status = 200;  // HTTP status
  // Header fields for the host to send, in order: first
  // "Content-Type: application/json; charset=utf-8" unless the status is 204
  // (a 204 has no headers); then "ETag: \"<revision>\"" on a single user's
  // 200 / 201; "Allow" on a 405. A HEAD response keeps GET's headers,
  // Content-Type and ETag included, with an empty body.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // Twilio JSON, or empty (204)
};

struct FacadeOptions {
  // Development convenience: a well-formed but unknown Service SID in the
  // path of a write (POST) is registered (with its default roles) before the
  // write instead of 404. Reads (GET, HEAD) and DELETE never create one: an
  // unknown Service is 404/20404 for them. Bounded by
  // Limits::max_services (past it: 403/20403).
  bool auto_create_services = false;

  // userstore's REST extensions (docs/rest.md, "Extensions"). Off (the
  // default), extension parameters are ignored as Twilio ignores unknown
  // parameters, so every request is served exactly as Twilio's API would.
  // On, they are read. Each is a form parameter named "X-Userstore-<Name>"
  // (case-sensitive, as every parameter); today:
  //   X-Userstore-AttributesPatch  update only (POST .../Users/{key}): an
  //     RFC 7396 JSON merge patch of the attributes, applied under the
  //     user's lock (UserUpdate::attributes_patch; docs/json.md). Errors:
  //     400/20001 given with Attributes; 400/50304 not valid JSON, a number
  //     out of range, or nested deeper than Limits::max_attributes_depth;
  //     400/50303 a result over Limits::max_attributes_bytes; 400/50304 a
  //     result that is not a JSON object. Ignored by a create.
  // and one route Twilio does not serve (it answers 405 there, as the
  // facade does with extensions off):
  //   POST /v2/Services/{IS}/Users/{key}/Bindings registers a push Binding
  //     for the user (Store::RegisterBinding), as Twilio's client SDK does:
  //     form BindingType (required: apn, gcm or fcm), Address (required:
  //     the device token, Notify's name for it), CredentialSid, MessageTypes
  //     (repeatable). 201 and the User Binding for a new Binding, 200 when
  //     the user's Binding of that type and address was updated. Errors:
  //     400/20001 BindingType or Address missing, BindingType not one of
  //     the three, and Store::RegisterBinding's (404, 400, 403/20403).
  bool enable_extensions = false;
};

class USERSTORE_EXPORT RestFacade {
 public:
  // REQUIRES: store != nullptr and outlives the facade.
  explicit RestFacade(Store* store, FacadeOptions options = {});

  // Serves one request. Never throws; every failure is a Twilio error
  // response (4xx). Complexity: that of the Store operation plus
  // O(|target| + |body|) decoding and O(response) rendering.
  Response Handle(const Request& request) const;

 private:
  Store* store_;
  FacadeOptions options_;
  // The decoded path segments of the Store's base_url, computed once (e.g.
  // {"v2"} for https://chat.twilio.com/v2).
  std::vector<std::string> base_segments_;
  // The same of its conversations_base_url ({"v1"}), and their text ("/v1").
  std::vector<std::string> conversations_segments_;
  std::string conversations_prefix_;
};

}  // namespace userstore

#endif  // USERSTORE_REST_H_

// The REST facade's push Binding routes (Twilio's Chat v2 Binding and User
// Binding resources) over Store::ListBindings / FetchBinding /
// DeleteBinding / RegisterBinding; facade.cc routes them here.
//
//   GET    Services/{IS}/Bindings               list (BindingType, Identity
//                                               filters, each repeatable)
//   GET    Services/{IS}/Bindings/{BS}          fetch   (BindingJson)
//   DELETE Services/{IS}/Bindings/{BS}          delete  204
//   GET    Services/{IS}/Users/{key}/Bindings   list (BindingType filter)
//   GET    Services/{IS}/Users/{key}/Bindings/{BS}   fetch (UserBindingJson)
//   DELETE Services/{IS}/Users/{key}/Bindings/{BS}   delete 204
//   POST   Services/{IS}/Users/{key}/Bindings   register (extension: only
//          with FacadeOptions::enable_extensions; form BindingType, Address,
//          CredentialSid, MessageTypes repeatable) 201 new / 200 updated
//
// Order of checks (docs/rest.md): the facade has matched the route and the
// method; then the Service (404), then the query or body (400), then the
// Store's call (its 404 for an unknown user or Binding, its 400s, 403 at
// Limits::max_bindings_per_user). Sources: twilio_chat_v2.json
// (twilio/twilio-oai) and python3-twilio's chat/v2/service/binding.py and
// service/user/user_binding.py; for the registration form, Notify's
// Binding create (notify/v1/service/binding.py: BindingType, Address,
// CredentialSid). Thread-safe (no state).
#ifndef USERSTORE_SRC_REST_BINDING_ROUTES_H_
#define USERSTORE_SRC_REST_BINDING_ROUTES_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "rest/form.h"
#include "rest/router.h"
#include "userstore/rest.h"
#include "userstore/store.h"

namespace userstore::internal {

// The registration form's parameter names (the extension's).
inline constexpr std::string_view kBindingTypeParam = "BindingType";
inline constexpr std::string_view kAddressParam = "Address";
inline constexpr std::string_view kCredentialSidParam = "CredentialSid";
inline constexpr std::string_view kMessageTypesParam = "MessageTypes";

// Serves `request` on its Binding route. `query` is the request target's
// decoded query. Returns the response of a success, or the error for the
// facade to render (naming the resource as addressed). Errors: 404/20404
// unknown Service, user or Binding; 400/20001 bad PageSize / Page /
// PageToken (params.h), a BindingType that is not apn, gcm or fcm, a
// registration without BindingType or Address, and the Store's 400s; 403/20403
// the user holds Limits::max_bindings_per_user Bindings; 501/20501 a shared
// Store. REQUIRES: route.kind is kBindings, kBinding, kUserBindings or
// kUserBinding, and MethodAllowed(route.kind, request.method, extensions)
// held (a POST reaches here only with FacadeOptions::enable_extensions).
// O(the Store call + the response).
absl::StatusOr<Response> ServeBindingRoute(Store* store, const Request& request,
                                           const FormParams& query, const Route& route);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_BINDING_ROUTES_H_

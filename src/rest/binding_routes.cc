#include "rest/binding_routes.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "json/binding_render.h"
#include "rest/params.h"
#include "sid/sid.h"
#include "userstore/binding.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore::internal {
namespace {

constexpr char kJsonContentType[] = "application/json; charset=utf-8";

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

Response JsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", kJsonContentType);
  response.body = std::move(body);
  return response;
}

absl::Status MissingParameter(std::string_view name) {
  return BadRequest(twilio_code::kInvalidParameter,
                    absl::StrCat("Missing required parameter ", Av(name), " in the post body"));
}

absl::Status InvalidBindingType() {
  return BadRequest(twilio_code::kInvalidParameter,
                    "Invalid BindingType: must be one of apn, gcm, fcm");
}

// `key` as a list URL names the user: a User SID in lowercase (the Store's
// spelling), an identity as it is (BindingPageJson percent-encodes it).
std::string CanonicalUserKey(std::string_view key) {
  if (std::optional<SidBytes> sid = ParseSid(key, "US")) return FormatSid("US", *sid);
  return std::string(key);
}

class BindingHandler {
 public:
  BindingHandler(Store* store, const Request& request, const FormParams& query, const Route& route)
      : store_(store),
        request_(request),
        query_(query),
        route_(route),
        user_route_(route.kind == RouteKind::kUserBindings ||
                    route.kind == RouteKind::kUserBinding),
        base_url_(store->options().base_url) {}

  absl::StatusOr<Response> Serve() {
    const std::string& method = request_.method;
    if (route_.kind == RouteKind::kBindings || route_.kind == RouteKind::kUserBindings) {
      if (method == "POST") return Register();
      return List();  // GET or HEAD (handled as GET)
    }
    if (method == "DELETE") return Delete();
    return Fetch();
  }

 private:
  // The user key the Store calls take: empty on the Service's routes.
  std::string_view UserKey() const { return user_route_ ? route_.user_key : std::string_view(); }

  // A check the facade makes before the Store call comes after the
  // Service's (docs/rest.md, "Order of checks"): its failure is answered
  // only once the Service is known to exist.
  absl::Status ServiceFirst(absl::Status error) const {
    absl::StatusOr<Service> service = store_->FetchService(route_.service_sid);
    if (!service.ok()) return service.status();
    return error;
  }

  absl::StatusOr<Response> List() {
    absl::StatusOr<PageRequest> paging = ParsePageRequest(query_);
    if (!paging.ok()) return ServiceFirst(paging.status());
    BindingListRequest list;
    list.user_key = std::string(UserKey());
    for (std::string_view name : FindAllParams(query_, kBindingTypeParam)) {
      std::optional<BindingType> type = ParseBindingType(name);
      if (!type.has_value()) return ServiceFirst(InvalidBindingType());
      list.binding_types.push_back(*type);
    }
    // Identity filters the Service's list only (Twilio's ListUserBinding has
    // none: there it is an unknown parameter, ignored).
    if (!user_route_) {
      for (std::string_view identity : FindAllParams(query_, "Identity")) {
        list.identities.emplace_back(identity);
      }
    }
    list.page_size = paging->page_size;
    list.page = paging->page;
    list.page_token = std::move(paging->page_token);
    USERSTORE_ASSIGN_OR_RETURN(BindingPage page, store_->ListBindings(route_.service_sid, list));
    // The links name the Service and the user as the Store spells their
    // SIDs (the path may use uppercase hex); the Store found the Service,
    // so its SID parses.
    const std::string service_sid = FormatSid("IS", ParseSid(route_.service_sid, "IS").value());
    if (user_route_) list.user_key = CanonicalUserKey(route_.user_key);
    return JsonResponse(200, BindingPageJson(page, service_sid, list, base_url_));
  }

  absl::StatusOr<Response> Fetch() {
    USERSTORE_ASSIGN_OR_RETURN(
        Binding binding, store_->FetchBinding(route_.service_sid, UserKey(), route_.binding_sid));
    return JsonResponse(
        200, user_route_ ? UserBindingJson(binding, base_url_) : BindingJson(binding, base_url_));
  }

  absl::StatusOr<Response> Delete() {
    USERSTORE_RETURN_IF_ERROR(
        store_->DeleteBinding(route_.service_sid, UserKey(), route_.binding_sid));
    Response response;  // 204: no body, so no Content-Type
    response.status = 204;
    return response;
  }

  // The registration extension: what Twilio's client SDK registers, in the
  // form Notify's Binding create takes.
  absl::StatusOr<Response> Register() {
    absl::StatusOr<FormParams> form = ParseForm(request_.body, kMaxParams);
    if (!form.ok()) return ServiceFirst(form.status());
    std::optional<std::string_view> type_name = FindParam(*form, kBindingTypeParam);
    if (!type_name.has_value()) return ServiceFirst(MissingParameter(kBindingTypeParam));
    std::optional<BindingType> type = ParseBindingType(*type_name);
    if (!type.has_value()) return ServiceFirst(InvalidBindingType());
    std::optional<std::string_view> address = FindParam(*form, kAddressParam);
    if (!address.has_value()) return ServiceFirst(MissingParameter(kAddressParam));
    BindingCreate params;
    params.binding_type = *type;
    params.endpoint = std::string(*address);
    params.credential_sid = std::string(FindParam(*form, kCredentialSidParam).value_or(""));
    for (std::string_view message_type : FindAllParams(*form, kMessageTypesParam)) {
      params.message_types.emplace_back(message_type);
    }
    bool created = false;
    USERSTORE_ASSIGN_OR_RETURN(
        Binding binding,
        store_->RegisterBinding(route_.service_sid, route_.user_key, params, &created));
    return JsonResponse(created ? 201 : 200, UserBindingJson(binding, base_url_));
  }

  Store* const store_;
  const Request& request_;
  const FormParams& query_;
  const Route& route_;
  const bool user_route_;
  const std::string& base_url_;
};

}  // namespace

absl::StatusOr<Response> ServeBindingRoute(Store* store, const Request& request,
                                           const FormParams& query, const Route& route) {
  return BindingHandler(store, request, query, route).Serve();
}

}  // namespace userstore::internal

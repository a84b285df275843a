// RestFacade: routing and the handlers of the seven served (method, path)
// pairs. Parsing lives in target.h / form.h / params.h, routing in router.h;
// this file only sequences them and renders (json.h). Order of checks for
// every request (docs/rest.md): bounds → target syntax → route (404) →
// method (405) → Service (404, or auto-create) → parameters (400) → Store.
// HEAD is handled as GET and its body dropped at the end (RFC 9110 §9.3.2).
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "rest/form.h"
#include "rest/params.h"
#include "rest/router.h"
#include "rest/target.h"
#include "sid/sid.h"
#include "store/validate.h"
#include "userstore/attributes.h"
#include "userstore/error.h"
#include "userstore/json.h"
#include "userstore/rest.h"

namespace userstore {
namespace {

using internal::BadRequest;
using internal::FindParam;
using internal::FormParams;
using internal::NotFound;
using internal::Route;
using internal::RouteKind;
using internal::Target;

constexpr char kContentType[] = "Content-Type";
constexpr char kJsonContentType[] = "application/json; charset=utf-8";

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

Response JsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.emplace_back(kContentType, kJsonContentType);
  response.body = std::move(body);
  return response;
}

Response ErrorResponse(const absl::Status& status) {
  return JsonResponse(HttpStatus(status), ErrorJson(status));
}

absl::Status ResourceNotFound(std::string_view path) {
  return NotFound(absl::StrCat("The requested resource ", Av(path), " was not found"));
}

// A Store 404 names the resource in the Store's canonical spelling; Twilio's
// message names it as the client addressed it (decoded), e.g.
// "/Services/{IS}/Users/{key}". Other statuses pass through.
absl::Status AsAddressed(const absl::Status& status, const Route& route) {
  if (HttpStatus(status) == 404) return ResourceNotFound(route.resource_path);
  return status;
}

// Serves one routed request. Holds only references; lives for one Handle.
class Handler {
 public:
  Handler(Store* store, const FacadeOptions& options, const Request& request, const Target& target,
          const Route& route)
      : store_(store),
        options_(options),
        request_(request),
        target_(target),
        route_(route),
        base_url_(store->options().base_url) {}

  Response Serve() {
    absl::StatusOr<Service> service = ResolveService();
    if (!service.ok()) return ErrorResponse(AsAddressed(service.status(), route_));
    absl::StatusOr<Response> response = Dispatch(*service);
    if (!response.ok()) return ErrorResponse(AsAddressed(response.status(), route_));
    return *std::move(response);
  }

 private:
  // The path's Service; with auto_create_services, a create (POST to the
  // Users collection) in a well-formed unknown SID registers it first (a
  // concurrent creator winning the race is fine), once the create has passed
  // every check that does not need the Service: a request that fails creates
  // nothing. Reads, updates and deletes never create a Service.
  absl::StatusOr<Service> ResolveService() {
    absl::StatusOr<Service> service = store_->FetchService(route_.service_sid);
    if (service.ok() || HttpStatus(service.status()) != 404 || !options_.auto_create_services ||
        request_.method != "POST" || route_.kind != RouteKind::kUsers ||
        !internal::IsSidShaped(route_.service_sid, "IS")) {
      return service;
    }
    USERSTORE_RETURN_IF_ERROR(PrecheckCreateInNewService());
    ServiceCreate create;
    create.sid = route_.service_sid;
    service = store_->CreateService(create);
    if (service.ok() || service.status().code() != absl::StatusCode::kAlreadyExists) {
      return service;
    }
    return store_->FetchService(route_.service_sid);
  }

  // The checks of CreateUser that need no Service, in the order the Store
  // makes them; a RoleSid cannot name a role of a Service not yet made
  // (400/50100, as the create would answer).
  absl::Status PrecheckCreateInNewService() const {
    USERSTORE_ASSIGN_OR_RETURN(FormParams form, ParseBody());
    std::optional<std::string_view> identity = FindParam(form, "Identity");
    if (!identity.has_value()) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "Missing required parameter Identity in the post body");
    }
    USERSTORE_RETURN_IF_ERROR(internal::WebhookEnabled(request_.headers).status());
    const Limits& limits = store_->options().limits;
    USERSTORE_RETURN_IF_ERROR(internal::ValidateIdentity(*identity, limits));
    if (std::optional<std::string> name = Optional(form, "FriendlyName")) {
      USERSTORE_RETURN_IF_ERROR(internal::ValidateFriendlyName(*name, limits));
    }
    if (std::optional<std::string> attributes = Optional(form, "Attributes")) {
      USERSTORE_RETURN_IF_ERROR(ValidateAttributes(*attributes, limits));
    }
    if (std::optional<std::string> role = Optional(form, "RoleSid")) {
      if (!internal::ParseSid(*role, "RL")) {
        return BadRequest(twilio_code::kInvalidParameter,
                          "Invalid RoleSid: must match ^RL[0-9a-fA-F]{32}$");
      }
      return BadRequest(twilio_code::kRoleNotFound, "Role not found");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Response> Dispatch(const Service& service) {
    const std::string& method = request_.method;
    switch (route_.kind) {
      case RouteKind::kService:
        return JsonResponse(200, ServiceJson(service, base_url_));
      case RouteKind::kRoles:
        return ListRoles(service);
      case RouteKind::kUsers:  // GET or HEAD (handled as GET) otherwise
        if (method == "POST") return CreateUser(service);
        return ListUsers(service);
      case RouteKind::kUser:  // GET or HEAD otherwise
        if (method == "POST") return UpdateUser(service);
        if (method == "DELETE") return DeleteUser(service);
        return FetchUser(service);
    }
    return absl::InternalError("unreachable route");
  }

  absl::StatusOr<Response> ListRoles(const Service& service) {
    USERSTORE_ASSIGN_OR_RETURN(std::vector<Role> roles, store_->ListRoles(service.sid));
    return JsonResponse(200, RolesPageJson(roles, service.sid, base_url_));
  }

  absl::StatusOr<Response> ListUsers(const Service& service) {
    USERSTORE_ASSIGN_OR_RETURN(PageRequest page_request, internal::ParsePageRequest(target_.query));
    USERSTORE_ASSIGN_OR_RETURN(Page page, store_->ListUsers(service.sid, page_request));
    return JsonResponse(200, PageJson(page, service.sid, base_url_));
  }

  absl::StatusOr<Response> FetchUser(const Service& service) {
    USERSTORE_ASSIGN_OR_RETURN(User user, store_->FetchUser(service.sid, route_.user_key));
    return JsonResponse(200, UserJson(user, base_url_));
  }

  absl::StatusOr<Response> CreateUser(const Service& service) {
    USERSTORE_ASSIGN_OR_RETURN(FormParams form, ParseBody());
    std::optional<std::string_view> identity = FindParam(form, "Identity");
    if (!identity.has_value()) {
      return BadRequest(twilio_code::kInvalidParameter,
                        "Missing required parameter Identity in the post body");
    }
    UserCreate params;
    params.identity = std::string(*identity);
    params.role_sid = Optional(form, "RoleSid");
    params.attributes = Optional(form, "Attributes");
    params.friendly_name = Optional(form, "FriendlyName");
    USERSTORE_ASSIGN_OR_RETURN(params.webhook_enabled, internal::WebhookEnabled(request_.headers));
    USERSTORE_ASSIGN_OR_RETURN(User user, store_->CreateUser(service.sid, params));
    return JsonResponse(201, UserJson(user, base_url_));
  }

  absl::StatusOr<Response> UpdateUser(const Service& service) {
    USERSTORE_ASSIGN_OR_RETURN(FormParams form, ParseBody());
    UserUpdate params;
    params.role_sid = Optional(form, "RoleSid");
    params.attributes = Optional(form, "Attributes");
    params.friendly_name = Optional(form, "FriendlyName");
    USERSTORE_ASSIGN_OR_RETURN(params.webhook_enabled, internal::WebhookEnabled(request_.headers));
    USERSTORE_ASSIGN_OR_RETURN(User user, store_->UpdateUser(service.sid, route_.user_key, params));
    return JsonResponse(200, UserJson(user, base_url_));
  }

  absl::StatusOr<Response> DeleteUser(const Service& service) {
    USERSTORE_RETURN_IF_ERROR(store_->DeleteUser(service.sid, route_.user_key));
    Response response;  // 204: no body, so no Content-Type
    response.status = 204;
    return response;
  }

  absl::StatusOr<FormParams> ParseBody() const {
    return internal::ParseForm(request_.body, internal::kMaxParams);
  }

  static std::optional<std::string> Optional(const FormParams& form, std::string_view name) {
    std::optional<std::string_view> value = FindParam(form, name);
    if (!value.has_value()) return std::nullopt;
    return std::string(*value);
  }

  Store* const store_;
  const FacadeOptions& options_;
  const Request& request_;
  const Target& target_;
  const Route& route_;
  const std::string& base_url_;
};

Response HandleRequest(Store* store, const FacadeOptions& options,
                       const std::vector<std::string>& base, const Request& request) {
  if (absl::Status bounds =
          internal::CheckRequestBounds(request.target, request.body.size(), request.headers.size());
      !bounds.ok()) {
    return ErrorResponse(bounds);
  }
  absl::StatusOr<Target> target = internal::ParseTarget(request.target, internal::kMaxParams);
  if (!target.ok()) return ErrorResponse(target.status());

  std::optional<Route> route = internal::MatchRoute(target->segments, base);
  if (!route.has_value()) {
    return ErrorResponse(
        ResourceNotFound(internal::PathForNotFound(target->encoded_path, target->segments, base)));
  }
  if (!internal::MethodAllowed(route->kind, request.method)) {
    Response response = ErrorResponse(
        TwilioError(absl::StatusCode::kUnimplemented, 405, twilio_code::kInvalidParameter,
                    absl::StrCat("Method not allowed on ", Av(route->resource_path),
                                 " (allowed: ", Av(internal::AllowedMethods(route->kind)), ")")));
    response.headers.emplace_back("Allow", internal::AllowedMethods(route->kind));
    return response;
  }
  return Handler(store, options, request, *target, *route).Serve();
}

}  // namespace

RestFacade::RestFacade(Store* store, FacadeOptions options)
    : store_(store),
      options_(std::move(options)),
      // Store::Create accepted base_url as an absolute http(s) URL, which
      // BasePathSegments never refuses.
      base_segments_(internal::BasePathSegments(store->options().base_url)
                         .value_or(std::vector<std::string>{})) {}

Response RestFacade::Handle(const Request& request) const {
  Response response;
  try {
    response = HandleRequest(store_, options_, base_segments_, request);
  } catch (...) {  // allocation failure (std::bad_alloc); nothing else throws
    response = ErrorResponse(
        TwilioError(absl::StatusCode::kInternal, 500, twilio_code::kInternal, "Internal error"));
  }
  // RFC 9110 §9.3.2: HEAD is answered as GET (routed and handled as a GET
  // above), with the same status and headers and no content.
  if (request.method == "HEAD") response.body.clear();
  return response;
}

}  // namespace userstore

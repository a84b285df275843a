// RestFacade: routing and the handlers of the served (method, path) pairs,
// Chat v2's and Conversations v1's; the Binding routes are
// binding_routes.h's. Parsing lives in target.h / form.h / params.h,
// routing in router.h and conversations_router.h; this file only sequences
// them and renders (json.h). Order of checks for
// every request (docs/rest.md): bounds → target syntax → route (404) →
// method (405) → Service (404, or auto-create) → parameters and headers (400)
// → Store (its 404 before a precondition's 412).
// HEAD is handled as GET and its body dropped at the end (RFC 9110 §9.3.2).
#include <cstdint>
#include <exception>
#include <new>
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
#include "json/render.h"
#include "rest/binding_routes.h"
#include "rest/conditional.h"
#include "rest/conversations_router.h"
#include "rest/form.h"
#include "rest/params.h"
#include "rest/router.h"
#include "rest/target.h"
#include "rest/user_extensions.h"
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

// The per-thread buffer user bodies are rendered into: its size is kept
// between requests (JsonBuf::kReuse), so rendering allocates and zero-fills
// nothing once it has held a large enough body.
std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}

// A buffer grown past this (a page of very large users) is released after
// the request rather than kept.
constexpr size_t kMaxScratchBytes = size_t{1} << 20;

void ReleaseLargeScratch() {
  if (Scratch().size() > kMaxScratchBytes) std::string().swap(Scratch());
}

// Debian's Abseil has its own absl::string_view (not std::string_view).
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

Response JsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.emplace_back(kContentType, kJsonContentType);
  response.body = std::move(body);
  return response;
}

// A single user's 200 / 201: its JSON and its ETag (rest/conditional.h).
Response UserResponse(int status, std::string body, uint64_t revision) {
  Response response = JsonResponse(status, std::move(body));
  response.headers.emplace_back(internal::kETagHeader, internal::EntityTag(revision));
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
  if (HttpStatus(status) == 404) return ResourceNotFound(internal::ResourcePath(route));
  return status;
}

// Serves one routed request. Holds only references (and its route, whose
// views outlive it); lives for one Handle.
class Handler {
 public:
  Handler(Store* store, const FacadeOptions& options, const Request& request, const Target& target,
          const Route& route)
      : store_(store),
        options_(options),
        request_(request),
        target_(target),
        route_(route),
        base_url_(route.api == PageApi::kConversations ? store->options().conversations_base_url
                                                       : store->options().base_url) {}

  Response Serve() {
    absl::Status resolved = ResolveDefaultService();
    absl::StatusOr<Response> response =
        resolved.ok() ? Dispatch() : absl::StatusOr<Response>(resolved);
    if (!response.ok()) {
      // The Configuration's errors are its parameters' (ServeConfiguration
      // names the Service of a 404 itself).
      if (route_.kind == RouteKind::kConfiguration) return ErrorResponse(response.status());
      return ErrorResponse(AsAddressed(response.status(), route_));
    }
    return *std::move(response);
  }

 private:
  bool Conversations() const { return route_.api == PageApi::kConversations; }

  ConversationsPath ConversationsUrls() const {
    return route_.account_level ? ConversationsPath::kAccount : ConversationsPath::kService;
  }

  // Account-level Conversations routes (/v1/Users...) address the
  // Configuration's default Service; with none configured the route is
  // unknown: 404 naming the path as addressed (AsAddressed).
  absl::Status ResolveDefaultService() {
    if (!route_.account_level) return absl::OkStatus();
    default_service_ = store_->FetchConfiguration().default_chat_service_sid;
    if (default_service_.empty()) return ResourceNotFound(internal::ResourcePath(route_));
    route_.service_sid = default_service_;
    return absl::OkStatus();
  }

  // One user's body (a fetch's, or a list item: `list_item`) in the
  // route's API, from a view the Store hands out (valid UTF-8).
  void AppendUserBody(const UserView& user, bool list_item, internal::JsonBuf* out) const {
    if (Conversations()) {
      internal::AppendConversationsUser(user, base_url_, ConversationsUrls(),
                                        internal::Utf8::kValid, out);
    } else {
      internal::AppendUser(user, base_url_, list_item, internal::Utf8::kValid, out);
    }
  }

  // A create's or update's body in the route's API.
  std::string UserBody(const User& user) const {
    return Conversations() ? ConversationsUserJson(user, base_url_, ConversationsUrls())
                           : UserJson(UserView(user), base_url_);
  }

  // GET / POST /v1/Configuration (Store::FetchConfiguration,
  // UpdateConfiguration). A POST without parameters changes nothing and
  // answers the Configuration as it is. The Store's only 404 is a
  // DefaultChatServiceSid naming no Service: the message names it below the
  // Conversations base ("/v1/Services/{IS}"), as the other /v1 404s name
  // their resources.
  absl::StatusOr<Response> ServeConfiguration() {
    if (request_.method != "POST") {
      return JsonResponse(200, ConfigurationJson(store_->FetchConfiguration(), base_url_));
    }
    USERSTORE_ASSIGN_OR_RETURN(FormParams form, ParseBody());
    ConfigurationUpdate update;
    update.default_chat_service_sid = Optional(form, "DefaultChatServiceSid");
    update.default_messaging_service_sid = Optional(form, "DefaultMessagingServiceSid");
    update.default_inactive_timer = Optional(form, "DefaultInactiveTimer");
    update.default_closed_timer = Optional(form, "DefaultClosedTimer");
    absl::StatusOr<Configuration> configuration = store_->UpdateConfiguration(update);
    if (HttpStatus(configuration.status()) == 404 && update.default_chat_service_sid.has_value()) {
      return ResourceNotFound(
          absl::StrCat(Av(route_.prefix), "/Services/", Av(*update.default_chat_service_sid)));
    }
    USERSTORE_RETURN_IF_ERROR(configuration.status());
    return JsonResponse(200, ConfigurationJson(*configuration, base_url_));
  }

  absl::StatusOr<Response> Dispatch() {
    const std::string& method = request_.method;
    switch (route_.kind) {
      case RouteKind::kService: {
        USERSTORE_ASSIGN_OR_RETURN(Service service, store_->FetchService(route_.service_sid));
        return JsonResponse(200, ServiceJson(service, base_url_));
      }
      case RouteKind::kRoles:
        return ListRoles();
      case RouteKind::kUsers:  // GET or HEAD (handled as GET) otherwise
        if (method == "POST") return CreateUser();
        return ListUsers();
      case RouteKind::kUser:  // GET or HEAD otherwise
        if (method == "POST") return UpdateUser();
        if (method == "DELETE") return DeleteUser();
        return FetchUser();
      case RouteKind::kConfiguration:
        return ServeConfiguration();
      case RouteKind::kBindings:
      case RouteKind::kBinding:
      case RouteKind::kUserBindings:
      case RouteKind::kUserBinding:
        return internal::ServeBindingRoute(store_, request_, target_.query, route_);
    }
    return absl::InternalError("unreachable route");
  }

  // The user routes do not look the Service up first: the Store's call does,
  // and its 404 for an unknown Service renders as the facade's own (every 404
  // names the resource as addressed, AsAddressed). A check the facade makes
  // before the Store call (the form, a header, the paging parameters) comes
  // after the Service's in the order of docs/rest.md, so its failure is
  // answered only once the Service is known to exist: this is the error path
  // of those checks, taken on a failed check alone.
  absl::Status ServiceFirst(absl::Status error) const {
    absl::StatusOr<Service> service = store_->FetchService(route_.service_sid);
    if (!service.ok()) return service.status();
    return error;
  }

  // Whether a create here may register the path's unknown Service first.
  bool AutoCreatesService() const {
    return options_.auto_create_services && request_.method == "POST" &&
           route_.kind == RouteKind::kUsers && !route_.account_level &&
           internal::IsSidShaped(route_.service_sid, "IS");
  }

  // ServiceFirst for a create: a create that would register the Service
  // fails on its own checks first (PrecheckCreateInNewService makes the
  // same ones in the same order).
  absl::Status CreateCheckFailed(absl::Status error) const {
    absl::StatusOr<Service> service = store_->FetchService(route_.service_sid);
    if (service.ok() || (HttpStatus(service.status()) == 404 && AutoCreatesService())) {
      return error;
    }
    return service.status();
  }

  // The path's Service; with auto_create_services, a create (POST to the
  // Users collection) in a well-formed unknown SID registers it first (a
  // concurrent creator winning the race is fine), once the create has passed
  // every check that does not need the Service: a request that fails creates
  // nothing. Reads, updates and deletes never create a Service. Only a
  // create that found no Service asks (CreateUser).
  absl::StatusOr<Service> ResolveService() {
    absl::StatusOr<Service> service = store_->FetchService(route_.service_sid);
    if (service.ok() || HttpStatus(service.status()) != 404 || !AutoCreatesService()) {
      return service;
    }
    USERSTORE_RETURN_IF_ERROR(PrecheckCreateInNewService());
    ServiceCreate create;
    create.sid = route_.service_sid;
    // EnsureService: a concurrent creator's Service is returned (in a shared
    // Store, also one another host just made).
    return store_->EnsureService(create);
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

  absl::StatusOr<Response> ListRoles() {
    USERSTORE_ASSIGN_OR_RETURN(Service service, store_->FetchService(route_.service_sid));
    USERSTORE_ASSIGN_OR_RETURN(std::vector<Role> roles, store_->ListRoles(service.sid));
    return JsonResponse(200, RolesPageJson(roles, service.sid, base_url_));
  }

  // The Service's SID as the Store spells it (the path may use uppercase
  // hex), written into `buf`. REQUIRES: the Store found the Service (so its
  // SID parses).
  std::string_view StoredServiceSid(char (&buf)[internal::kSidChars]) const {
    internal::FormatSidTo("IS", internal::ParseSid(route_.service_sid, "IS").value(), buf);
    return std::string_view(buf, sizeof(buf));
  }

  // Renders the page's users as the Store visits them (no copy of a user),
  // into a per-thread buffer, then the body: the "meta" member, which comes
  // first, needs the page's tokens, known only once the page is read.
  absl::StatusOr<Response> ListUsers() {
    // Extensions (Chat v2 only): a filter, or a count instead of a page.
    UserFilter filter;
    if (options_.enable_extensions && !Conversations()) {
      absl::StatusOr<UserFilter> parsed = internal::ParseUserFilter(target_.query);
      if (!parsed.ok()) return ServiceFirst(parsed.status());
      absl::StatusOr<bool> count = internal::CountRequested(target_.query);
      if (!count.ok()) return ServiceFirst(count.status());
      if (*count) return CountUsers(*parsed);
      filter = *std::move(parsed);
    }
    absl::StatusOr<PageRequest> page_request = internal::ParsePageRequest(target_.query);
    if (!page_request.ok()) return ServiceFirst(page_request.status());
    page_request->api = route_.api;
    const std::string filters = internal::FilterUrlQuery(filter);
    page_request->filter = std::move(filter);
    internal::JsonBuf users(&Scratch(), internal::JsonBuf::kReuse);
    bool failed = false;  // an allocation failed in the visitor
    Page links;
    USERSTORE_RETURN_IF_ERROR(store_->VisitUsers(
        route_.service_sid, *page_request,
        [&](const UserView& user) {
          try {
            if (users.length() > 0) users.Append(",");
            AppendUserBody(user, /*list_item=*/true, &users);
          } catch (...) {  // std::bad_alloc: a visitor must not throw
            failed = true;
          }
        },
        &links));
    if (failed) throw std::bad_alloc();
    char service_sid[internal::kSidChars];
    const std::string_view sid = StoredServiceSid(service_sid);
    Response response = JsonResponse(200, std::string());
    response.body.reserve(users.length() + 2048);
    internal::JsonBuf body(&response.body);
    if (Conversations()) {
      internal::AppendConversationsUsersPage(links, sid, base_url_, ConversationsUrls(),
                                             users.text(), &body);
    } else {
      internal::AppendUsersPage(links, sid, base_url_, users.text(), &body, filters);
    }
    body.Finish();
    ReleaseLargeScratch();
    return response;
  }

  // GET …/Users?X-Userstore-Count=true (extension): the users matching
  // `filter`, and the count's own URL (the Service as the Store spells it).
  absl::StatusOr<Response> CountUsers(const UserFilter& filter) {
    USERSTORE_ASSIGN_OR_RETURN(uint64_t count, store_->CountUsers(route_.service_sid, filter));
    char service_sid[internal::kSidChars];
    const std::string list_url =
        absl::StrCat(Av(base_url_), "/Services/", Av(StoredServiceSid(service_sid)), "/Users");
    return JsonResponse(200,
                        internal::CountJson(count, list_url, internal::FilterUrlQuery(filter)));
  }

  // POST …/Users with X-Userstore-Batch (extension): Store::UpsertUsers over
  // the rows that parse; every row gets its item. A batch never
  // auto-creates its Service.
  absl::StatusOr<Response> UpsertBatch(const FormParams& form, std::string_view batch) {
    for (std::string_view name : {"Identity", "RoleSid", "Attributes", "FriendlyName"}) {
      if (FindParam(form, name).has_value()) {
        return ServiceFirst(
            BadRequest(twilio_code::kInvalidParameter,
                       "X-Userstore-Batch cannot be combined with Identity, RoleSid, Attributes or "
                       "FriendlyName"));
      }
    }
    absl::StatusOr<internal::ParsedBatch> parsed = internal::ParseBatch(batch);
    if (!parsed.ok()) return ServiceFirst(parsed.status());
    absl::StatusOr<bool> webhook_enabled = internal::WebhookEnabled(request_.headers);
    if (!webhook_enabled.ok()) return ServiceFirst(webhook_enabled.status());
    std::vector<UpsertResult> results;
    if (parsed->rows.empty()) {
      // Every row was refused: no Store call, but the Service still comes
      // first.
      USERSTORE_RETURN_IF_ERROR(store_->FetchService(route_.service_sid).status());
    } else {
      UpsertOptions upsert;
      upsert.webhook_enabled = *webhook_enabled;
      USERSTORE_ASSIGN_OR_RETURN(results,
                                 store_->UpsertUsers(route_.service_sid, parsed->rows, upsert));
      if (results.size() != parsed->rows.size()) {
        return absl::InternalError("UpsertUsers did not return one result per row");
      }
    }
    return JsonResponse(200, internal::BatchJson(*parsed, results, base_url_));
  }

  // Renders the user inside the Store's visitor (no copy of it), into the
  // per-thread buffer, then the body at its exact size.
  absl::StatusOr<Response> FetchUser() {
    std::string& scratch = Scratch();
    internal::JsonBuf buf(&scratch, internal::JsonBuf::kReuse);
    bool failed = false;
    uint64_t revision = 0;
    USERSTORE_RETURN_IF_ERROR(
        store_->ReadUser(route_.service_sid, route_.user_key, [&](const UserView& user) {
          revision = user.revision();
          try {
            AppendUserBody(user, /*list_item=*/false, &buf);
          } catch (...) {  // std::bad_alloc: a visitor must not throw
            failed = true;
          }
        }));
    if (failed) throw std::bad_alloc();
    Response response = UserResponse(200, std::string(buf.text()), revision);
    ReleaseLargeScratch();
    return response;
  }

  absl::StatusOr<Response> CreateUser() {
    absl::StatusOr<FormParams> form = ParseBody();
    if (!form.ok()) return CreateCheckFailed(form.status());
    if (options_.enable_extensions && !Conversations()) {
      if (std::optional<std::string_view> batch = FindParam(*form, internal::kBatchParam)) {
        return UpsertBatch(*form, *batch);
      }
    }
    std::optional<std::string_view> identity = FindParam(*form, "Identity");
    if (!identity.has_value()) {
      return CreateCheckFailed(BadRequest(twilio_code::kInvalidParameter,
                                          "Missing required parameter Identity in the post body"));
    }
    UserCreate params;
    params.identity = std::string(*identity);
    params.role_sid = Optional(*form, "RoleSid");
    params.attributes = Optional(*form, "Attributes");
    params.friendly_name = Optional(*form, "FriendlyName");
    absl::StatusOr<bool> webhook_enabled = internal::WebhookEnabled(request_.headers);
    if (!webhook_enabled.ok()) return CreateCheckFailed(webhook_enabled.status());
    params.webhook_enabled = *webhook_enabled;
    if (options_.enable_extensions) {
      absl::StatusOr<WriteOrigin> origin = internal::OriginHeader(request_.headers);
      if (!origin.ok()) return CreateCheckFailed(origin.status());
      params.origin = *origin;
    }
    User user;
    absl::Status created = store_->CreateUser(route_.service_sid, params, &user);
    if (HttpStatus(created) == 404 && AutoCreatesService()) {
      // The Service is unknown (a create's only 404): register it, as
      // ResolveService says, and create again.
      USERSTORE_RETURN_IF_ERROR(ResolveService().status());
      created = store_->CreateUser(route_.service_sid, params, &user);
    }
    USERSTORE_RETURN_IF_ERROR(created);
    return UserResponse(201, UserBody(user), user.revision);
  }

  absl::StatusOr<Response> UpdateUser() {
    absl::StatusOr<FormParams> form = ParseBody();
    if (!form.ok()) return ServiceFirst(form.status());
    UserUpdate params;
    params.role_sid = Optional(*form, "RoleSid");
    params.attributes = Optional(*form, "Attributes");
    params.friendly_name = Optional(*form, "FriendlyName");
    absl::StatusOr<bool> webhook_enabled = internal::WebhookEnabled(request_.headers);
    if (!webhook_enabled.ok()) return ServiceFirst(webhook_enabled.status());
    params.webhook_enabled = *webhook_enabled;
    absl::StatusOr<std::optional<uint64_t>> if_revision =
        internal::IfMatchRevision(request_.headers);
    if (!if_revision.ok()) return ServiceFirst(if_revision.status());
    params.if_revision = *if_revision;
    if (options_.enable_extensions) {
      params.attributes_patch = Optional(*form, internal::kAttributesPatchParam);
      absl::StatusOr<WriteOrigin> origin = internal::OriginHeader(request_.headers);
      if (!origin.ok()) return ServiceFirst(origin.status());
      params.origin = *origin;
    }
    User user;
    USERSTORE_RETURN_IF_ERROR(
        store_->UpdateUser(route_.service_sid, route_.user_key, params, &user));
    return UserResponse(200, UserBody(user), user.revision);
  }

  absl::StatusOr<Response> DeleteUser() {
    UserDelete params;
    // Conversations takes X-Twilio-Webhook-Enabled on a delete too
    // (twilio_conversations_v1.json, DeleteUser / DeleteServiceUser); Chat
    // v2's delete has no such header and ignores it.
    if (Conversations()) {
      absl::StatusOr<bool> webhook_enabled = internal::WebhookEnabled(request_.headers);
      if (!webhook_enabled.ok()) return ServiceFirst(webhook_enabled.status());
      params.webhook_enabled = *webhook_enabled;
    }
    absl::StatusOr<std::optional<uint64_t>> if_revision =
        internal::IfMatchRevision(request_.headers);
    if (!if_revision.ok()) return ServiceFirst(if_revision.status());
    params.if_revision = *if_revision;
    if (options_.enable_extensions) {
      absl::StatusOr<WriteOrigin> origin = internal::OriginHeader(request_.headers);
      if (!origin.ok()) return ServiceFirst(origin.status());
      params.origin = *origin;
    }
    USERSTORE_RETURN_IF_ERROR(store_->DeleteUser(route_.service_sid, route_.user_key, params));
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
  Route route_;                  // service_sid set by ResolveDefaultService on account-level routes
  const std::string& base_url_;  // the route's API's
  std::string default_service_;  // what an account-level route's service_sid views
};

Response HandleRequest(Store* store, const FacadeOptions& options, const internal::ApiBases& bases,
                       const Request& request) {
  if (absl::Status bounds = internal::CheckRequestBounds(
          request.target, request.body.size(), request.headers.size(),
          internal::BodyLimit(options.enable_extensions, request.method, request.body));
      !bounds.ok()) {
    return ErrorResponse(bounds);
  }
  absl::StatusOr<Target> target = internal::ParseTarget(request.target, internal::kMaxParams);
  if (!target.ok()) return ErrorResponse(target.status());

  std::optional<Route> route = internal::RouteRequest(target->segments, bases);
  if (!route.has_value()) {
    return ErrorResponse(
        ResourceNotFound(internal::NotFoundPath(target->encoded_path, target->segments, bases)));
  }
  const bool extensions = options.enable_extensions;
  if (!internal::MethodAllowed(route->kind, request.method, extensions)) {
    const std::string_view allowed = internal::AllowedMethods(route->kind, extensions);
    Response response = ErrorResponse(
        TwilioError(absl::StatusCode::kUnimplemented, 405, twilio_code::kInvalidParameter,
                    absl::StrCat("Method not allowed on ", internal::ResourcePath(*route),
                                 " (allowed: ", Av(allowed), ")")));
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  // A batch's larger body bound (BodyLimit) holds on Chat's Users
  // collection only: elsewhere the body is over kMaxBodyBytes as usual.
  if (request.body.size() > internal::kMaxBodyBytes &&
      (route->kind != RouteKind::kUsers || route->api != PageApi::kChat)) {
    return ErrorResponse(internal::CheckRequestBounds("", request.body.size(), 0));
  }
  return Handler(store, options, request, *target, *route).Serve();
}

}  // namespace

RestFacade::RestFacade(Store* store, FacadeOptions options)
    : store_(store),
      options_(std::move(options)),
      // Store::Create accepted both base URLs as absolute http(s) URLs, which
      // BasePathSegments never refuses.
      base_segments_(internal::BasePathSegments(store->options().base_url)
                         .value_or(std::vector<std::string>{})),
      conversations_segments_(internal::BasePathSegments(store->options().conversations_base_url)
                                  .value_or(std::vector<std::string>{})),
      conversations_prefix_(internal::BasePathText(conversations_segments_)) {}

Response RestFacade::Handle(const Request& request) const {
  Response response;
  try {
    const internal::ApiBases bases{base_segments_, conversations_segments_, conversations_prefix_};
    response = HandleRequest(store_, options_, bases, request);
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

#include "import_parse.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"
#include "userstore/binding.h"
#include "userstore/error.h"

namespace userstore::cli {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// A member name in both spellings: Twilio's API (snake_case) and the
// Twilio CLI's `-o json` (camelCase).
struct Key {
  std::string_view snake;
  std::string_view camel;
};

constexpr Key kSid{"sid", "sid"};
constexpr Key kAccountSid{"account_sid", "accountSid"};
constexpr Key kServiceSid{"service_sid", "serviceSid"};
constexpr Key kRoleSid{"role_sid", "roleSid"};
constexpr Key kIdentity{"identity", "identity"};
constexpr Key kAttributes{"attributes", "attributes"};
constexpr Key kFriendlyName{"friendly_name", "friendlyName"};
constexpr Key kJoinedChannelsCount{"joined_channels_count", "joinedChannelsCount"};
constexpr Key kDateCreated{"date_created", "dateCreated"};
constexpr Key kDateUpdated{"date_updated", "dateUpdated"};
constexpr Key kDefaultServiceRoleSid{"default_service_role_sid", "defaultServiceRoleSid"};
constexpr Key kDefaultChannelRoleSid{"default_channel_role_sid", "defaultChannelRoleSid"};
constexpr Key kDefaultChannelCreatorRoleSid{"default_channel_creator_role_sid",
                                            "defaultChannelCreatorRoleSid"};
constexpr Key kReachabilityEnabled{"reachability_enabled", "reachabilityEnabled"};
constexpr Key kType{"type", "type"};
constexpr Key kPermissions{"permissions", "permissions"};
constexpr Key kUserSid{"user_sid", "userSid"};
constexpr Key kBindingType{"binding_type", "bindingType"};
constexpr Key kEndpoint{"endpoint", "endpoint"};
constexpr Key kCredentialSid{"credential_sid", "credentialSid"};
constexpr Key kMessageTypes{"message_types", "messageTypes"};
constexpr Key kDefaultChatServiceSid{"default_chat_service_sid", "defaultChatServiceSid"};
constexpr Key kDefaultMessagingServiceSid{"default_messaging_service_sid",
                                          "defaultMessagingServiceSid"};
constexpr Key kDefaultInactiveTimer{"default_inactive_timer", "defaultInactiveTimer"};
constexpr Key kDefaultClosedTimer{"default_closed_timer", "defaultClosedTimer"};

absl::Status Bad(std::string_view message) {
  return TwilioError(absl::StatusCode::kInvalidArgument, 400, twilio_code::kInvalidParameter,
                     message);
}

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

// The member `key` of `obj` in either spelling; nullopt when absent or null.
std::optional<element> Member(object obj, const Key& key) {
  element value;
  if (obj.at_key(key.snake).get(value) != simdjson::SUCCESS) {
    if (key.camel == key.snake || obj.at_key(key.camel).get(value) != simdjson::SUCCESS) {
      return std::nullopt;
    }
  }
  if (value.is_null()) return std::nullopt;
  return value;
}

// A string member into `*out`; absent or null: "" (an error when required).
absl::Status ReadString(object obj, const Key& key, bool required, std::string* out) {
  out->clear();
  const std::optional<element> value = Member(obj, key);
  if (!value) {
    if (required) return Bad(absl::StrCat("missing \"", Av(key.snake), "\""));
    return absl::OkStatus();
  }
  std::string_view text;
  if (value->get_string().get(text) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", Av(key.snake), "\" must be a string"));
  }
  out->assign(text);
  return absl::OkStatus();
}

absl::Status ReadOptionalString(object obj, const Key& key, std::optional<std::string>* out) {
  out->reset();
  if (!Member(obj, key)) return absl::OkStatus();
  std::string text;
  if (absl::Status s = ReadString(obj, key, false, &text); !s.ok()) return s;
  *out = std::move(text);
  return absl::OkStatus();
}

absl::Status ReadDate(object obj, const Key& key, absl::Time* out) {
  std::string text;
  if (absl::Status s = ReadString(obj, key, true, &text); !s.ok()) return s;
  absl::StatusOr<absl::Time> time = ParseImportDate(text, key.snake);
  if (!time.ok()) return time.status();
  *out = *time;
  return absl::OkStatus();
}

absl::Status ReadInt(object obj, const Key& key, int64_t* out) {
  *out = 0;
  const std::optional<element> value = Member(obj, key);
  if (!value) return absl::OkStatus();
  if (value->get_int64().get(*out) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", Av(key.snake), "\" must be an integer (64-bit)"));
  }
  return absl::OkStatus();
}

absl::Status ReadBool(object obj, const Key& key, bool* out) {
  *out = false;
  const std::optional<element> value = Member(obj, key);
  if (!value) return absl::OkStatus();
  if (value->get_bool().get(*out) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", Av(key.snake), "\" must be true or false"));
  }
  return absl::OkStatus();
}

// Twilio sends attributes as a JSON string: its value is the text. An
// object or array (a hand-made file) is taken as its minified text.
absl::Status ReadAttributes(object obj, std::string* out) {
  out->clear();
  const std::optional<element> value = Member(obj, kAttributes);
  if (!value) return absl::OkStatus();
  std::string_view text;
  if (value->get_string().get(text) == simdjson::SUCCESS) {
    out->assign(text);
    return absl::OkStatus();
  }
  if (value->is_object() || value->is_array()) {
    *out = simdjson::minify(*value);
    return absl::OkStatus();
  }
  return Bad("\"attributes\" must be a string holding a JSON object");
}

#define IMPORT_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (false)

absl::Status ReadUser(object obj, ImportItem* item) {
  UserImport& user = item->user;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kSid, true, &user.sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kIdentity, true, &user.identity));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kRoleSid, false, &user.role_sid));
  IMPORT_RETURN_IF_ERROR(ReadAttributes(obj, &user.attributes));
  IMPORT_RETURN_IF_ERROR(ReadOptionalString(obj, kFriendlyName, &user.friendly_name));
  IMPORT_RETURN_IF_ERROR(ReadInt(obj, kJoinedChannelsCount, &user.joined_channels_count));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateCreated, &user.date_created));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateUpdated, &user.date_updated));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kServiceSid, false, &item->service_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kAccountSid, false, &item->account_sid));
  item->kind = ImportItem::Kind::kUser;
  return absl::OkStatus();
}

absl::Status ReadService(object obj, ImportItem* item) {
  Service& service = item->service;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kSid, true, &service.sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kAccountSid, false, &service.account_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kFriendlyName, false, &service.friendly_name));
  IMPORT_RETURN_IF_ERROR(
      ReadString(obj, kDefaultServiceRoleSid, true, &service.default_service_role_sid));
  IMPORT_RETURN_IF_ERROR(
      ReadString(obj, kDefaultChannelRoleSid, true, &service.default_channel_role_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kDefaultChannelCreatorRoleSid, true,
                                    &service.default_channel_creator_role_sid));
  IMPORT_RETURN_IF_ERROR(ReadBool(obj, kReachabilityEnabled, &service.reachability_enabled));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateCreated, &service.date_created));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateUpdated, &service.date_updated));
  item->service_sid = service.sid;
  item->account_sid = service.account_sid;
  item->kind = ImportItem::Kind::kService;
  return absl::OkStatus();
}

absl::Status ReadRole(object obj, ImportItem* item) {
  Role& role = item->role;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kSid, true, &role.sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kAccountSid, false, &role.account_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kServiceSid, false, &role.service_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kFriendlyName, true, &role.friendly_name));
  std::string type;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kType, true, &type));
  if (type == "deployment") {
    role.type = RoleScope::kDeployment;
  } else if (type == "channel") {
    role.type = RoleScope::kChannel;
  } else {
    return Bad("\"type\" of a role must be \"deployment\" or \"channel\"");
  }
  role.permissions.clear();
  if (const std::optional<element> permissions = Member(obj, kPermissions)) {
    simdjson::dom::array array;
    if (permissions->get_array().get(array) != simdjson::SUCCESS) {
      return Bad("\"permissions\" must be an array of strings");
    }
    for (element permission : array) {
      std::string_view text;
      if (permission.get_string().get(text) != simdjson::SUCCESS) {
        return Bad("\"permissions\" must be an array of strings");
      }
      role.permissions.emplace_back(text);
    }
  }
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateCreated, &role.date_created));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateUpdated, &role.date_updated));
  item->service_sid = role.service_sid;
  item->account_sid = role.account_sid;
  item->kind = ImportItem::Kind::kRole;
  return absl::OkStatus();
}

// An array of strings (absent or null: empty) into `*out`.
absl::Status ReadStrings(object obj, const Key& key, std::vector<std::string>* out) {
  out->clear();
  const std::optional<element> value = Member(obj, key);
  if (!value) return absl::OkStatus();
  simdjson::dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", Av(key.snake), "\" must be an array of strings"));
  }
  for (element entry : array) {
    std::string_view text;
    if (entry.get_string().get(text) != simdjson::SUCCESS) {
      return Bad(absl::StrCat("\"", Av(key.snake), "\" must be an array of strings"));
    }
    out->emplace_back(text);
  }
  return absl::OkStatus();
}

// A Chat v2 User Binding (UserBindingJson): its user by user_sid, so the
// Binding needs no identity lookup. identity, url and links are ignored;
// the Store checks the SIDs, the endpoint and the message types.
absl::Status ReadBinding(object obj, ImportItem* item) {
  BindingImport& binding = item->binding;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kSid, true, &binding.sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kUserSid, true, &binding.user_key));
  std::string type;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kBindingType, true, &type));
  if (type == "apn") {
    binding.binding_type = BindingType::kApn;
  } else if (type == "gcm") {
    binding.binding_type = BindingType::kGcm;
  } else if (type == "fcm") {
    binding.binding_type = BindingType::kFcm;
  } else {
    return Bad("\"binding_type\" of a binding must be \"apn\", \"gcm\" or \"fcm\"");
  }
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kEndpoint, true, &binding.endpoint));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kCredentialSid, false, &binding.credential_sid));
  IMPORT_RETURN_IF_ERROR(ReadStrings(obj, kMessageTypes, &binding.message_types));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateCreated, &binding.date_created));
  IMPORT_RETURN_IF_ERROR(ReadDate(obj, kDateUpdated, &binding.date_updated));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kServiceSid, true, &item->service_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kAccountSid, false, &item->account_sid));
  item->kind = ImportItem::Kind::kBinding;
  return absl::OkStatus();
}

// Conversations' Configuration (ConfigurationJson): its four fields, null
// read as "" (none); url and links are ignored.
absl::Status ReadConfiguration(object obj, ImportItem* item) {
  Configuration& configuration = item->configuration;
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kAccountSid, false, &configuration.account_sid));
  IMPORT_RETURN_IF_ERROR(
      ReadString(obj, kDefaultChatServiceSid, false, &configuration.default_chat_service_sid));
  IMPORT_RETURN_IF_ERROR(ReadString(obj, kDefaultMessagingServiceSid, false,
                                    &configuration.default_messaging_service_sid));
  IMPORT_RETURN_IF_ERROR(
      ReadString(obj, kDefaultInactiveTimer, false, &configuration.default_inactive_timer));
  IMPORT_RETURN_IF_ERROR(
      ReadString(obj, kDefaultClosedTimer, false, &configuration.default_closed_timer));
  item->service_sid.clear();
  item->account_sid = configuration.account_sid;
  item->kind = ImportItem::Kind::kConfiguration;
  return absl::OkStatus();
}

#undef IMPORT_RETURN_IF_ERROR

// Walks the records of one file and feeds the sink.
class Walker {
 public:
  Walker(std::string_view name, std::string_view text, const ImportSink& sink)
      : name_(name), text_(text), sink_(sink) {}

  ImportFormat format() const { return format_; }
  bool stopped() const { return stopped_; }

  // The 1-based line of byte `offset`; offsets must not decrease from call
  // to call (the count goes on from the previous one).
  size_t LineOf(size_t offset) {
    for (; counted_ < offset && counted_ < text_.size(); ++counted_) {
      if (text_[counted_] == '\n') ++line_;
    }
    return line_;
  }

  std::string LineLocation(size_t line) const { return absl::StrCat(Av(name_), ":", line); }
  std::string IndexLocation(size_t index) const {
    return absl::StrCat(Av(name_), " [", index, "]");
  }

  // Emits an error item.
  void Error(std::string location, size_t offset, absl::Status status) {
    Reset(ImportItem::Kind::kError, std::move(location), offset);
    item_.error = std::move(status);
    Emit();
  }

  // One top-level JSON value (a line, a document of a stream, or an element
  // of a top-level array) at `location`.
  void Value(element value, const std::string& location, size_t offset) {
    object obj;
    if (value.get_object().get(obj) != simdjson::SUCCESS) {
      Error(location, offset, Bad("not a JSON object (a user, a page or an export record)"));
      return;
    }
    // An export record: {"type": ..., "item": {...}}.
    element type;
    element inner;
    if (obj.at_key("item").get(inner) == simdjson::SUCCESS &&
        obj.at_key("type").get(type) == simdjson::SUCCESS) {
      std::string_view kind;
      object item;
      if (type.get_string().get(kind) != simdjson::SUCCESS ||
          inner.get_object().get(item) != simdjson::SUCCESS) {
        Error(location, offset,
              Bad("an export record needs a string \"type\" and an object \"item\""));
        return;
      }
      Detected(ImportFormat::kExport);
      if (kind == "service") {
        Record(item, location, offset, ReadService);
      } else if (kind == "role") {
        Record(item, location, offset, ReadRole);
      } else if (kind == "user") {
        Record(item, location, offset, ReadUser);
      } else if (kind == "binding") {
        Record(item, location, offset, ReadBinding);
      } else if (kind == "configuration") {
        Record(item, location, offset, ReadConfiguration);
      } else {
        Error(location, offset,
              Bad("unknown export record type (service, role, user, binding or configuration)"));
      }
      return;
    }
    // A list page: {"meta": {...}, "users": [...]} (or "roles").
    simdjson::dom::array list;
    const bool users = obj.at_key("users").get_array().get(list) == simdjson::SUCCESS;
    if (users || obj.at_key("roles").get_array().get(list) == simdjson::SUCCESS) {
      Detected(ImportFormat::kPages);
      size_t index = 0;
      for (element entry : list) {
        if (stopped_) return;
        const std::string at = absl::StrCat(location, users ? " users[" : " roles[", index, "]");
        ++index;
        object entry_object;
        if (entry.get_object().get(entry_object) != simdjson::SUCCESS) {
          Error(at, offset, Bad("a list entry is not a JSON object"));
          continue;
        }
        Record(entry_object, at, offset, users ? ReadUser : ReadRole);
      }
      return;
    }
    if (obj.at_key("meta").error() == simdjson::SUCCESS) {
      Error(location, offset, Bad("a list page without a \"users\" or \"roles\" array"));
      return;
    }
    // A bare object: what it is, its SID says.
    std::string_view sid;
    if (obj.at_key("sid").get_string().get(sid) != simdjson::SUCCESS) {
      Error(location, offset,
            Bad("not a user, list page or export record (no \"sid\", \"users\" or \"item\")"));
      return;
    }
    if (format_ == ImportFormat::kEmpty) Detected(ImportFormat::kObjects);
    const std::string prefix = absl::AsciiStrToUpper(Av(sid.substr(0, 2)));
    if (prefix == "US") {
      Record(obj, location, offset, ReadUser);
    } else if (prefix == "IS") {
      Record(obj, location, offset, ReadService);
    } else if (prefix == "RL") {
      Record(obj, location, offset, ReadRole);
    } else {
      Error(location, offset,
            Bad("\"sid\" is not the SID of a User (US...), Service (IS...) or Role (RL...)"));
    }
  }

  void Detected(ImportFormat format) {
    if (format_ == ImportFormat::kEmpty) format_ = format;
  }

 private:
  using Reader = absl::Status (*)(object, ImportItem*);

  void Reset(ImportItem::Kind kind, std::string location, size_t offset) {
    item_.kind = kind;
    item_.location = std::move(location);
    item_.offset = offset;
    item_.service_sid.clear();
    item_.account_sid.clear();
    item_.error = absl::OkStatus();
  }

  void Record(object obj, const std::string& location, size_t offset, Reader read) {
    Reset(ImportItem::Kind::kError, location, offset);
    item_.service = Service();
    item_.role = Role();
    item_.user = UserImport();
    item_.binding = BindingImport();
    item_.configuration = Configuration();
    if (absl::Status s = read(obj, &item_); !s.ok()) {
      item_.kind = ImportItem::Kind::kError;
      item_.error = std::move(s);
    }
    Emit();
  }

  void Emit() {
    if (!stopped_ && !sink_(item_)) stopped_ = true;
  }

  std::string_view name_;
  std::string_view text_;
  const ImportSink& sink_;
  ImportFormat format_ = ImportFormat::kEmpty;
  bool stopped_ = false;
  ImportItem item_;
  size_t counted_ = 0;
  size_t line_ = 1;
};

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

absl::Status NotJson(simdjson::error_code error) {
  return Bad(absl::StrCat("not valid JSON: ", simdjson::error_message(error)));
}

// NDJSON: every non-blank line one JSON value, read on its own, so a bad
// line is reported and the next one read.
void WalkLines(std::string_view text, Walker* walker) {
  simdjson::dom::parser parser;
  size_t start = 0;
  size_t line = 1;
  while (start < text.size() && !walker->stopped()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view content = Trim(text.substr(start, end - start));
    if (!content.empty()) {
      const std::string location = walker->LineLocation(line);
      element value;
      simdjson::error_code error =
          parser.parse(content.data(), content.size(), /*realloc_if_needed=*/true).get(value);
      if (error != simdjson::SUCCESS) {
        walker->Error(location, start, NotJson(error));
      } else {
        walker->Value(value, location, start);
      }
    }
    start = end + 1;
    ++line;
  }
}

// Pretty-printed documents one after the other (curl's pages): a stream of
// JSON values; the first that does not parse ends the file.
void WalkStream(std::string_view text, Walker* walker) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text.data(), text.size());
  simdjson::dom::document_stream stream;
  // A batch as large as the text: a document may be as large as the file.
  const size_t batch = std::max<size_t>(text.size(), simdjson::dom::MINIMAL_BATCH_SIZE);
  if (simdjson::error_code error = parser.parse_many(padded, batch).get(stream)) {
    walker->Error(walker->LineLocation(1), 0, NotJson(error));
    return;
  }
  size_t last = 0;
  for (auto it = stream.begin(); it != stream.end() && !walker->stopped(); ++it) {
    const size_t offset = it.current_index();
    last = std::max(last, offset);
    const std::string location = walker->LineLocation(walker->LineOf(offset));
    element value;
    if (simdjson::error_code error = (*it).get(value)) {
      walker->Error(location, offset, NotJson(error));
      return;
    }
    simdjson::dom::array array;
    if (value.get_array().get(array) == simdjson::SUCCESS) {
      size_t index = 0;
      for (element entry : array) {
        if (walker->stopped()) return;
        walker->Value(entry, absl::StrCat(location, " [", index++, "]"), offset);
      }
      continue;
    }
    walker->Value(value, location, offset);
  }
  if (!walker->stopped() && stream.truncated_bytes() > 0) {
    const size_t offset = text.size() - stream.truncated_bytes();
    walker->Error(walker->LineLocation(walker->LineOf(std::max(offset, last))), offset,
                  Bad("the text ends inside a JSON value (truncated)"));
  }
}

// The Twilio CLI's output: one array of objects.
void WalkArray(std::string_view text, Walker* walker) {
  walker->Detected(ImportFormat::kCliArray);
  simdjson::dom::parser parser;
  element root;
  if (simdjson::error_code error =
          parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root)) {
    walker->Error(walker->LineLocation(1), 0, NotJson(error));
    return;
  }
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) {
    walker->Error(walker->LineLocation(1), 0, Bad("not a JSON array"));
    return;
  }
  size_t index = 0;
  for (element entry : array) {
    if (walker->stopped()) return;
    // Offsets of elements are not known: the progress of an array moves at
    // its end.
    walker->Value(entry, walker->IndexLocation(index++), 0);
  }
}

}  // namespace

const char* ImportFormatName(ImportFormat format) {
  switch (format) {
    case ImportFormat::kEmpty:
      return "empty";
    case ImportFormat::kExport:
      return "export";
    case ImportFormat::kPages:
      return "pages";
    case ImportFormat::kCliArray:
      return "cli-array";
    case ImportFormat::kObjects:
      return "objects";
  }
  return "empty";
}

absl::StatusOr<absl::Time> ParseImportDate(std::string_view text, std::string_view field) {
  std::string value(text);
  // RFC 3339's "Z" as the numeric offset absl's %Ez reads.
  if (!value.empty() && (value.back() == 'Z' || value.back() == 'z')) {
    value.pop_back();
    value += "+00:00";
  }
  absl::Time time;
  std::string error;
  if (value.size() < 20 || value[10] != 'T' ||
      !absl::ParseTime(absl::RFC3339_full, value, &time, &error) ||
      time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return Bad(absl::StrCat("\"", Av(field), "\" is not a date like 2016-03-24T21:05:19Z"));
  }
  // Whole seconds, rounded down (Twilio's dates have none).
  return absl::FromUnixSeconds(absl::ToUnixSeconds(time));
}

ImportFormat ParseImport(std::string_view name, std::string_view text, const ImportSink& sink) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  size_t skipped = 0;
  if (text.substr(0, kBom.size()) == kBom) skipped = kBom.size();
  const std::string_view body = text.substr(skipped);
  Walker walker(name, body, sink);
  if (IsBlank(body)) return ImportFormat::kEmpty;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (body[first] == '[') {
    WalkArray(body, &walker);
    return walker.format();
  }
  // One record per line when the first line is a whole object on its own;
  // otherwise pretty-printed documents.
  size_t line_end = body.find('\n', first);
  if (line_end == std::string_view::npos) line_end = body.size();
  const std::string_view first_line = Trim(body.substr(first, line_end - first));
  if (first_line.size() >= 2 && first_line.front() == '{' && first_line.back() == '}') {
    WalkLines(body, &walker);
  } else {
    WalkStream(body, &walker);
  }
  return walker.format();
}

}  // namespace userstore::cli

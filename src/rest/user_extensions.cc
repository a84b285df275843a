#include "rest/user_extensions.h"

#include <new>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "common/twilio_errors.h"
#include "json/binding_render.h"
#include "json/json_dom.h"
#include "json/json_writer.h"
#include "json/render.h"
#include "rest/params.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore::internal {
namespace {

// The batch's JSON nests two levels (array, objects): deeper is refused as
// a whole, cheaply.
constexpr size_t kMaxBatchDepth = 64;

// The UTC date format the paging URLs carry (RFC 3339, fraction only when
// there is one).
constexpr char kUrlDateFormat[] = "%Y-%m-%dT%H:%M:%E*SZ";

absl::Status Invalid(std::string_view message) {
  return BadRequest(twilio_code::kInvalidParameter, message);
}

// The value of `name`, or nullopt; an empty value is an error (a filter
// given without its value is a client bug, not "no filter").
absl::StatusOr<std::optional<std::string>> NonEmpty(const FormParams& query,
                                                    std::string_view name) {
  std::optional<std::string_view> value = FindParam(query, name);
  if (!value.has_value()) return std::optional<std::string>();
  if (value->empty()) {
    return Invalid(absl::StrCat("Invalid ", ToAbsl(name), ": must not be empty"));
  }
  return std::optional<std::string>(std::string(*value));
}

absl::StatusOr<std::optional<absl::Time>> Date(const FormParams& query, std::string_view name) {
  absl::StatusOr<std::optional<std::string>> text = NonEmpty(query, name);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<absl::Time>();
  // absl::ParseTime skips whitespace around the text: refuse it first.
  absl::Time time;
  std::string error;
  const std::string& value = **text;
  const bool spaced = value.find_first_of(" \t\r\n\v\f") != std::string::npos;
  if (spaced || !absl::ascii_isdigit(static_cast<unsigned char>(value[0])) ||
      !absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    return Invalid(absl::StrCat("Invalid ", ToAbsl(name),
                                ": must be an ISO 8601 date-time such as 2015-07-30T20:00:00Z"));
  }
  return std::optional<absl::Time>(time);
}

void AppendParam(std::string_view name, std::string_view value, std::string* out) {
  absl::StrAppend(out, ToAbsl(name), "=", PercentEncode(value), "&");
}

// One row object; a row error is 400/20001 naming the member.
absl::Status ParseRow(simdjson::dom::object object, UserUpsert* row) {
  bool identity = false;
  for (simdjson::dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    std::optional<std::string>* target = nullptr;
    if (key == "role_sid") {
      target = &row->role_sid;
    } else if (key == "attributes") {
      target = &row->attributes;
    } else if (key == "friendly_name") {
      target = &row->friendly_name;
    } else if (key != "identity") {
      return Invalid(absl::StrCat("Invalid batch row: unknown member ", JsonQuote(key),
                                  " (expected identity, role_sid, attributes, friendly_name)"));
    }
    std::string_view value;
    if (field.value.get_string().get(value) != simdjson::SUCCESS) {
      return Invalid(
          absl::StrCat("Invalid batch row: member ", JsonQuote(key), " must be a string"));
    }
    const bool repeated = target != nullptr ? target->has_value() : identity;
    if (repeated) {
      return Invalid(absl::StrCat("Invalid batch row: member ", JsonQuote(key), " repeats"));
    }
    if (target != nullptr) {
      *target = std::string(value);
    } else {
      row->identity = std::string(value);
      identity = true;
    }
  }
  if (!identity) return Invalid("Invalid batch row: missing required member \"identity\"");
  return absl::OkStatus();
}

std::string_view OutcomeName(UpsertOutcome outcome) {
  switch (outcome) {
    case UpsertOutcome::kCreated:
      return "created";
    case UpsertOutcome::kUpdated:
      return "updated";
    case UpsertOutcome::kUnchanged:
      return "unchanged";
    case UpsertOutcome::kFailed:
      break;
  }
  return "failed";
}

void WriteFailure(size_t index, const absl::Status& status, JsonWriter* w) {
  w->BeginObject();
  w->MemberInt("index", static_cast<int64_t>(index));
  w->MemberInt("status", HttpStatus(status));
  w->Member("outcome", "failed");
  WriteErrorMembers(status, w);
  w->EndObject();
}

}  // namespace

size_t BodyLimit(bool extensions, std::string_view method, std::string_view body) {
  if (extensions && method == "POST" && body.starts_with(kBatchParam) &&
      body.substr(kBatchParam.size()).starts_with("=")) {
    return kMaxBatchBodyBytes;
  }
  return kMaxBodyBytes;
}

absl::StatusOr<UserFilter> ParseUserFilter(const FormParams& query) {
  UserFilter filter;
  absl::StatusOr<std::optional<std::string>> text = NonEmpty(query, kIdentityPrefixParam);
  if (!text.ok()) return text.status();
  filter.identity_prefix = text->value_or("");
  text = NonEmpty(query, kRoleSidParam);
  if (!text.ok()) return text.status();
  filter.role_sid = text->value_or("");
  absl::StatusOr<std::optional<absl::Time>> date = Date(query, kDateCreatedFromParam);
  if (!date.ok()) return date.status();
  filter.created_from = *date;
  date = Date(query, kDateCreatedBeforeParam);
  if (!date.ok()) return date.status();
  filter.created_before = *date;
  text = NonEmpty(query, kAttributeKeyParam);
  if (!text.ok()) return text.status();
  filter.attribute_key = text->value_or("");
  text = NonEmpty(query, kAttributeValueParam);
  if (!text.ok()) return text.status();
  filter.attribute_value = text->value_or("");
  return filter;
}

std::string FilterUrlQuery(const UserFilter& filter) {
  std::string out;
  if (!filter.identity_prefix.empty()) {
    AppendParam(kIdentityPrefixParam, filter.identity_prefix, &out);
  }
  if (!filter.role_sid.empty()) AppendParam(kRoleSidParam, filter.role_sid, &out);
  if (filter.created_from) {
    AppendParam(kDateCreatedFromParam,
                absl::FormatTime(kUrlDateFormat, *filter.created_from, absl::UTCTimeZone()), &out);
  }
  if (filter.created_before) {
    AppendParam(kDateCreatedBeforeParam,
                absl::FormatTime(kUrlDateFormat, *filter.created_before, absl::UTCTimeZone()),
                &out);
  }
  if (!filter.attribute_key.empty()) AppendParam(kAttributeKeyParam, filter.attribute_key, &out);
  if (!filter.attribute_value.empty()) {
    AppendParam(kAttributeValueParam, filter.attribute_value, &out);
  }
  return out;
}

absl::StatusOr<bool> CountRequested(const FormParams& query) {
  std::optional<std::string_view> value = FindParam(query, kCountParam);
  if (!value.has_value()) return false;
  if (absl::EqualsIgnoreCase(ToAbsl(*value), "true")) return true;
  return Invalid("Invalid X-Userstore-Count: must be true");
}

std::string CountJson(uint64_t count, std::string_view list_url, std::string_view filter_query) {
  JsonWriter w;
  w.BeginObject();
  w.Key("count");
  w.Uint(count);
  w.Member("url",
           absl::StrCat(ToAbsl(list_url), "?", ToAbsl(filter_query), ToAbsl(kCountParam), "=true"));
  w.EndObject();
  return w.Release();
}

absl::StatusOr<ParsedBatch> ParseBatch(std::string_view text) {
  const std::string shape =
      absl::StrCat("Invalid ", ToAbsl(kBatchParam), ": must be a JSON array of 1 to ",
                   kMaxUpsertRows, " objects");
  JsonDocument doc;
  const JsonError error = doc.Parse(text, kMaxBatchDepth);
  if (error == JsonError::kNoMemory) throw std::bad_alloc();
  if (error != JsonError::kOk) {
    return Invalid(absl::StrCat(shape, " (", JsonErrorName(error), ")"));
  }
  simdjson::dom::array array;
  if (doc.root().get_array().get(array) != simdjson::SUCCESS || array.size() == 0 ||
      array.size() > kMaxUpsertRows) {
    return Invalid(shape);
  }
  ParsedBatch batch;
  for (simdjson::dom::element element : array) {
    simdjson::dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) return Invalid(shape);
    UserUpsert row;
    if (absl::Status parsed = ParseRow(object, &row); !parsed.ok()) {
      batch.rejected.emplace_back(batch.size, std::move(parsed));
    } else {
      batch.rows.push_back(std::move(row));
      batch.indexes.push_back(batch.size);
    }
    ++batch.size;
  }
  return batch;
}

std::string BatchJson(const ParsedBatch& batch, const std::vector<UpsertResult>& results,
                      std::string_view base_url) {
  JsonWriter w;
  w.BeginObject();
  w.Key("users");
  w.BeginArray();
  size_t row = 0;       // next of batch.rows / results
  size_t rejected = 0;  // next of batch.rejected
  for (size_t index = 0; index < batch.size; ++index) {
    if (rejected < batch.rejected.size() && batch.rejected[rejected].first == index) {
      WriteFailure(index, batch.rejected[rejected++].second, &w);
      continue;
    }
    const UpsertResult& result = results[row++];
    if (result.outcome == UpsertOutcome::kFailed) {
      WriteFailure(index, result.status, &w);
      continue;
    }
    w.BeginObject();
    w.MemberInt("index", static_cast<int64_t>(index));
    w.MemberInt("status", result.outcome == UpsertOutcome::kCreated ? 201 : 200);
    w.Member("outcome", OutcomeName(result.outcome));
    w.Key("user");
    w.Raw(UserJson(result.user, base_url));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Release();
}

}  // namespace userstore::internal

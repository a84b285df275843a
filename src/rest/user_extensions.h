// The REST facade's issue-18 extensions on Chat v2's Users collection
// (/v2/Services/{IS}/Users), served only with FacadeOptions::
// enable_extensions (docs/rest.md, "Extensions"):
//
//   GET  …/Users?X-Userstore-RoleSid=RL…   a filtered list (UserFilter,
//        filter.h); its paging URLs carry the filter (FilterQuery)
//   GET  …/Users?X-Userstore-Count=true    {"count":N,"url":"…"}
//        (Store::CountUsers with the same filter parameters)
//   POST …/Users  X-Userstore-Batch=[…]    batch upsert (Store::UpsertUsers)
//
// This file parses the parameters and renders the bodies; facade.cc calls
// the Store and sequences the checks. Thread-safe (pure functions).
#ifndef USERSTORE_SRC_REST_USER_EXTENSIONS_H_
#define USERSTORE_SRC_REST_USER_EXTENSIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rest/form.h"
#include "userstore/filter.h"

namespace userstore::internal {

// The list filter parameters (UserFilter's fields), in the order the paging
// URLs carry them.
inline constexpr std::string_view kIdentityPrefixParam = "X-Userstore-IdentityPrefix";
inline constexpr std::string_view kRoleSidParam = "X-Userstore-RoleSid";
inline constexpr std::string_view kDateCreatedFromParam = "X-Userstore-DateCreatedFrom";
inline constexpr std::string_view kDateCreatedBeforeParam = "X-Userstore-DateCreatedBefore";
inline constexpr std::string_view kAttributeKeyParam = "X-Userstore-AttributeKey";
inline constexpr std::string_view kAttributeValueParam = "X-Userstore-AttributeValue";
// GET …/Users?X-Userstore-Count=true: the count instead of a page.
inline constexpr std::string_view kCountParam = "X-Userstore-Count";
// POST …/Users with this form parameter: a batch upsert.
inline constexpr std::string_view kBatchParam = "X-Userstore-Batch";

// The body bound of a batch (docs/rest.md, "Request bounds"): 8 MiB, so that
// 100 rows of 16 KiB attributes fit once JSON-escaped and fully
// percent-encoded (3 bytes per byte) unless over ~70 % of their bytes need a
// JSON escape. It applies only to a POST whose body starts with
// "X-Userstore-Batch=" with extensions on (BodyLimit), and only on Chat's
// Users collection (the facade answers any other route as over
// kMaxBodyBytes).
inline constexpr size_t kMaxBatchBodyBytes = 8 * 1024 * 1024;

// The body bound for `method` / `body`: kMaxBatchBodyBytes for a POST whose
// body starts with "X-Userstore-Batch=" when `extensions`, else
// kMaxBodyBytes (params.h). O(1).
size_t BodyLimit(bool extensions, std::string_view method, std::string_view body);

// The filter of a list or count from its decoded query. Absent parameters
// leave their field unset; the Store validates the values (UserFilter: at
// most one criterion, the role, the prefix, the attribute key and value).
// Dates are RFC 3339 date-times (absl::RFC3339_full: "2015-07-30T20:00:00Z",
// a fraction and a numeric offset allowed), as Twilio's dates.
// Errors: 400/20001 a filter parameter with an empty value, a date that is
// not one. O(|query|).
absl::StatusOr<UserFilter> ParseUserFilter(const FormParams& query);

// The filter as query text for the paging URLs: each set criterion
// "Name=value&", in the order of the constants above, values
// percent-encoded (dates as "YYYY-MM-DDTHH:MM:SS[.f]Z", UTC); "" for an
// empty filter. Parsing it back gives the same filter, so a page token
// minted for it stays valid. O(size of the filter).
std::string FilterUrlQuery(const UserFilter& filter);

// X-Userstore-Count: absent → false; "true" (ASCII case ignored) → true.
// Errors: 400/20001 any other value (empty and "false" included). O(|query|).
absl::StatusOr<bool> CountRequested(const FormParams& query);

// The count body: {"count":N,"url":"{list_url}?{filter_query}X-Userstore-Count=true"}.
// `list_url` is absolute and unescaped; `filter_query` is FilterQuery's.
std::string CountJson(uint64_t count, std::string_view list_url, std::string_view filter_query);

// A batch parsed from X-Userstore-Batch's JSON text: the rows that parsed
// (`rows`, with their input indexes in `indexes`), and the others' errors.
struct ParsedBatch {
  size_t size = 0;  // rows in the input
  std::vector<UserUpsert> rows;
  std::vector<size_t> indexes;                            // of rows[i] in the input
  std::vector<std::pair<size_t, absl::Status>> rejected;  // (input index, 400/20001)
};

// Parses X-Userstore-Batch: a JSON array of 1..kMaxUpsertRows objects, each
// {"identity": string (required), "role_sid": string, "attributes": string
// (JSON text, as Twilio's Attributes parameter), "friendly_name": string}.
// A row with another member, a repeated member, a member of another type
// (null included) or no identity is rejected on its own (400/20001).
// Errors (the request's): 400/20001 not JSON, nested deeper than 64, not an
// array, an element that is not an object, no rows or more than
// kMaxUpsertRows. O(|text|).
absl::StatusOr<ParsedBatch> ParseBatch(std::string_view text);

// The batch body {"users":[…]} (docs/rest.md): one item per input row, in
// input order: {"index":i,"status":201|200,"outcome":"created"|"updated"|
// "unchanged","user":UserJson} or {"index":i,"status":S,"outcome":"failed",
// "code":C,"message":"…","more_info":"…"}. `results[k]` is the Store's
// result for batch.rows[k]. REQUIRES: results.size() == batch.rows.size().
std::string BatchJson(const ParsedBatch& batch, const std::vector<UpsertResult>& results,
                      std::string_view base_url);

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_REST_USER_EXTENSIONS_H_

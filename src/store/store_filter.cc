// StoreImpl: filtered lists and counts, and the indexed attribute (store.h,
// filter.h; docs/design.md, "Filtered lists").
//
// A filter is checked (CheckFilter) into a FilterQuery on one of the
// FilterIndex's orders and a token scope naming it, so a page token of one
// filter verifies for that filter only. A page reads page_size + 1 users
// in the filter's order (UserIndex::FilterScan), as ScanPage does for the
// creation order: the extra one decides the link on that side, one index
// probe (FilterAny) the link on the other.
#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "common/utf8.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {
namespace {

constexpr size_t kMaxIndexedKeyBytes = 128;

absl::Status Invalid(std::string_view message) {
  return BadRequest(twilio_code::kInvalidParameter, message);
}

// Whole Unix seconds at or after `t` (a bound with a fraction rounds up).
int64_t CeilSeconds(absl::Time t) {
  int64_t s = absl::ToUnixSeconds(t);
  if (absl::FromUnixSeconds(s) < t && s < std::numeric_limits<int64_t>::max()) ++s;
  return s;
}

// The 8-byte order-preserving key of a date (PageCursor::key): its
// sign-flipped bits, big-endian.
constexpr uint64_t kSignBit = uint64_t{1} << 63;
std::string DateKey(int64_t date) {
  std::string key;
  PutBigEndian64(static_cast<uint64_t>(date) ^ kSignBit, &key);
  return key;
}

int64_t DateOfKey(std::string_view key) {
  return static_cast<int64_t>(GetBigEndian64(key) ^ kSignBit);
}

PageCursor CursorOf(const FilterQuery& query, PageCursor::Direction direction,
                    const FilterPos& pos) {
  PageCursor cursor{direction, pos.sequence, {}};
  if (query.kind == FilterQuery::Kind::kIdentity) {
    cursor.sequence = 0;
    cursor.key = pos.identity;
  } else if (query.kind == FilterQuery::Kind::kDate) {
    cursor.key = DateKey(pos.date);
  }
  return cursor;
}

// The position of a decoded cursor; false when its key does not fit the
// query's order (a token can only carry one we issued: defensive).
bool PosOf(const FilterQuery& query, const PageCursor& cursor, FilterPos* pos) {
  pos->sequence = cursor.sequence;
  switch (query.kind) {
    case FilterQuery::Kind::kIdentity:
      pos->sequence = 0;
      pos->identity = cursor.key;
      return !cursor.key.empty();
    case FilterQuery::Kind::kDate:
      pos->date = DateOfKey(cursor.key);
      return cursor.key.size() == 8;
    default:
      return cursor.key.empty();
  }
}

// The position just past `pos` (so "before it" includes `pos`): an empty
// forward page's previous link.
FilterPos Successor(const FilterQuery& query, FilterPos pos) {
  if (query.kind == FilterQuery::Kind::kIdentity) {
    pos.identity.push_back('\0');  // the least string above it
  } else if (pos.sequence < std::numeric_limits<uint64_t>::max()) {
    ++pos.sequence;
  }
  return pos;
}

// The position just before `pos` (so "after it" includes `pos`): an empty
// backward page's next link. Identity order has no such string: the
// position itself (its user, if still there, is then not on the next page).
FilterPos Predecessor(const FilterQuery& query, FilterPos pos) {
  if (query.kind != FilterQuery::Kind::kIdentity && pos.sequence > 0) --pos.sequence;
  return pos;
}

}  // namespace

absl::StatusOr<StoreImpl::CheckedFilter> StoreImpl::CheckFilter(const ServiceState& service,
                                                                const UserFilter& filter) const {
  const int criteria = int{!filter.identity_prefix.empty()} + int{!filter.role_sid.empty()} +
                       int{filter.created_from || filter.created_before} +
                       int{!filter.attribute_key.empty() || !filter.attribute_value.empty()};
  if (criteria > 1) return Invalid("At most one filter may be given");
  CheckedFilter checked;
  FilterQuery& q = checked.query;
  if (!filter.identity_prefix.empty()) {
    const std::string_view prefix = filter.identity_prefix;
    if (!IsValidUtf8(prefix) || prefix.find('\0') != std::string_view::npos ||
        CountCodePoints(prefix) > options_.limits.max_identity_chars) {
      return Invalid(absl::StrCat("Invalid identity prefix: valid UTF-8 without U+0000, at most ",
                                  options_.limits.max_identity_chars, " characters"));
    }
    q.kind = FilterQuery::Kind::kIdentity;
    q.prefix = filter.identity_prefix;
    checked.scope = absl::StrCat("f:p:", q.prefix);
  } else if (!filter.role_sid.empty()) {
    USERSTORE_ASSIGN_OR_RETURN(q.role, service.ResolveServiceRole(filter.role_sid));
    q.kind = FilterQuery::Kind::kRole;
    checked.scope = absl::StrCat("f:r:", FormatSid("RL", q.role));
  } else if (filter.created_from || filter.created_before) {
    q.kind = FilterQuery::Kind::kDate;
    if (filter.created_from) q.from = CeilSeconds(*filter.created_from);
    if (filter.created_before) q.before = CeilSeconds(*filter.created_before);
    checked.scope = absl::StrCat("f:d:", q.from, ":", q.before);
  } else {
    if (filter.attribute_key.empty() || filter.attribute_value.empty()) {
      return Invalid("An attribute filter needs both its key and its value");
    }
    if (filter.attribute_value.size() > options_.limits.max_attributes_bytes ||
        filter.attribute_key.size() > kMaxIndexedKeyBytes) {
      return Invalid(absl::StrCat("Invalid attribute filter: the value is at most ",
                                  options_.limits.max_attributes_bytes, " bytes"));
    }
    if (filter.attribute_key != service.users().IndexedKey()) {
      return Invalid(absl::StrCat("Attribute '", filter.attribute_key,
                                  "' is not the Service's indexed attribute"));
    }
    std::optional<std::string> value = CanonicalFilterValue(filter.attribute_value);
    if (!value) {
      return Invalid("Invalid attribute value: the JSON text of a string or a (finite) number");
    }
    q.kind = FilterQuery::Kind::kAttribute;
    q.value = *std::move(value);
    q.key = filter.attribute_key;
    checked.scope = absl::StrCat("f:a:", filter.attribute_key, std::string(1, '\0'), q.value);
  }
  return checked;
}

absl::StatusOr<size_t> StoreImpl::FilteredPage(const ServiceState& service,
                                               const PageRequest& request, UserIndex::Visit read,
                                               Page* page, bool* backward) const {
  USERSTORE_ASSIGN_OR_RETURN(const CheckedFilter checked, CheckFilter(service, request.filter));
  const FilterQuery& query = checked.query;
  USERSTORE_ASSIGN_OR_RETURN(const PageCursor cursor,
                             StartPage(service, request, page, checked.scope));
  FilterPos pos;  // no token: before every user
  if (!request.page_token.empty() && !PosOf(query, cursor, &pos)) {
    return Invalid("Invalid PageToken");
  }
  const UserIndex& users = service.users();
  const size_t n = static_cast<size_t>(page->page_size);
  const bool forward = cursor.direction == PageCursor::Direction::kAfter;
  *backward = !forward;
  size_t read_count = 0;
  std::vector<FilterPos> seen = users.FilterScan(
      query, forward ? UserIndex::Direction::kForward : UserIndex::Direction::kBackward, pos, n + 1,
      [&](const UserRecord& r) {
        if (read_count++ < n) read(r);
      });
  const bool more_beyond = seen.size() > n;
  if (more_beyond) seen.pop_back();

  // Links as ScanPage gives them: only where a user is there to show.
  FilterPos last = !seen.empty() ? (forward ? seen.back() : seen.front())
                                 : (forward ? pos : Predecessor(query, pos));
  const bool has_next =
      forward ? more_beyond : users.FilterAny(query, UserIndex::Direction::kForward, last);
  if (has_next && page->page < kMaxPageIndex) {
    page->next_page_token =
        tokens_.Encode(service.sid(), CursorOf(query, PageCursor::Direction::kAfter, last),
                       request.api, checked.scope);
  }
  if (page->page > 0) {
    FilterPos first = !seen.empty() ? (forward ? seen.front() : seen.back())
                                    : (forward ? Successor(query, pos) : pos);
    const bool has_previous =
        forward ? users.FilterAny(query, UserIndex::Direction::kBackward, first) : more_beyond;
    if (has_previous) {
      page->previous_page_token =
          tokens_.Encode(service.sid(), CursorOf(query, PageCursor::Direction::kBefore, first),
                         request.api, checked.scope);
    }
  }
  return seen.size();
}

absl::StatusOr<uint64_t> StoreImpl::CountUsers(std::string_view service_sid,
                                               const UserFilter& filter) const {
  if (filter.empty()) return CountUsers(service_sid);
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  USERSTORE_ASSIGN_OR_RETURN(const CheckedFilter checked, CheckFilter(*service, filter));
  return service->users().FilterCount(checked.query);
}

absl::Status StoreImpl::SetIndexedAttribute(std::string_view service_sid, std::string_view key) {
  USERSTORE_RETURN_IF_ERROR(RefuseShared("the indexed attribute cannot be declared"));
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  if (key.size() > kMaxIndexedKeyBytes || !IsValidUtf8(key) ||
      key.find('\0') != std::string_view::npos) {
    return Invalid(absl::StrCat("Invalid indexed attribute: at most ", kMaxIndexedKeyBytes,
                                " bytes of UTF-8 without U+0000"));
  }
  return service->users().Exclusive([&](UserIndex::Locked& locked) -> absl::Status {
    if (locked.indexed_key() == key) return absl::OkStatus();
    if (journal_ != nullptr) {
      USERSTORE_RETURN_IF_ERROR(journal_->PutIndexedAttribute(service->sid(), key));
    }
    locked.SetIndexedKey(std::string(key));
    return absl::OkStatus();
  });
}

absl::Status StoreImpl::RestoreIndexedAttribute(std::string_view service_sid,
                                                std::string_view key) {
  USERSTORE_ASSIGN_OR_RETURN(ServiceState * service, FindService(service_sid));
  return service->users().Exclusive([&](UserIndex::Locked& locked) {
    locked.SetIndexedKey(std::string(key));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> StoreImpl::IndexedAttribute(std::string_view service_sid) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  return service->users().IndexedKey();
}

}  // namespace userstore::internal

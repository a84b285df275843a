// StoreImpl::ListUsers: keyset paging over a Service's creation order.
//
// A forward page after sequence S reads up to page_size + 1 users after S
// (one ahead, so a full last page gets no next token); a backward page
// (a previous_page token) reads up to page_size + 1 users before S (one
// behind, so a full first page gets no previous token). The link on the
// other side is checked with one index lookup (AnyAfter / AnyBefore). Only
// the first page_size users read are copied or visited.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/store_impl.h"
#include "store/user_view_access.h"
#include "userstore/error.h"

namespace userstore::internal {

absl::StatusOr<PageCursor> StoreImpl::StartPage(const ServiceState& service,
                                                const PageRequest& request, Page* page,
                                                std::string_view scope) const {
  const Limits& limits = options_.limits;
  if (request.page_size < 0) {
    return BadRequest(twilio_code::kInvalidParameter, "PageSize must be at least 1");
  }
  if (request.page < 0) {
    return BadRequest(twilio_code::kInvalidParameter, "Page must be at least 0");
  }
  if (request.page > kMaxPageIndex) {
    return BadRequest(twilio_code::kInvalidParameter,
                      absl::StrCat("Page must be at most ", kMaxPageIndex));
  }
  if (request.page > 0 && request.page_token.empty()) {
    return BadRequest(twilio_code::kInvalidParameter, "Page > 0 requires a PageToken");
  }
  PageCursor cursor;  // after sequence 0: the start
  if (!request.page_token.empty()) {
    USERSTORE_ASSIGN_OR_RETURN(
        cursor, tokens_.Decode(service.sid(), request.page_token, request.api, scope));
  }
  // Conversations' lists stop at their own maximum (page.h).
  const int64_t max_page_size = request.api == PageApi::kConversations
                                    ? std::min(limits.max_page_size, kConversationsMaxPageSize)
                                    : limits.max_page_size;
  page->page = request.page;
  page->page_token.assign(request.page_token);
  page->page_size = std::min(request.page_size == 0 ? limits.default_page_size : request.page_size,
                             max_page_size);
  page->next_page_token.clear();
  page->previous_page_token.clear();
  return cursor;
}

size_t StoreImpl::ScanPage(const ServiceState& service, const PageCursor& cursor, PageApi api,
                           UserIndex::Visit read, Page* page) const {
  const size_t n = static_cast<size_t>(page->page_size);
  const bool forward = cursor.direction == PageCursor::Direction::kAfter;
  const UserIndex::Direction direction =
      forward ? UserIndex::Direction::kForward : UserIndex::Direction::kBackward;
  // n + 1 users at most (one ahead, only counted), nearest first.
  size_t read_count = 0;
  UserIndex::Sequences seqs =
      service.users().Scan(direction, cursor.sequence, n + 1, [&](const UserRecord& r) {
        if (read_count++ < n) read(r);
      });
  // The one-ahead user exists: beyond the last user shown when forward,
  // before the first user shown when backward.
  const bool more_beyond = seqs.size() > n;
  if (more_beyond) seqs.pop_back();
  const size_t shown = seqs.size();

  // A link is given only when a user is there to show, so no link leads to
  // an empty page or back to this one: next looks one user ahead of the last
  // user shown, previous one user behind the first (docs/design.md). `seqs`
  // is nearest first: ascending when forward, descending when backward.
  //
  // Next: after the last user shown (an empty page: after the position).
  uint64_t last = cursor.sequence;
  if (!seqs.empty()) {
    last = forward ? seqs.back() : seqs.front();
  } else if (!forward && last > 0) {
    last -= 1;  // an empty backward page: everything from its position on
  }
  const bool has_next = forward ? more_beyond : service.users().AnyAfter(last);
  // At the largest index there is no next index to name (kMaxPageIndex).
  if (has_next && page->page < kMaxPageIndex) {
    page->next_page_token =
        tokens_.Encode(service.sid(), {PageCursor::Direction::kAfter, last}, api);
  }
  // Previous: before the first user shown (an empty page: before the
  // position); Twilio gives none on page 0.
  if (page->page > 0) {
    uint64_t first = cursor.sequence;
    if (!seqs.empty()) {
      first = forward ? seqs.front() : seqs.back();
    } else if (forward && first < std::numeric_limits<uint64_t>::max()) {
      first += 1;  // an empty forward page: everything up to its position
    }
    const bool has_previous = forward ? service.users().AnyBefore(first) : more_beyond;
    if (has_previous) {
      page->previous_page_token =
          tokens_.Encode(service.sid(), {PageCursor::Direction::kBefore, first}, api);
    }
  }
  return shown;
}

absl::Status StoreImpl::ListUsers(std::string_view service_sid, const PageRequest& request,
                                  Page* out) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  // Each user is copied over an element of out->users (capacity reused).
  std::vector<User>& users = out->users;
  if (!request.filter.empty()) {
    size_t k = 0;
    bool backward = false;
    USERSTORE_ASSIGN_OR_RETURN(const size_t shown, FilteredPage(
                                                       *service, request,
                                                       [&](const UserRecord& r) {
                                                         if (k == users.size())
                                                           users.emplace_back();
                                                         CopyUser(*service, r, UserShape::kListItem,
                                                                  &users[k]);
                                                         ++k;
                                                       },
                                                       out, &backward));
    users.resize(shown);
    if (backward) std::reverse(users.begin(), users.end());
    return absl::OkStatus();
  }
  USERSTORE_ASSIGN_OR_RETURN(const PageCursor cursor, StartPage(*service, request, out));
  users.reserve(std::min(static_cast<size_t>(out->page_size), service->users().size()));
  size_t k = 0;
  const size_t shown = ScanPage(
      *service, cursor, request.api,
      [&](const UserRecord& r) {
        if (k == users.size()) users.emplace_back();
        CopyUser(*service, r, UserShape::kListItem, &users[k]);
        ++k;
      },
      out);
  users.resize(shown);
  if (cursor.direction == PageCursor::Direction::kBefore) std::reverse(users.begin(), users.end());
  return absl::OkStatus();
}

absl::Status StoreImpl::VisitUsers(std::string_view service_sid, const PageRequest& request,
                                   Store::UserVisitor visit, Page* links) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  if (!request.filter.empty()) {
    // Copied, then visited in page order once no lock is held (a filtered
    // page re-checks each user under its lock: no view outlives it).
    std::vector<User> users;
    bool backward = false;
    USERSTORE_RETURN_IF_ERROR(FilteredPage(
                                  *service, request,
                                  [&](const UserRecord& r) {
                                    users.push_back(User());
                                    CopyUser(*service, r, UserShape::kListItem, &users.back());
                                  },
                                  links, &backward)
                                  .status());
    links->users.clear();
    if (backward) std::reverse(users.begin(), users.end());
    for (const User& u : users) visit(UserView(u));
    return absl::OkStatus();
  }
  USERSTORE_ASSIGN_OR_RETURN(const PageCursor cursor, StartPage(*service, request, links));
  links->users.clear();
  if (cursor.direction == PageCursor::Direction::kAfter) {
    ScanPage(
        *service, cursor, request.api,
        [&](const UserRecord& r) {
          UserView view = UserViewAccess::Blank();
          UserViewAccess::Fill(*service, r, UserShape::kListItem, &view);
          visit(view);
        },
        links);
    return absl::OkStatus();
  }
  // A previous page is read nearest first (descending): its users are
  // copied, then visited in page order once no lock is held.
  std::vector<User> users;
  ScanPage(
      *service, cursor, request.api,
      [&](const UserRecord& r) {
        users.push_back(User());
        CopyUser(*service, r, UserShape::kListItem, &users.back());
      },
      links);
  for (auto it = users.rbegin(); it != users.rend(); ++it) visit(UserView(*it));
  return absl::OkStatus();
}

}  // namespace userstore::internal

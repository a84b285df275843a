// One page of a Users list, and how to ask for it.
//
// Paging is keyset based (docs/design.md, "Paging"): users are listed in
// ascending creation order; a page token names a position in that order (after
// or before a user), is bound to its Service and authenticated, so a page
// costs O(log n + page_size) whatever its offset, and a walk with tokens sees
// every user that exists during the whole walk exactly once. A token is
// bound to its Service and to the REST API it was minted for (PageApi).
// Values; thread-compatible.
#ifndef USERSTORE_PAGE_H_
#define USERSTORE_PAGE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "userstore/filter.h"
#include "userstore/user.h"

namespace userstore {

// The largest Page index served: 2^63 - 2, so that the next index (Page + 1)
// is always representable. A page at this index has no next page (its
// next_page_token is empty), so every link the server emits names a page it
// serves.
inline constexpr int64_t kMaxPageIndex = std::numeric_limits<int64_t>::max() - 1;

// The REST API a page is read for (RestFacade serves Chat v2 and
// Conversations v1 from one Store). A page token is bound to it as it is to
// the Service: a token minted by one API's list is refused by the other's
// (400/20001 "Invalid PageToken"), since their paging rules differ. The
// account-level and Service-level Conversations lists (/v1/Users and
// /v1/Services/{IS}/Users) are one API: a token of one works on the other
// for the same Service.
enum class PageApi : uint8_t {
  kChat = 0,           // Chat v2: /v2/Services/{IS}/Users
  kConversations = 1,  // Conversations v1: /v1/Users, /v1/Services/{IS}/Users
};

// Conversations v1's PageSize maximum for Users (twilio_conversations_v1.json,
// the PageSize schema of ListServiceUser: "The default is 50, and the
// maximum is 50" in its current revision; earlier ones said 1000). Larger
// sizes are clamped to it, as Chat's are to
// Limits::max_page_size: Twilio's helper libraries send PageSize = limit
// (`users.list(limit=250)`), and an error would break them.
inline constexpr int64_t kConversationsMaxPageSize = 50;

struct PageRequest {
  // Twilio's PageSize. 0: Limits::default_page_size (50). < 0 is rejected
  // (400/20001); above Limits::max_page_size (100) it is clamped, and for
  // PageApi::kConversations above kConversationsMaxPageSize (50) too.
  int64_t page_size = 0;
  // Twilio's Page: the page index, "simply for client state". 0 to
  // kMaxPageIndex; > 0 requires a page_token (400/20001 otherwise).
  int64_t page = 0;
  // Twilio's PageToken: empty for the first page, else a token from a Page
  // of the same Service and API. Malformed, altered or foreign (another
  // Service's, or the other API's): 400/20001.
  std::string page_token;
  // The API the page is read for: binds its tokens and sets its maximum
  // PageSize.
  PageApi api = PageApi::kChat;
  // userstore's, not Twilio's: which users the page lists and in what order
  // (filter.h). Empty: every user, in creation order. The page's tokens are
  // bound to it: a token used with another filter is 400/20001. Errors of a
  // bad filter: those listed at UserFilter.
  UserFilter filter;
};

struct Page {
  std::vector<User> users;  // at most page_size, in creation order
  int64_t page = 0;         // echo of PageRequest::page
  int64_t page_size = 0;    // the effective page size (after default/clamp)
  std::string page_token;   // echo of PageRequest::page_token
  // Token of the following page; empty when no user follows this page, and
  // at page index kMaxPageIndex.
  std::string next_page_token;
  // Token of the preceding page; empty on page 0 and when no user precedes
  // this page (so no token leads to an empty page or back to this one).
  std::string previous_page_token;
};

}  // namespace userstore

#endif  // USERSTORE_PAGE_H_

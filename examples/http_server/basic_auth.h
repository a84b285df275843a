// HTTP Basic authentication as Twilio's REST API does it: the user name is
// the account SID, the password the auth token.
//
// Thread-safety: a BasicAuth is immutable after construction; Check is
// thread-safe.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_BASIC_AUTH_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_BASIC_AUTH_H_

#include <string>
#include <string_view>

namespace userstore_http {

class BasicAuth {
 public:
  BasicAuth(std::string account_sid, std::string auth_token);

  // True when `authorization` (the Authorization header's value) is
  // "Basic " (scheme matched case-insensitively, RFC 9110) followed by the
  // base64 of "ACCOUNT_SID:AUTH_TOKEN". Both parts are compared in time that
  // does not depend on where they differ. O(|authorization|).
  bool Check(std::string_view authorization) const;

 private:
  std::string account_sid_;
  std::string auth_token_;
};

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_BASIC_AUTH_H_

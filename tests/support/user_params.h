// Test helpers: the parameter structs of user writes, built in one call.
#ifndef USERSTORE_TESTS_SUPPORT_USER_PARAMS_H_
#define USERSTORE_TESTS_SUPPORT_USER_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "userstore/user.h"

namespace userstore::testing {

// A create of `identity`, with `attributes` when given.
inline UserCreate NewUser(std::string identity,
                          std::optional<std::string> attributes = std::nullopt) {
  UserCreate c;
  c.identity = std::move(identity);
  c.attributes = std::move(attributes);
  return c;
}

// An update replacing the attributes, conditional on `if_revision` when given.
inline UserUpdate AttributesUpdate(std::string attributes,
                                   std::optional<uint64_t> if_revision = std::nullopt) {
  UserUpdate u;
  u.attributes = std::move(attributes);
  u.if_revision = if_revision;
  return u;
}

// An update applying the merge patch `patch` to the attributes.
inline UserUpdate PatchUpdate(std::string patch,
                              std::optional<uint64_t> if_revision = std::nullopt) {
  UserUpdate u;
  u.attributes_patch = std::move(patch);
  u.if_revision = if_revision;
  return u;
}

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_USER_PARAMS_H_

// The two status-propagation helpers Debian's Abseil (20220623) lacks.
#ifndef USERSTORE_SRC_COMMON_STATUS_MACROS_H_
#define USERSTORE_SRC_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define USERSTORE_RETURN_IF_ERROR(expr)                                        \
  do {                                                                         \
    if (absl::Status _us_status = (expr); !_us_status.ok()) return _us_status; \
  } while (false)

#define USERSTORE_CONCAT_INNER_(a, b) a##b
#define USERSTORE_CONCAT_(a, b) USERSTORE_CONCAT_INNER_(a, b)

// `lhs = *expr` when the absl::StatusOr `expr` is OK, else returns its status.
#define USERSTORE_ASSIGN_OR_RETURN(lhs, expr) \
  USERSTORE_ASSIGN_OR_RETURN_IMPL_(USERSTORE_CONCAT_(_us_or_, __LINE__), lhs, expr)
#define USERSTORE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return std::move(tmp).status();         \
  lhs = std::move(tmp).value()

#endif  // USERSTORE_SRC_COMMON_STATUS_MACROS_H_

// Test helpers: a Store with one Service and a settable clock, status
// assertions on Twilio codes, and ASSERT_OK_AND_ASSIGN.
#ifndef USERSTORE_TESTS_SUPPORT_TEST_STORE_H_
#define USERSTORE_TESTS_SUPPORT_TEST_STORE_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "userstore/error.h"
#include "userstore/store.h"

namespace userstore::testing {

inline constexpr char kServiceSid[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline constexpr char kAccountSid[] = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline constexpr char kRoleSid[] = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

// A clock tests move by hand; starts at 2016-03-24T21:05:19Z.
class FakeClock {
 public:
  absl::Time Now() const { return absl::FromUnixSeconds(seconds_.load()); }
  void Advance(int64_t s) { seconds_ += s; }

 private:
  std::atomic<int64_t> seconds_{1458853519};
};

// A Store (account kAccountSid, fake clock) with Service kServiceSid and a
// service-scope role kRoleSid.
struct TestStore {
  explicit TestStore(StoreOptions options = {});
  std::unique_ptr<Store> store;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  Store* operator->() const { return store.get(); }
};

// Success of the expression, with its status shown when it fails.
#define ASSERT_OK(expr)                                         \
  do {                                                          \
    const auto& _s = (expr);                                    \
    ASSERT_TRUE(_s.ok()) << ::userstore::testing::StatusOf(_s); \
  } while (false)

// Unwraps the absl::StatusOr `expr` into `lhs` (a declaration such as
// `User u` or `auto page`, or an assignable expression). When `expr` holds an
// error, fails the test with that status and returns from the enclosing
// function, as ASSERT_* does (so: only in functions returning void). Debian's
// Abseil (20220623) has no such macro. Each use declares a hidden local named
// after its line: one use per line.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  USERSTORE_ASSERT_OK_AND_ASSIGN_IMPL_(USERSTORE_TEST_CONCAT_(_us_status_or_, __LINE__), lhs, expr)
#define USERSTORE_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                         \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status();    \
  lhs = std::move(tmp).value()
#define USERSTORE_TEST_CONCAT_INNER_(a, b) a##b
#define USERSTORE_TEST_CONCAT_(a, b) USERSTORE_TEST_CONCAT_INNER_(a, b)

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Expects `expr` to fail with HTTP status `http` and Twilio code `code`.
#define EXPECT_TWILIO_ERROR(expr, http, code)                     \
  do {                                                            \
    const absl::Status _s = ::userstore::testing::StatusOf(expr); \
    EXPECT_FALSE(_s.ok());                                        \
    EXPECT_EQ(::userstore::HttpStatus(_s), (http)) << _s;         \
    EXPECT_EQ(::userstore::TwilioCode(_s), (code)) << _s;         \
  } while (false)

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_TEST_STORE_H_

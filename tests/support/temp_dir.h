// TempDir: a fresh directory per test (tests run in parallel), removed with
// everything in it when the object dies.
#ifndef USERSTORE_TESTS_SUPPORT_TEMP_DIR_H_
#define USERSTORE_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace userstore::testing {

class TempDir {
 public:
  // `prefix` names the directory (e.g. "userstore-durable"), for debugging.
  explicit TempDir(const std::string& prefix = "userstore") {
    std::string pattern = ::testing::TempDir() + prefix + "-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace userstore::testing

#endif  // USERSTORE_TESTS_SUPPORT_TEMP_DIR_H_

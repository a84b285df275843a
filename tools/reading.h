// What `userstore get` and `userstore list` share: the store directory
// opened read-only (StoreReader, userstore/inspect.h) and the base URL their
// JSON is rendered with.
//
// Thread-safety: a Reading is used by one thread at a time.
#ifndef USERSTORE_TOOLS_READING_H_
#define USERSTORE_TOOLS_READING_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "cli_args.h"
#include "userstore/inspect.h"

namespace userstore::cli {

struct Reading {
  std::unique_ptr<StoreReader> reader;
  std::string base_url;  // --base-url as the Store normalises it, or the default
};

// The exit status of get and list when a user or Service is not found.
inline constexpr int kNotFoundExit = 1;

// Opens options.dir read-only and checks --base-url by the Store's rules
// (Store::Create: an absolute http(s) URL; trailing slashes dropped). On
// failure writes "userstore: COMMAND DIR: message" (or "userstore:
// --base-url URL: message") to `err` and returns false. Complexity: that of
// StoreReader::Open.
bool OpenReading(const CliOptions& options, std::string_view command, Reading* reading,
                 std::ostream& err);

// What `export` and `events` do first: --service given twice (NoRepeatedSids)
// is an error, then options.data_dir is opened as OpenReading opens a DIR.
// On failure writes "userstore: ..." to `err` and returns false.
bool OpenDataDir(const CliOptions& options, std::string_view command, Reading* reading,
                 std::ostream& err);

// Reports a failed read: a 404 as Twilio's error body (ErrorJson) on one
// line of `err`, returning kNotFoundExit; anything else as "userstore:
// COMMAND DIR: message", returning 2.
int ReadFailed(const absl::Status& status, std::string_view command, const std::string& dir,
               std::ostream& err);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_READING_H_

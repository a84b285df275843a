// `userstore get DIR KEY [--service IS...]`: one user of a store directory,
// read-only (StoreReader), as the REST facade's fetch returns it.
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "reading.h"
#include "userstore/json.h"

namespace userstore::cli {
namespace {

// The most Services the message of an ambiguous get names.
constexpr size_t kServicesNamed = 10;

// Why `get` without --service cannot choose among `services` (not one).
std::string CannotChoose(const std::vector<Service>& services) {
  if (services.empty()) return "the store holds no Service: there is no user to get";
  std::string out =
      absl::StrCat("the store holds ", services.size(), " Services: name one with --service (");
  for (size_t i = 0; i < services.size() && i < kServicesNamed; ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", services[i].sid);
  }
  if (services.size() > kServicesNamed) {
    absl::StrAppend(&out, ", and ", services.size() - kServicesNamed,
                    " more: userstore stats DIR lists them");
  }
  return out + ")";
}

}  // namespace

int RunGet(const CliOptions& options, std::ostream& out, std::ostream& err) {
  Reading reading;
  if (!OpenReading(options, "get", &reading, err)) return 2;
  std::string service;
  if (!options.services.empty()) {
    service = options.services.front();
  } else if (reading.reader->services().size() == 1) {
    service = reading.reader->services().front().sid;
  } else {
    err << "userstore: get " << options.dir << ": " << CannotChoose(reading.reader->services())
        << "\n";
    return 2;
  }
  absl::StatusOr<User> user = reading.reader->FetchUser(service, options.key);
  if (!user.ok()) return ReadFailed(user.status(), "get", options.dir, err);
  out << UserJson(*user, reading.base_url) << "\n" << std::flush;
  return out ? 0 : 2;
}

}  // namespace userstore::cli

#include "reading.h"

#include <utility>

#include "absl/status/statusor.h"
#include "session.h"
#include "userstore/error.h"
#include "userstore/json.h"
#include "userstore/options.h"
#include "userstore/store.h"

namespace userstore::cli {

bool OpenReading(const CliOptions& options, std::string_view command, Reading* reading,
                 std::ostream& err) {
  reading->base_url = StoreOptions().base_url;
  if (options.base_url.has_value()) {
    // The Store's own check, so get and list take what replay and stdio do.
    StoreOptions store_options;
    store_options.base_url = *options.base_url;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(std::move(store_options));
    if (!store.ok()) {
      err << "userstore: --base-url " << *options.base_url << ": " << store.status().message()
          << "\n";
      return false;
    }
    reading->base_url = (*store)->options().base_url;
  }
  absl::StatusOr<std::unique_ptr<StoreReader>> reader = StoreReader::Open(options.dir);
  if (!reader.ok()) {
    err << "userstore: " << command << " " << options.dir << ": " << reader.status().message()
        << "\n";
    return false;
  }
  reading->reader = *std::move(reader);
  return true;
}

bool OpenDataDir(const CliOptions& options, std::string_view command, Reading* reading,
                 std::ostream& err) {
  if (absl::Status s = NoRepeatedSids(options.services, "--service", "IS"); !s.ok()) {
    err << "userstore: " << s.message() << "\n";
    return false;
  }
  CliOptions reading_options = options;
  reading_options.dir = options.data_dir;
  return OpenReading(reading_options, command, reading, err);
}

int ReadFailed(const absl::Status& status, std::string_view command, const std::string& dir,
               std::ostream& err) {
  if (HttpStatus(status) == 404) {
    err << ErrorJson(status) << "\n";
    return kNotFoundExit;
  }
  err << "userstore: " << command << " " << dir << ": " << status.message() << "\n";
  return 2;
}

}  // namespace userstore::cli

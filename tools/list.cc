// `userstore list DIR [--service IS...]... [--limit N]`: the users of a
// store directory, read-only (StoreReader), one JSON object per line.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "commands.h"
#include "reading.h"
#include "session.h"
#include "userstore/json.h"
#include "userstore/user_view.h"

namespace userstore::cli {

int RunList(const CliOptions& options, std::ostream& out, std::ostream& err) {
  if (absl::Status s = NoRepeatedSids(options.services, "--service", "IS"); !s.ok()) {
    err << "userstore: " << s.message() << "\n";
    return 2;
  }
  Reading reading;
  if (!OpenReading(options, "list", &reading, err)) return 2;
  std::vector<std::string> services = options.services;
  if (services.empty()) {
    for (const Service& service : reading.reader->services()) services.push_back(service.sid);
  } else {
    // Every named Service is known before the first line is written: a
    // mistyped one is a 404 and nothing else.
    for (const std::string& service : services) {
      absl::Status known = reading.reader->VisitUsers(service, [](const User&) { return false; });
      if (!known.ok()) return ReadFailed(known, "list", options.dir, err);
    }
  }
  const uint64_t limit = options.limit;  // 0: none
  uint64_t printed = 0;
  std::string line;  // reused: one user's JSON at a time, whatever the store holds
  for (const std::string& service : services) {
    if (limit != 0 && printed >= limit) break;
    absl::Status s = reading.reader->VisitUsers(service, [&](const User& user) {
      line.clear();
      AppendUserJson(UserView(user), reading.base_url, &line);
      line.push_back('\n');
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      ++printed;
      return out.good() && (limit == 0 || printed < limit);
    });
    if (!s.ok()) return ReadFailed(s, "list", options.dir, err);
    if (!out) break;
  }
  out.flush();
  if (!out) {
    err << "userstore: list " << options.dir << ": cannot write the output\n";
    return 2;
  }
  return 0;
}

}  // namespace userstore::cli

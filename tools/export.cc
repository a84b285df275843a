// `userstore export --data-dir DIR [--service IS...]... [-o FILE]`: the
// Services, roles and users of a store directory as NDJSON, read-only
// (StoreReader), streamed one user at a time.
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "commands.h"
#include "reading.h"
#include "userstore/json.h"
#include "userstore/sid.h"
#include "userstore/user_view.h"

namespace userstore::cli {
namespace {

void AppendRecord(std::string_view type, std::string_view item, std::string* line) {
  line->append("{\"type\":\"");
  line->append(type);
  line->append("\",\"item\":");
  line->append(item);
  line->append("}\n");
}

}  // namespace

int RunExport(const CliOptions& options, std::ostream& out, std::ostream& err) {
  Reading reading;
  if (!OpenDataDir(options, "export", &reading, err)) return 2;
  const StoreReader& reader = *reading.reader;
  std::vector<Service> services;
  if (options.services.empty()) {
    services = reader.services();
  } else {
    // Every named Service is known before the first line is written.
    for (const std::string& sid : options.services) {
      const Service* found = nullptr;
      const std::optional<std::string> canonical = CanonicalSid(sid, "IS");
      for (const Service& service : reader.services()) {
        if (canonical && service.sid == *canonical) found = &service;
      }
      if (found == nullptr) {
        absl::Status missing = reader.ListRoles(sid).status();
        return ReadFailed(missing, "export", options.data_dir, err);
      }
      services.push_back(*found);
    }
  }

  std::ofstream file;
  std::ostream* sink = &out;
  if (!options.output.empty()) {
    file.open(options.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "userstore: export: cannot write " << options.output << "\n";
      return 2;
    }
    sink = &file;
  }
  uint64_t users = 0;
  std::string line;  // reused: one record at a time, whatever the store holds
  auto write = [&] {
    sink->write(line.data(), static_cast<std::streamsize>(line.size()));
    line.clear();
    return sink->good();
  };
  for (const Service& service : services) {
    AppendRecord("service", ServiceJson(service, reading.base_url), &line);
    absl::StatusOr<std::vector<Role>> roles = reader.ListRoles(service.sid);
    if (!roles.ok()) return ReadFailed(roles.status(), "export", options.data_dir, err);
    for (const Role& role : *roles) AppendRecord("role", RoleJson(role, reading.base_url), &line);
    if (!write()) break;
    std::string item;
    absl::Status s = reader.ReadUsers(service.sid, [&](const UserView& user) {
      item.clear();
      AppendUserJson(user, reading.base_url, &item);
      AppendRecord("user", item, &line);
      ++users;
      return write();
    });
    if (!s.ok()) return ReadFailed(s, "export", options.data_dir, err);
    if (!sink->good()) break;
  }
  sink->flush();
  if (!sink->good()) {
    err << "userstore: export " << options.data_dir << ": cannot write "
        << (options.output.empty() ? std::string("the output") : options.output) << "\n";
    return 2;
  }
  err << "exported " << services.size() << " Services, " << users << " users from "
      << options.data_dir << "\n";
  return 0;
}

}  // namespace userstore::cli

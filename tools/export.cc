// `userstore export --data-dir DIR [--service IS...]... [-o FILE]`: the
// Services, roles, users and push Bindings of a store directory, then its
// Conversations Configuration, as NDJSON, read-only (StoreReader), streamed
// one user (Binding) at a time; with --postgres CONNINFO, those of the
// shared Store in that database (Store::OpenShared; it keeps no Bindings),
// a page of users at a time.
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "commands.h"
#include "reading.h"
#include "session.h"
#include "userstore/binding.h"
#include "userstore/configuration.h"
#include "userstore/json.h"
#include "userstore/options.h"
#include "userstore/page.h"
#include "userstore/sid.h"
#include "userstore/store.h"
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

// Whether the Configuration was ever set (a field of it is not empty):
// only then is it exported.
bool ConfigurationSet(const Configuration& c) {
  return !c.default_chat_service_sid.empty() || !c.default_messaging_service_sid.empty() ||
         !c.default_inactive_timer.empty() || !c.default_closed_timer.empty();
}

// The Configuration record, after every Service, when the whole store is
// exported (no --service: it is the account's, not a Service's) and it was
// ever set. `conversations_base_url` builds its url and links.
void AppendConfiguration(const CliOptions& options, const Configuration& configuration,
                         std::string_view conversations_base_url, std::string* line) {
  if (!options.services.empty() || !ConfigurationSet(configuration)) return;
  AppendRecord("configuration", ConfigurationJson(configuration, conversations_base_url), line);
}

// "exported S Services, U users[, B Bindings][, the Configuration] from ".
std::string Summary(size_t services, uint64_t users, uint64_t bindings, bool configuration) {
  std::string text =
      "exported " + std::to_string(services) + " Services, " + std::to_string(users) + " users";
  if (bindings > 0) text += ", " + std::to_string(bindings) + " Bindings";
  if (configuration) text += ", the Configuration";
  return text + " from ";
}

// Where export writes: -o FILE or `out`.
class Sink {
 public:
  Sink(const CliOptions& options, std::ostream& out) : sink_(&out) {
    if (options.output.empty()) return;
    file_.open(options.output, std::ios::binary | std::ios::trunc);
    sink_ = &file_;
    opened_ = static_cast<bool>(file_);
  }
  bool opened() const { return opened_; }
  // Writes and clears `*line`; false when the output failed.
  bool Write(std::string* line) {
    sink_->write(line->data(), static_cast<std::streamsize>(line->size()));
    line->clear();
    return sink_->good();
  }
  std::ostream& stream() { return *sink_; }

 private:
  std::ofstream file_;
  std::ostream* sink_;
  bool opened_ = true;
};

// export --postgres: the same records from a shared Store (Store::OpenShared),
// users read a page (100) at a time in creation order.
int ExportShared(const CliOptions& options, std::ostream& out, std::ostream& err) {
  const std::string name = StoreName(options);
  if (absl::Status s = NoRepeatedSids(options.services, "--service", "IS"); !s.ok()) {
    err << "userstore: " << s.message() << "\n";
    return 2;
  }
  StoreOptions store_options;
  if (options.base_url.has_value()) store_options.base_url = *options.base_url;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      OpenSharedStore(options, std::move(store_options));
  if (!opened.ok()) {
    err << "userstore: export: " << opened.status().message() << "\n";
    return 2;
  }
  const Store& store = **opened;
  const std::string& base_url = store.options().base_url;
  std::vector<Service> services;
  if (options.services.empty()) {
    services = store.ListServices();
  } else {
    for (const std::string& sid : options.services) {
      absl::StatusOr<Service> found = store.FetchService(sid);
      if (!found.ok()) return ReadFailed(found.status(), "export", name, err);
      services.push_back(*std::move(found));
    }
  }
  Sink sink(options, out);
  if (!sink.opened()) {
    err << "userstore: export: cannot write " << options.output << "\n";
    return 2;
  }
  uint64_t users = 0;
  std::string line;
  for (const Service& service : services) {
    AppendRecord("service", ServiceJson(service, base_url), &line);
    absl::StatusOr<std::vector<Role>> roles = store.ListRoles(service.sid);
    if (!roles.ok()) return ReadFailed(roles.status(), "export", name, err);
    for (const Role& role : *roles) AppendRecord("role", RoleJson(role, base_url), &line);
    if (!sink.Write(&line)) break;
    PageRequest request;
    request.page_size = 100;
    std::string item;
    bool written = true;
    while (written) {
      Page links;
      absl::Status s = store.VisitUsers(
          service.sid, request,
          [&](const UserView& user) {
            if (!written) return;
            item.clear();
            AppendUserJson(user, base_url, &item);
            AppendRecord("user", item, &line);
            ++users;
            written = sink.Write(&line);
          },
          &links);
      if (!s.ok()) return ReadFailed(s, "export", name, err);
      if (links.next_page_token.empty()) break;
      request.page_token = links.next_page_token;
      ++request.page;
    }
    if (!written) break;
  }
  const Configuration configuration = store.FetchConfiguration();
  AppendConfiguration(options, configuration, store.options().conversations_base_url, &line);
  const bool with_configuration = !line.empty();
  if (with_configuration) sink.Write(&line);
  sink.stream().flush();
  if (!sink.stream().good()) {
    err << "userstore: export " << name << ": cannot write "
        << (options.output.empty() ? std::string("the output") : options.output) << "\n";
    return 2;
  }
  err << Summary(services.size(), users, 0, with_configuration) << name << "\n";
  return 0;
}

}  // namespace

int RunExport(const CliOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.postgres.empty()) return ExportShared(options, out, err);
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
  uint64_t bindings = 0;
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
    // The Service's Bindings, in creation order, after its users (an import
    // needs the users first). UserBindingJson, as it names the user by SID.
    s = reader.ReadBindings(service.sid, [&](const Binding& binding) {
      AppendRecord("binding", UserBindingJson(binding, reading.base_url), &line);
      ++bindings;
      return write();
    });
    if (!s.ok()) return ReadFailed(s, "export", options.data_dir, err);
    if (!sink->good()) break;
  }
  AppendConfiguration(options, reader.configuration(), StoreOptions().conversations_base_url,
                      &line);
  const bool with_configuration = !line.empty();
  if (with_configuration) write();
  sink->flush();
  if (!sink->good()) {
    err << "userstore: export " << options.data_dir << ": cannot write "
        << (options.output.empty() ? std::string("the output") : options.output) << "\n";
    return 2;
  }
  err << Summary(services.size(), users, bindings, with_configuration) << options.data_dir << "\n";
  return 0;
}

}  // namespace userstore::cli

// `userstore import --data-dir DIR [--service IS]... [--mode M] [--dry-run]
// [--create-services] FILE...`: records read by ParseImport
// (import_parse.h), carried into a durable Store with Store::ImportService,
// Store::ImportUsers and Store::ImportBindings, the Configuration last with
// Store::UpdateConfiguration; with --postgres CONNINFO instead of
// --data-dir, into the shared Store of that database (Store::OpenShared;
// it keeps no Bindings: their records are skipped with a warning).
#include "userstore/import.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "commands.h"
#include "import_parse.h"
#include "progress.h"
#include "session.h"
#include "userstore/binding.h"
#include "userstore/configuration.h"
#include "userstore/error.h"
#include "userstore/page.h"
#include "userstore/sid.h"
#include "userstore/store.h"

namespace userstore::cli {
namespace {

// Rows per ImportUsers call (and per durable write batch).
constexpr size_t kBatchRows = 1000;

std::string Canonical(std::string_view sid, std::string_view prefix) {
  return CanonicalSid(sid, prefix).value_or(std::string(sid));
}

const char* ModeName(ImportMode mode) {
  switch (mode) {
    case ImportMode::kInsert:
      return "insert";
    case ImportMode::kSkip:
      return "skip";
    case ImportMode::kUpsert:
      return "upsert";
  }
  return "insert";
}

// Reads a whole file ("-": `in`) into `*text`. False when it cannot be read.
bool ReadInput(const std::string& path, std::istream& in, std::string* text) {
  if (path == "-") {
    text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  text->assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return !file.bad();
}

// Whether a Configuration was ever set (a field of it is not empty).
bool ConfigurationSet(const Configuration& c) {
  return !c.default_chat_service_sid.empty() || !c.default_messaging_service_sid.empty() ||
         !c.default_inactive_timer.empty() || !c.default_closed_timer.empty();
}

// The update that makes the stored Configuration `c` (every field set).
ConfigurationUpdate UpdateOf(const Configuration& c) {
  ConfigurationUpdate update;
  update.default_chat_service_sid = c.default_chat_service_sid;
  update.default_messaging_service_sid = c.default_messaging_service_sid;
  update.default_inactive_timer = c.default_inactive_timer;
  update.default_closed_timer = c.default_closed_timer;
  return update;
}

class Importer {
 public:
  Importer(const CliOptions& options, std::ostream& err, bool terminal)
      : options_(options), err_(err), terminal_(terminal) {
    for (const std::string& sid : options.services) selected_.insert(Canonical(sid, "IS"));
  }

  // Runs the whole command; returns the exit status.
  int Run(std::istream& in) {
    if (absl::Status s = NoRepeatedSids(options_.services, "--service", "IS"); !s.ok()) {
      err_ << "userstore: " << s.message() << "\n";
      return 2;
    }
    uint64_t total_bytes = 0;
    for (const std::string& file : options_.files) {
      std::error_code ec;
      const uintmax_t size = file == "-" ? 0 : std::filesystem::file_size(file, ec);
      if (file == "-" || ec) {
        total_bytes = 0;  // unknown: no percentage
        break;
      }
      total_bytes += size;
    }
    progress_ = std::make_unique<ImportProgress>(&err_, terminal_, total_bytes);
    start_ = absl::Now();
    std::string text;
    for (const std::string& file : options_.files) {
      if (!ReadInput(file, in, &text)) {
        progress_->Finish();
        err_ << "userstore: import " << file << ": cannot read the file\n";
        ++file_errors_;
        continue;
      }
      const std::string name = file == "-" ? "<stdin>" : file;
      const ImportFormat format = ParseImport(name, text, [&](const ImportItem& item) {
        Handle(item, bytes_before_ + item.offset);
        return fatal_ == 0;
      });
      formats_.insert(ImportFormatName(format));
      bytes_before_ += text.size();
      // A Service record waits for its roles, which may be in the next file.
      if (fatal_ == 0) FlushUsers();
      if (fatal_ == 0) FlushBindings();
      if (fatal_ != 0) break;
    }
    if (fatal_ == 0 && store_ != nullptr) Flush();
    if (fatal_ == 0 && store_ != nullptr) ApplyConfiguration();
    progress_->Finish();
    if (fatal_ != 0) {
      Summary();
      return fatal_;
    }
    Summary();
    return rejected_ == 0 && file_errors_ == 0 && bindings_unsupported_ == 0 ? 0 : 1;
  }

 private:
  struct PendingService {
    Service service;
    std::vector<Role> roles;
    std::string location;
  };

  void Report(std::string_view location, const absl::Status& status) {
    progress_->Finish();
    err_ << "userstore: import " << location << ": " << HttpStatus(status) << "/"
         << TwilioCode(status) << " " << status.message() << "\n";
  }

  void Reject(std::string_view location, const absl::Status& status) {
    ++rejected_;
    Report(location, status);
  }

  void Fatal(std::string_view what, const absl::Status& status) {
    progress_->Finish();
    err_ << "userstore: import " << StoreName(options_) << ": " << what << ": " << status.message()
         << "\n";
    fatal_ = 2;
  }

  // --postgres: the shared Store of the database, opened with the input's
  // `account` (stored when the database is empty) or, when the database
  // holds another account already, with that one. With --dry-run, a copy
  // of it in memory instead (nothing is written).
  absl::StatusOr<std::unique_ptr<Store>> OpenShared(const std::string& account) {
    StoreOptions store_options;
    store_options.account_sid = CanonicalSid(account, "AC").value_or(std::string());
    absl::StatusOr<std::unique_ptr<Store>> shared = OpenSharedStore(options_, store_options);
    if (!shared.ok() && !store_options.account_sid.empty() &&
        shared.status().code() == absl::StatusCode::kFailedPrecondition) {
      // The database's account differs: keep the stored one, as a store
      // directory does.
      shared = OpenSharedStore(options_, StoreOptions());
    }
    if (!shared.ok() || !options_.dry_run) return shared;
    StoreOptions copy_options;
    copy_options.account_sid = (*shared)->options().account_sid;
    absl::StatusOr<std::unique_ptr<Store>> copy = Store::Create(copy_options);
    if (!copy.ok()) return copy.status();
    if (absl::Status s = CopyInto(**shared, copy->get()); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("reading the store for --dry-run: ", s.message()));
    }
    return copy;
  }

  // Opens the Store at the first record that needs it. `account`: the
  // account of that record, used when the store is created.
  bool EnsureStore(const std::string& account) {
    if (store_ != nullptr) return true;
    if (fatal_ != 0) return false;
    if (!options_.postgres.empty()) {
      absl::StatusOr<std::unique_ptr<Store>> shared = OpenShared(account);
      if (!shared.ok()) {
        Fatal("cannot open the store", shared.status());
        return false;
      }
      store_ = *std::move(shared);
      account_ = store_->options().account_sid;
      return true;
    }
    // An existing store keeps its account (read without a lock).
    std::unique_ptr<StoreReader> reader;
    if (std::filesystem::exists(options_.data_dir)) {
      absl::StatusOr<std::unique_ptr<StoreReader>> opened = StoreReader::Open(options_.data_dir);
      if (opened.ok()) reader = *std::move(opened);
    }
    const std::string existing = reader != nullptr ? reader->account_sid() : std::string();
    StoreOptions store_options;
    // A new store takes the input's account (when it is one).
    store_options.account_sid =
        !existing.empty() ? existing : CanonicalSid(account, "AC").value_or(std::string());
    absl::StatusOr<std::unique_ptr<Store>> store;
    if (options_.dry_run) {
      // A Store in memory, a copy of DIR: nothing is written.
      store = Store::Create(store_options);
      if (store.ok() && reader != nullptr) {
        if (absl::Status s = CopyInto(*reader, store->get()); !s.ok()) {
          Fatal("reading the store for --dry-run", s);
          return false;
        }
      }
    } else {
      if (!existing.empty()) store_options.account_sid.clear();  // the stored one
      DurableOptions durable;
      durable.sync = options_.sync;
      store = Store::Open(options_.data_dir, store_options, durable);
    }
    if (!store.ok()) {
      Fatal("cannot open the store", store.status());
      return false;
    }
    store_ = *std::move(store);
    account_ = store_->options().account_sid;
    return true;
  }

  // Copies the Services, roles and users of `reader` into `store`.
  static absl::Status CopyInto(const StoreReader& reader, Store* store) {
    for (const Service& service : reader.services()) {
      absl::StatusOr<std::vector<Role>> roles = reader.ListRoles(service.sid);
      if (!roles.ok()) return roles.status();
      absl::StatusOr<Service> imported = store->ImportService(service, *roles);
      if (!imported.ok()) return imported.status();
      std::vector<UserImport> batch;
      absl::Status failed;
      auto flush = [&]() -> absl::Status {
        absl::StatusOr<ImportResult> result = store->ImportUsers(service.sid, batch);
        batch.clear();
        if (!result.ok()) return result.status();
        if (!result->errors.empty()) return result->errors.front().status;
        return absl::OkStatus();
      };
      absl::Status visited = reader.VisitUsers(service.sid, [&](const User& user) {
        batch.push_back(ImportOf(user));
        if (batch.size() >= kBatchRows) failed = flush();
        return failed.ok();
      });
      if (!visited.ok()) return visited;
      if (!failed.ok()) return failed;
      if (!batch.empty()) {
        if (absl::Status s = flush(); !s.ok()) return s;
      }
      std::vector<BindingImport> bindings;
      absl::Status read = reader.ReadBindings(service.sid, [&](const Binding& binding) {
        bindings.push_back(ImportOf(binding));
        return true;
      });
      if (!read.ok()) return read;
      if (!bindings.empty()) {
        absl::StatusOr<ImportResult> result = store->ImportBindings(service.sid, bindings);
        if (!result.ok()) return result.status();
        if (!result->errors.empty()) return result->errors.front().status;
      }
    }
    if (ConfigurationSet(reader.configuration())) {
      absl::StatusOr<Configuration> updated =
          store->UpdateConfiguration(UpdateOf(reader.configuration()));
      if (!updated.ok()) return updated.status();
    }
    return absl::OkStatus();
  }

  // Copies the Services, roles and users of the Store `from` into `to`
  // (users a page at a time, in creation order).
  static absl::Status CopyInto(const Store& from, Store* to) {
    for (const Service& service : from.ListServices()) {
      absl::StatusOr<std::vector<Role>> roles = from.ListRoles(service.sid);
      if (!roles.ok()) return roles.status();
      absl::StatusOr<Service> imported = to->ImportService(service, *roles);
      if (!imported.ok()) return imported.status();
      PageRequest request;
      request.page_size = 100;
      std::vector<UserImport> batch;
      while (true) {
        absl::StatusOr<Page> page = from.ListUsers(service.sid, request);
        if (!page.ok()) return page.status();
        for (const User& user : page->users) batch.push_back(ImportOf(user));
        if (batch.size() >= kBatchRows || page->next_page_token.empty()) {
          absl::StatusOr<ImportResult> result = to->ImportUsers(service.sid, batch);
          batch.clear();
          if (!result.ok()) return result.status();
          if (!result->errors.empty()) return result->errors.front().status;
        }
        if (page->next_page_token.empty()) break;
        request.page_token = page->next_page_token;
        ++request.page;
      }
    }
    // A shared Store keeps no Bindings; its Configuration is copied.
    if (const Configuration c = from.FetchConfiguration(); ConfigurationSet(c)) {
      absl::StatusOr<Configuration> updated = to->UpdateConfiguration(UpdateOf(c));
      if (!updated.ok()) return updated.status();
    }
    return absl::OkStatus();
  }

  static UserImport ImportOf(const User& user) {
    UserImport row;
    row.sid = user.sid;
    row.identity = user.identity;
    row.role_sid = user.role_sid;
    row.attributes = user.attributes;
    row.friendly_name = user.friendly_name;
    row.joined_channels_count = user.joined_channels_count;
    row.date_created = user.date_created;
    row.date_updated = user.date_updated;
    return row;
  }

  static BindingImport ImportOf(const Binding& binding) {
    BindingImport row;
    row.sid = binding.sid;
    row.user_key = binding.user_sid;
    row.binding_type = binding.binding_type;
    row.endpoint = binding.endpoint;
    row.credential_sid = binding.credential_sid;
    row.message_types = binding.message_types;
    row.date_created = binding.date_created;
    row.date_updated = binding.date_updated;
    return row;
  }

  // The Service records of this Service go to; "" (after a rejection)
  // when they cannot be placed.
  std::string ServiceOf(const ImportItem& item) {
    if (item.service_sid.empty()) {
      if (options_.services.size() == 1) return Canonical(options_.services[0], "IS");
      Reject(item.location,
             TwilioError(absl::StatusCode::kInvalidArgument, 400, twilio_code::kInvalidParameter,
                         options_.services.empty()
                             ? "the record names no Service (no service_sid): give --service"
                             : "the record names no Service (no service_sid) and several "
                               "--service are given"));
      return "";
    }
    return Canonical(item.service_sid, "IS");
  }

  // Whether records of `sid` are imported (all, without --service).
  bool Selected(const std::string& sid) const {
    return selected_.empty() || selected_.contains(sid);
  }

  // The Service `sid` in the Store, created with --create-services; nullopt
  // (the record at `location` rejected) when it does not exist.
  const Service* Known(const std::string& sid, std::string_view location) {
    auto it = known_.find(sid);
    if (it == known_.end()) {
      std::optional<Service> found;
      absl::StatusOr<Service> fetched = store_->FetchService(sid);
      if (fetched.ok()) {
        found = *std::move(fetched);
      } else if (options_.create_services) {
        ServiceCreate create;
        create.sid = sid;
        bool created = false;
        absl::StatusOr<Service> ensured = store_->EnsureService(create, &created);
        if (ensured.ok()) {
          found = *std::move(ensured);
          if (created) ++services_created_;
        } else {
          Reject(location, ensured.status());
          return nullptr;
        }
      }
      it = known_.emplace(sid, std::move(found)).first;
    }
    if (!it->second) {
      Reject(location, TwilioError(absl::StatusCode::kNotFound, 404, twilio_code::kNotFound,
                                   absl::StrCat("Service ", sid,
                                                " does not exist (import its export records "
                                                "first, or pass --create-services)")));
      return nullptr;
    }
    return &*it->second;
  }

  void Handle(const ImportItem& item, uint64_t bytes) {
    progress_->Update(users_read_, bytes);
    if (item.kind == ImportItem::Kind::kUser || item.kind == ImportItem::Kind::kError) {
      ++users_read_;  // a bad record counts as a user read (and rejected)
    }
    if (item.kind == ImportItem::Kind::kError) {
      Reject(item.location, item.error);
      return;
    }
    if (item.kind == ImportItem::Kind::kConfiguration) {
      // The account's, not a Service's: with --service it is passed over.
      if (!selected_.empty()) {
        ++passed_over_;
        return;
      }
      if (!EnsureStore(item.account_sid)) return;
      configuration_ = item.configuration;
      configuration_location_ = item.location;
      return;
    }
    const std::string sid = ServiceOf(item);
    if (sid.empty()) return;
    if (!Selected(sid)) {
      ++passed_over_;
      return;
    }
    if (!EnsureStore(item.account_sid)) return;
    if (!item.account_sid.empty() && item.account_sid != account_ && !account_warned_) {
      account_warned_ = true;
      progress_->Finish();
      err_ << "userstore: import: note: the input's account " << item.account_sid
           << " is not the store's (" << account_ << "): imported records take the store's\n";
    }
    switch (item.kind) {
      case ImportItem::Kind::kService:
        FlushUsers();
        FlushBindings();
        FlushService();
        pending_.emplace();
        pending_->service = item.service;
        pending_->service.sid = sid;
        pending_->service.account_sid = account_;
        pending_->location = item.location;
        return;
      case ImportItem::Kind::kRole: {
        FlushUsers();
        FlushBindings();
        Role role = item.role;
        role.service_sid = sid;
        role.account_sid = account_;
        if (pending_ && pending_->service.sid == sid) {
          pending_->roles.push_back(std::move(role));
          return;
        }
        FlushService();
        AddRole(sid, std::move(role), item.location);
        return;
      }
      case ImportItem::Kind::kUser:
        if (pending_) FlushService();
        FlushBindings();  // a Binding needs its user: users first
        // A user dated before the previous one starts a new call: the
        // Store pages each call's users by date_created (then input order)
        // after those already in, so the input's order is kept exactly.
        if (batch_service_ != sid ||
            (!batch_.empty() && item.user.date_created < batch_.back().date_created)) {
          FlushUsers();
        }
        if (fatal_ != 0) return;
        {
          const Service* service = Known(sid, item.location);
          if (service == nullptr) return;
          batch_service_ = sid;
          batch_.push_back(item.user);
          if (batch_.back().role_sid.empty()) {
            batch_.back().role_sid = service->default_service_role_sid;
          }
          locations_.push_back(item.location);
        }
        if (batch_.size() >= kBatchRows) FlushUsers();
        return;
      case ImportItem::Kind::kBinding:
        HandleBinding(item, sid);
        return;
      case ImportItem::Kind::kConfiguration:
      case ImportItem::Kind::kError:
        return;
    }
  }

  // A Binding record of Service `sid`: batched as users are (a Binding
  // dated before the one before it starts a new ImportBindings call, so
  // the input's order is kept), after the users before it are in.
  void HandleBinding(const ImportItem& item, const std::string& sid) {
    ++bindings_read_;
    if (pending_) FlushService();
    FlushUsers();
    if (fatal_ != 0) return;
    if (!options_.postgres.empty()) {
      // Store::ImportBindings is 501/20501 in a shared Store (and would not
      // be in --dry-run's copy in memory): skipped, one warning, exit 1.
      if (bindings_unsupported_++ == 0) {
        progress_->Finish();
        err_ << "userstore: import " << item.location
             << ": warning: 501/20501 a shared store (--postgres) keeps no push Bindings: "
                "Binding records are skipped (counted in the summary)\n";
      }
      return;
    }
    if (binding_service_ != sid ||
        (!bindings_.empty() && item.binding.date_created < bindings_.back().date_created)) {
      FlushBindings();
    }
    if (fatal_ != 0) return;
    if (Known(sid, item.location) == nullptr) return;
    binding_service_ = sid;
    bindings_.push_back(item.binding);
    binding_locations_.push_back(item.location);
    if (bindings_.size() >= kBatchRows) FlushBindings();
  }

  void FlushBindings() {
    if (bindings_.empty() || fatal_ != 0) return;
    ImportOptions import_options;
    import_options.mode = options_.mode;
    // With --dry-run store_ is a copy in memory: the rows go into it, so
    // later ones (the next batch, the Bindings of these users) see them.
    import_options.dry_run = false;
    absl::StatusOr<ImportResult> result =
        store_->ImportBindings(binding_service_, bindings_, import_options);
    if (!result.ok()) {
      Fatal(absl::StrCat("importing Bindings into ", binding_service_, " (from ",
                         binding_locations_.front(), ")"),
            result.status());
    } else {
      bindings_inserted_ += result->inserted;
      bindings_replaced_ += result->replaced;
      bindings_skipped_ += result->skipped;
      for (const ImportRowError& error : result->errors) {
        Reject(error.index < binding_locations_.size() ? binding_locations_[error.index] : "?",
               error.status);
      }
    }
    bindings_.clear();
    binding_locations_.clear();
  }

  // The Configuration record (the last one read), after everything else, so
  // its default_chat_service_sid names a Service already in. A store whose
  // Configuration was never set takes it in every mode; one that has a
  // Configuration: insert rejects the record (409/20001), skip keeps the
  // stored one, upsert replaces it.
  void ApplyConfiguration() {
    if (!configuration_) return;
    const Configuration record = *std::move(configuration_);
    configuration_.reset();
    if (ConfigurationSet(store_->FetchConfiguration())) {
      if (options_.mode == ImportMode::kInsert) {
        Reject(configuration_location_,
               TwilioError(absl::StatusCode::kAlreadyExists, 409, twilio_code::kInvalidParameter,
                           "the store has a Configuration already (--mode skip keeps it, "
                           "--mode upsert replaces it)"));
        return;
      }
      if (options_.mode == ImportMode::kSkip) {
        configuration_result_ = "skipped";
        return;
      }
    }
    const bool replacing = ConfigurationSet(store_->FetchConfiguration());
    absl::StatusOr<Configuration> updated = store_->UpdateConfiguration(UpdateOf(record));
    if (!updated.ok()) {
      Reject(configuration_location_, updated.status());
      return;
    }
    configuration_result_ = replacing ? "replaced" : "imported";
  }

  // A role for a Service already in the store: ImportService with the
  // roles it has plus this one.
  void AddRole(const std::string& sid, Role role, const std::string& location) {
    const Service* service = Known(sid, location);
    if (service == nullptr) return;
    absl::StatusOr<std::vector<Role>> roles = store_->ListRoles(sid);
    if (!roles.ok()) {
      Reject(location, roles.status());
      return;
    }
    for (const Role& existing : *roles) {
      if (existing.sid == Canonical(role.sid, "RL")) return;  // kept as it is
    }
    roles->push_back(std::move(role));
    absl::StatusOr<Service> imported = store_->ImportService(*service, *roles);
    if (!imported.ok()) {
      Reject(location, imported.status());
      return;
    }
    ++roles_added_;
  }

  void FlushService() {
    if (!pending_) return;
    PendingService pending = *std::move(pending_);
    pending_.reset();
    bool created = false;
    absl::StatusOr<Service> imported =
        store_->ImportService(pending.service, pending.roles, &created);
    if (!imported.ok()) {
      Reject(pending.location, imported.status());
      // Its users are rejected as users of an unknown Service, unless it was
      // there already.
      return;
    }
    if (created) ++services_imported_;
    known_[pending.service.sid] = *std::move(imported);
  }

  void Flush() {
    FlushService();
    FlushUsers();
    FlushBindings();
  }

  void FlushUsers() {
    if (batch_.empty() || fatal_ != 0) return;
    ImportOptions import_options;
    import_options.mode = options_.mode;
    // With --dry-run store_ is a copy in memory: the rows go into it, so
    // later ones (the next batch, the Bindings of these users) see them.
    import_options.dry_run = false;
    import_options.batch_size = kBatchRows;
    absl::StatusOr<ImportResult> result =
        store_->ImportUsers(batch_service_, batch_, import_options);
    if (!result.ok()) {
      Fatal(
          absl::StrCat("importing users into ", batch_service_, " (from ", locations_.front(), ")"),
          result.status());
    } else {
      inserted_ += result->inserted;
      replaced_ += result->replaced;
      skipped_ += result->skipped;
      for (const ImportRowError& error : result->errors) {
        Reject(error.index < locations_.size() ? locations_[error.index] : "?", error.status);
      }
    }
    batch_.clear();
    locations_.clear();
  }

  void Summary() {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    std::vector<std::string> formats(formats_.begin(), formats_.end());
    std::sort(formats.begin(), formats.end());
    err_ << (options_.dry_run ? "dry run, nothing written: " : "") << "import "
         << StoreName(options_) << " (" << ModeName(options_.mode) << "): " << users_read_
         << " users read from " << options_.files.size() << " files ("
         << absl::StrJoin(formats, ", ") << "): " << inserted_ << " inserted, " << replaced_
         << " replaced, " << skipped_ << " skipped, " << rejected_ << " rejected";
    if (passed_over_ > 0) err_ << ", " << passed_over_ << " of other Services passed over";
    err_ << "; " << services_imported_ << " Services imported, " << services_created_
         << " created, " << roles_added_ << " roles added";
    if (bindings_read_ > 0) {
      err_ << "; " << bindings_read_ << " Bindings read: " << bindings_inserted_ << " inserted, "
           << bindings_replaced_ << " replaced, " << bindings_skipped_ << " skipped";
      if (bindings_unsupported_ > 0) {
        err_ << ", " << bindings_unsupported_ << " not imported (a shared store keeps none)";
      }
    }
    if (!configuration_result_.empty()) err_ << "; the Configuration " << configuration_result_;
    err_ << "; " << absl::StrFormat("%.2f s", seconds) << "\n";
  }

  const CliOptions& options_;
  std::ostream& err_;
  const bool terminal_;
  absl::flat_hash_set<std::string> selected_;  // canonical --service SIDs
  std::unique_ptr<ImportProgress> progress_;
  absl::Time start_;
  std::unique_ptr<Store> store_;
  std::string account_;
  bool account_warned_ = false;
  // canonical Service SID -> the Service (nullopt: does not exist)
  absl::flat_hash_map<std::string, std::optional<Service>> known_;
  std::optional<PendingService> pending_;
  std::string batch_service_;
  std::vector<UserImport> batch_;
  std::vector<std::string> locations_;  // of the rows of batch_
  std::string binding_service_;
  std::vector<BindingImport> bindings_;
  std::vector<std::string> binding_locations_;  // of the rows of bindings_
  std::optional<Configuration> configuration_;  // the last record read
  std::string configuration_location_;
  // "imported", "replaced" or "skipped" once applied ("" otherwise).
  std::string configuration_result_;
  uint64_t bindings_read_ = 0;
  uint64_t bindings_inserted_ = 0;
  uint64_t bindings_replaced_ = 0;
  uint64_t bindings_skipped_ = 0;
  uint64_t bindings_unsupported_ = 0;
  absl::flat_hash_set<std::string> formats_;
  uint64_t bytes_before_ = 0;
  uint64_t users_read_ = 0;
  uint64_t inserted_ = 0;
  uint64_t replaced_ = 0;
  uint64_t skipped_ = 0;
  uint64_t rejected_ = 0;
  uint64_t passed_over_ = 0;
  uint64_t services_imported_ = 0;
  uint64_t services_created_ = 0;
  uint64_t roles_added_ = 0;
  int file_errors_ = 0;
  int fatal_ = 0;
};

}  // namespace

int RunImport(const CliOptions& options, std::istream& in, std::ostream& err, bool terminal) {
  Importer importer(options, err, terminal);
  return importer.Run(in);
}

}  // namespace userstore::cli

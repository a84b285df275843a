#include "durable/directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/mutex.h"
#include "durable/errors.h"
#include "userstore/error.h"

namespace userstore::internal::durable {
namespace {

namespace fs = std::filesystem;

// The files RocksDB keeps in a DB directory.
bool IsRocksFile(const std::string& name) {
  return name == "CURRENT" || name == "IDENTITY" || name == "LOCK" ||
         absl::StartsWith(name, "LOG") || absl::StartsWith(name, "MANIFEST-") ||
         absl::StartsWith(name, "OPTIONS-") || absl::EndsWith(name, ".log") ||
         absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".blob") ||
         absl::EndsWith(name, ".dbtmp");
}

// Files that exist only once a database was opened (OPTIONS) or that hold
// its data (write-ahead logs, tables, blobs). RocksDB writes `CURRENT` before
// any of them, so one of them without `CURRENT` is a damaged store.
bool ShowsAnOpenedStore(const std::string& name) {
  return absl::StartsWith(name, "OPTIONS-") ||
         (absl::EndsWith(name, ".log") && !absl::StartsWith(name, "LOG")) ||
         absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".blob");
}

struct Registry {
  SharedMutex mu;
  absl::flat_hash_set<std::pair<dev_t, ino_t>> claimed ABSL_GUARDED_BY(mu);
};

Registry& Claims() {
  static Registry* const registry = new Registry;
  return *registry;
}

bool StatId(const std::string& dir, std::pair<dev_t, ino_t>* id) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return false;
  *id = {st.st_dev, st.st_ino};
  return true;
}

std::string ModeText(const std::string& path, mode_t mode) {
  return absl::StrFormat("%s has mode %04o", path, mode & 07777);
}

}  // namespace

absl::StatusOr<DirectoryInspection> InspectDirectory(const std::string& dir) {
  DirectoryInspection result;
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) return result;  // kMissing
  if (!fs::is_directory(status)) {
    result.state = DirectoryState::kForeign;
    result.detail = dir + " is not a directory";
    return result;
  }
  bool any = false;
  bool current = false;
  bool has_log = false;
  std::string data_file;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    any = true;
    if (!IsRocksFile(name)) {
      result.state = DirectoryState::kForeign;
      result.detail = name;
      return result;
    }
    if (name == "CURRENT") current = true;
    if (absl::EndsWith(name, ".log") && !absl::StartsWith(name, "LOG")) has_log = true;
    if (data_file.empty() && ShowsAnOpenedStore(name)) data_file = name;
  }
  if (ec) {
    return Error(absl::StatusCode::kUnavailable, "cannot read " + dir + ": " + ec.message());
  }
  if (!any) {
    result.state = DirectoryState::kEmpty;
  } else if (current && !has_log) {
    // RocksDB keeps the log it writes to until the next open has replayed
    // it (and made a new one first): a store at rest always has one, and
    // the writes since the last open live only there.
    result.state = DirectoryState::kDamaged;
    result.detail = "it has no write-ahead log (*.log), which holds its latest writes";
  } else if (current) {
    result.state = DirectoryState::kStore;
  } else if (!data_file.empty()) {
    result.state = DirectoryState::kDamaged;
    result.detail =
        "its CURRENT file is missing but it holds the store's files (" + data_file + ")";
  } else {
    result.state = DirectoryState::kIncomplete;
  }
  return result;
}

absl::StatusOr<std::unique_ptr<DirectoryClaim>> DirectoryClaim::Acquire(const std::string& dir) {
  std::pair<dev_t, ino_t> id;
  if (!StatId(dir, &id)) {
    return Error(absl::StatusCode::kUnavailable,
                 "cannot stat " + dir + ": " + std::strerror(errno));
  }
  Registry& registry = Claims();
  WriterLock lock(&registry.mu);
  if (!registry.claimed.insert(id).second) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 "userstore directory " + dir +
                     " is already open (by this or another process; one at a time): "
                     "this process has it open, perhaps under another path");
  }
  return std::unique_ptr<DirectoryClaim>(new DirectoryClaim(id));
}

DirectoryClaim::~DirectoryClaim() {
  Registry& registry = Claims();
  WriterLock lock(&registry.mu);
  registry.claimed.erase(id_);
}

namespace {

// fcntl(F_GETLK) on DIR/LOCK. Closing the descriptor it opens drops every
// fcntl lock this process holds on LOCK (POSIX): callers make sure this
// process holds none (see InUse and the REQUIRES of LockedByAnotherProcess).
bool QueryLock(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock query;
  std::memset(&query, 0, sizeof(query));
  query.l_type = F_WRLCK;  // would a write lock of the whole file conflict?
  query.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_GETLK, &query) == 0 && query.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

}  // namespace

bool LockedByAnotherProcess(const std::string& dir) { return QueryLock(dir); }

bool DirectoryClaim::InUse(const std::string& dir) {
  Registry& registry = Claims();
  // Held shared across the query: a Store of this process takes its claim
  // (exclusively) before RocksDB locks LOCK and releases it after RocksDB
  // unlocked it, so while this lock is held and the directory is unclaimed,
  // this process holds no lock on LOCK that the query's close could drop.
  ReaderLock lock(&registry.mu);
  std::pair<dev_t, ino_t> id;
  if (StatId(dir, &id) && registry.claimed.contains(id)) return true;
  return QueryLock(dir);
}

absl::Status MakePrivate(const std::string& dir) {
  // The directory itself is followed when it is a symlink (its target is
  // the store); entries that are symlinks are left alone.
  auto set = [](const std::string& path, mode_t mode, bool follow) -> absl::Status {
    struct stat st;
    const int found = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (found != 0 || S_ISLNK(st.st_mode)) return absl::OkStatus();
    if ((st.st_mode & 07777) == mode) return absl::OkStatus();
    if (::chmod(path.c_str(), mode) != 0) {
      return Error(absl::StatusCode::kFailedPrecondition,
                   ModeText(path, st.st_mode) + " and cannot be made private (" +
                       std::strerror(errno) + "): the store would be readable by others");
    }
    return absl::OkStatus();
  };
  if (absl::Status s = set(dir, 0700, /*follow=*/true); !s.ok()) return s;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (absl::Status s = set(it->path().string(), 0600, /*follow=*/false); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string OpenToOthers(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return "";
  return ModeText(dir, st.st_mode);
}

}  // namespace userstore::internal::durable

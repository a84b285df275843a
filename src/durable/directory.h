// The store directory itself, before and around RocksDB: what it holds
// (judged from its file names, so a damaged store is refused before RocksDB
// touches it), who has it open in this process (by device and inode, so two
// spellings of one directory are one directory), and its file modes.
//
// Why this exists (docs/durable.md, "Damage"): RocksDB opened with
// create_if_missing takes a directory without `CURRENT` for a new database
// and initialises over the old files, which it then deletes as obsolete; and
// its LOCK is an fcntl lock, which never conflicts within one process, plus a
// set keyed by the path string. Both would let a store be lost silently.
//
// Thread-safety: every function is thread-safe; DirectoryClaim's registry is
// process-wide and guarded by a mutex.
#ifndef USERSTORE_SRC_DURABLE_DIRECTORY_H_
#define USERSTORE_SRC_DURABLE_DIRECTORY_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace userstore::internal::durable {

// What a directory holds, by the names of its files.
enum class DirectoryState {
  kMissing,     // no such path
  kEmpty,       // a directory without any file
  kStore,       // RocksDB's files with `CURRENT`: a database to open
  kIncomplete,  // RocksDB's files without `CURRENT` and without any file that
                // holds data (a creation interrupted before `CURRENT` was
                // written): nothing can be lost by creating afresh
  kDamaged,     // no `CURRENT`, but data files (*.log, *.sst, *.blob) or
                // OPTIONS files: a store that lost its `CURRENT`; or
                // `CURRENT` without any write-ahead log: a store that lost
                // the log holding its latest writes
  kForeign,     // a file that is not RocksDB's (a mistyped path), or not a
                // directory at all
};

struct DirectoryInspection {
  DirectoryState state = DirectoryState::kMissing;
  // kDamaged: what is wrong, as a clause ("its CURRENT file is missing …");
  // kForeign: the file that decided it.
  std::string detail;
};

// Reads the names in `dir`. O(files). Errors: kUnavailable (500/20500) when
// the directory cannot be read.
absl::StatusOr<DirectoryInspection> InspectDirectory(const std::string& dir);

// A claim on an existing directory for one open Store in this process. At
// most one claim per directory (device, inode) exists at a time; it is
// released when the object dies.
class DirectoryClaim {
 public:
  // Errors (500/20500): kFailedPrecondition "already open" when this process
  // holds a claim on the same directory, however spelled (symlink, trailing
  // slash, `..`); kUnavailable when `dir` cannot be stat'ed.
  static absl::StatusOr<std::unique_ptr<DirectoryClaim>> Acquire(const std::string& dir);
  // True when a Store has `dir` open: this process holds a claim on it, or
  // another process holds RocksDB's lock. Asks, never locks, and never
  // disturbs this process's own lock (see LockedByAnotherProcess).
  static bool InUse(const std::string& dir);

  ~DirectoryClaim();
  DirectoryClaim(const DirectoryClaim&) = delete;
  DirectoryClaim& operator=(const DirectoryClaim&) = delete;

 private:
  explicit DirectoryClaim(std::pair<dev_t, ino_t> id) : id_(id) {}
  const std::pair<dev_t, ino_t> id_;
};

// True when another process holds RocksDB's lock on `dir`/LOCK (queried with
// fcntl(F_GETLK): nothing is locked by asking). False when there is no LOCK.
// REQUIRES: this process holds no lock on `dir`/LOCK: closing the descriptor
// the query opens would drop it (POSIX fcntl locks). Holding the directory's
// DirectoryClaim before RocksDB opens it guarantees that; anywhere else use
// DirectoryClaim::InUse.
bool LockedByAnotherProcess(const std::string& dir);

// Makes `dir` 0700 and every file in it 0600, so the store (its page-token
// key, every user) is private whatever umask or history made it. Files that
// RocksDB creates later get the process umask's mode, but the 0700 directory
// is what keeps other users out of all of them. O(files). Errors
// (500/20500): kFailedPrecondition naming the file when a mode cannot be set
// (not the owner).
absl::Status MakePrivate(const std::string& dir);

// When group or others have any permission on `dir`: "DIR has mode 0755";
// otherwise empty. For `check`.
std::string OpenToOthers(const std::string& dir);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_DIRECTORY_H_

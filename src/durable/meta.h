// The store-wide metadata of a store directory (the m/ keys of codec.h): the
// format version, the account SID and the page-token key.
//
// Thread-safety: each function works on a DB handle, which is thread-safe.
#ifndef USERSTORE_SRC_DURABLE_META_H_
#define USERSTORE_SRC_DURABLE_META_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "durable/codec.h"
#include "rocksdb/db.h"

namespace userstore::internal::durable {

struct Meta {
  std::string account_sid;                  // "AC" + 32 lowercase hex
  std::string page_token_key;               // non-empty
  uint8_t format_version = kFormatVersion;  // m/format, kOldestFormatVersion..kFormatVersion
};

// The number of m/ keys a store holds.
inline constexpr int kMetaKeys = 3;

// The metadata of `db`; nullopt when `db` holds no key at all and RocksDB
// recorded no write (a new store). Errors (500/20500): kDataLoss when it
// holds no key but did record writes (its data files were lost), or the
// metadata is malformed; kFailedPrecondition when `db` holds keys but no
// userstore format mark, or a format version outside
// kOldestFormatVersion..kFormatVersion; kUnavailable on read
// errors.
absl::StatusOr<std::optional<Meta>> ReadMeta(rocksdb::DB* db);

// Marks a store of an older format version with kFormatVersion (synced),
// before a writer may put values that only the newer format allows. A no-op
// when it has it. Errors: kUnavailable.
absl::Status UpgradeFormat(rocksdb::DB* db, Meta* meta);

// Writes the metadata of a new store, synced. Errors: kUnavailable.
absl::Status WriteMeta(rocksdb::DB* db, const Meta& meta);

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_META_H_

#include "durable/meta.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "durable/rocks_journal.h"
#include "rocksdb/write_batch.h"
#include "sid/sid.h"

namespace userstore::internal::durable {

absl::StatusOr<std::optional<Meta>> ReadMeta(rocksdb::DB* db) {
  std::string format;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), std::string(kMetaFormat), &format);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the store"));
    if (!it->Valid()) {
      // No key at all: a new store, unless RocksDB has recorded writes (its
      // last sequence number lives in the MANIFEST): then the data is gone.
      if (db->GetLatestSequenceNumber() != 0) {
        return Corrupt(
            "the store holds no key although writes were recorded "
            "(its data files are missing)");
      }
      return std::optional<Meta>();
    }
    return Error(absl::StatusCode::kFailedPrecondition,
                 "the directory holds RocksDB data that is not a userstore store "
                 "(no m/format key)");
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(s, "reading the store's metadata"));
  if (format.size() != 1 || static_cast<uint8_t>(format[0]) < kOldestFormatVersion ||
      static_cast<uint8_t>(format[0]) > kFormatVersion) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 "the store has format version " + Quoted(format) +
                     "; this userstore reads versions " + std::to_string(kOldestFormatVersion) +
                     " to " + std::to_string(kFormatVersion));
  }
  Meta meta;
  meta.format_version = static_cast<uint8_t>(format[0]);
  std::string account;
  s = db->Get(rocksdb::ReadOptions(), std::string(kMetaAccountSid), &account);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the store's metadata");
  if (s.IsNotFound() || account.size() != 16) return Corrupt("m/account_sid missing or malformed");
  SidBytes sid;
  std::copy(account.begin(), account.end(), sid.bytes.begin());
  meta.account_sid = FormatSid("AC", sid);
  s = db->Get(rocksdb::ReadOptions(), std::string(kMetaPageTokenKey), &meta.page_token_key);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the store's metadata");
  if (s.IsNotFound() || meta.page_token_key.empty()) {
    return Corrupt("m/page_token_key missing or empty");
  }
  return std::optional<Meta>(std::move(meta));
}

absl::Status UpgradeFormat(rocksdb::DB* db, Meta* meta) {
  if (meta->format_version == kFormatVersion) return absl::OkStatus();
  rocksdb::WriteOptions write;
  write.sync = true;
  USERSTORE_RETURN_IF_ERROR(FromRocks(
      db->Put(write, std::string(kMetaFormat), std::string(1, static_cast<char>(kFormatVersion))),
      "writing the store's format version"));
  meta->format_version = kFormatVersion;
  return absl::OkStatus();
}

absl::Status WriteMeta(rocksdb::DB* db, const Meta& meta) {
  const std::optional<SidBytes> account = ParseSid(meta.account_sid, "AC");
  if (!account || meta.page_token_key.empty()) {
    return Error(absl::StatusCode::kInternal, "WriteMeta: incomplete metadata");
  }
  rocksdb::WriteBatch batch;
  batch.Put(std::string(kMetaFormat), std::string(1, static_cast<char>(kFormatVersion)));
  batch.Put(std::string(kMetaAccountSid),
            std::string(reinterpret_cast<const char*>(account->bytes.data()), 16));
  batch.Put(std::string(kMetaPageTokenKey), meta.page_token_key);
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(db->Write(write, &batch), "writing the store's metadata");
}

}  // namespace userstore::internal::durable

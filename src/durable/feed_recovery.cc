#include "durable/feed_recovery.h"

#include <algorithm>
#include <memory>

#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/codec.h"
#include "durable/errors.h"
#include "durable/rocks_journal.h"
#include "rocksdb/write_batch.h"

namespace userstore::internal::durable {
namespace {

// The stored events of `service` from `from` on: their sequences, in order.
absl::Status ScanSequences(rocksdb::DB* db, const SidBytes& service, uint64_t from,
                           std::vector<uint64_t>* sequences) {
  const std::string prefix = ServicePrefix(kEventPrefix, service);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->Seek(EventKey(service, from)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    SidBytes key_service;
    uint64_t sequence;
    if (!ParseEventKey(it->key().ToStringView(), &key_service, &sequence)) {
      return Corrupt("bad key " + Quoted(it->key().ToStringView()));
    }
    sequences->push_back(sequence);
  }
  return FromRocks(it->status(), "reading the change feed");
}

absl::StatusOr<FeedMark> ReadMark(rocksdb::DB* db, const SidBytes& service) {
  std::string value;
  const rocksdb::Status got = db->Get(rocksdb::ReadOptions(), FeedKey(service), &value);
  FeedMark mark;
  if (got.IsNotFound()) return mark;
  USERSTORE_RETURN_IF_ERROR(FromRocks(got, "reading the change feed's marks"));
  if (!DecodeFeedMark(value, &mark)) {
    return Corrupt("malformed feed marks of " + FormatSid("IS", service));
  }
  return mark;
}

}  // namespace

absl::StatusOr<StoredFeed> ReadStoredFeed(rocksdb::DB* db, const SidBytes& service) {
  USERSTORE_ASSIGN_OR_RETURN(const FeedMark mark, ReadMark(db, service));
  StoredFeed feed;
  feed.first = mark.first;
  feed.checkpoint = mark.checkpoint;
  const uint64_t from = std::max(mark.first, mark.checkpoint + 1);
  std::vector<uint64_t> sequences;
  USERSTORE_RETURN_IF_ERROR(ScanSequences(db, service, from, &sequences));
  feed.last = from - 1;
  for (uint64_t sequence : sequences) {
    if (sequence != feed.last + 1 && feed.hole == 0) feed.hole = feed.last + 1;
    feed.last = sequence;
  }
  return feed;
}

absl::StatusOr<FeedRecovery> RecoverFeeds(rocksdb::DB* db, const std::vector<std::string>& services,
                                          bool writable, RestoreTarget* target) {
  FeedRecovery result;
  for (const std::string& text : services) {
    const std::optional<SidBytes> service = ParseSid(text, "IS");
    if (!service) return Corrupt("malformed Service SID " + text);
    USERSTORE_ASSIGN_OR_RETURN(StoredFeed feed, ReadStoredFeed(db, *service));
    if (feed.hole != 0 && !writable) {
      feed.last = feed.hole - 1;  // the next writable open closes the hole
    } else if (feed.hole != 0) {
      // Move every event after the hole down, in order, in one write.
      std::vector<uint64_t> sequences;
      USERSTORE_RETURN_IF_ERROR(ScanSequences(db, *service, feed.hole, &sequences));
      rocksdb::WriteBatch batch;
      uint64_t next = feed.hole;
      std::string value;
      for (uint64_t sequence : sequences) {
        USERSTORE_RETURN_IF_ERROR(
            FromRocks(db->Get(rocksdb::ReadOptions(), EventKey(*service, sequence), &value),
                      "reading the change feed"));
        batch.Delete(EventKey(*service, sequence));
        batch.Put(EventKey(*service, next++), value);
      }
      rocksdb::WriteOptions sync;
      sync.sync = true;
      USERSTORE_RETURN_IF_ERROR(FromRocks(db->Write(sync, &batch), "closing a hole in the feed"));
      feed.last = next - 1;
    }
    if (feed.last >= feed.first) result.events += feed.last - feed.first + 1;
    // A closed hole moved events down: the stored checkpoint still holds
    // (it is below the hole).
    USERSTORE_RETURN_IF_ERROR(target->RestoreFeed(text, feed.first, feed.last, feed.checkpoint));
  }
  return result;
}

}  // namespace userstore::internal::durable

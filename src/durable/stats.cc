// ComputeStats / FormatStats (durable/check.h): counts per Service and bytes
// of a store directory, for `userstore stats`.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "durable/check.h"
#include "durable/codec.h"
#include "durable/meta.h"
#include "durable/rocks_journal.h"
#include "userstore/error.h"

namespace userstore {

using internal::FormatSid;
using internal::Quoted;
using internal::SidBytes;
using namespace internal::durable;  // the store layout of codec.h

absl::StatusOr<StoreStats> ComputeStats(std::string_view path) {
  StoreStats stats;
  stats.path = std::string(path);
  RocksOpen how;
  how.read_only = true;
  USERSTORE_ASSIGN_OR_RETURN(StoreDb db, OpenRocks(path, how));
  USERSTORE_ASSIGN_OR_RETURN(std::optional<Meta> meta, ReadMeta(db.get()));
  if (meta) {
    stats.account_sid = meta->account_sid;
    stats.format_version = meta->format_version;
  }
  std::map<SidBytes, ServiceStats> services;
  auto corrupt = [](std::string_view key) {
    return TwilioError(
        absl::StatusCode::kDataLoss, 500, twilio_code::kInternal,
        "userstore data is corrupt: bad key or value " + Quoted(key) + " (run check)");
  };
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ScanOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    stats.live_bytes += key.size() + value.size();
    SidBytes service;
    uint64_t index;
    uint64_t sequence;
    if (ParseUserRecordKey(key, &service, &sequence)) {
      if (value.empty() || (static_cast<uint8_t>(value[0]) != kValueVersion &&
                            static_cast<uint8_t>(value[0]) != kUserValueVersion)) {
        return corrupt(key);
      }
      ServiceStats& s = services[service];
      ++s.users;
      s.user_bytes += key.size() + value.size();
      s.max_sequence = std::max(s.max_sequence, sequence);
      ++stats.users;
    } else if (ParseRoleKey(key, &service, &index)) {
      ++services[service].roles;
    } else if (SidBytes user; ParseDeletedKey(key, &service, &user)) {
      if (!DecodeDeleted(value)) return corrupt(key);
      ++services[service].deleted_sids;
    } else if (ParseHighWaterKey(key, &service)) {
      if (!DecodeSequence(value, &sequence)) return corrupt(key);
      ServiceStats& s = services[service];
      s.max_sequence = std::max(s.max_sequence, sequence);
    } else if (ParseServiceKey(key, &service)) {
      absl::StatusOr<Service> decoded = DecodeService(value, service, stats.account_sid);
      if (!decoded.ok()) return decoded.status();
      ServiceStats& s = services[service];
      s.sid = decoded->sid;
      s.friendly_name = decoded->friendly_name;
      s.reachability_enabled = decoded->reachability_enabled;
    }
  }
  USERSTORE_RETURN_IF_ERROR(FromRocks(it->status(), "reading " + stats.path));
  for (auto& [sid, s] : services) {
    if (s.sid.empty()) s.sid = FormatSid("IS", sid);  // (check reports the orphan)
    stats.services.push_back(std::move(s));
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(stats.path, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const uint64_t size = entry.file_size(ec);
    stats.disk_bytes += size;
    const std::string ext = entry.path().extension().string();
    if (ext == ".sst") stats.sst_bytes += size;
    if (ext == ".log") stats.wal_bytes += size;
  }
  return stats;
}

std::string FormatStats(const StoreStats& stats) {
  std::string out = absl::StrFormat(
      "%s: format %d, account %s\n"
      "  %d services, %d users; %d bytes of keys and values\n"
      "  on disk: %d bytes (%d in sorted tables, %d in write-ahead logs)\n",
      stats.path, stats.format_version, stats.account_sid, stats.services.size(), stats.users,
      stats.live_bytes, stats.disk_bytes, stats.sst_bytes, stats.wal_bytes);
  for (const ServiceStats& s : stats.services) {
    absl::StrAppendFormat(&out,
                          "  %s %s: %d users (%d bytes), %d roles, reachability %s, "
                          "last sequence %d\n",
                          s.sid, Quoted(s.friendly_name), s.users, s.user_bytes, s.roles,
                          s.reachability_enabled ? "on" : "off", s.max_sequence);
  }
  return out;
}

}  // namespace userstore

// ComputeStats / FormatStats (durable/check.h): counts per Service and bytes
// of a store directory, for `userstore stats`.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

namespace {

// Fills the webhook fields of `*s` from userstore-http's position file of
// its Service beside the store in `path` (inspect.h, ServiceStats).
void ReadWebhookPosition(std::string_view dir, ServiceStats* s) {
  absl::string_view path(dir.data(), dir.size());  // (Debian's Abseil has its own)
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::string file = absl::StrCat(path, ".webhooks/", s->sid, ".position");
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return;  // kNone
  s->webhook = ServiceStats::Webhook::kMalformed;
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    s->webhook_problem = "cannot read " + file;
    return;
  }
  // The file holding only N, or "delivered_position N" among other lines.
  absl::string_view number = absl::StripAsciiWhitespace(text);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "delivered_position ")) number = line;
  }
  if (number.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(number, &s->webhook_delivered)) {
    s->webhook_problem = file + " holds no delivered position";
    return;
  }
  s->webhook = ServiceStats::Webhook::kDelivered;
}

}  // namespace

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
    } else if (ParseEventKey(key, &service, &sequence)) {
      ServiceStats& s = services[service];
      if (s.events++ == 0 || sequence < s.first_event) s.first_event = sequence;
      s.last_event = std::max(s.last_event, sequence);
    } else if (ParseFeedKey(key, &service)) {
      FeedMark mark;
      if (!DecodeFeedMark(value, &mark)) return corrupt(key);
      // Every event trimmed: the position is the one before the oldest kept.
      ServiceStats& s = services[service];
      s.last_event = std::max(s.last_event, mark.first > 0 ? mark.first - 1 : 0);
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
    ReadWebhookPosition(stats.path, &s);
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
                          "last sequence %d; events %d kept (%d to %d)\n",
                          s.sid, Quoted(s.friendly_name), s.users, s.user_bytes, s.roles,
                          s.reachability_enabled ? "on" : "off", s.max_sequence, s.events,
                          s.first_event, s.last_event);
  }
  return out;
}

}  // namespace userstore

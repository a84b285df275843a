// `userstore check DIR` and `userstore stats DIR`.
#include "userstore/inspect.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "commands.h"

namespace userstore::cli {
namespace {

// Rows of cells laid out in columns separated by two spaces; a column is
// left-aligned when its `left` entry is true, else right-aligned. Trailing
// spaces are trimmed.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& left) {
  std::vector<size_t> width(left.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(width[c] - row[c].size(), ' ');
      absl::StrAppend(&line, left[c] ? "" : pad, row[c], left[c] ? pad : "");
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// The WEBHOOK BACKLOG cell of a Service: "N (delivered D)", or why there is
// no number.
std::string WebhookCell(const ServiceStats& s) {
  switch (s.webhook) {
    case ServiceStats::Webhook::kNone:
      return "- (no position file)";
    case ServiceStats::Webhook::kMalformed:
      return "? (malformed position file)";
    case ServiceStats::Webhook::kDelivered:
      break;
  }
  if (s.webhook_delivered > s.last_event) {
    return absl::StrCat("? (delivered ", s.webhook_delivered, " is past the last event)");
  }
  return absl::StrCat(s.webhook_backlog(), " (delivered ", s.webhook_delivered, ")");
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatStatsTable(const StoreStats& stats) {
  std::string out = absl::StrFormat(
      "store    %s\n"
      "format   %d\n"
      "account  %s\n"
      "users    %d in %d service(s)\n"
      "data     %s of keys and values\n"
      "on disk  %s (sorted tables %s, write-ahead logs %s)\n",
      stats.path, stats.format_version, stats.account_sid.empty() ? "-" : stats.account_sid,
      stats.users, stats.services.size(), HumanBytes(stats.live_bytes),
      HumanBytes(stats.disk_bytes), HumanBytes(stats.sst_bytes), HumanBytes(stats.wal_bytes));
  if (stats.services.empty()) return out;
  std::vector<std::vector<std::string>> rows;
  rows.push_back(
      {"SERVICE", "FRIENDLY NAME", "USERS", "USER DATA", "ROLES", "LAST SEQ", "REACHABILITY"});
  uint64_t users = 0;
  uint64_t user_bytes = 0;
  uint64_t roles = 0;
  for (const ServiceStats& s : stats.services) {
    rows.push_back({s.sid, s.friendly_name.empty() ? "-" : absl::CHexEscape(s.friendly_name),
                    absl::StrCat(s.users), HumanBytes(s.user_bytes), absl::StrCat(s.roles),
                    absl::StrCat(s.max_sequence), s.reachability_enabled ? "on" : "off"});
    users += s.users;
    user_bytes += s.user_bytes;
    roles += s.roles;
  }
  rows.push_back(
      {"total", "", absl::StrCat(users), HumanBytes(user_bytes), absl::StrCat(roles), "", ""});
  absl::StrAppend(&out, "\n", Table(rows, {true, true, false, false, false, false, true}));
  std::vector<std::vector<std::string>> feeds;
  feeds.push_back({"SERVICE", "EVENTS", "FIRST EVENT", "LAST EVENT", "WEBHOOK BACKLOG"});
  for (const ServiceStats& s : stats.services) {
    feeds.push_back({s.sid, absl::StrCat(s.events),
                     s.events == 0 ? "-" : absl::StrCat(s.first_event), absl::StrCat(s.last_event),
                     WebhookCell(s)});
  }
  absl::StrAppend(&out, "\n", Table(feeds, {true, false, false, false, true}));
  return out;
}

int RunCheck(const std::string& dir, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CheckReport> report = CheckStore(dir);
  if (!report.ok()) {
    err << "userstore: check " << dir << ": " << report.status().message() << "\n";
    return 2;
  }
  out << FormatCheckReport(*report) << std::flush;
  return report->ok() ? 0 : 1;
}

int RunStats(const std::string& dir, std::ostream& out, std::ostream& err) {
  absl::StatusOr<StoreStats> stats = ComputeStats(dir);
  if (!stats.ok()) {
    err << "userstore: stats " << dir << ": " << stats.status().message() << "\n";
    return 2;
  }
  out << FormatStatsTable(*stats) << std::flush;
  return out ? 0 : 2;
}

}  // namespace userstore::cli

// include/userstore/inspect.h: the public face of durable/check.h. Each
// function forwards to the internal one and copies the result into the
// public types, field by field.
#include "userstore/inspect.h"

#include <string>
#include <string_view>
#include <utility>

#include "durable/check.h"

namespace userstore {
namespace {

namespace durable = internal::durable;

static_assert(kMaxCheckProblems == durable::kMaxProblems);

CheckReport ToPublic(durable::CheckReport in) {
  CheckReport out;
  out.path = std::move(in.path);
  out.in_use = in.in_use;
  out.keys = in.keys;
  out.services = in.services;
  out.roles = in.roles;
  out.users = in.users;
  out.problems = std::move(in.problems);
  out.more_problems = in.more_problems;
  return out;
}

durable::CheckReport ToInternal(const CheckReport& in) {
  durable::CheckReport out;
  out.path = in.path;
  out.in_use = in.in_use;
  out.keys = in.keys;
  out.services = in.services;
  out.roles = in.roles;
  out.users = in.users;
  out.problems = in.problems;
  out.more_problems = in.more_problems;
  return out;
}

ServiceStats ToPublic(durable::ServiceStats in) {
  ServiceStats out;
  out.sid = std::move(in.sid);
  out.friendly_name = std::move(in.friendly_name);
  out.reachability_enabled = in.reachability_enabled;
  out.roles = in.roles;
  out.users = in.users;
  out.user_bytes = in.user_bytes;
  out.max_sequence = in.max_sequence;
  return out;
}

durable::ServiceStats ToInternal(const ServiceStats& in) {
  durable::ServiceStats out;
  out.sid = in.sid;
  out.friendly_name = in.friendly_name;
  out.reachability_enabled = in.reachability_enabled;
  out.roles = in.roles;
  out.users = in.users;
  out.user_bytes = in.user_bytes;
  out.max_sequence = in.max_sequence;
  return out;
}

StoreStats ToPublic(durable::StoreStats in) {
  StoreStats out;
  out.path = std::move(in.path);
  out.account_sid = std::move(in.account_sid);
  out.format_version = in.format_version;
  out.services.reserve(in.services.size());
  for (durable::ServiceStats& s : in.services) out.services.push_back(ToPublic(std::move(s)));
  out.users = in.users;
  out.live_bytes = in.live_bytes;
  out.sst_bytes = in.sst_bytes;
  out.wal_bytes = in.wal_bytes;
  out.disk_bytes = in.disk_bytes;
  return out;
}

durable::StoreStats ToInternal(const StoreStats& in) {
  durable::StoreStats out;
  out.path = in.path;
  out.account_sid = in.account_sid;
  out.format_version = in.format_version;
  out.services.reserve(in.services.size());
  for (const ServiceStats& s : in.services) out.services.push_back(ToInternal(s));
  out.users = in.users;
  out.live_bytes = in.live_bytes;
  out.sst_bytes = in.sst_bytes;
  out.wal_bytes = in.wal_bytes;
  out.disk_bytes = in.disk_bytes;
  return out;
}

}  // namespace

absl::StatusOr<CheckReport> CheckStore(std::string_view path) {
  absl::StatusOr<durable::CheckReport> report = durable::CheckStore(path);
  if (!report.ok()) return report.status();
  return ToPublic(*std::move(report));
}

std::string FormatCheckReport(const CheckReport& report) {
  return durable::FormatCheckReport(ToInternal(report));
}

absl::StatusOr<StoreStats> ComputeStats(std::string_view path) {
  absl::StatusOr<durable::StoreStats> stats = durable::ComputeStats(path);
  if (!stats.ok()) return stats.status();
  return ToPublic(*std::move(stats));
}

std::string FormatStats(const StoreStats& stats) { return durable::FormatStats(ToInternal(stats)); }

}  // namespace userstore

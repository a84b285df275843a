// Offline inspection of a durable store directory: `check` verifies its
// invariants, `stats` counts what it holds. Both back the `userstore check
// DIR` and `userstore stats DIR` commands (docs/durable.md).
//
// Both open the directory read-only (RocksDB's read-only mode: nothing is
// written, no lock is needed), so they may run beside a live Store; they then
// see the state of the moment they open, and CheckReport::in_use says so.
//
// Thread-safety: thread-safe (each call works on its own handles).
#ifndef USERSTORE_SRC_DURABLE_CHECK_H_
#define USERSTORE_SRC_DURABLE_CHECK_H_

#include <cstddef>

#include "userstore/inspect.h"

namespace userstore::internal::durable {

// The report types and functions are the public ones of userstore/inspect.h
// (their contracts are there); check.cc and stats.cc implement them. These
// names let durable/ code and tests say durable::CheckStore as before.
using ::userstore::CheckReport;
using ::userstore::CheckStore;
using ::userstore::ComputeStats;
using ::userstore::FormatCheckReport;
using ::userstore::FormatStats;
using ::userstore::ServiceStats;
using ::userstore::StoreStats;

inline constexpr size_t kMaxProblems = kMaxCheckProblems;

}  // namespace userstore::internal::durable

#endif  // USERSTORE_SRC_DURABLE_CHECK_H_

// What an import (Store::ImportUsers, Store::ImportBindings) does with one
// row, and how it counts in the ImportResult. Thread-compatible.
#ifndef USERSTORE_SRC_STORE_IMPORT_ACTION_H_
#define USERSTORE_SRC_STORE_IMPORT_ACTION_H_

#include "userstore/import.h"

namespace userstore::internal {

enum class ImportAction { kInsert, kReplace, kSkip, kReject };

// Adds `action` to `result`'s inserted / replaced / skipped; a rejected row
// is counted from the errors at the end. O(1).
inline void CountImportAction(ImportAction action, ImportResult* result) {
  switch (action) {
    case ImportAction::kInsert:
      ++result->inserted;
      return;
    case ImportAction::kReplace:
      ++result->replaced;
      return;
    case ImportAction::kSkip:
      ++result->skipped;
      return;
    case ImportAction::kReject:
      return;
  }
}

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_STORE_IMPORT_ACTION_H_

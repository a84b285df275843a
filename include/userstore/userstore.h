// Umbrella header: the whole public API of userstore.
#ifndef USERSTORE_USERSTORE_H_
#define USERSTORE_USERSTORE_H_

#include "userstore/attributes.h"     // IWYU pragma: export
#include "userstore/binding.h"        // IWYU pragma: export
#include "userstore/configuration.h"  // IWYU pragma: export
#include "userstore/error.h"          // IWYU pragma: export
#include "userstore/filter.h"         // IWYU pragma: export
#include "userstore/import.h"         // IWYU pragma: export
#include "userstore/inspect.h"        // IWYU pragma: export
#include "userstore/json.h"           // IWYU pragma: export
#include "userstore/options.h"        // IWYU pragma: export
#include "userstore/page.h"           // IWYU pragma: export
#include "userstore/rest.h"           // IWYU pragma: export
#include "userstore/service.h"        // IWYU pragma: export
#include "userstore/sid.h"            // IWYU pragma: export
#include "userstore/store.h"          // IWYU pragma: export
#include "userstore/user.h"           // IWYU pragma: export
#include "userstore/user_view.h"      // IWYU pragma: export

#endif  // USERSTORE_USERSTORE_H_

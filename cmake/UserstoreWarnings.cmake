# The warning bar of userstore's own targets (the library, tools, tests,
# benchmarks, fuzzers, examples/http_server). Applied per target as PRIVATE
# compile options by userstore_target_warnings(), never through
# add_compile_options() or an exported target, so a project that builds
# userstore with add_subdirectory() or links the installed package keeps its
# own warning flags.
#
#   gcc and clang: -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion
#   clang also:    -Wthread-safety (ABSL_GUARDED_BY and friends), -Wshadow-all
#   USERSTORE_WERROR=ON (the default when userstore is the top-level project,
#   and what scripts/test.sh builds with): all of them are errors.
include_guard(GLOBAL)

option(USERSTORE_WERROR "Make the warnings of userstore's own targets errors"
       ${PROJECT_IS_TOP_LEVEL})

set(USERSTORE_WARNING_FLAGS -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND USERSTORE_WARNING_FLAGS -Wthread-safety -Wshadow-all)
endif()
if(USERSTORE_WERROR)
  list(APPEND USERSTORE_WARNING_FLAGS -Werror)
endif()

# userstore_target_warnings(target...): the bar on each target's own sources.
function(userstore_target_warnings)
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE ${USERSTORE_WARNING_FLAGS})
  endforeach()
endfunction()

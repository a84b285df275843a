# Packaging of the `userstore` library target: symbol visibility, install
# rules (the library, its headers and, when built, the `userstore` program),
# the CMake package config (find_package(userstore CONFIG) gives
# userstore::userstore) and the pkg-config file. Included once from the end of
# the top-level CMakeLists.txt, after every target_link_libraries(userstore).
#
# Visibility: the library is compiled with -fvisibility=hidden and hidden
# inline functions; include/userstore/export.h's USERSTORE_EXPORT marks the
# public API. A shared build (BUILD_SHARED_LIBS=ON) exports only that.
#
# Dependencies: the config file and the .pc file list the library's link
# dependencies, read from the target itself: the PUBLIC ones always (Abseil's
# status, statusor, time), the PRIVATE ones too when the library is static
# (its users link them). Each dependency must be known to the two tables below
# (_userstore_find_dependency, _userstore_pkg_config); configuring fails with
# a message naming any that is not, so a new dependency cannot be forgotten.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_target_property(_userstore_type userstore TYPE)
if(_userstore_type STREQUAL "SHARED_LIBRARY")
  set(_userstore_shared ON)
else()
  set(_userstore_shared OFF)
endif()

set_target_properties(userstore PROPERTIES
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON
  VERSION ${PROJECT_VERSION}
  # 0.x: every minor version may change the ABI.
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  EXPORT_NAME userstore)
target_compile_definitions(userstore PRIVATE USERSTORE_COMPILE_LIBRARY)
if(_userstore_shared)
  target_compile_definitions(userstore PUBLIC USERSTORE_SHARED_LIBRARY)
endif()

# ---- in-tree targets that reach internals, in a shared build ----------------
# The CLI, tests, benchmarks and fuzzers call userstore::internal functions,
# which a shared library hides. In a shared build they get, besides the .so,
# a static archive of the very same object files (no second compile), linked
# whole so that every symbol they use comes from that one copy. Targets that
# use only the public API (examples/http_server) set the target property
# USERSTORE_PUBLIC_API_ONLY and link the shared library alone. Nothing of this
# is installed or exported.
if(_userstore_shared)
  add_library(userstore_internal_objects STATIC $<TARGET_OBJECTS:userstore>)
  get_target_property(_userstore_links userstore LINK_LIBRARIES)
  target_link_libraries(userstore_internal_objects PUBLIC ${_userstore_links})
  target_link_libraries(userstore INTERFACE
    "$<BUILD_INTERFACE:$<$<NOT:$<BOOL:$<TARGET_PROPERTY:USERSTORE_PUBLIC_API_ONLY>>>:$<LINK_LIBRARY:WHOLE_ARCHIVE,userstore_internal_objects>>>")
endif()

# ---- the dependency tables ---------------------------------------------------
# CMake target → the find_dependency() arguments that define it.
function(_userstore_find_dependency target out)
  if(target MATCHES "^absl::")
    set(${out} "absl" PARENT_SCOPE)
  elseif(target STREQUAL "simdjson::simdjson")
    set(${out} "simdjson" PARENT_SCOPE)
  elseif(target MATCHES "^OpenSSL::")
    set(${out} "OpenSSL" PARENT_SCOPE)
  elseif(target MATCHES "^Boost::(url|json)$")
    set(${out} "Boost 1.81 CONFIG COMPONENTS ${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(target STREQUAL "Boost::headers")
    set(${out} "Boost 1.81 CONFIG" PARENT_SCOPE)
  elseif(target STREQUAL "Threads::Threads")
    set(${out} "Threads" PARENT_SCOPE)
  elseif(target STREQUAL "SQLite::SQLite3")
    set(${out} "SQLite3" PARENT_SCOPE)
  elseif(target MATCHES "^RocksDB::")
    set(${out} "RocksDB CONFIG" PARENT_SCOPE)
  elseif(target STREQUAL "PkgConfig::PQ")
    # find_dependency(PkgConfig), then the pkg_check_modules line below
    # makes the PkgConfig::PQ target again in the consumer's project.
    set(${out} "PkgConfig" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# CMake target → "module NAME" (a pkg-config module) or "libs FLAGS" or
# "none" (header-only).
function(_userstore_pkg_config target out)
  if(target MATCHES "^absl::(.+)$")
    set(${out} "module absl_${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(target STREQUAL "simdjson::simdjson")
    set(${out} "module simdjson" PARENT_SCOPE)
  elseif(target STREQUAL "OpenSSL::Crypto")
    set(${out} "module libcrypto" PARENT_SCOPE)
  elseif(target STREQUAL "OpenSSL::SSL")
    set(${out} "module libssl" PARENT_SCOPE)
  elseif(target MATCHES "^Boost::(url|json)$")
    set(${out} "libs -lboost_${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(target STREQUAL "Boost::headers")
    set(${out} "none" PARENT_SCOPE)
  elseif(target STREQUAL "Threads::Threads")
    set(${out} "libs -pthread" PARENT_SCOPE)
  elseif(target STREQUAL "SQLite::SQLite3")
    set(${out} "module sqlite3" PARENT_SCOPE)
  elseif(target MATCHES "^RocksDB::")
    set(${out} "module rocksdb" PARENT_SCOPE)
  elseif(target STREQUAL "PkgConfig::PQ")
    # Not "module libpq": `pkg-config --static` would expand libpq.pc's
    # Libs.private (-lpgcommon -lpgport -lgssapi_krb5 -lldap ...), archives
    # Debian does not ship. userstore links the shared libpq.so.
    set(${out} "libs -lpq" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# PUBLIC dependencies: INTERFACE_LINK_LIBRARIES entries that are targets
# (skipping $<LINK_ONLY:...> private ones and generator expressions);
# PRIVATE ones: the rest of LINK_LIBRARIES.
get_target_property(_userstore_interface userstore INTERFACE_LINK_LIBRARIES)
get_target_property(_userstore_all userstore LINK_LIBRARIES)
set(_userstore_public_deps)
set(_userstore_private_deps)
foreach(dep IN LISTS _userstore_interface)
  if(NOT dep MATCHES "^\\$<" AND dep MATCHES "::")
    list(APPEND _userstore_public_deps ${dep})
  endif()
endforeach()
foreach(dep IN LISTS _userstore_all)
  if(NOT dep MATCHES "^(\\$<|-)" AND NOT dep IN_LIST _userstore_public_deps)
    list(APPEND _userstore_private_deps ${dep})
  endif()
endforeach()

set(_userstore_config_deps)  # lines of find_dependency(...)
set(_userstore_pc_requires)
set(_userstore_pc_requires_private)
set(_userstore_pc_libs_private)
foreach(kind public private)
  foreach(dep IN LISTS _userstore_${kind}_deps)
    _userstore_find_dependency(${dep} _fd)
    _userstore_pkg_config(${dep} _pc)
    if(_fd STREQUAL "" OR _pc STREQUAL "")
      message(FATAL_ERROR
        "userstore links '${dep}', which cmake/UserstorePackaging.cmake does "
        "not know: add it to _userstore_find_dependency and "
        "_userstore_pkg_config so that installed packages carry it.")
    endif()
    if(kind STREQUAL "public" OR NOT _userstore_shared)
      list(APPEND _userstore_config_deps "find_dependency(${_fd})")
      if(dep STREQUAL "PkgConfig::PQ")
        list(APPEND _userstore_config_deps
             "pkg_check_modules(PQ REQUIRED QUIET IMPORTED_TARGET libpq)")
      endif()
    endif()
    if(kind STREQUAL "private" AND _userstore_shared)
      # A shared library's users never see its private dependencies.
    elseif(_pc MATCHES "^module (.+)$")
      if(kind STREQUAL "public")
        list(APPEND _userstore_pc_requires ${CMAKE_MATCH_1})
      else()
        list(APPEND _userstore_pc_requires_private ${CMAKE_MATCH_1})
      endif()
    elseif(_pc MATCHES "^libs (.+)$")
      list(APPEND _userstore_pc_libs_private ${CMAKE_MATCH_1})
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES _userstore_config_deps)
# Boost: one find_dependency naming every component (Boost::headers comes with
# any find_package(Boost)).
set(_userstore_boost_components)
set(_userstore_boost_any OFF)
foreach(line IN LISTS _userstore_config_deps)
  if(line MATCHES "^find_dependency\\(Boost 1.81 CONFIG( COMPONENTS ([a-z_]+))?\\)$")
    set(_userstore_boost_any ON)
    if(CMAKE_MATCH_2)
      list(APPEND _userstore_boost_components ${CMAKE_MATCH_2})
    endif()
  endif()
endforeach()
if(_userstore_boost_any)
  list(FILTER _userstore_config_deps EXCLUDE REGEX "^find_dependency\\(Boost ")
  set(_userstore_boost_line "find_dependency(Boost 1.81 CONFIG")
  if(_userstore_boost_components)
    list(JOIN _userstore_boost_components " " _userstore_boost_list)
    string(APPEND _userstore_boost_line " COMPONENTS ${_userstore_boost_list}")
  endif()
  list(APPEND _userstore_config_deps "${_userstore_boost_line})")
endif()
list(REMOVE_DUPLICATES _userstore_pc_libs_private)
list(JOIN _userstore_config_deps "\n" USERSTORE_CONFIG_DEPENDENCIES)
list(JOIN _userstore_pc_requires " " USERSTORE_PC_REQUIRES)
list(JOIN _userstore_pc_requires_private " " USERSTORE_PC_REQUIRES_PRIVATE)
list(JOIN _userstore_pc_libs_private " " USERSTORE_PC_LIBS_PRIVATE)
if(_userstore_shared)
  set(USERSTORE_PC_CFLAGS "-DUSERSTORE_SHARED_LIBRARY")
  set(USERSTORE_LIBRARY_KIND "shared")
else()
  set(USERSTORE_PC_CFLAGS "")
  set(USERSTORE_LIBRARY_KIND "static")
endif()

# ---- install rules ------------------------------------------------------------
# Only with USERSTORE_INSTALL (ON when userstore is the top-level project).
if(NOT USERSTORE_INSTALL)
  return()
endif()
set(USERSTORE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/userstore)

install(TARGETS userstore EXPORT userstoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Exactly the headers userstore_header_check compiles one by one.
install(FILES ${USERSTORE_PUBLIC_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/userstore)
install(EXPORT userstoreTargets
  NAMESPACE userstore::
  DESTINATION ${USERSTORE_INSTALL_CMAKEDIR})
# The `userstore` program (docs/cli.md), when it is built (USERSTORE_BUILD_TOOLS):
# bin/userstore. Not part of the exported package: find_package(userstore)
# gives the library alone. Linked to a shared libuserstore, it finds the one
# installed beside it.
if(TARGET userstore_cli)
  if(_userstore_shared)
    set_target_properties(userstore_cli PROPERTIES
      INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  endif()
  install(TARGETS userstore_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/userstoreConfig.cmake.in
  ${PROJECT_BINARY_DIR}/userstoreConfig.cmake
  INSTALL_DESTINATION ${USERSTORE_INSTALL_CMAKEDIR})
# 0.x: only the same minor version is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/userstoreConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/userstoreConfig.cmake
  ${PROJECT_BINARY_DIR}/userstoreConfigVersion.cmake
  DESTINATION ${USERSTORE_INSTALL_CMAKEDIR})

# The .pc file locates the prefix from its own directory, so the tree can be
# installed anywhere (cmake --install --prefix DIR) or moved.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(USERSTORE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(USERSTORE_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _userstore_pc_up
       "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" _userstore_pc_up "${_userstore_pc_up}")
  set(USERSTORE_PC_PREFIX "\${pcfiledir}/${_userstore_pc_up}")
  set(USERSTORE_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(USERSTORE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(USERSTORE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/userstore.pc.in
               ${PROJECT_BINARY_DIR}/userstore.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/userstore.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

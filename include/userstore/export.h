// USERSTORE_EXPORT: marks the declarations that make up the public API.
//
// The library is compiled with -fvisibility=hidden (and hidden inline
// functions), so in a shared build only what carries this macro is exported:
// the free functions and classes of include/userstore/*.h. Everything in
// userstore::internal stays private to the library. In a static build the
// macro is empty. The build defines USERSTORE_SHARED_LIBRARY for the library
// and for everyone who links the shared library (the exported CMake target
// and the pkg-config file carry it), and USERSTORE_COMPILE_LIBRARY only while
// compiling the library itself. Same scheme as leveldb's
// include/leveldb/export.h.
#ifndef USERSTORE_EXPORT_H_
#define USERSTORE_EXPORT_H_

#if !defined(USERSTORE_EXPORT)

#if defined(USERSTORE_SHARED_LIBRARY)
#if defined(_WIN32)
#if defined(USERSTORE_COMPILE_LIBRARY)
#define USERSTORE_EXPORT __declspec(dllexport)
#else
#define USERSTORE_EXPORT __declspec(dllimport)
#endif  // defined(USERSTORE_COMPILE_LIBRARY)
#else   // defined(_WIN32)
#if defined(USERSTORE_COMPILE_LIBRARY)
#define USERSTORE_EXPORT __attribute__((visibility("default")))
#else
#define USERSTORE_EXPORT
#endif  // defined(USERSTORE_COMPILE_LIBRARY)
#endif  // defined(_WIN32)

#else  // defined(USERSTORE_SHARED_LIBRARY)
#define USERSTORE_EXPORT
#endif  // defined(USERSTORE_SHARED_LIBRARY)

#endif  // !defined(USERSTORE_EXPORT)

#endif  // USERSTORE_EXPORT_H_

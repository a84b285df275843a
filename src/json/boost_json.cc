// Boost.JSON, compiled into the library (Debian ships its headers but no
// libboost_json; this is Boost.JSON's documented header-only use: src.hpp in
// exactly one translation unit). Used only by json_dom.cc to tell a number
// beyond simdjson's range in valid JSON from a syntax error (docs/json.md).
#include <boost/json/src.hpp>

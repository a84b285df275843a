// The input of `userstore import`: files holding Services, roles and users
// in any of the shapes people get out of Twilio or out of userstore, read
// with simdjson (no JSON is parsed by hand) and turned into the values of
// userstore/import.h. The shape is detected from the text, without flags:
//
//   kExport    `userstore export`'s NDJSON: {"type":"service"|"role"|"user"|
//              "binding"|"configuration","item":{...}} per line, items in
//              Twilio's JSON (a binding: the Chat v2 User Binding,
//              UserBindingJson; the configuration: Conversations'
//              Configuration, ConfigurationJson);
//   kPages     Twilio list pages {"meta":{...},"users":[...]} (or "roles"),
//              one or many per file, on one line each or pretty-printed and
//              concatenated (curl's output while paging);
//   kCliArray  the Twilio CLI's `-o json`: one JSON array of objects with
//              camelCase keys (accountSid, serviceSid, friendlyName, roleSid,
//              dateCreated "2016-03-24T21:05:19.000Z", ...);
//   kObjects   NDJSON of bare objects in Twilio's snake_case (a user, or a
//              Service or role, told apart by the prefix of "sid");
//   kEmpty     nothing but whitespace (the CLI's output for no user).
// Every object is read with both key styles (snake_case first), so a file
// may mix them. Attributes arrive as a JSON string (Twilio's wire form) and
// its unescaped value becomes UserImport::attributes byte for byte; null or
// absent means never set (""), an object or array is taken as its minified
// text. Dates are RFC 3339 (a fraction of a second is dropped, as Twilio's
// own dates are whole seconds). is_online, is_notifiable, links, url and
// unknown keys are ignored.
//
// Each record carries its location: "FILE:LINE" for a line of NDJSON,
// "FILE:LINE users[I]" for the I-th user of a page starting on LINE,
// "FILE [I]" for the I-th element of an array. A record that does not read
// is an ImportItem of kind kError (400/20001 naming the field), and the
// parse goes on with the next line or element; a text that cannot be split
// into records at all (an array or a pretty-printed page that is not valid
// JSON) ends the file with one kError.
//
// Thread-safety: pure functions; each call has its own simdjson parser.
#ifndef USERSTORE_TOOLS_IMPORT_PARSE_H_
#define USERSTORE_TOOLS_IMPORT_PARSE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "userstore/configuration.h"
#include "userstore/import.h"
#include "userstore/service.h"

namespace userstore::cli {

// The shape of a file, as detected (see the top of this file).
enum class ImportFormat { kEmpty, kExport, kPages, kCliArray, kObjects };

// "empty", "export", "pages", "cli-array", "objects". O(1).
const char* ImportFormatName(ImportFormat format);

// One record of an import file.
struct ImportItem {
  enum class Kind { kService, kRole, kUser, kBinding, kConfiguration, kError };
  Kind kind = Kind::kError;
  // Where the record is (see the top of this file).
  std::string location;
  // The byte offset of the record's line or element in the text (for
  // progress). Non-decreasing from one item to the next.
  size_t offset = 0;
  // The record's service_sid ("" when it has none; for a kService its own
  // sid) and account_sid ("" when it has none), as written.
  std::string service_sid;
  std::string account_sid;
  Service service;  // kService (service_sid and account_sid set from it)
  Role role;        // kRole
  UserImport user;  // kUser (role_sid "" when the record has none)
  // kBinding (export records only): user_key is the record's user_sid.
  BindingImport binding;
  // kConfiguration (export records only): its four fields, "" for null;
  // account_sid as written (also in account_sid above).
  Configuration configuration;
  absl::Status error;  // kError: 400/20001, the message naming the problem
};

// Called with each record in order; the item is reused from call to call
// (copy what must be kept). Returning false stops the parse.
using ImportSink = std::function<bool(const ImportItem&)>;

// Parses `text`, the contents of the file called `name` (used in
// locations), calling `sink` with each record. Returns the shape detected.
// Never fails: problems are kError items. A UTF-8 byte order mark at the
// start is skipped. Complexity: O(|text|) time; memory about |text| (the
// simdjson document of one line, or of the whole text for an array or
// pretty-printed pages).
ImportFormat ParseImport(std::string_view name, std::string_view text, const ImportSink& sink);

// Reads Twilio's date ("2016-03-24T21:05:19Z", "2016-03-24T21:05:19.000Z",
// any RFC 3339 offset) into whole seconds, rounding down. Errors: 400/20001
// naming `field` when `text` is not such a date. O(|text|).
absl::StatusOr<absl::Time> ParseImportDate(std::string_view text, std::string_view field);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_IMPORT_PARSE_H_

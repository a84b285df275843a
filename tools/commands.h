// The commands of the `userstore` program: replay and stdio over a REST
// facade; check, stats, get, list, export and events over a durable store directory
// (read-only: they work beside a running store); import into one.
//
// Thread-safety: each command runs on the calling thread; the facade is
// thread-safe.
#ifndef USERSTORE_TOOLS_COMMANDS_H_
#define USERSTORE_TOOLS_COMMANDS_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "cli_args.h"
#include "userstore/inspect.h"
#include "userstore/rest.h"

namespace userstore::cli {

// `userstore replay FILE`: parses the `.http` file at `path` (http_file.h),
// then for each request expands its variables (http_vars.h), sends it to
// `facade` and writes FormatExchange to `out`. Returns 0 when every request
// got a response (4xx included); 1 after writing "userstore: ..." to `err`
// when the file cannot be read, is larger than kMaxHttpFileBytes (at most
// that much is read), does not parse, holds no request, or a request's
// variables or URL cannot be resolved or expand past the ExpansionBudget
// (http_vars.h; requests before it have run).
// Complexity: O(file size + the requests' work).
int RunReplay(const RestFacade& facade, const std::string& path, std::ostream& out,
              std::ostream& err);

// The text replay prints for one request:
//   ### METHOD TARGET
//   HTTP/1.1 201 Created
//   Name: value            (each response header)
//                          (blank line)
//   {pretty JSON body}     (PrettyJson; absent when the body is empty)
// followed by one blank line. O(size of the response).
std::string FormatExchange(const Request& request, const Response& response);

// `userstore stdio`: for each line of `in` (stdio_protocol.h) writes one
// response line to `out` and flushes. Lines holding only whitespace are
// skipped; a malformed line gets a 400/20001 response line. Returns 0 at
// the end of input, 1 if `out` fails. Complexity: O(input + the requests'
// work).
int RunStdio(const RestFacade& facade, std::istream& in, std::ostream& out);

// `userstore check DIR`: CheckStore(dir) (userstore/inspect.h, read-only),
// FormatCheckReport to `out`. Returns 0 when the store is sound, 1 when
// problems were found (they are listed), 2 after writing "userstore: ..."
// to `err` when the directory cannot be checked (missing, not a store,
// another format, I/O error). Complexity: O(size of the store) time, one
// rebuilt index of memory.
int RunCheck(const std::string& dir, std::ostream& out, std::ostream& err);

// `userstore stats DIR`: ComputeStats(dir) (read-only), FormatStatsTable to
// `out`. Returns 0, or 2 after writing "userstore: ..." to `err` when the
// directory cannot be read or a key does not decode (run check).
// Complexity: O(size of the store) time, O(Services) memory.
int RunStats(const std::string& dir, std::ostream& out, std::ostream& err);

// `userstore get DIR KEY [--service IS]` (options.dir, options.key,
// options.services: at most one, options.base_url): StoreReader::Open(dir),
// then FetchUser(service, key), the Service being --service or, without it,
// the store's only one. Writes UserJson (the body of the REST facade's
// fetch; presence null, as it is not stored) and a newline to `out`.
// Returns 0; 1 (kNotFoundExit) after writing Twilio's 404/20404 error body
// and a newline to `err` when the Service or user does not exist; 2 after
// writing "userstore: ..." to `err` when the directory cannot be read, a
// user does not decode, --base-url is not a URL, or --service is missing
// and the store holds no Service or several (they are named).
// Complexity: O(users of the Service) time, O(one user) memory.
int RunGet(const CliOptions& options, std::ostream& out, std::ostream& err);

// `userstore list DIR [--service IS]... [--limit N]`: writes each user, as
// RunGet writes one, on its own line (NDJSON): the users of each --service
// in the order given, or of every Service in SID order; within a Service
// in creation order (the REST facade's paging order); at most options.limit
// lines in all (0: no limit). Returns 0 (also for no user); 1 after writing
// Twilio's 404/20404 error body to `err`, before any line, when a --service
// does not exist; 2 after writing "userstore: ..." to `err` for a
// --service given twice, a directory that cannot be read, a bad
// --base-url, a user that does not decode (the lines before it are
// written) or output that cannot be written.
// Complexity: O(users written) time; O(Services + one user) memory,
// whatever the size of the store (the users are streamed).
int RunList(const CliOptions& options, std::ostream& out, std::ostream& err);

// `userstore export --data-dir DIR [--service IS]... [-o FILE]
// [--base-url URL]` (options.data_dir, services, output, base_url): writes,
// for each --service in the order given or every Service in SID order, a
// line {"type":"service","item":ServiceJson}, one {"type":"role","item":
// RoleJson} per role in the order they were added, then one {"type":"user",
// "item":UserJson} per user in creation order (the paging order), to
// options.output (created or truncated) or to `out`; then "exported S
// Services, U users from DIR" on `err`. Read-only (StoreReader), so it runs
// beside a live store. Returns 0; 1 (kNotFoundExit) with Twilio's 404/20404
// body on `err`, before any line, when a --service does not exist; 2 after
// writing "userstore: ..." to `err` for a --service given twice, a directory
// that cannot be read, a bad --base-url, a record that does not decode (the
// lines before it are written) or output that cannot be written.
// Complexity: O(size of the store) time; O(Services + roles of one Service
// + one user) memory, whatever the number of users.
int RunExport(const CliOptions& options, std::ostream& out, std::ostream& err);

// `userstore import --data-dir DIR [--service IS]... [--mode M] [--dry-run]
// [--create-services] [--sync|--no-sync] FILE...`: reads each file (`-`:
// `in`) with ParseImport (import_parse.h) and carries its records into the
// durable store in DIR (Store::Open, created when missing with the account
// of the first record; an existing store keeps its own account):
//   - a Service record (export's) is imported with the role records that
//     follow it (Store::ImportService: an existing Service is kept and
//     gains the roles it lacks); a role record of no preceding Service is
//     added to its Service the same way;
//   - users go to Store::ImportUsers in batches of up to 1000 rows of one
//     Service, with options.mode and dry_run; a user dated before the one
//     before it starts a new batch, so users page in the input's order (an
//     export imported pages as it did); a user without role_sid gets the
//     Service's default_service_role_sid.
// The Service of a record is its service_sid; with --service, records of
// other Services are passed over (counted), and records naming none go to
// the one --service. A Service the input names but does not carry is
// created (Store::EnsureService) with --create-services, otherwise each of
// its records is rejected (404/20404). Every rejected record is reported on
// `err` as "userstore: import LOCATION: STATUS/CODE message"; the progress
// (ImportProgress, a bar when `terminal`) and a summary line also go to
// `err`. With dry_run nothing is written: the store in DIR (if any) is read
// read-only (StoreReader) into a Store in memory and the import runs there.
// A record naming no Service, without exactly one --service, is rejected
// (400/20001). Returns 0 when nothing was rejected; 1 when a record was
// rejected or a file could not be read; 2 after "userstore: ..." on `err`
// for a --service given twice, a store that cannot be opened or a batch
// that could not be written (the batches before it are in).
// Complexity: O(input + the Store's import work); memory O(largest file +
// one batch) besides the Store's.
int RunImport(const CliOptions& options, std::istream& in, std::ostream& err, bool terminal);

// `userstore events --data-dir DIR [--service IS]... [--after N] [--follow]
// [--limit N] [--base-url URL]`: writes the change feed of each --service
// in the order given, or of every Service in SID order, one EventJson
// (userstore/json.h) line per event (NDJSON), each Service's events in
// sequence order from its oldest kept event (or after --after N, one
// --service only); at most options.limit lines in all (0: no limit).
// Read-only (StoreReader::ReadEvents), so it runs beside a live store.
// With options.follow, once the events kept are written, reopens the
// reader every 200 ms (a read-only open sees the store as it was when
// opened) and writes the new events, Services created meanwhile included
// (without --service), until SIGINT or SIGTERM, the --limit, or the output
// closing (`out_fd` polled for POLLERR/POLLHUP; -1: not polled).
// Returns 0 (also when the output is a pipe whose reader went away:
// EPIPE); 1 (kNotFoundExit) with Twilio's 404/20404 body on `err`, before
// any line, when a --service does not exist; 1 after "userstore: events
// DIR: IS…: 410/20410 message" (or 400/20001: --after beyond the feed's
// position) on `err`, e.g. when trimming removed events before they were
// written; 2 after "userstore: ..." for a --service given twice, a
// directory that cannot be read (or reopened, five times in a row while
// following), a bad --base-url, a stored event that does not decode, or
// output that cannot be written. Ignores SIGPIPE; with follow, installs
// SIGINT / SIGTERM handlers. Complexity: O(events written) time; O(Services
// + 1000 events) memory.
int RunEvents(const CliOptions& options, std::ostream& out, std::ostream& err, int out_fd);

// The text of `stats`: a summary (path, format, account, totals, bytes on
// disk), then a table with one row per Service (SID, friendly name, users,
// bytes of its users, roles, last creation sequence, reachability) and a
// total row. Columns are aligned; friendly names are C-escaped (so the
// table stays aligned and free of control characters); sizes are in B,
// KiB, MiB or GiB. O(size of the stats).
std::string FormatStatsTable(const StoreStats& stats);

// `bytes` as "612 B", "1.5 KiB", "23.4 MiB", "1.0 GiB". O(1).
std::string HumanBytes(uint64_t bytes);

}  // namespace userstore::cli

#endif  // USERSTORE_TOOLS_COMMANDS_H_

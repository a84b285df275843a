// `userstore events --data-dir DIR [--service IS...]... [--after N]
// [--follow] [--limit N]`: the change feed of a store directory as NDJSON,
// read-only (StoreReader::ReadEvents), optionally followed.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands.h"
#include "reading.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore::cli {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }

// Where one Service's feed has been printed up to.
struct Cursor {
  std::string service_sid;
  uint64_t after = 0;
};

// What a pass over the feed ended with.
enum class Pass { kCaughtUp, kFinished, kFailed };

// True when `fd` is a pipe or socket whose reader has gone.
bool OutputClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

class EventPrinter {
 public:
  EventPrinter(const CliOptions& options, const std::string& base_url, std::ostream& out,
               std::ostream& err)
      : options_(options), base_url_(base_url), out_(out), err_(err) {}

  // The exit status once a pass returned kFinished or kFailed.
  int status() const { return status_; }

  // Prints the events of `cursor`'s Service after its position, up to the
  // --limit. kCaughtUp when all were printed.
  Pass Drain(const StoreReader& reader, Cursor* cursor) {
    for (;;) {
      size_t max = 1000;
      if (options_.limit != 0) {
        if (printed_ >= options_.limit) return Finish(0);
        max = static_cast<size_t>(std::min<uint64_t>(max, options_.limit - printed_));
      }
      absl::StatusOr<EventPage> page = reader.ReadEvents(cursor->service_sid, cursor->after, max);
      if (!page.ok()) return Failed(cursor->service_sid, page.status());
      if (page->events.empty()) return Pass::kCaughtUp;
      std::string line;
      errno = 0;  // a failed write leaves EPIPE (SIGPIPE is ignored) or its own error
      for (const UserEvent& event : page->events) {
        line = EventJson(event, base_url_);
        line.push_back('\n');
        out_.write(line.data(), static_cast<std::streamsize>(line.size()));
        ++printed_;
      }
      cursor->after = page->next_after;
      out_.flush();
      if (!out_) return OutputFailed();
    }
  }

  Pass OutputFailed() {
    if (errno == EPIPE) return Finish(0);  // the reader is gone: done
    err_ << "userstore: events " << options_.data_dir << ": cannot write the output\n";
    return Finish(2);
  }

  // A read's error: Twilio's error body for a 404 (as get and list), else
  // "userstore: events DIR: IS…: STATUS/CODE message".
  Pass Failed(const std::string& service_sid, const absl::Status& status) {
    if (HttpStatus(status) == 404)
      return Finish(ReadFailed(status, "events", options_.data_dir, err_));
    err_ << "userstore: events " << options_.data_dir << ": " << service_sid << ": "
         << HttpStatus(status) << "/" << TwilioCode(status) << " " << status.message() << "\n";
    return Finish(HttpStatus(status) < 500 ? 1 : 2);
  }

  Pass Finish(int status) {
    status_ = status;
    return status == 0 ? Pass::kFinished : Pass::kFailed;
  }

 private:
  const CliOptions& options_;
  const std::string& base_url_;
  std::ostream& out_;
  std::ostream& err_;
  uint64_t printed_ = 0;
  int status_ = 0;
};

// Adds a cursor for each Service of `reader` not followed yet (no
// --service: every Service, in SID order), starting at its oldest kept
// event. False (after Failed) when a position cannot be read.
bool AddNewServices(const StoreReader& reader, std::vector<Cursor>* cursors,
                    EventPrinter* printer) {
  for (const Service& service : reader.services()) {
    const bool known = std::any_of(cursors->begin(), cursors->end(),
                                   [&](const Cursor& c) { return c.service_sid == service.sid; });
    if (known) continue;
    absl::StatusOr<uint64_t> oldest = reader.OldestEvent(service.sid);
    if (!oldest.ok()) {
      printer->Failed(service.sid, oldest.status());
      return false;
    }
    cursors->push_back({service.sid, *oldest - 1});
  }
  return true;
}

}  // namespace

int RunEvents(const CliOptions& options, std::ostream& out, std::ostream& err, int out_fd) {
  Reading reading;
  if (!OpenDataDir(options, "events", &reading, err)) return 2;
  EventPrinter printer(options, reading.base_url, out, err);
  std::vector<Cursor> cursors;
  if (options.services.empty()) {
    if (!AddNewServices(*reading.reader, &cursors, &printer)) return printer.status();
  } else {
    // Every named Service is known before the first line is written.
    for (const std::string& sid : options.services) {
      absl::StatusOr<uint64_t> oldest = reading.reader->OldestEvent(sid);
      if (!oldest.ok()) {
        printer.Failed(sid, oldest.status());
        return printer.status();
      }
      cursors.push_back({sid, options.after.value_or(*oldest - 1)});
    }
  }
  // A closed pipe is a write error (EPIPE), not a signal that kills us.
  std::signal(SIGPIPE, SIG_IGN);
  auto pass = [&](const StoreReader& reader) {
    for (Cursor& cursor : cursors) {
      if (Pass p = printer.Drain(reader, &cursor); p != Pass::kCaughtUp) return p;
    }
    return Pass::kCaughtUp;
  };
  if (pass(*reading.reader) != Pass::kCaughtUp || !options.follow) return printer.status();

  struct sigaction stop = {};
  stop.sa_handler = RequestStop;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  // A read-only open sees the store as it was then: reopen to see more.
  int failed_opens = 0;
  while (stop_requested == 0) {
    for (int i = 0; i < 10 && stop_requested == 0; ++i) {
      if (OutputClosed(out_fd)) return 0;
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (stop_requested != 0) break;
    absl::StatusOr<std::unique_ptr<StoreReader>> reader = StoreReader::Open(options.data_dir);
    if (!reader.ok()) {
      // The live store may delete a file between our reads of its manifest
      // and of the file: try again, a few times.
      if (++failed_opens < 5) continue;
      err << "userstore: events " << options.data_dir << ": " << reader.status().message() << "\n";
      return 2;
    }
    failed_opens = 0;
    if (options.services.empty() && !AddNewServices(**reader, &cursors, &printer)) {
      return printer.status();
    }
    if (pass(**reader) != Pass::kCaughtUp) return printer.status();
  }
  out.flush();
  return 0;
}

}  // namespace userstore::cli

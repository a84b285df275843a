// The delivered position of userstore-http's post-event webhooks, kept per
// Service beside the --data-dir (docs/events.md, "Webhooks": the file
// format). Beside, not inside: a durable store refuses a directory holding
// files that are not its own.
//
//   DIR.webhooks/<IS...>.position, ASCII, one "name value" per line:
//     delivered_position N   every event up to sequence N is delivered
//                            (or was filtered out, or lost to retention)
//     feed_position P        EventPosition when the file was written
//     lost_events L          events skipped because the feed had dropped
//                            them before delivery (410/20410), in total
//   Backlog = the feed's position now - delivered_position.
//
// Thread-compatible: one writer per file (the delivery thread).
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_POSITION_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_POSITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace userstore_http {

struct WebhookPosition {
  uint64_t delivered_position = 0;
  uint64_t feed_position = 0;
  uint64_t lost_events = 0;
};

// DIR.webhooks (trailing slashes of DIR dropped): the directory of the
// position files of the store in `data_dir`.
std::string WebhookPositionDir(std::string_view data_dir);

// DIR.webhooks/<service_sid>.position.
std::string WebhookPositionPath(std::string_view data_dir, std::string_view service_sid);

// Creates WebhookPositionDir(data_dir) when missing. Errors: kInternal
// with errno's text when it cannot be made.
absl::Status MakeWebhookPositionDir(std::string_view data_dir);

// The position kept in `path`; nullopt when there is no such file.
// Unknown lines are ignored (later versions may add some). Errors:
// kDataLoss when the file cannot be read or has no valid
// delivered_position line. O(file size).
absl::StatusOr<std::optional<WebhookPosition>> ReadWebhookPosition(const std::string& path);

// Replaces `path` atomically: writes path + ".tmp", fsyncs it, renames it
// over `path` and fsyncs the directory, so a crash leaves the old or the
// new file, whole. Errors: kInternal with errno's text. Cost: two fsyncs.
absl::Status WriteWebhookPosition(const std::string& path, const WebhookPosition& position);

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_POSITION_H_

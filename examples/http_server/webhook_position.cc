#include "webhook_position.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace userstore_http {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(absl::string_view(what.data(), what.size()), " ", path,
                                          ": ", std::strerror(errno)));
}

// Writes all of `data` to `fd`. Errors: kInternal.
absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

std::string WebhookPositionDir(std::string_view data_dir) {
  while (data_dir.size() > 1 && data_dir.back() == '/') data_dir.remove_suffix(1);
  return absl::StrCat(absl::string_view(data_dir.data(), data_dir.size()), ".webhooks");
}

std::string WebhookPositionPath(std::string_view data_dir, std::string_view service_sid) {
  return absl::StrCat(WebhookPositionDir(data_dir), "/",
                      absl::string_view(service_sid.data(), service_sid.size()), ".position");
}

absl::Status MakeWebhookPositionDir(std::string_view data_dir) {
  const std::string dir = WebhookPositionDir(data_dir);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<WebhookPosition>> ReadWebhookPosition(const std::string& path) {
  std::ifstream in(path);
  if (!in.is_open()) {
    if (errno == ENOENT) return std::nullopt;
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  WebhookPosition position;
  bool has_delivered = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
    uint64_t* field = kv.first == "delivered_position" ? &position.delivered_position
                      : kv.first == "feed_position"    ? &position.feed_position
                      : kv.first == "lost_events"      ? &position.lost_events
                                                       : nullptr;
    if (field == nullptr) continue;
    if (!absl::SimpleAtoi(kv.second, field)) {
      return absl::DataLossError(absl::StrCat(path, ": bad line '", line, "'"));
    }
    has_delivered |= field == &position.delivered_position;
  }
  if (!has_delivered) {
    return absl::DataLossError(absl::StrCat(path, ": no delivered_position line"));
  }
  return position;
}

absl::Status WriteWebhookPosition(const std::string& path, const WebhookPosition& position) {
  const std::string tmp = path + ".tmp";
  const std::string text =
      absl::StrCat("delivered_position ", position.delivered_position, "\nfeed_position ",
                   position.feed_position, "\nlost_events ", position.lost_events, "\n");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  absl::Status written = WriteAll(fd, text, tmp);
  if (written.ok() && ::fsync(fd) != 0) written = Errno("cannot fsync", tmp);
  ::close(fd);
  if (!written.ok()) return written;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  const std::string dir = path.substr(0, path.rfind('/'));
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("cannot open", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  return synced ? absl::OkStatus() : Errno("cannot fsync", dir);
}

}  // namespace userstore_http

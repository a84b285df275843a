#include "webhook_sender.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "webhook_client.h"

namespace userstore_http {
namespace {

constexpr size_t kPage = 100;  // events read (and persisted) at a time

void Log(const std::string& line) {
  std::fprintf(stderr, "userstore-http: webhooks: %s\n", line.c_str());
}

std::string Describe(const WebhookResult& result) {
  return result.status == 0 ? absl::StrCat("no answer (", result.error, ")")
                            : absl::StrCat("HTTP ", result.status);
}

}  // namespace

PostWebhookSender::PostWebhookSender(userstore::Store* store, PostWebhookOptions options)
    : store_(store), options_(std::move(options)), wake_(std::make_shared<Wake>()) {}

PostWebhookSender::~PostWebhookSender() { Stop(); }

userstore::Store::PostEventListener PostWebhookSender::Waker() const {
  return [wake = wake_](const userstore::UserEvent&) {
    {
      std::lock_guard<std::mutex> lock(wake->mu);
      wake->pending = true;
    }
    wake->cv.notify_one();
  };
}

absl::Status PostWebhookSender::Start() {
  if (!options_.data_dir.empty()) {
    if (absl::Status made = MakeWebhookPositionDir(options_.data_dir); !made.ok()) return made;
  }
  // The Services that exist now start at their current position (or their
  // file's); those created later start at 0: all their events are new.
  for (const userstore::Service& service : store_->ListServices()) {
    ServiceState& state = services_[service.sid];
    absl::StatusOr<uint64_t> now = store_->EventPosition(service.sid);
    const uint64_t feed = now.ok() ? *now : 0;
    state.position.delivered_position = feed;
    if (options_.data_dir.empty()) continue;
    absl::StatusOr<std::optional<WebhookPosition>> saved =
        ReadWebhookPosition(WebhookPositionPath(options_.data_dir, service.sid));
    if (!saved.ok()) return saved.status();
    if (!saved->has_value()) continue;
    state.position = **saved;
    if (state.position.delivered_position > feed) {
      Log(absl::StrCat(service.sid, ": the saved delivered position ",
                       state.position.delivered_position, " is beyond the feed's position ", feed,
                       " (the feed restarted): delivering from 0"));
      state.position.delivered_position = 0;
    }
  }
  client_ = MakeWebhookClient(options_.target, options_.timeout_seconds);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void PostWebhookSender::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_->mu);
    wake_->stopping = true;
  }
  wake_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PostWebhookSender::Stopping() const {
  std::lock_guard<std::mutex> lock(wake_->mu);
  return wake_->stopping;
}

bool PostWebhookSender::WaitFor(std::chrono::milliseconds d, bool wakeable) {
  std::unique_lock<std::mutex> lock(wake_->mu);
  wake_->cv.wait_for(lock, d, [&] { return wake_->stopping || (wakeable && wake_->pending); });
  if (wakeable) wake_->pending = false;
  return wake_->stopping;
}

PostWebhookSender::ServiceState& PostWebhookSender::StateOf(const std::string& service_sid) {
  return services_[service_sid];  // a new Service: from 0
}

void PostWebhookSender::Persist(const std::string& service_sid, ServiceState& state) {
  if (!state.dirty) return;
  state.dirty = false;
  if (options_.data_dir.empty()) return;
  absl::StatusOr<uint64_t> feed = store_->EventPosition(service_sid);
  if (feed.ok()) state.position.feed_position = *feed;
  absl::Status written =
      WriteWebhookPosition(WebhookPositionPath(options_.data_dir, service_sid), state.position);
  if (!written.ok()) {
    Log(absl::StrCat(service_sid, ": cannot save the delivered position: ", written.message()));
  }
}

void PostWebhookSender::Run() {
  while (!Stopping()) {
    // Wake-ups that arrive while a round runs are kept for the wait below.
    bool more = false;
    for (const userstore::Service& service : store_->ListServices()) {
      if (Stopping()) break;
      more |= DeliverPage(service.sid);
    }
    if (!more && WaitFor(options_.poll, /*wakeable=*/true)) break;
  }
  // Every Service's file, also of one with nothing delivered yet: its
  // backlog (feed_position - delivered_position) is visible at rest.
  for (auto& [sid, state] : services_) {
    state.dirty = true;
    Persist(sid, state);
  }
}

bool PostWebhookSender::DeliverPage(const std::string& service_sid) {
  ServiceState& state = StateOf(service_sid);
  absl::StatusOr<userstore::EventPage> page =
      store_->ReadEvents(service_sid, state.position.delivered_position, kPage);
  if (!page.ok()) {
    switch (page.status().code()) {
      case absl::StatusCode::kOutOfRange:  // 410/20410
        SkipLost(service_sid, state);
        return true;
      case absl::StatusCode::kInvalidArgument:  // beyond the feed: it restarted
        Log(absl::StrCat(service_sid, ": delivered position ", state.position.delivered_position,
                         " is beyond the feed (", page.status().message(),
                         "): the feed restarted, delivering from 0"));
        state.position.delivered_position = 0;
        state.dirty = true;
        Persist(service_sid, state);
        return true;
      default:  // e.g. 404: the Service went away
        return false;
    }
  }
  for (const userstore::UserEvent& event : page->events) {
    if (IsPostWebhookEvent(event) && Contains(options_.events, PostEventOf(event.type))) {
      if (!Deliver(service_sid, state, event)) return false;  // stopping
      ++delivered_total_;
    }
    state.position.delivered_position = event.sequence;
    state.dirty = true;
  }
  Persist(service_sid, state);
  return page->events.size() == kPage;
}

bool PostWebhookSender::Deliver(const std::string& service_sid, ServiceState& state,
                                const userstore::UserEvent& event) {
  std::chrono::milliseconds backoff = options_.backoff_initial;
  for (int attempt = 0;; ++attempt) {
    const WebhookResult result = SendWebhook(*client_, options_.target, options_.auth_token,
                                             PostEventParams(event, attempt));
    if (!IsRetryable(result)) {
      if (result.status < 200 || result.status > 299) {
        Log(absl::StrCat(service_sid, ": event ", event.sequence, " (",
                         std::string(WebhookEventName(PostEventOf(event.type))), ") answered ",
                         result.status, ": not retried"));
      }
      return true;
    }
    if (Stopping()) return false;
    if (attempt < options_.retries) continue;  // Twilio's immediate retries
    Persist(service_sid, state);               // what was delivered before survives a restart
    LogBacklog(service_sid, state, result, backoff);
    if (WaitFor(backoff, /*wakeable=*/false)) return false;
    backoff = std::min(backoff * 2, options_.backoff_cap);
  }
}

void PostWebhookSender::LogBacklog(const std::string& service_sid, const ServiceState& state,
                                   const WebhookResult& result, std::chrono::milliseconds wait) {
  const auto now = std::chrono::steady_clock::now();
  if (last_backlog_log_ != std::chrono::steady_clock::time_point{} &&
      now - last_backlog_log_ < options_.backlog_log_interval) {
    return;
  }
  last_backlog_log_ = now;
  absl::StatusOr<uint64_t> feed = store_->EventPosition(service_sid);
  const uint64_t backlog = feed.ok() && *feed > state.position.delivered_position
                               ? *feed - state.position.delivered_position
                               : 0;
  Log(absl::StrCat(service_sid, ": receiver failing: ", Describe(result), "; backlog ", backlog,
                   " events (delivered position ", state.position.delivered_position,
                   ", feed position ", feed.ok() ? *feed : 0, ", delivered so far ",
                   delivered_total_, "); retrying in ", wait.count(), " ms"));
}

void PostWebhookSender::SkipLost(const std::string& service_sid, ServiceState& state) {
  uint64_t from = state.position.delivered_position;
  // The oldest event kept may move on while this looks (new events push a
  // memory window, the trimmer a durable one): try again a few times.
  for (int tries = 0; tries < 8; ++tries) {
    absl::StatusOr<uint64_t> oldest = store_->OldestEvent(service_sid);
    if (!oldest.ok()) return;
    from = std::max(from, *oldest - 1);
    absl::StatusOr<userstore::EventPage> probe = store_->ReadEvents(service_sid, from, 1);
    if (probe.ok() || probe.status().code() != absl::StatusCode::kOutOfRange) break;
  }
  const uint64_t lost = from - state.position.delivered_position;
  state.position.lost_events += lost;
  Log(absl::StrCat("LOST EVENTS: ", service_sid, ": the feed dropped ", lost,
                   " events before they were delivered (410/20410: past the feed's retention);"
                   " skipping from position ",
                   state.position.delivered_position, " to ", from, " (",
                   state.position.lost_events, " lost in total)"));
  state.position.delivered_position = from;
  state.dirty = true;
  Persist(service_sid, state);
}

}  // namespace userstore_http

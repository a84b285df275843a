// The post-event webhooks of userstore-http (--post-webhook-url): a
// delivery thread that reads each Service's change feed
// (Store::ReadEvents) from its delivered position and POSTs every event
// Twilio would send (IsPostWebhookEvent, then --webhook-filter), signed,
// in feed order (docs/events.md, "Webhooks").
//
// Guarantees: at least once, in order per Service (one event at a time; the
// next only after the previous one was answered). A failing receiver
// (no answer, 429, 5xx) is retried forever with exponential backoff capped
// at 30 s; writes never wait for it. Another answer (e.g. 400, 403) counts
// as delivered and is logged, as Twilio logs it. Events the feed dropped
// before delivery (410/20410) are counted as lost and logged. With a data
// directory, the delivered position of each Service is kept in a file
// (webhook_position.h) written after each page of events and before each
// backoff, so a restart resends at most one page.
//
// Thread-safety: Start and Stop from one thread; the listener Waker()
// returns is thread-safe and may outlive the sender.
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SENDER_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SENDER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "httplib.h"
#include "userstore/store.h"
#include "webhook_client.h"
#include "webhook_params.h"
#include "webhook_position.h"

namespace userstore_http {

struct PostWebhookOptions {
  WebhookTarget target;
  std::string auth_token;
  int timeout_seconds = 5;  // --webhook-timeout: connect, read and write
  // --webhook-retries: retries right after a failure (Twilio's
  // post_webhook_retry_count); later retries wait (backoff below).
  int retries = 0;
  WebhookEventSet events = kAllWebhookEvents;  // --webhook-filter
  // --data-dir: where position files live; empty: positions in memory only
  // (each Service starts at its EventPosition when the sender starts).
  std::string data_dir;
  std::chrono::milliseconds poll{1000};            // feed poll without a wake-up
  std::chrono::milliseconds backoff_initial{250};  // first wait after a failure
  std::chrono::milliseconds backoff_cap{30000};    // longest wait
  std::chrono::seconds backlog_log_interval{10};   // "receiver failing" lines, at most
};

class PostWebhookSender {
 public:
  // REQUIRES: `store` outlives the sender (Stop joins the thread before it
  // returns).
  PostWebhookSender(userstore::Store* store, PostWebhookOptions options);
  ~PostWebhookSender();  // Stop()
  PostWebhookSender(const PostWebhookSender&) = delete;
  PostWebhookSender& operator=(const PostWebhookSender&) = delete;

  // Reads the position files (with a data directory: a missing one starts
  // at the Service's EventPosition; one beyond it, a feed that restarted,
  // starts at 0 with a log line), then starts the delivery thread. Errors:
  // kInternal when the position directory cannot be made; kDataLoss for an
  // unreadable position file. Call once.
  absl::Status Start();

  // Stops the thread after the request in flight (at most about the
  // timeout), saves the positions, joins. Idempotent.
  void Stop();

  // A post-event listener for Store::AddPostEventListener that wakes the
  // delivery thread (a flag and a condition variable; O(1), never blocks
  // on the network). Safe after Stop and after the sender is destroyed.
  userstore::Store::PostEventListener Waker() const;

 private:
  // What the listener and the thread share; `pending` and `stopping` are
  // guarded by `mu` (std::mutex rather than absl::Mutex, which TSan cannot
  // see in Debian's Abseil: ../shared/conventions.md).
  struct Wake {
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false;
    bool stopping = false;
  };
  // One Service's delivery, touched by the delivery thread only (and by
  // Start before it).
  struct ServiceState {
    WebhookPosition position;
    bool dirty = false;  // position not yet written to its file
  };

  void Run();
  // Delivers what one Service's feed has from its position, a page at
  // most. True when a full page was read (more may be waiting).
  bool DeliverPage(const std::string& service_sid);
  // Delivers one event, retrying until it is answered or Stop; false on
  // Stop. Persists `state` before the first backoff.
  bool Deliver(const std::string& service_sid, ServiceState& state,
               const userstore::UserEvent& event);
  // Handles 410/20410: skips to the oldest event the feed still has.
  void SkipLost(const std::string& service_sid, ServiceState& state);
  ServiceState& StateOf(const std::string& service_sid);
  void Persist(const std::string& service_sid, ServiceState& state);
  void LogBacklog(const std::string& service_sid, const ServiceState& state,
                  const WebhookResult& result, std::chrono::milliseconds wait);
  // Waits up to `d`, or until woken (`wakeable`) or stopped. True when
  // stopping.
  bool WaitFor(std::chrono::milliseconds d, bool wakeable);
  bool Stopping() const;

  userstore::Store* const store_;
  const PostWebhookOptions options_;
  const std::shared_ptr<Wake> wake_;
  std::unique_ptr<httplib::Client> client_;
  absl::flat_hash_map<std::string, ServiceState> services_;
  std::chrono::steady_clock::time_point last_backlog_log_{};
  uint64_t delivered_total_ = 0;
  std::thread thread_;
};

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_SENDER_H_

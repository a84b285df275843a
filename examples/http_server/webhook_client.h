// Sending one signed webhook (httplib::Client), and the pre-event webhook
// of userstore-http (--pre-webhook-url) as a Store pre-event listener
// (docs/events.md, "Webhooks").
//
// Thread-safety: SendWebhook uses the client it is given, which must not be
// used by two threads at once; the listener MakePreWebhookListener returns
// is thread-safe (a client per call).
#ifndef USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_CLIENT_H_
#define USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include "httplib.h"
#include "userstore/events.h"
#include "webhook_params.h"

namespace userstore_http {

// The outcome of one webhook request.
struct WebhookResult {
  int status = 0;     // the HTTP status; 0 when no answer came
  std::string error;  // when status is 0: httplib's error ("Connection", "Read", ...)
};

// Whether a result is worth retrying: no answer (connection error,
// timeout), 429 or any 5xx. Twilio retries on a timeout, 429, 503 and 504
// (docs/events.md); userstore adds the other 5xx and connection errors.
bool IsRetryable(const WebhookResult& result);

// A client for `target` whose connection, read and write timeouts are
// `timeout_seconds` each (--webhook-timeout), keeping connections alive,
// with TCP_NODELAY.
// https targets verify the server's certificate against the system store.
std::unique_ptr<httplib::Client> MakeWebhookClient(const WebhookTarget& target,
                                                   int timeout_seconds);

// POSTs `params` form-encoded to `target` with X-Twilio-Signature computed
// with `auth_token` (webhook_signature.h) and Twilio's User-Agent
// ("TwilioProxy/1.1"). Blocks at most about three times the client's
// timeout. Never throws.
WebhookResult SendWebhook(httplib::Client& client, const WebhookTarget& target,
                          std::string_view auth_token, const WebhookParams& params);

// What --pre-webhook-* configure.
struct PreWebhookOptions {
  WebhookTarget target;
  std::string auth_token;
  int timeout_seconds = 5;  // --webhook-timeout
  // --pre-webhook-on-timeout: true (reject) or false (allow, the default)
  // when no answer comes (timeout or connection failure).
  bool reject_without_answer = false;
  WebhookEventSet events = kAllWebhookEvents;  // --webhook-filter
};

// A pre-event listener (Store::AddPreEventListener) that POSTs the
// onUserAdd / onUserUpdate parameters (PreEventParams) synchronously: a 200
// lets the write go on; any other status rejects it (the Store answers
// 403/50056 with the status in the message); no answer within the timeout
// follows `reject_without_answer`. An event outside `events` is let through
// without a request. Logs a line on stderr for each request without an
// answer. Thread-safe.
userstore::PreEventListener MakePreWebhookListener(PreWebhookOptions options);

}  // namespace userstore_http

#endif  // USERSTORE_EXAMPLES_HTTP_SERVER_WEBHOOK_CLIENT_H_

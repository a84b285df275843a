#include "webhook_client.h"

#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "webhook_signature.h"

namespace userstore_http {

bool IsRetryable(const WebhookResult& result) {
  return result.status == 0 || result.status == 429 || result.status >= 500;
}

std::unique_ptr<httplib::Client> MakeWebhookClient(const WebhookTarget& target,
                                                   int timeout_seconds) {
  auto client = std::make_unique<httplib::Client>(target.origin);
  client->set_connection_timeout(timeout_seconds, 0);
  client->set_read_timeout(timeout_seconds, 0);
  client->set_write_timeout(timeout_seconds, 0);
  client->set_keep_alive(true);
  // httplib writes a request's headers and body separately: without
  // TCP_NODELAY, Nagle's algorithm and the receiver's delayed ACK hold the
  // body back ~40 ms per request.
  client->set_tcp_nodelay(true);
  return client;
}

WebhookResult SendWebhook(httplib::Client& client, const WebhookTarget& target,
                          std::string_view auth_token, const WebhookParams& params) {
  httplib::Headers headers = {
      {"X-Twilio-Signature", TwilioSignature(auth_token, target.url, params)},
      {"User-Agent", "TwilioProxy/1.1"},
  };
  httplib::Params form;
  for (const auto& [name, value] : params) form.emplace(name, value);
  WebhookResult result;
  try {
    httplib::Result response = client.Post(target.path, headers, form);
    if (response) {
      result.status = response->status;
    } else {
      result.error = httplib::to_string(response.error());
    }
  } catch (const std::exception& e) {  // std::bad_alloc, or a throw inside httplib
    result.error = e.what();
  }
  return result;
}

userstore::PreEventListener MakePreWebhookListener(PreWebhookOptions options) {
  return [options = std::move(options)](const userstore::PreEvent& event) -> absl::Status {
    const WebhookEvent name = PreEventOf(event.type);
    if (!Contains(options.events, name)) return absl::OkStatus();
    std::unique_ptr<httplib::Client> client =
        MakeWebhookClient(options.target, options.timeout_seconds);
    client->set_keep_alive(false);
    const WebhookResult result =
        SendWebhook(*client, options.target, options.auth_token, PreEventParams(event));
    if (result.status == 200) return absl::OkStatus();
    if (result.status == 0) {
      std::fprintf(stderr,
                   "userstore-http: pre-event webhook %s for %s: no answer (%s) within %d s: %s\n",
                   std::string(WebhookEventName(name)).c_str(), event.user.identity.c_str(),
                   result.error.c_str(), options.timeout_seconds,
                   options.reject_without_answer ? "rejected" : "allowed");
      if (!options.reject_without_answer) return absl::OkStatus();
      return absl::DeadlineExceededError(absl::StrCat(
          "the pre-event webhook did not answer within ", options.timeout_seconds, " s"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("the pre-event webhook answered ", result.status));
  };
}

}  // namespace userstore_http

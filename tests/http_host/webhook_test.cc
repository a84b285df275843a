// Unit tests of userstore-http's webhooks (examples/http_server/webhook_*):
// the X-Twilio-Signature against Twilio's documented example, the
// parameters built from a UserEvent and a PreEvent, which feed events are
// sent, the position file, and the --*webhook* flags' errors.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "host_flags.h"
#include "webhook_params.h"
#include "webhook_position.h"
#include "webhook_signature.h"

namespace userstore_http {
namespace {

// The worked example of Twilio's webhook security page
// (https://www.twilio.com/docs/usage/webhooks/webhooks-security): auth token
// 12345, this URL and these parameters sign as 0/KCTR6DLpKmkAf8muzZqo1nDgQ=
// (python3-twilio's RequestValidator computes the same).
TEST(WebhookSignature, MatchesTwilioDocumentedExample) {
  const WebhookParams params = {{"To", "+18005551212"},
                                {"CallSid", "CA1234567890ABCDE"},
                                {"From", "+12349013030"},
                                {"Digits", "1234"},
                                {"Caller", "+12349013030"}};
  EXPECT_EQ(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  // Another order of the same parameters signs the same; another value not.
  WebhookParams reversed(params.rbegin(), params.rend());
  EXPECT_EQ(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", reversed),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  reversed[0].second = "+18005551213";
  EXPECT_NE(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", reversed),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  // The same example with the phone numbers of the page's older version
  // (twilio-python's own test of RequestValidator).
  const WebhookParams older = {{"CallSid", "CA1234567890ABCDE"},
                               {"Caller", "+14158675309"},
                               {"Digits", "1234"},
                               {"From", "+14158675309"},
                               {"To", "+18005551212"}};
  EXPECT_EQ(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", older),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  // No parameters: the URL alone.
  EXPECT_EQ(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", {}).size(),
            28u);
}

userstore::User SampleUser() {
  userstore::User user;
  user.sid = "US" + std::string(32, 'a');
  user.account_sid = "AC" + std::string(32, 'b');
  user.service_sid = "IS" + std::string(32, 'c');
  user.role_sid = "RL" + std::string(32, 'd');
  user.identity = "jing";
  user.attributes = R"({"a":1})";
  user.date_created = absl::FromUnixSeconds(1458853519);  // 2016-03-24T21:05:19Z
  user.date_updated = absl::FromUnixSeconds(1458853520);
  return user;
}

std::optional<std::string> Param(const WebhookParams& params, const std::string& name) {
  std::optional<std::string> found;
  for (const auto& [n, v] : params) {
    if (n != name) continue;
    EXPECT_FALSE(found.has_value()) << name << " twice";
    found = v;
  }
  return found;
}

TEST(WebhookParams, PostEventFromAUserEvent) {
  userstore::UserEvent event;
  event.type = userstore::UserEvent::Type::kUserUpdated;
  event.user = SampleUser();
  event.user.friendly_name = "Jing";
  event.user.is_online = true;
  event.sequence = 42;
  event.webhook_enabled = true;
  const WebhookParams params = PostEventParams(event, 2);
  EXPECT_EQ(Param(params, "EventType"), "onUserUpdated");
  EXPECT_EQ(Param(params, "AccountSid"), event.user.account_sid);
  EXPECT_EQ(Param(params, "InstanceSid"), event.user.service_sid);
  EXPECT_EQ(Param(params, "UserSid"), event.user.sid);
  EXPECT_EQ(Param(params, "Identity"), "jing");
  EXPECT_EQ(Param(params, "RoleSid"), event.user.role_sid);
  EXPECT_EQ(Param(params, "Attributes"), R"({"a":1})");
  EXPECT_EQ(Param(params, "FriendlyName"), "Jing");
  EXPECT_EQ(Param(params, "DateCreated"), "2016-03-24T21:05:19Z");
  EXPECT_EQ(Param(params, "DateUpdated"), "2016-03-24T21:05:20Z");
  EXPECT_EQ(Param(params, "IsOnline"), "true");
  EXPECT_EQ(Param(params, "IsNotifiable"), std::nullopt);  // not shown: not sent
  EXPECT_EQ(Param(params, "Source"), "API");
  EXPECT_EQ(Param(params, "ClientIdentity"), std::nullopt);
  EXPECT_EQ(Param(params, "RetryCount"), "2");
  EXPECT_EQ(Param(params, "X-Userstore-Sequence"), "42");

  event.type = userstore::UserEvent::Type::kUserAdded;
  event.origin = userstore::WriteOrigin::kClient;
  event.user.friendly_name.reset();
  const WebhookParams added = PostEventParams(event, 0);
  EXPECT_EQ(Param(added, "EventType"), "onUserAdded");
  EXPECT_EQ(Param(added, "FriendlyName"), std::nullopt);
  EXPECT_EQ(Param(added, "Source"), "SDK");
  EXPECT_EQ(Param(added, "ClientIdentity"), "jing");
  event.type = userstore::UserEvent::Type::kUserRemoved;
  EXPECT_EQ(Param(PostEventParams(event, 0), "EventType"), "onUserRemoved");
}

TEST(WebhookParams, PreEventHasNoSidBeforeACreate) {
  userstore::PreEvent create;
  create.type = userstore::UserEvent::Type::kUserAdded;
  create.user = SampleUser();
  create.user.sid.clear();
  const WebhookParams params = PreEventParams(create);
  EXPECT_EQ(Param(params, "EventType"), "onUserAdd");
  EXPECT_EQ(Param(params, "UserSid"), std::nullopt);
  EXPECT_EQ(Param(params, "Identity"), "jing");
  EXPECT_EQ(Param(params, "Source"), "SDK");
  EXPECT_EQ(Param(params, "RetryCount"), "0");
  EXPECT_EQ(Param(params, "X-Userstore-Sequence"), std::nullopt);
  userstore::PreEvent update = create;
  update.type = userstore::UserEvent::Type::kUserUpdated;
  update.user.sid = SampleUser().sid;
  EXPECT_EQ(Param(PreEventParams(update), "EventType"), "onUserUpdate");
  EXPECT_EQ(Param(PreEventParams(update), "UserSid"), update.user.sid);
}

TEST(WebhookParams, WhichFeedEventsAreSent) {
  userstore::UserEvent event;
  event.type = userstore::UserEvent::Type::kUserUpdated;
  event.changed = userstore::user_field::kAttributes;
  EXPECT_FALSE(IsPostWebhookEvent(event));  // REST without the header
  event.webhook_enabled = true;
  EXPECT_TRUE(IsPostWebhookEvent(event));
  event.changed = 0;  // an update that changed nothing still committed
  EXPECT_TRUE(IsPostWebhookEvent(event));
  event.changed = userstore::user_field::kIsOnline;  // presence
  EXPECT_FALSE(IsPostWebhookEvent(event));
  event.changed = userstore::user_field::kJoinedChannelsCount;
  EXPECT_FALSE(IsPostWebhookEvent(event));
  event.changed = userstore::user_field::kAttributes;
  event.webhook_enabled = false;
  event.origin = userstore::WriteOrigin::kClient;
  EXPECT_TRUE(IsPostWebhookEvent(event));
  event.webhook_enabled = true;
  event.origin = userstore::WriteOrigin::kImport;
  EXPECT_FALSE(IsPostWebhookEvent(event));
}

TEST(WebhookParams, FilterAndUrl) {
  absl::StatusOr<WebhookEventSet> set = ParseWebhookFilter("onUserAdded, onUserRemoved");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(Contains(*set, WebhookEvent::kUserAdded));
  EXPECT_TRUE(Contains(*set, WebhookEvent::kUserRemoved));
  EXPECT_FALSE(Contains(*set, WebhookEvent::kUserUpdated));
  EXPECT_FALSE(ParseWebhookFilter("onuseradded").ok());  // case-sensitive
  EXPECT_FALSE(ParseWebhookFilter("onUserAdded,").ok());
  EXPECT_FALSE(ParseWebhookFilter("onMessageSend").ok());

  absl::StatusOr<WebhookTarget> t = ParseWebhookUrl("http://127.0.0.1:9000/hooks?x=1");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->origin, "http://127.0.0.1:9000");
  EXPECT_EQ(t->path, "/hooks?x=1");
  EXPECT_EQ(t->url, "http://127.0.0.1:9000/hooks?x=1");
  t = ParseWebhookUrl("HTTPS://example.com");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->origin, "https://example.com");
  EXPECT_EQ(t->path, "/");
  for (const char* bad : {"ftp://x/", "example.com/x", "http://", "http:///x", "http://u@h/",
                          "http://h/a b", "http://h/#frag"}) {
    EXPECT_FALSE(ParseWebhookUrl(bad).ok()) << bad;
  }
}

TEST(WebhookPosition, WritesAtomicallyAndReadsBack) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("webhook_position_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir.string() + ".webhooks");
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(MakeWebhookPositionDir(dir.string()).ok());
  const std::string path = WebhookPositionPath(dir.string(), "ISx");
  EXPECT_EQ(path, dir.string() + ".webhooks/ISx.position");
  EXPECT_EQ(WebhookPositionDir("/a/b//"), "/a/b.webhooks");
  absl::StatusOr<std::optional<WebhookPosition>> read = ReadWebhookPosition(path);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
  ASSERT_TRUE(WriteWebhookPosition(path, {7, 9, 1}).ok());
  read = ReadWebhookPosition(path);
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  EXPECT_EQ((*read)->delivered_position, 7u);
  EXPECT_EQ((*read)->feed_position, 9u);
  EXPECT_EQ((*read)->lost_events, 1u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::ofstream(path) << "feed_position 3\n";
  EXPECT_EQ(ReadWebhookPosition(path).status().code(), absl::StatusCode::kDataLoss);
  std::ofstream(path) << "delivered_position x\n";
  EXPECT_EQ(ReadWebhookPosition(path).status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir.string() + ".webhooks");
}

const char* NoEnv(const char*) { return nullptr; }

absl::StatusOr<HostFlags> Parse(std::vector<std::string> args) {
  args.insert(args.end(), {"--account-sid", "AC" + std::string(32, '0'), "--auth-token", "t"});
  return ParseHostFlags(args, NoEnv);
}

TEST(WebhookFlags, ParsesAndRejects) {
  absl::StatusOr<HostFlags> flags = Parse({});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->post_webhook_url.empty());
  EXPECT_EQ(flags->webhook_timeout_seconds, 5);
  EXPECT_EQ(flags->webhook_retries, 0);
  EXPECT_FALSE(flags->pre_webhook_reject_on_timeout);
  EXPECT_EQ(flags->webhook_events, kAllWebhookEvents);

  flags = Parse({"--post-webhook-url", "http://127.0.0.1:1/h", "--pre-webhook-url=https://x/p",
                 "--webhook-filter", "onUserUpdated,onUserUpdate", "--webhook-timeout=60",
                 "--webhook-retries", "3", "--pre-webhook-on-timeout", "reject"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->post_webhook_url, "http://127.0.0.1:1/h");
  EXPECT_EQ(flags->pre_webhook_url, "https://x/p");
  EXPECT_EQ(flags->webhook_events, (1u << static_cast<int>(WebhookEvent::kUserUpdated)) |
                                       (1u << static_cast<int>(WebhookEvent::kUserUpdate)));
  EXPECT_EQ(flags->webhook_timeout_seconds, 60);
  EXPECT_EQ(flags->webhook_retries, 3);
  EXPECT_TRUE(flags->pre_webhook_reject_on_timeout);

  const std::vector<std::vector<std::string>> bad = {
      {"--post-webhook-url", "127.0.0.1:9/h"},
      {"--post-webhook-url", "ftp://h/"},
      {"--pre-webhook-url", "http://"},
      {"--post-webhook-url"},
      {"--post-webhook-url=http://h/", "--webhook-timeout", "0"},
      {"--post-webhook-url=http://h/", "--webhook-timeout", "61"},
      {"--post-webhook-url=http://h/", "--webhook-timeout", "5s"},
      {"--post-webhook-url=http://h/", "--webhook-retries", "-1"},
      {"--post-webhook-url=http://h/", "--webhook-retries", "11"},
      {"--post-webhook-url=http://h/", "--webhook-filter", "onUserDeleted"},
      {"--webhook-timeout", "5"},                                             // no URL
      {"--webhook-filter", "onUserAdded"},                                    // no URL
      {"--post-webhook-url=http://h/", "--pre-webhook-on-timeout", "allow"},  // no pre URL
      {"--pre-webhook-url=http://h/", "--pre-webhook-on-timeout", "maybe"},
  };
  for (const auto& args : bad) {
    absl::StatusOr<HostFlags> parsed = Parse(args);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << args[0] << " " << (args.size() > 1 ? args[1] : "");
  }
  EXPECT_NE(HostUsage().find("--post-webhook-url"), std::string::npos);
}

TEST(HostFlags, PostgresReplicaNameAndReadConsistency) {
  absl::StatusOr<HostFlags> flags = Parse({});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->postgres, "");
  EXPECT_EQ(flags->replica_name, "");
  EXPECT_FALSE(flags->after_own_writes);
  flags =
      Parse({"--postgres", "host=/tmp/s dbname=u", "--replica-name=host_a1", "--read-consistency",
             "after-own-writes", "--service", "IS" + std::string(32, 'a')});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->postgres, "host=/tmp/s dbname=u");
  EXPECT_EQ(flags->replica_name, "host_a1");
  EXPECT_TRUE(flags->after_own_writes);
  flags = Parse({"--postgres=x", "--read-consistency=local"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(flags->after_own_writes);

  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--postgres", "x", "--data-dir", "d"}, "--postgres and --data-dir exclude each other"},
      {{"--data-dir=d", "--postgres=x"}, "--postgres and --data-dir exclude each other"},
      {{"--postgres="}, "--postgres needs a libpq connection string"},
      {{"--postgres", "x", "--no-sync"}, "--sync / --no-sync need --data-dir"},
      {{"--replica-name", "a"}, "--replica-name / --read-consistency need --postgres"},
      {{"--read-consistency", "local"}, "--replica-name / --read-consistency need --postgres"},
      {{"--postgres", "x", "--replica-name", "Host"}, "--replica-name must be 1 to 40"},
      {{"--postgres", "x", "--replica-name="}, "--replica-name must be 1 to 40"},
      {{"--postgres", "x", "--replica-name", std::string(41, 'a')}, "--replica-name must be"},
      {{"--postgres", "x", "--replica-name", "a-b"}, "--replica-name must be"},
      {{"--postgres", "x", "--read-consistency", "strong"},
       "--read-consistency must be 'local' or 'after-own-writes'"},
  };
  for (const auto& [args, message] : bad) {
    absl::StatusOr<HostFlags> parsed = Parse(args);
    ASSERT_FALSE(parsed.ok()) << message;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << parsed.status().message();
  }
  EXPECT_TRUE(Parse({"--postgres", "x", "--replica-name", std::string(40, 'z')}).ok());
  for (const char* word : {"--postgres CONNINFO", "--replica-name NAME", "--read-consistency"}) {
    EXPECT_NE(HostUsage().find(word), std::string::npos) << word;
  }
}

// --base-url keeps naming the Chat base; --conversations-base-url is the
// Conversations one (both default to this host, /v2 and /v1: main.cc).
TEST(HostFlags, ConversationsBaseUrl) {
  absl::StatusOr<HostFlags> flags = Parse({});
  ASSERT_TRUE(flags.ok());
  EXPECT_FALSE(flags->base_url.has_value());
  EXPECT_FALSE(flags->conversations_base_url.has_value());
  flags = Parse({"--base-url", "https://chat.twilio.com/v2",
                 "--conversations-base-url=https://conversations.twilio.com/v1"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->base_url, "https://chat.twilio.com/v2");
  EXPECT_EQ(flags->conversations_base_url, "https://conversations.twilio.com/v1");
  EXPECT_EQ(Parse({"--conversations-base-url"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_NE(HostUsage().find("--conversations-base-url URL"), std::string::npos);
}

}  // namespace
}  // namespace userstore_http

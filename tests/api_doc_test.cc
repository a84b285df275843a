// docs/api.md's "A chat server" section: its code blocks, generated into
// chat_server_snippets.inc at configure time (cmake/UserstoreDocSnippets.cmake),
// compiled here under the warning bar and run against a memory Store, so the
// guide cannot drift from the API or from what the calls do.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chat_server_snippets.inc"
#include "gtest/gtest.h"

namespace {

constexpr char kService[] = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

std::unique_ptr<userstore::Store> NewStore() {
  absl::StatusOr<std::unique_ptr<userstore::Store>> store =
      userstore::Store::Create(userstore::StoreOptions());
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

TEST(ApiDocChatServer, StartChatIsIdempotent) {
  std::unique_ptr<userstore::Store> store = NewStore();
  ASSERT_TRUE(StartChat(*store, kService).ok());
  ASSERT_TRUE(StartChat(*store, kService).ok());
  std::vector<userstore::Service> services = store->ListServices();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].sid, kService);
  EXPECT_TRUE(services[0].reachability_enabled);
}

TEST(ApiDocChatServer, ConnectCountsConnections) {
  std::unique_ptr<userstore::Store> store = NewStore();
  ASSERT_TRUE(StartChat(*store, kService).ok());
  EXPECT_EQ(*OnConnect(*store, kService, "jing"), true);   // created, first connection
  EXPECT_EQ(*OnConnect(*store, kService, "jing"), false);  // second tab
  EXPECT_EQ(*OnDisconnect(*store, kService, "jing"), false);
  absl::StatusOr<userstore::User> user = store->FetchUser(kService, "jing");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->is_online, std::optional<bool>(true));
  EXPECT_EQ(user->attributes, R"({"theme":"light"})");
  EXPECT_EQ(*OnDisconnect(*store, kService, "jing"), true);
  EXPECT_EQ(store->FetchUser(kService, "jing")->is_online, std::optional<bool>(false));
  EXPECT_EQ(OnDisconnect(*store, kService, "nobody").status().code(), absl::StatusCode::kNotFound);
}

TEST(ApiDocChatServer, SetStatusKeepsOtherKeys) {
  std::unique_ptr<userstore::Store> store = NewStore();
  ASSERT_TRUE(StartChat(*store, kService).ok());
  ASSERT_TRUE(OnConnect(*store, kService, "jing").ok());
  ASSERT_TRUE(SetStatus(*store, kService, "jing", "away").ok());
  EXPECT_EQ(store->FetchUser(kService, "jing")->attributes, R"({"theme":"light","status":"away"})");
  ASSERT_TRUE(SetStatus(*store, kService, "jing", "busy").ok());
  EXPECT_EQ(store->FetchUser(kService, "jing")->attributes, R"({"theme":"light","status":"busy"})");
}

TEST(ApiDocChatServer, SaveNameRefusesAStaleCopy) {
  std::unique_ptr<userstore::Store> store = NewStore();
  ASSERT_TRUE(StartChat(*store, kService).ok());
  ASSERT_TRUE(OnConnect(*store, kService, "jing").ok());
  const uint64_t seen = store->FetchUser(kService, "jing")->revision;
  ASSERT_TRUE(SetStatus(*store, kService, "jing", "away").ok());  // another write first
  EXPECT_EQ(*SaveName(*store, kService, "jing", seen, "Jing"), false);
  EXPECT_EQ(store->FetchUser(kService, "jing")->friendly_name, std::nullopt);
  const uint64_t now = store->FetchUser(kService, "jing")->revision;
  EXPECT_GT(now, seen);
  EXPECT_EQ(*SaveName(*store, kService, "jing", now, "Jing"), true);
  EXPECT_EQ(store->FetchUser(kService, "jing")->friendly_name, std::optional<std::string>("Jing"));
  EXPECT_EQ(SaveName(*store, kService, "nobody", now, "x").status().code(),
            absl::StatusCode::kNotFound);

  const uint64_t last = store->FetchUser(kService, "jing")->revision;
  absl::Status stale = DeleteAsSeen(*store, kService, "jing", now);
  EXPECT_EQ(userstore::TwilioCode(stale), userstore::twilio_code::kPreconditionFailed);
  EXPECT_EQ(userstore::HttpStatus(stale), 412);
  EXPECT_EQ(*NameTaken(*store, kService, "jing"), true);
  EXPECT_TRUE(DeleteAsSeen(*store, kService, "jing", last).ok());
  EXPECT_EQ(*NameTaken(*store, kService, "jing"), false);
}

TEST(ApiDocChatServer, ForEachUserSeesEveryUserOnce) {
  std::unique_ptr<userstore::Store> store = NewStore();
  ASSERT_TRUE(StartChat(*store, kService).ok());
  std::set<std::string> made;
  for (int i = 0; i < 250; ++i) {
    const std::string identity = "user" + std::to_string(i);
    ASSERT_TRUE(OnConnect(*store, kService, identity).ok());
    made.insert(identity);
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(ForEachUser(*store, kService, [&](const userstore::User& u) {
                seen.push_back(u.identity);
              }).ok());
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), made);
  EXPECT_EQ(*UserCount(*store, kService), 250u);
  EXPECT_EQ(UserCount(*store, "ISbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace

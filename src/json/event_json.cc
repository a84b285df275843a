// EventJson (userstore/json.h): a change-feed event as one JSON object.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "json/json_writer.h"
#include "userstore/json.h"
#include "userstore/user.h"
#include "userstore/user_view.h"

namespace userstore {
namespace {

std::string_view TypeName(UserEvent::Type type) {
  switch (type) {
    case UserEvent::Type::kUserAdded:
      return "user.added";
    case UserEvent::Type::kUserUpdated:
      return "user.updated";
    case UserEvent::Type::kUserRemoved:
      return "user.removed";
  }
  return "user.updated";
}

std::string_view OriginName(WriteOrigin origin) {
  switch (origin) {
    case WriteOrigin::kServer:
      return "server";
    case WriteOrigin::kClient:
      return "client";
    case WriteOrigin::kImport:
      return "import";
    case WriteOrigin::kReplica:
      return "replica";
  }
  return "server";
}

// The user_field bits with the names of the fields they stand for, in the
// order of the bits.
constexpr std::pair<uint32_t, std::string_view> kFieldNames[] = {
    {user_field::kRoleSid, "role_sid"},
    {user_field::kAttributes, "attributes"},
    {user_field::kFriendlyName, "friendly_name"},
    {user_field::kIsOnline, "is_online"},
    {user_field::kIsNotifiable, "is_notifiable"},
    {user_field::kJoinedChannelsCount, "joined_channels_count"},
};

}  // namespace

std::string EventJson(const UserEvent& event, std::string_view base_url) {
  internal::JsonWriter w;
  w.BeginObject();
  w.Key("sequence");
  w.Uint(event.sequence);
  w.Member("service_sid", event.user.service_sid);
  w.Member("type", TypeName(event.type));
  w.Member("time", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", event.time, absl::UTCTimeZone()));
  w.Key("changed");
  w.BeginArray();
  for (const auto& [bit, name] : kFieldNames) {
    if ((event.changed & bit) != 0) w.String(name);
  }
  w.EndArray();
  w.Key("webhook_enabled");
  w.Bool(event.webhook_enabled);
  w.Member("origin", OriginName(event.origin));
  w.Key("user");
  std::string user;
  AppendUserJson(UserView(event.user), base_url, &user);
  w.Raw(user);
  w.EndObject();
  return w.Release();
}

}  // namespace userstore

// UserView (include/userstore/user_view.h) and UserViewAccess.
#include "userstore/user_view.h"

#include "sid/sid.h"
#include "store/user_view_access.h"

namespace userstore {

UserView::UserView(const User& user)
    : sid_(user.sid),
      account_sid_(user.account_sid),
      service_sid_(user.service_sid),
      role_sid_(user.role_sid),
      identity_(user.identity),
      attributes_(user.attributes),
      is_online_(user.is_online),
      is_notifiable_(user.is_notifiable),
      joined_channels_count_(user.joined_channels_count),
      date_created_(user.date_created),
      date_updated_(user.date_updated),
      revision_(user.revision) {
  if (user.friendly_name) friendly_name_ = *user.friendly_name;
}

void UserView::CopyTo(User* out) const {
  // assign() reuses each string's capacity.
  out->sid.assign(sid_);
  out->account_sid.assign(account_sid_);
  out->service_sid.assign(service_sid_);
  out->role_sid.assign(role_sid_);
  out->identity.assign(identity_);
  out->attributes.assign(attributes_);
  out->is_online = is_online_;
  out->is_notifiable = is_notifiable_;
  if (friendly_name_) {
    if (out->friendly_name) {
      out->friendly_name->assign(*friendly_name_);
    } else {
      out->friendly_name.emplace(*friendly_name_);
    }
  } else {
    out->friendly_name.reset();
  }
  out->joined_channels_count = joined_channels_count_;
  out->date_created = date_created_;
  out->date_updated = date_updated_;
  out->revision = revision_;
}

User UserView::ToUser() const {
  User user;
  CopyTo(&user);
  return user;
}

namespace internal {
namespace {

constexpr std::string_view kNeverSetAttributes = "{}";

std::optional<bool> PresenceValue(Presence p) {
  if (p == Presence::kUnknown) return std::nullopt;
  return p == Presence::kTrue;
}

}  // namespace

void UserViewAccess::FillWithoutPresence(std::string_view account_sid, std::string_view service_sid,
                                         const UserFields& fields, UserView* view) {
  FormatSidTo("US", fields.sid, view->sid_text_);
  FormatSidTo("RL", fields.role_sid, view->role_sid_text_);
  view->sid_ = std::string_view(view->sid_text_, kSidChars);
  view->role_sid_ = std::string_view(view->role_sid_text_, kSidChars);
  view->account_sid_ = account_sid;
  view->service_sid_ = service_sid;
  view->identity_ = fields.identity;
  view->attributes_ = fields.attributes.empty() ? kNeverSetAttributes : fields.attributes;
  view->friendly_name_ = fields.friendly_name;
  view->is_online_.reset();
  view->is_notifiable_.reset();
  view->joined_channels_count_ = fields.joined_channels_count;
  view->date_created_ = absl::FromUnixSeconds(fields.date_created);
  view->date_updated_ = absl::FromUnixSeconds(fields.date_updated);
  view->revision_ = fields.revision;
}

void UserViewAccess::FillWithoutPresence(std::string_view account_sid, std::string_view service_sid,
                                         const UserRecord& record, UserView* view) {
  UserFields fields;
  fields.sid = record.sid;
  fields.role_sid = record.role_sid;
  fields.identity = record.identity();
  fields.attributes = record.attributes();
  fields.friendly_name = record.friendly_name();
  fields.joined_channels_count = record.joined_channels_count;
  fields.date_created = record.date_created;
  fields.date_updated = record.date_updated;
  fields.revision = record.revision;
  FillWithoutPresence(account_sid, service_sid, fields, view);
}

void UserViewAccess::FillFeedUser(std::string_view account_sid, std::string_view service_sid,
                                  bool reachability_enabled, const UserFields& fields,
                                  Presence online, Presence notifiable, UserView* view) {
  FillWithoutPresence(account_sid, service_sid, fields, view);
  if (reachability_enabled) {
    view->is_online_ = PresenceValue(online);
    view->is_notifiable_ = PresenceValue(notifiable);
  }
}

void UserViewAccess::FillFeedUser(const ServiceState& service, const UserFields& fields,
                                  Presence online, Presence notifiable, UserView* view) {
  FillFeedUser(service.account_sid(), service.sid(), service.reachability_enabled(), fields, online,
               notifiable, view);
}

void UserViewAccess::Fill(const ServiceState& service, const UserRecord& record, UserShape shape,
                          UserView* view) {
  FillWithoutPresence(service.account_sid(), service.sid(), record, view);
  // Listed users carry no presence (null in list pages, as Twilio does).
  if (shape == UserShape::kResource && service.reachability_enabled()) {
    view->is_online_ = PresenceValue(record.online);
    view->is_notifiable_ = PresenceValue(record.notifiable);
  }
}

}  // namespace internal
}  // namespace userstore

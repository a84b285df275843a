// The account-level Configuration of Twilio's Conversations API, as values.
//
// Source: https://www.twilio.com/docs/conversations/api/configuration-resource
// and twilio_conversations_v1.json (twilio/twilio-oai). userstore uses only
// default_chat_service_sid (the Service /v1/Users addresses); the others are
// stored and rendered as given. Values; thread-compatible.
#ifndef USERSTORE_CONFIGURATION_H_
#define USERSTORE_CONFIGURATION_H_

#include <optional>
#include <string>

namespace userstore {

// The account-level configuration of the Conversations API
// (https://www.twilio.com/docs/conversations/api/configuration-resource),
// stored with the Store (durable in durable and shared mode).
struct Configuration {
  std::string account_sid;  // StoreOptions' account
  // The Conversation Service /v1/Users addresses: "IS" + 32 hex, or ""
  // (none configured: /v1/Users answers 404/20404).
  std::string default_chat_service_sid;
  // Stored and rendered as given; userstore does not use them.
  std::string default_messaging_service_sid;  // "MG" + 32 hex, or ""
  std::string default_inactive_timer;         // ISO 8601 duration, or ""
  std::string default_closed_timer;           // ISO 8601 duration, or ""
};

// Parameters of Store::UpdateConfiguration: each set field replaces the
// stored one; "" clears it.
struct ConfigurationUpdate {
  std::optional<std::string> default_chat_service_sid;
  std::optional<std::string> default_messaging_service_sid;
  std::optional<std::string> default_inactive_timer;
  std::optional<std::string> default_closed_timer;
};

}  // namespace userstore

#endif  // USERSTORE_CONFIGURATION_H_

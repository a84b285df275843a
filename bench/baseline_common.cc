#include "bench/baseline_common.h"

#include <openssl/rand.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"

namespace userstore::bench {

std::string MintSid(std::string_view prefix) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed\n");
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string sid(prefix);
  sid.resize(prefix.size() + 32);
  char* out = sid.data() + prefix.size();
  for (unsigned char b : raw) {
    *out++ = kHex[b >> 4];
    *out++ = kHex[b & 15];
  }
  return sid;
}

ServiceIds MintServiceIds() { return ServiceIds{MintSid("AC"), MintSid("IS"), MintSid("RL")}; }

bool IsUserSid(std::string_view key) {
  if (key.size() != 34 || key[0] != 'U' || key[1] != 'S') return false;
  for (char c : key.substr(2)) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

absl::Status CheckIdentity(std::string_view identity) {
  if (identity.empty()) return absl::InvalidArgumentError("Identity must not be empty");
  if (!simdjson::validate_utf8(identity.data(), identity.size()) ||
      identity.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("Identity must be valid UTF-8 without U+0000");
  }
  size_t code_points = 0;
  for (char c : identity) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (code_points > 256) return absl::InvalidArgumentError("Identity is too long");
  if (IsUserSid(identity)) return absl::InvalidArgumentError("Identity looks like a SID");
  return absl::OkStatus();
}

absl::Status CheckAttributes(std::string_view attributes) {
  if (attributes.size() > 16384) return absl::InvalidArgumentError("Attributes too long");
  thread_local simdjson::dom::parser parser(16384);
  thread_local bool depth_set = [] { return parser.allocate(16384, 129) == simdjson::SUCCESS; }();
  if (!depth_set) return absl::ResourceExhaustedError("no parser");
  simdjson::dom::element root;
  if (parser.parse(attributes.data(), attributes.size()).get(root) != simdjson::SUCCESS ||
      root.type() != simdjson::dom::element_type::OBJECT) {
    return absl::InvalidArgumentError("Attributes must be a JSON object");
  }
  return absl::OkStatus();
}

int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

void CopyToUser(std::string_view sid, const BaselineRecord& r, const ServiceIds& ids, User* out) {
  // assign() reuses each string's capacity: a reused `out` allocates nothing.
  out->sid.assign(sid);
  out->account_sid.assign(ids.account_sid);
  out->service_sid.assign(ids.service_sid);
  out->role_sid.assign(r.role_sid);
  out->identity.assign(r.identity);
  if (r.attributes.empty()) {
    out->attributes.assign("{}");
  } else {
    out->attributes.assign(r.attributes);
  }
  if (!r.friendly_name) {
    out->friendly_name.reset();
  } else if (out->friendly_name) {
    out->friendly_name->assign(*r.friendly_name);
  } else {
    out->friendly_name.emplace(*r.friendly_name);
  }
  out->is_online.reset();
  out->is_notifiable.reset();
  out->joined_channels_count = r.joined_channels_count;
  out->date_created = absl::FromUnixSeconds(r.date_created);
  out->date_updated = absl::FromUnixSeconds(r.date_updated);
}

User ToUser(std::string_view sid, const BaselineRecord& r, const ServiceIds& ids) {
  User u;
  CopyToUser(sid, r, ids, &u);
  return u;
}

}  // namespace userstore::bench

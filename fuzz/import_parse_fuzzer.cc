// Fuzz target: the import parser of `userstore import` (tools/import_parse.h)
// on any bytes, as a file of any of its shapes.
//
// Properties:
//   - it never crashes, whatever the bytes; the parse ends (no item after
//     the sink said stop);
//   - every item has a location starting with the file's name, offsets never
//     decrease, and a kError item carries 400/20001;
//   - a user read back: rendered as a bare snake_case object (JsonQuote,
//     FormatTwilioDate) and parsed again, it gives the same UserImport, so
//     what the parser reads is exactly what the record says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_util.h"
#include "import_parse.h"
#include "userstore/error.h"
#include "userstore/json.h"

namespace userstore::fuzz {
namespace {

using cli::ImportItem;

bool SameUser(const UserImport& a, const UserImport& b) {
  return a.sid == b.sid && a.identity == b.identity && a.role_sid == b.role_sid &&
         a.attributes == b.attributes && a.friendly_name == b.friendly_name &&
         a.joined_channels_count == b.joined_channels_count && a.date_created == b.date_created &&
         a.date_updated == b.date_updated;
}

bool FourDigitYear(absl::Time t) {
  return t >= absl::FromUnixSeconds(-30610224000) &&  // 1000-01-01
         t < absl::FromUnixSeconds(253402300800);     // 10000-01-01
}

std::string Render(const UserImport& user) {
  std::string out =
      absl::StrCat("{\"sid\":", JsonQuote(user.sid), ",\"identity\":", JsonQuote(user.identity));
  if (!user.role_sid.empty()) absl::StrAppend(&out, ",\"role_sid\":", JsonQuote(user.role_sid));
  if (!user.attributes.empty()) {
    absl::StrAppend(&out, ",\"attributes\":", JsonQuote(user.attributes));
  }
  absl::StrAppend(
      &out, ",\"friendly_name\":", user.friendly_name ? JsonQuote(*user.friendly_name) : "null",
      ",\"joined_channels_count\":", user.joined_channels_count, ",\"date_created\":\"",
      FormatTwilioDate(user.date_created), "\",\"date_updated\":\"",
      FormatTwilioDate(user.date_updated), "\"}");
  return out;
}

void CheckRoundTrip(const UserImport& user) {
  if (!FourDigitYear(user.date_created) || !FourDigitYear(user.date_updated)) return;
  // As an export record: read as a user whatever its SID looks like.
  const std::string line = "{\"type\":\"user\",\"item\":" + Render(user) + "}";
  int items = 0;
  cli::ParseImport("again", line, [&](const ImportItem& item) {
    ++items;
    FUZZ_CHECK(item.kind == ImportItem::Kind::kUser, "re-rendered user not read back: %s: %s",
               line.c_str(), Describe(item.error).c_str());
    FUZZ_CHECK(SameUser(item.user, user), "re-rendered user read back differently: %s",
               line.c_str());
    return true;
  });
  FUZZ_CHECK(items == 1, "re-rendered user gave %d items", items);
}

}  // namespace
}  // namespace userstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace userstore;
  using namespace userstore::fuzz;
  ByteReader in(data, size);
  const size_t stop_after = in.Byte();  // 0: never stop
  const std::string_view text = in.Rest();
  size_t items = 0;
  size_t last_offset = 0;
  bool stopped = false;
  cli::ParseImport("f.json", text, [&](const ImportItem& item) {
    FUZZ_CHECK(!stopped, "an item after the sink said stop");
    ++items;
    FUZZ_CHECK(item.location.rfind("f.json", 0) == 0, "location %s", item.location.c_str());
    FUZZ_CHECK(item.offset >= last_offset, "offset went back");
    FUZZ_CHECK(item.offset <= text.size(), "offset beyond the text");
    last_offset = item.offset;
    if (item.kind == ImportItem::Kind::kError) {
      FUZZ_CHECK(
          HttpStatus(item.error) == 400 && TwilioCode(item.error) == twilio_code::kInvalidParameter,
          "%s", Describe(item.error).c_str());
    } else if (item.kind == ImportItem::Kind::kUser) {
      CheckRoundTrip(item.user);
    }
    if (stop_after != 0 && items >= stop_after) stopped = true;
    return !stopped;
  });
  return 0;
}

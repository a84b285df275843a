// Tests of the one-block user record (src/store/user_record.h): layout of the
// text fields and in-place rewriting of the attributes and friendly name.
#include "store/user_record.h"

#include <malloc.h>

#include <optional>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace userstore::internal {
namespace {

using Text = UserRecord::Text;

// Bytes of text the record's block can hold beyond its header.
size_t TextCapacity(const UserRecord& r) {
  return malloc_usable_size(const_cast<UserRecord*>(&r)) - sizeof(UserRecord);
}

TEST(UserRecordTest, MakeLaysOutEveryField) {
  UserRecord::Ptr r = UserRecord::Make({"alice", R"({"a":1})", std::string_view("Alice")});
  EXPECT_EQ(r->identity(), "alice");
  EXPECT_EQ(r->attributes(), R"({"a":1})");
  EXPECT_EQ(r->friendly_name(), std::optional<std::string_view>("Alice"));
  UserRecord::Ptr bare = UserRecord::Make({"bob", {}, std::nullopt});
  EXPECT_EQ(bare->attributes(), "");
  EXPECT_FALSE(bare->friendly_name().has_value());
}

TEST(UserRecordTest, MakeCopiesTheHeaderOfItsBase) {
  UserRecord::Ptr a = UserRecord::Make({"alice", "{}", std::nullopt});
  a->sequence = 7;
  a->date_created = 100;
  a->joined_channels_count = 3;
  a->online = Presence::kTrue;
  UserRecord::Ptr b = UserRecord::Make({"alice", R"({"x":2})", std::nullopt}, a.get());
  EXPECT_EQ(b->sequence, 7u);
  EXPECT_EQ(b->date_created, 100);
  EXPECT_EQ(b->joined_channels_count, 3);
  EXPECT_EQ(b->online, Presence::kTrue);
  EXPECT_EQ(b->attributes(), R"({"x":2})");
}

TEST(UserRecordTest, InPlaceRewritesTextThatFits) {
  UserRecord::Ptr r =
      UserRecord::Make({"alice", R"({"color":"blue","n":1})", std::string_view("Alice")});
  ASSERT_TRUE(r->AssignTextInPlace(R"({"n":2})", std::string_view("Al")));
  EXPECT_EQ(r->identity(), "alice");
  EXPECT_EQ(r->attributes(), R"({"n":2})");
  EXPECT_EQ(r->friendly_name(), std::optional<std::string_view>("Al"));
  // Clearing the friendly name and the attributes.
  ASSERT_TRUE(r->AssignTextInPlace("", std::nullopt));
  EXPECT_EQ(r->identity(), "alice");
  EXPECT_EQ(r->attributes(), "");
  EXPECT_FALSE(r->friendly_name().has_value());
  // An empty but present friendly name stays present.
  ASSERT_TRUE(r->AssignTextInPlace("{}", std::string_view()));
  EXPECT_EQ(r->friendly_name(), std::optional<std::string_view>(""));
}

TEST(UserRecordTest, InPlaceUsesTheWholeBlockAndNoMore) {
  UserRecord::Ptr r = UserRecord::Make({"id", std::string(40, 'a'), std::nullopt});
  const size_t room = TextCapacity(*r) - r->identity().size();
  ASSERT_GE(room, 40u);
  const std::string exact(room, 'x');  // (the record does not check JSON)
  ASSERT_TRUE(r->AssignTextInPlace(exact, std::nullopt));
  EXPECT_EQ(r->attributes(), exact);
  const std::string over = exact + " ";
  EXPECT_FALSE(r->AssignTextInPlace(over, std::nullopt));
  EXPECT_FALSE(r->AssignTextInPlace(exact, std::string_view("x")));
  // A refused rewrite changes nothing.
  EXPECT_EQ(r->identity(), "id");
  EXPECT_EQ(r->attributes(), exact);
  EXPECT_FALSE(r->friendly_name().has_value());
}

// Shrinking in place is refused once more than 255 bytes would sit unused.
TEST(UserRecordTest, InPlaceRefusesToStrandMoreThan255Bytes) {
  UserRecord::Ptr r = UserRecord::Make({"id", std::string(1000, 'a'), std::nullopt});
  EXPECT_FALSE(r->AssignTextInPlace("{}", std::nullopt));
  EXPECT_EQ(r->attributes(), std::string(1000, 'a'));
  const size_t block = TextCapacity(*r);
  // Leaving exactly 255 bytes unused is allowed; 256 is not.
  const size_t keep = block - r->identity().size() - 255;
  EXPECT_FALSE(r->AssignTextInPlace(std::string(keep - 1, 'b'), std::nullopt));
  ASSERT_TRUE(r->AssignTextInPlace(std::string(keep, 'b'), std::nullopt));
  EXPECT_EQ(r->attributes(), std::string(keep, 'b'));
  // The block is as big as before: it can grow back to the original size.
  ASSERT_TRUE(r->AssignTextInPlace(std::string(block - 2, 'c'), std::nullopt));
  EXPECT_EQ(r->attributes(), std::string(block - 2, 'c'));
}

TEST(UserRecordTest, InPlaceAcceptsTextViewingTheRecordItself) {
  UserRecord::Ptr r = UserRecord::Make(
      {"alice", R"({"a":"long enough attributes"})", std::string_view("Friendly")});
  // Keep the attributes, move the friendly name (which sits after them).
  const std::string attributes(r->attributes());
  ASSERT_TRUE(r->AssignTextInPlace(R"({"b":1})", r->friendly_name()));
  EXPECT_EQ(r->attributes(), R"({"b":1})");
  EXPECT_EQ(r->friendly_name(), std::optional<std::string_view>("Friendly"));
  // The friendly name becomes the attributes' bytes and vice versa.
  ASSERT_TRUE(r->AssignTextInPlace(*r->friendly_name(), r->attributes()));
  EXPECT_EQ(r->attributes(), "Friendly");
  EXPECT_EQ(r->friendly_name(), std::optional<std::string_view>(R"({"b":1})"));
  EXPECT_EQ(r->identity(), "alice");
}

}  // namespace
}  // namespace userstore::internal

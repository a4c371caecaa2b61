// API key entries, lookups, and the access check built on them.
#include "auth/api_keys.h"

#include <gtest/gtest.h>

#include "auth/access_check.h"

namespace fsvc {
namespace {

// SHA-256("0123456789abcdef"), computed with sha256sum.
constexpr const char* kHashOfDigits =
    "9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f";

TEST(ApiKeysTest, PlainAndHashedEntriesWithRoles) {
  ApiKeys keys;
  ASSERT_TRUE(keys.Add("# comment\n\n read:read-key-0123456789 \nadmin sha256:" +
                           std::string(kHashOfDigits) + "\n",
                       '\n', "keys")
                  .ok());
  ASSERT_TRUE(keys.Add("write:write-key-0123456789,", ',', "API_KEYS").ok());
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys.Find("read-key-0123456789"), Role::kRead);
  EXPECT_EQ(keys.Find("write-key-0123456789"), Role::kWrite);
  EXPECT_EQ(keys.Find("0123456789abcdef"), Role::kAdmin);
  EXPECT_FALSE(keys.Find("read-key-012345678"));
  EXPECT_FALSE(keys.Find(""));
  EXPECT_FALSE(keys.Find(std::string("sha256:") + kHashOfDigits));
}

TEST(ApiKeysTest, BadEntriesNameTheLineNotTheKey) {
  ApiKeys keys;
  auto s = keys.Add("read:good-key-0123456789\nroot:secret-value-0123456\n", '\n', "f");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("f line 2"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("secret-value"), std::string::npos);
  EXPECT_FALSE(ApiKeys().Add("read:tooshort", ',', "e").ok());
  EXPECT_FALSE(ApiKeys().Add("read sha256:12", ',', "e").ok());
  EXPECT_FALSE(ApiKeys().Add("read sha256:" + std::string(64, 'g'), ',', "e").ok());
  EXPECT_FALSE(ApiKeys().Add("nocolon", ',', "e").ok());
  EXPECT_FALSE(ApiKeys().Add("read:same-key-0123456789,write:same-key-0123456789", ',', "e").ok());
}

TEST(ApiKeysTest, RolesIncludeTheOnesBelow) {
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kWrite));
  EXPECT_TRUE(Grants(Role::kWrite, Role::kRead));
  EXPECT_FALSE(Grants(Role::kRead, Role::kWrite));
  EXPECT_FALSE(Grants(Role::kWrite, Role::kAdmin));
}

TEST(ApiKeysTest, IdentifyNamesTheKeyByItsDigest) {
  ApiKeys keys;
  ASSERT_TRUE(keys.Add("admin sha256:" + std::string(kHashOfDigits), ',', "e").ok());
  auto match = keys.Identify("0123456789abcdef");
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->role, Role::kAdmin);
  EXPECT_EQ(match->id, std::string(kHashOfDigits).substr(0, 8));
  EXPECT_FALSE(keys.Identify("0123456789abcdeF"));
}

Config AuthOn(std::string keys) {
  Config config;
  config.auth = true;
  config.api_keys = std::move(keys);
  return config;
}

Request WithAuthorization(std::string value) {
  Request req;
  req.headers.emplace_back("Authorization", std::move(value));
  return req;
}

TEST(AccessCheckTest, RolesAgainstTheRowsAccess) {
  auto made = MakeAccessCheck(AuthOn("read:read-key-0123456789,admin:admin-key-0123456789"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_TRUE(made->has_value());
  const AccessCheck& check = **made;
  std::string id;
  EXPECT_FALSE(check(Request(), Access::kOpen, id));
  EXPECT_TRUE(id.empty());

  const auto missing = check(Request(), Access::kRead, id);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->code, Errc::kUnauthorized);
  const auto unknown = check(WithAuthorization("Bearer not-a-key-0123456789"), Access::kRead, id);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, Errc::kUnauthorized);
  const auto basic = check(WithAuthorization("Basic read-key-0123456789"), Access::kRead, id);
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->code, Errc::kUnauthorized);

  const Request reader = WithAuthorization("bearer read-key-0123456789");
  EXPECT_FALSE(check(reader, Access::kRead, id));
  EXPECT_EQ(id.size(), 8u);
  const auto low = check(reader, Access::kWrite, id);
  ASSERT_TRUE(low);
  EXPECT_EQ(low->code, Errc::kForbidden);
  EXPECT_EQ(low->message, "this API key has the read role; this request needs write");
  EXPECT_EQ(low->message.find("read-key"), std::string::npos);

  std::string admin_id;
  EXPECT_FALSE(check(WithAuthorization("Bearer admin-key-0123456789"), Access::kAdmin, admin_id));
  EXPECT_NE(admin_id, id);
}

TEST(AccessCheckTest, OffMeansNoCheckAndOnNeedsAKey) {
  Config off;
  off.auth = false;
  auto none = MakeAccessCheck(off);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto keyless = MakeAccessCheck(AuthOn(""));
  ASSERT_FALSE(keyless.ok());
  EXPECT_EQ(keyless.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(MakeAccessCheck(AuthOn("read:short")).ok());
}

}  // namespace
}  // namespace fsvc

// API key entries, lookups and the route -> role policy.
#include "auth/api_keys.h"

#include <gtest/gtest.h>

#include "auth/access_policy.h"

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

TEST(AccessPolicyTest, RoutesToRoles) {
  EXPECT_EQ(RequiredRole("GET", "/ping"), std::nullopt);
  EXPECT_EQ(RequiredRole("HEAD", "/health"), std::nullopt);
  EXPECT_EQ(RequiredRole("GET", "/metrics"), std::nullopt);
  EXPECT_EQ(RequiredRole("GET", "/metrics/memory"), std::nullopt);
  EXPECT_EQ(RequiredRole("GET", "/d/sometoken"), std::nullopt);
  EXPECT_EQ(RequiredRole("POST", "/metrics/reset"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("GET", "/metrics/reset"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("GET", "/debug/pprof/heap"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("POST", "/debug/purge"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("GET", "/debug"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("GET", "/debugger"), Role::kRead);
  EXPECT_EQ(RequiredRole("GET", "/metrics/../debug/pprof/"), Role::kRead);
  EXPECT_EQ(RequiredRole("GET", "/metrics/./x"), Role::kRead);
  EXPECT_EQ(RequiredRole("GET", "/files/a.txt"), Role::kRead);
  EXPECT_EQ(RequiredRole("HEAD", "/files/a.txt"), Role::kRead);
  EXPECT_EQ(RequiredRole("GET", "/list"), Role::kRead);
  EXPECT_EQ(RequiredRole("GET", "/download"), Role::kRead);
  EXPECT_EQ(RequiredRole("POST", "/batch-download"), Role::kRead);
  EXPECT_EQ(RequiredRole("PUT", "/files/a.txt"), Role::kWrite);
  EXPECT_EQ(RequiredRole("DELETE", "/files/a.txt"), Role::kWrite);
  EXPECT_EQ(RequiredRole("POST", "/upload"), Role::kWrite);
  EXPECT_EQ(RequiredRole("POST", "/batch-upload"), Role::kWrite);
  EXPECT_EQ(RequiredRole("POST", "/create-folder"), Role::kWrite);
  EXPECT_EQ(RequiredRole("DELETE", "/delete-folder"), Role::kWrite);
  EXPECT_EQ(RequiredRole("POST", "/d/sometoken"), Role::kWrite);
  EXPECT_EQ(RequiredRole("OPTIONS", "/ping"), Role::kWrite);
}

}  // namespace
}  // namespace fsvc

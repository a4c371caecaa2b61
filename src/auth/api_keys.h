// API keys and the role each one grants.
//
// Contract: keys are kept only as SHA-256 digests; Find() hashes the
// presented key and compares it with every stored digest in constant time
// (CRYPTO_memcmp, no early exit), so neither the answer's timing nor its
// content tells which stored key came close. Roles are ordered: a key of a
// role may do everything the roles below it may (read < write < admin).
//
// Entry syntax (a keys file has one per line, '#' comments and blank lines
// ignored; API_KEYS holds them comma-separated):
//   role:KEY             the key itself (at least kMinKeyLength characters)
//   role sha256:HEX      the key's SHA-256 as 64 hex digits
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace fsvc {

enum class Role { kRead = 1, kWrite = 2, kAdmin = 3 };

std::string_view RoleName(Role role);
// True if a key of role `held` may do what `needed` requires.
inline bool Grants(Role held, Role needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

class ApiKeys {
 public:
  static constexpr size_t kMinKeyLength = 16;

  // Adds the entries of `text`. `source` names it in error messages (a file
  // name or "API_KEYS"); `separator` splits entries ('\n' or ',').
  // kInvalidArgument for a malformed entry, an unknown role, a short key or a
  // key listed twice. The message never contains a key.
  Status Add(std::string_view text, char separator, std::string_view source);

  // The role of `presented`, or nothing for an unknown key.
  std::optional<Role> Find(std::string_view presented) const;
  struct Match {
    Role role;
    // The first 8 hex digits of the key's SHA-256: names the key in logs and
    // metrics, and 32 bits of a hash of a 16+ character key reveal nothing.
    std::string id;
  };
  // The role and id of `presented`, or nothing for an unknown key.
  std::optional<Match> Identify(std::string_view presented) const;
  size_t size() const { return entries_.size(); }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest;
    Role role;
  };
  Status AddEntry(std::string_view entry, std::string_view where);
  std::vector<Entry> entries_;
};

// Every key configured by file (may be "") and by the API_KEYS value (may be
// ""). kInvalidArgument when the file cannot be read or holds a bad entry.
Result<ApiKeys> LoadApiKeys(const std::string& file, std::string_view env_value);

}  // namespace fsvc

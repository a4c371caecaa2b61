#include "auth/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/hex.h"

namespace fsvc {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

template <class Digest>
bool ParseHexDigest(std::string_view hex, Digest& out) {
  if (hex.size() != out.size() * 2) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

template <class Digest>
void Sha256(std::string_view data, Digest& out) {
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure; a zero digest then matches
  // no stored key (every stored digest is of a key of kMinKeyLength bytes).
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    out.fill(0);
  }
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Status ApiKeys::AddEntry(std::string_view entry, std::string_view where) {
  const auto bad = [&](std::string_view why) -> Status {
    return Error{Errc::kInvalidArgument, std::string(where) + ": " + std::string(why)};
  };
  Entry parsed{};
  std::string_view role_name;
  const size_t space = entry.find_first_of(" \t");
  const size_t colon = entry.find(':');
  if (space != std::string_view::npos && (colon == std::string_view::npos || space < colon)) {
    // role sha256:HEX
    role_name = entry.substr(0, space);
    const std::string_view hashed = Trim(entry.substr(space));
    if (hashed.substr(0, kHashPrefix.size()) != kHashPrefix ||
        !ParseHexDigest(hashed.substr(kHashPrefix.size()), parsed.digest)) {
      return bad("expected 'role sha256:<64 hex digits>'");
    }
  } else if (colon != std::string_view::npos) {
    // role:KEY
    role_name = entry.substr(0, colon);
    const std::string_view key = entry.substr(colon + 1);
    if (key.size() < kMinKeyLength) {
      return bad("key shorter than " + std::to_string(kMinKeyLength) + " characters");
    }
    Sha256(key, parsed.digest);
  } else {
    return bad("expected 'role:KEY' or 'role sha256:HEX'");
  }
  const auto role = ParseRole(role_name);
  if (!role) return bad("unknown role '" + std::string(role_name) + "' (read, write or admin)");
  parsed.role = *role;
  const bool duplicate = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return CRYPTO_memcmp(e.digest.data(), parsed.digest.data(), parsed.digest.size()) == 0;
  });
  if (duplicate) return bad("the same key is listed twice");
  entries_.push_back(parsed);
  return OkStatus();
}

Status ApiKeys::Add(std::string_view text, char separator, std::string_view source) {
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    const size_t end = std::min(text.find(separator), text.size());
    std::string_view entry = Trim(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (entry.empty() || entry.front() == '#') continue;
    const std::string where =
        std::string(source) + (separator == '\n' ? " line " : " entry ") + std::to_string(number);
    if (auto s = AddEntry(entry, where); !s) return s;
  }
  return OkStatus();
}

std::optional<Role> ApiKeys::Find(std::string_view presented) const {
  auto match = Identify(presented);
  if (!match) return std::nullopt;
  return match->role;
}

std::optional<ApiKeys::Match> ApiKeys::Identify(std::string_view presented) const {
  Digest digest;
  Sha256(presented, digest);
  // Every entry is compared, so the time taken does not depend on which
  // one (if any) matched.
  int found = 0;
  for (const Entry& e : entries_) {
    const int equal = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    found |= equal * static_cast<int>(e.role);
  }
  if (found == 0) return std::nullopt;
  return Match{static_cast<Role>(found), HexEncode(digest.data(), 4)};
}

Result<ApiKeys> LoadApiKeys(const std::string& file, std::string_view env_value) {
  ApiKeys keys;
  if (!file.empty()) {
    std::ifstream in(file);
    std::ostringstream text;
    if (!in.is_open() || !(text << in.rdbuf()) || in.bad()) {
      return Error{Errc::kInvalidArgument, "cannot read API keys file " + file};
    }
    if (auto s = keys.Add(text.str(), '\n', file); !s) return s.error();
  }
  if (auto s = keys.Add(env_value, ',', "API_KEYS"); !s) return s.error();
  return keys;
}

}  // namespace fsvc

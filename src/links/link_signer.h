// Signed, expiring download links, and the server secret that signs them.
//
// Contract: a token is URL-safe (base64url, no padding, canonical: unused
// trailing bits must be zero) and carries a format version, the expiry (unix
// seconds), the SHA-256 of the linked content, the file's path, and an
// HMAC-SHA256 over all of those with the server secret. A link therefore names
// exact content at an exact path, not a database row: whoever resolves it can
// check that the path still holds those bytes, whatever the storage backend
// (row ids are reused by SQLite, so a link to an id could serve another file).
// Tokens are at most kMaxTokenLength characters (paths of up to kMaxPathBytes).
// Verify() checks the MAC in constant time before it reads any claim, so a
// forged or malformed token is kForbidden and only an authentic expired one
// is kGone. A LinkSigner is immutable and safe to share between threads.
//
// LoadOrCreateSecret: a configured secret wins; otherwise <data_dir>/link-secret
// (64 hex digits) is read, or created once from 32 random bytes and published
// atomically (temp file, fsync, link into place, mode 0600) so that links
// survive a restart and two processes starting together agree on one secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace fsvc {

struct LinkClaims {
  std::string path;             // as signed, byte for byte
  std::string sha256;           // 64 lowercase hex digits
  std::int64_t expires_at = 0;  // unix seconds
};

class LinkSigner {
 public:
  static constexpr std::size_t kMinSecretBytes = 16;
  // Far above the store's own path limit, so every stored path can be linked,
  // yet small enough that a token fits in any URL a proxy accepts.
  static constexpr std::size_t kMaxPathBytes = 4096;
  // Version, expiry, hash, path and MAC, base64url without padding.
  static constexpr std::size_t kMaxTokenLength = ((1 + 4 + 32 + kMaxPathBytes + 32) * 4 + 2) / 3;

  // kInvalidArgument for a secret shorter than kMinSecretBytes.
  static Result<LinkSigner> Create(std::string_view secret);
  LinkSigner(LinkSigner&&) noexcept;
  LinkSigner& operator=(LinkSigner&&) noexcept;
  ~LinkSigner();

  // expires_at is clamped to [0, 2^32 - 1] (the year 2106). kInvalidArgument
  // for an empty path or one over kMaxPathBytes, or a sha256 that is not 64
  // hex digits; kInternal only if OpenSSL fails.
  Result<std::string> Sign(std::string_view path, std::string_view sha256_hex,
                           std::int64_t expires_at) const;
  // kForbidden: malformed or forged. kGone: authentic, expires_at <= now.
  Result<LinkClaims> Verify(std::string_view token, std::int64_t now_unix) const;

 private:
  struct Mac;
  explicit LinkSigner(std::unique_ptr<Mac> mac);
  std::unique_ptr<Mac> mac_;
};

// The raw secret bytes. kInvalidArgument for a configured secret that is too
// short; kInternal when the file cannot be read, written or is corrupt (it is
// never silently replaced: that would revoke every link handed out).
Result<std::string> LoadOrCreateSecret(const std::string& data_dir, std::string_view configured);

}  // namespace fsvc

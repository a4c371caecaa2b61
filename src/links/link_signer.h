// Signed, expiring download links, and the server secret that signs them.
//
// Contract: a token is URL-safe (base64url, no padding, always kTokenLength
// characters) and carries a format version, the file id, the expiry (unix
// seconds) and an HMAC-SHA256 over those with the server secret. Verify()
// checks the MAC in constant time before it reads anything else, so a forged or
// malformed token is kForbidden and only an authentic expired one is kGone.
// A LinkSigner is immutable and safe to share between threads.
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
  std::int64_t file_id = 0;
  std::int64_t expires_at = 0;  // unix seconds
};

class LinkSigner {
 public:
  static constexpr std::size_t kMinSecretBytes = 16;
  static constexpr std::size_t kTokenLength = 60;

  // kInvalidArgument for a secret shorter than kMinSecretBytes.
  static Result<LinkSigner> Create(std::string_view secret);
  LinkSigner(LinkSigner&&) noexcept;
  LinkSigner& operator=(LinkSigner&&) noexcept;
  ~LinkSigner();

  // expires_at is clamped to [0, 2^32 - 1] (the year 2106). kInternal only if
  // OpenSSL fails.
  Result<std::string> Sign(std::int64_t file_id, std::int64_t expires_at) const;
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

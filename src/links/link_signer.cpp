#include "links/link_signer.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "util/hex.h"
#include "util/unique_fd.h"

namespace fsvc {
namespace {

// Version 2 binds path and content hash; version 1 tokens (a row id) are
// refused as malformed, since an id may name another file by now.
constexpr std::uint8_t kTokenVersion = 2;
constexpr std::size_t kShaBytes = 32;
constexpr std::size_t kHeaderBytes = 1 + 4 + kShaBytes;  // version, expiry, content hash
constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMinTokenBytes = kHeaderBytes + 1 + kMacBytes;  // non-empty path
constexpr std::size_t kMaxTokenBytes = kHeaderBytes + LinkSigner::kMaxPathBytes + kMacBytes;
static_assert((kMaxTokenBytes * 4 + 2) / 3 == LinkSigner::kMaxTokenLength);
constexpr std::size_t kGeneratedSecretBytes = 32;
constexpr char kSecretFile[] = "link-secret";

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
struct MacFree {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> Base64UrlValues() {
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (int i = 0; i < 64; ++i) values[static_cast<unsigned char>(kBase64Url[i])] = std::int8_t(i);
  return values;
}
constexpr auto kBase64UrlValues = Base64UrlValues();

// Base64url without padding.
std::string EncodeToken(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(acc << (6 - bits)) & 63]);
  return out;
}

// Accepts only the canonical spelling (the unused low bits of the last
// character are zero), so one token has exactly one string form.
bool DecodeToken(std::string_view token, std::vector<std::uint8_t>& bytes) {
  if (token.size() % 4 == 1) return false;
  bytes.clear();
  bytes.reserve(token.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : token) {
    const std::int8_t v = kBase64UrlValues[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(std::uint8_t(acc >> bits));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

Error IoError(std::string what, int err) {
  return Error{Errc::kInternal, what + ": " + std::strerror(err)};
}

}  // namespace

struct LinkSigner::Mac {
  MacCtxPtr keyed;  // initialised with the key; each operation works on a copy

  bool Compute(const std::uint8_t* data, std::size_t size, std::uint8_t* out) const {
    MacCtxPtr ctx(EVP_MAC_CTX_dup(keyed.get()));
    std::size_t written = 0;
    return ctx && EVP_MAC_update(ctx.get(), data, size) == 1 &&
           EVP_MAC_final(ctx.get(), out, &written, kMacBytes) == 1 && written == kMacBytes;
  }
};

LinkSigner::LinkSigner(std::unique_ptr<Mac> mac) : mac_(std::move(mac)) {}
LinkSigner::LinkSigner(LinkSigner&&) noexcept = default;
LinkSigner& LinkSigner::operator=(LinkSigner&&) noexcept = default;
LinkSigner::~LinkSigner() = default;

Result<LinkSigner> LinkSigner::Create(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return Error{Errc::kInvalidArgument,
                 "link secret must be at least " + std::to_string(kMinSecretBytes) + " bytes"};
  }
  const std::unique_ptr<EVP_MAC, MacFree> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  auto mac = std::make_unique<Mac>();
  if (hmac) mac->keyed.reset(EVP_MAC_CTX_new(hmac.get()));
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (!mac->keyed ||
      EVP_MAC_init(mac->keyed.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                   secret.size(), params) != 1) {
    return Error{Errc::kInternal, "OpenSSL HMAC-SHA256 unavailable"};
  }
  return LinkSigner(std::move(mac));
}

Result<std::string> LinkSigner::Sign(std::string_view path, std::string_view sha256_hex,
                                     std::int64_t expires_at) const {
  if (path.empty() || path.size() > kMaxPathBytes) {
    return Error{Errc::kInvalidArgument,
                 "a link needs a path of 1 to " + std::to_string(kMaxPathBytes) + " bytes"};
  }
  if (sha256_hex.size() != 2 * kShaBytes) {
    return Error{Errc::kInvalidArgument, "a link needs the content's SHA-256 in hex"};
  }
  const auto expiry =
      static_cast<std::uint32_t>(std::clamp<std::int64_t>(expires_at, 0, UINT32_MAX));
  std::vector<std::uint8_t> bytes;
  bytes.reserve(kHeaderBytes + path.size() + kMacBytes);
  bytes.push_back(kTokenVersion);
  for (int i = 0; i < 4; ++i) bytes.push_back(std::uint8_t(expiry >> (24 - 8 * i)));
  for (std::size_t i = 0; i < sha256_hex.size(); i += 2) {
    const int hi = HexDigitValue(sha256_hex[i]);
    const int lo = HexDigitValue(sha256_hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return Error{Errc::kInvalidArgument, "a link needs the content's SHA-256 in hex"};
    }
    bytes.push_back(std::uint8_t(hi << 4 | lo));
  }
  bytes.insert(bytes.end(), path.begin(), path.end());
  const std::size_t claims = bytes.size();
  bytes.resize(claims + kMacBytes);
  if (!mac_->Compute(bytes.data(), claims, bytes.data() + claims)) {
    return Error{Errc::kInternal, "HMAC-SHA256 failed"};
  }
  return EncodeToken(bytes);
}

Result<LinkClaims> LinkSigner::Verify(std::string_view token, std::int64_t now_unix) const {
  std::vector<std::uint8_t> bytes;
  // The length bound comes first: a huge token costs no decoding or MAC.
  if (token.size() > kMaxTokenLength || !DecodeToken(token, bytes) ||
      bytes.size() < kMinTokenBytes || bytes[0] != kTokenVersion) {
    return Error{Errc::kForbidden, "malformed link token"};
  }
  const std::size_t claims = bytes.size() - kMacBytes;
  std::array<std::uint8_t, kMacBytes> expected;
  if (!mac_->Compute(bytes.data(), claims, expected.data())) {
    return Error{Errc::kInternal, "HMAC-SHA256 failed"};
  }
  if (CRYPTO_memcmp(expected.data(), bytes.data() + claims, kMacBytes) != 0) {
    return Error{Errc::kForbidden, "link signature does not match"};
  }
  std::uint32_t expiry = 0;
  for (int i = 0; i < 4; ++i) expiry = expiry << 8 | bytes[1 + i];
  LinkClaims out;
  out.expires_at = expiry;
  out.sha256 = HexEncode(bytes.data() + 5, kHeaderBytes - 5);
  out.path.assign(reinterpret_cast<const char*>(bytes.data()) + kHeaderBytes,
                  claims - kHeaderBytes);
  if (out.expires_at <= now_unix) return Error{Errc::kGone, "link expired"};
  return out;
}

namespace {

Result<std::string> ParseSecretFile(const std::string& path, std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto corrupt = [&] {
    return Error{Errc::kInternal, path + " is corrupt: expected at least " +
                                      std::to_string(LinkSigner::kMinSecretBytes * 2) +
                                      " hex digits (delete it to issue a new secret)"};
  };
  if (text.size() % 2 != 0 || text.size() / 2 < LinkSigner::kMinSecretBytes) return corrupt();
  std::string secret;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexDigitValue(text[i]);
    const int lo = HexDigitValue(text[i + 1]);
    if (hi < 0 || lo < 0) return corrupt();
    secret.push_back(static_cast<char>(hi << 4 | lo));
  }
  return secret;
}

// Reads the secret file; an empty string when it does not exist.
Result<std::string> ReadSecretFile(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::string();
    return IoError("open " + path, errno);
  }
  // A secret file is a line of hex; anything that fills the buffer is corrupt.
  std::array<char, 4096> buffer;
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read " + path, errno);
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  return ParseSecretFile(path, std::string_view(buffer.data(), size));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("write " + path, errno);
    data.remove_prefix(std::size_t(n));
  }
  return OkStatus();
}

// Writes a fresh secret to a private temp file and links it into place:
// link() fails with EEXIST instead of replacing, so when two processes race
// the loser adopts the winner's secret rather than overwriting it.
Result<std::string> CreateSecretFile(const std::string& data_dir, const std::string& path) {
  std::array<unsigned char, kGeneratedSecretBytes> secret;
  if (RAND_bytes(secret.data(), int(secret.size())) != 1) {
    return Error{Errc::kInternal, "RAND_bytes failed"};
  }
  std::string hex = HexEncode(secret.data(), secret.size());
  hex.push_back('\n');
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    const UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return IoError("create " + temp, errno);
    if (auto written = WriteAll(fd.get(), hex, temp); !written) {
      ::unlink(temp.c_str());
      return written.error();
    }
    if (::fsync(fd.get()) != 0) {
      const int err = errno;
      ::unlink(temp.c_str());
      return IoError("fsync " + temp, err);
    }
  }
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno == EEXIST) return ReadSecretFile(path);
  if (linked != 0) return IoError("link " + path, link_errno);
  const UniqueFd dir(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) return IoError("fsync " + data_dir, errno);
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

}  // namespace

Result<std::string> LoadOrCreateSecret(const std::string& data_dir, std::string_view configured) {
  if (!configured.empty()) {
    if (configured.size() < LinkSigner::kMinSecretBytes) {
      return Error{Errc::kInvalidArgument, "configured link secret must be at least " +
                                               std::to_string(LinkSigner::kMinSecretBytes) +
                                               " bytes"};
    }
    return std::string(configured);
  }
  const std::string path = data_dir + "/" + kSecretFile;
  auto existing = ReadSecretFile(path);
  if (!existing || !existing->empty()) return existing;
  return CreateSecretFile(data_dir, path);
}

}  // namespace fsvc

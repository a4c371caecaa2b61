#include "api/client_digest.h"

#include <openssl/evp.h>

#include <memory>

#include "util/base64.h"
#include "util/hex.h"

namespace fsvc {
namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kMd5Bytes = 16;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error Malformed(std::string_view header, std::string_view why) {
  return Error{Errc::kInvalidArgument, std::string(header) + ": " + std::string(why)};
}

Result<std::string> DecodeDigest(std::string_view header, std::string_view text, size_t size) {
  auto bytes = Base64Decode(text);
  if (!bytes || bytes->size() != size) {
    return Malformed(header, "expected base64 of " + std::to_string(size) + " bytes");
  }
  return std::move(*bytes);
}

// An RFC 9530 dictionary: "sha-256=:<base64>:, sha-512=:...:"; the
// sha-256 member, if any. Parameters after ';' are allowed and ignored.
Status ParseDigestField(std::string_view header, std::string_view value,
                        std::vector<ExpectedDigest>& out) {
  bool supported = false;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view member = Trim(value.substr(0, comma));
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
    member = member.substr(0, member.find(';'));
    const size_t eq = member.find('=');
    if (eq == std::string_view::npos) return Malformed(header, "expected algorithm=:base64:");
    const std::string_view key = Trim(member.substr(0, eq));
    const std::string_view seq = Trim(member.substr(eq + 1));
    if (seq.size() < 2 || seq.front() != ':' || seq.back() != ':') {
      return Malformed(header, "a digest is a byte sequence, :base64:");
    }
    if (key != "sha-256") continue;  // RFC 9530 2: unsupported algorithms may be ignored
    auto bytes = DecodeDigest(header, seq.substr(1, seq.size() - 2), kSha256Bytes);
    if (!bytes) return bytes.error();
    out.push_back({std::string(header), ExpectedDigest::Algorithm::kSha256, std::move(*bytes)});
    supported = true;
  }
  if (!supported) return Malformed(header, "no sha-256 member (the only algorithm verified)");
  return OkStatus();
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Result<std::string> Md5Of(const FileContent& content) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    return Error{Errc::kInternal, "MD5 is not available"};
  }
  if (auto st = content.Read(0, content.size(),
                             [&](std::string_view bytes) {
                               EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
                               return OkStatus();
                             });
      !st) {
    return Error{st.error().code, "reading the upload back: " + st.error().message};
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string HexToBytes(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(HexDigitValue(hex[i]) * 16 + HexDigitValue(hex[i + 1])));
  }
  return out;
}

}  // namespace

Result<std::vector<ExpectedDigest>> ExpectedDigestsFrom(const HeaderList& headers) {
  std::vector<ExpectedDigest> out;
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "Content-Digest") || EqualsIgnoreCase(name, "Repr-Digest")) {
      if (auto st = ParseDigestField(name, value, out); !st) return st.error();
    } else if (EqualsIgnoreCase(name, "Content-MD5")) {
      auto bytes = DecodeDigest("Content-MD5", Trim(value), kMd5Bytes);
      if (!bytes) return bytes.error();
      out.push_back({"Content-MD5", ExpectedDigest::Algorithm::kMd5, std::move(*bytes)});
    } else if (EqualsIgnoreCase(name, "x-amz-checksum-sha256")) {
      auto bytes = DecodeDigest("x-amz-checksum-sha256", Trim(value), kSha256Bytes);
      if (!bytes) return bytes.error();
      out.push_back(
          {"x-amz-checksum-sha256", ExpectedDigest::Algorithm::kSha256, std::move(*bytes)});
    }
  }
  return out;
}

Status VerifyDigests(const std::vector<ExpectedDigest>& expected, const SealedUpload& upload) {
  std::optional<std::string> md5;
  for (const ExpectedDigest& e : expected) {
    std::string actual;
    if (e.algorithm == ExpectedDigest::Algorithm::kSha256) {
      actual = HexToBytes(upload.sha256_hex());
    } else {
      if (!md5) {
        auto content = upload.Open();
        if (!content) return content.error();
        auto sum = Md5Of(**content);
        if (!sum) return sum.error();
        md5 = std::move(*sum);
      }
      actual = *md5;
    }
    if (actual != e.bytes) {
      return Error{Errc::kDigestMismatch, e.header + " says " + Base64Encode(e.bytes) +
                                              " but the " + std::to_string(upload.size()) +
                                              " bytes that arrived hash to " +
                                              Base64Encode(actual) + "; nothing was stored"};
    }
  }
  return OkStatus();
}

std::string DigestFieldValue(std::string_view sha256_hex) {
  return "sha-256=:" + Base64Encode(HexToBytes(sha256_hex)) + ":";
}

}  // namespace fsvc

// Checksums a client sends with an upload, verified against the bytes that
// arrived before anything is committed:
//   Content-Digest / Repr-Digest: sha-256=:<base64>: (RFC 9530; the
//     representation is the content here, since request bodies carry no
//     Content-Encoding), other algorithms ignored;
//   Content-MD5: <base64 of MD5> (RFC 1864);
//   x-amz-checksum-sha256: <base64 of SHA-256> (S3's).
// SHA-256 is compared with the digest the blob store computed on the way
// in; MD5 is computed by reading the sealed blob back, only when asked for.
// On PUT these are request headers; in a multipart form, the file part's
// own headers. A mismatch is kDigestMismatch (400 digest_mismatch) and the
// caller stores nothing; a malformed value is kInvalidArgument.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/route_table.h"
#include "storage/storage.h"
#include "util/error.h"

namespace fsvc {

struct ExpectedDigest {
  enum class Algorithm { kSha256, kMd5 };
  std::string header;  // where it came from, for the error message
  Algorithm algorithm;
  std::string bytes;  // the raw digest
};

Result<std::vector<ExpectedDigest>> ExpectedDigestsFrom(const HeaderList& headers);

// kDigestMismatch unless every expected digest matches the sealed upload.
Status VerifyDigests(const std::vector<ExpectedDigest>& expected, const SealedUpload& upload);

// "sha-256=:<base64>:" for a stored file's hex SHA-256: the Repr-Digest and
// Content-Digest of downloads and uploads.
std::string DigestFieldValue(std::string_view sha256_hex);

// The upload headers, as the route table documents them.
inline const std::vector<HeaderParam> kUploadDigestHeaders = {
    {"Content-Digest", "sha-256=:<base64>: of the body; 400 digest_mismatch, nothing stored"},
    {"Repr-Digest", "sha-256=:<base64>: of the file; 400 digest_mismatch, nothing stored"},
    {"Content-MD5", "base64 MD5 of the body; 400 digest_mismatch, nothing stored"},
    {"x-amz-checksum-sha256", "base64 SHA-256 of the body; 400 digest_mismatch, nothing stored"},
};

}  // namespace fsvc

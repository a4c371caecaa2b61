// Standard base64 (RFC 4648 section 4, with padding), as checksum headers
// carry digests (Content-Digest's byte sequences, Content-MD5,
// x-amz-checksum-sha256). Signed links use base64url: src/links/link_signer.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fsvc {

std::string Base64Encode(std::string_view bytes);
// The bytes, or nothing when `text` is not canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace fsvc

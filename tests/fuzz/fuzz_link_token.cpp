// Signed link tokens: no byte string the fuzzer makes verifies (forging needs
// the secret), and a token we sign verifies back to exactly its claims.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "links/link_signer.h"

namespace {

const fsvc::LinkSigner& Signer() {
  static const fsvc::LinkSigner signer =
      std::move(*fsvc::LinkSigner::Create("fuzzing-secret-0123456789abcdef"));
  return signer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = Signer().Verify(token, 0);
  if (claims) std::abort();  // a forgery was accepted
  if (claims.error().code != fsvc::Errc::kForbidden) std::abort();

  if (size >= 9) {
    // Expiry from the first 8 bytes, the path from the rest.
    int64_t expires = 0;
    std::memcpy(&expires, data, 8);
    expires = expires < 1 ? 1 : (expires > 0xffffffffLL ? 0xffffffffLL : expires);
    const std::string path(reinterpret_cast<const char*>(data) + 8,
                           std::min<size_t>(size - 8, fsvc::LinkSigner::kMaxPathBytes));
    const std::string sha(64, 'a');
    auto signed_token = Signer().Sign(path, sha, expires);
    if (!signed_token || signed_token->size() > fsvc::LinkSigner::kMaxTokenLength) std::abort();
    auto back = Signer().Verify(*signed_token, expires - 1);
    if (!back || back->path != path || back->sha256 != sha || back->expires_at != expires) {
      std::abort();
    }
    auto late = Signer().Verify(*signed_token, expires);
    if (late || late.error().code != fsvc::Errc::kGone) std::abort();
  }
  return 0;
}

// API key entries and the access check. Input: a byte choosing the
// separator, then key text up to a NUL, then an Authorization header value.
// Never crashes, an unknown key is never found, open rows never need a key,
// and a refusal is always 401 or 403.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/access_check.h"
#include "auth/api_keys.h"
#include "util/log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (fsvc::SetLogLevel("error"), true);  // "N keys loaded" each run
  (void)quiet;
  if (size == 0) return 0;
  const char separator = (data[0] & 1) ? ',' : '\n';
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = std::min(rest.find('\0'), rest.size());
  const std::string_view text = rest.substr(0, nul);
  rest.remove_prefix(std::min(nul + 1, rest.size()));

  fsvc::ApiKeys keys;
  (void)keys.Add(text, separator, "fuzz");
  // Keys are at least kMinKeyLength long, so a shorter probe never matches.
  if (keys.Find(rest.substr(0, fsvc::ApiKeys::kMinKeyLength - 1))) std::abort();
  if (keys.Find(rest).has_value() != keys.Identify(rest).has_value()) std::abort();

  fsvc::Config config;
  config.api_keys = std::string(text);
  if (separator == '\n') return 0;  // API_KEYS is comma-separated
  auto check = fsvc::MakeAccessCheck(config);
  if (!check || !*check) return 0;
  fsvc::Request req;
  req.headers.emplace_back("Authorization", std::string(rest));
  for (fsvc::Access access :
       {fsvc::Access::kOpen, fsvc::Access::kRead, fsvc::Access::kWrite, fsvc::Access::kAdmin}) {
    std::string key_id;
    const auto refused = (**check)(req, access, key_id);
    if (access == fsvc::Access::kOpen && refused) std::abort();
    if (refused && refused->code != fsvc::Errc::kUnauthorized &&
        refused->code != fsvc::Errc::kForbidden) {
      std::abort();
    }
    if (!refused && access != fsvc::Access::kOpen && key_id.size() != 8) std::abort();
  }
  return 0;
}

// API key entries and the access policy. Input: a byte choosing the
// separator, then key text up to a NUL, then a method and a path (split at
// the first space). Never crashes, and an unknown key is never found.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/access_policy.h"
#include "auth/api_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
  (void)keys.Find(rest);

  const size_t space = std::min(rest.find(' '), rest.size());
  const std::string_view method = rest.substr(0, space);
  const std::string_view path = rest.substr(std::min(space + 1, rest.size()));
  const auto role = fsvc::RequiredRole(method, path);
  if (!role && path.find("/debug") == 0) std::abort();  // admin routes are never open
  if (!role && method != "GET" && method != "HEAD") std::abort();
  return 0;
}

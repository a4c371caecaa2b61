#include "test_client.h"

#include <openssl/evp.h>

#include <algorithm>

namespace fsvc::testing {

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

double MetricValue(const std::string& exposition, const std::string& name) {
  const std::string start = name + " ";
  for (size_t at = 0; at < exposition.size();) {
    const size_t end = std::min(exposition.find('\n', at), exposition.size());
    if (exposition.compare(at, start.size(), start) == 0) {
      return std::stod(exposition.substr(at + start.size(), end - at - start.size()));
    }
    at = end + 1;
  }
  return -1;
}

}  // namespace fsvc::testing

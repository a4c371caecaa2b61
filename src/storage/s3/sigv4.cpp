#include "storage/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "util/hex.h"
#include "util/percent_encode.h"

namespace fsvc::s3 {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// SigV4 trims a header value and collapses each run of spaces to one.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (const char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Lower-cased names in order, duplicates' values joined with ','.
std::map<std::string, std::string> CanonicalHeaders(const SignedRequest& request) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string& v = headers[Lower(name)];
    if (!v.empty()) v += ',';
    v += TrimAll(value);
  }
  return headers;
}

std::string SignedHeaderNames(const std::map<std::string, std::string>& headers) {
  std::string names;
  for (const auto& [name, value] : headers) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return HexEncode(digest, sizeof digest);
}

std::string EncodePath(std::string_view raw_path) {
  return PercentEncode(raw_path, "/");
}

std::string CanonicalQuery(const SignedRequest& request) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(request.query.size());
  for (const auto& [name, value] : request.query) {
    encoded.emplace_back(PercentEncode(name), PercentEncode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalRequest(const SignedRequest& request) {
  const auto headers = CanonicalHeaders(request);
  std::string out =
      request.method + '\n' + EncodePath(request.path) + '\n' + CanonicalQuery(request) + '\n';
  for (const auto& [name, value] : headers) out += name + ':' + value + '\n';
  out += '\n' + SignedHeaderNames(headers) + '\n' + request.payload_sha256;
  return out;
}

std::string Authorization(const SignedRequest& request, const Credentials& credentials,
                          std::string_view amz_date) {
  const std::string_view date = amz_date.substr(0, 8);
  const std::string scope =
      std::string(date) + '/' + credentials.region + '/' + credentials.service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + '\n' + scope + '\n' +
                              Sha256Hex(CanonicalRequest(request));
  std::string key = Hmac("AWS4" + credentials.secret_key, date);
  key = Hmac(key, credentials.region);
  key = Hmac(key, credentials.service);
  key = Hmac(key, "aws4_request");
  const std::string signature = Hmac(key, to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + '/' + scope +
         ", SignedHeaders=" + SignedHeaderNames(CanonicalHeaders(request)) + ", Signature=" +
         HexEncode(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

}  // namespace fsvc::s3

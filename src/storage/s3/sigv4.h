// AWS Signature Version 4 for S3 requests (header authorisation).
//
// Why our own: libcurl's CURLOPT_AWS_SIGV4 signs '+' in keys, encoded query
// values and valueless parameters such as "?uploads" differently from S3, and
// Debian ships no AWS SDK. Checked against the AWS SigV4 test suite and the
// S3 documentation's examples (tests/unit/sigv4_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsvc::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string service = "s3";
};

// One request as it is sent, before encoding: `path` is the raw object path
// ("/bucket/a+b c.txt", S3 style: encoded once, '/' kept, never normalised);
// `query` holds raw names and values (an empty value for "?uploads");
// `headers` must include host and x-amz-date (and, for S3,
// x-amz-content-sha256, whose value is also `payload_sha256`).
struct SignedRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // lower-case hex, or "UNSIGNED-PAYLOAD"
};

// The path as sent on the wire and as signed: each byte but the unreserved
// ones and '/' percent-encoded (so '+' is %2B and ' ' is %20).
std::string EncodePath(std::string_view raw_path);

// The query string as sent and as signed: names and values encoded, sorted by
// name then value, "name=" for an empty value.
std::string CanonicalQuery(const SignedRequest& request);

// The canonical request (SigV4 task 1).
std::string CanonicalRequest(const SignedRequest& request);

// The Authorization header's value for `request`, signed at `amz_date`
// ("20150830T123600Z", the same value as its x-amz-date header).
std::string Authorization(const SignedRequest& request, const Credentials& credentials,
                          std::string_view amz_date);

// `data`'s SHA-256 in lower-case hex (the payload hash of a small body).
std::string Sha256Hex(std::string_view data);

}  // namespace fsvc::s3

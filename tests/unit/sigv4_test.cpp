// The SigV4 signer against published vectors: the AWS SigV4 test suite
// (service "service", 2015-08-30) and the S3 documentation's header-based
// examples (examplebucket, 2013-05-24). Each expected value is the published
// one, so a wrong step anywhere in the chain changes the signature.
#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

namespace fsvc::s3 {
namespace {

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The test suite's credentials and request date.
Credentials Suite() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
}
constexpr char kSuiteDate[] = "20150830T123600Z";

SignedRequest SuiteRequest(std::string method) {
  return {std::move(method),
          "/",
          {},
          {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}},
          kEmptySha};
}

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.rfind("Signature=") + 10);
}

TEST(SigV4Test, GetVanilla) {
  const SignedRequest r = SuiteRequest("GET");
  EXPECT_EQ(CanonicalRequest(r),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha));
  EXPECT_EQ(Sha256Hex(CanonicalRequest(r)),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Authorization(r, Suite(), kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, PostVanilla) {
  EXPECT_EQ(SignatureOf(Authorization(SuiteRequest("POST"), Suite(), kSuiteDate)),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  SignedRequest r = SuiteRequest("GET");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  EXPECT_EQ(CanonicalQuery(r), "Param1=value1&Param2=value2");
  EXPECT_EQ(SignatureOf(Authorization(r, Suite(), kSuiteDate)),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, PostHeaderValueCase) {
  SignedRequest r = SuiteRequest("POST");
  r.headers.emplace_back("My-Header1", "VALUE1");
  EXPECT_EQ(Authorization(r, Suite(), kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;my-header1;x-amz-date, "
            "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

// The S3 documentation's examples: its credentials and date.
Credentials S3Doc() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
}
constexpr char kS3Date[] = "20130524T000000Z";

SignedRequest S3DocGet(std::string path) {
  return {"GET",
          std::move(path),
          {},
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"x-amz-content-sha256", kEmptySha},
           {"x-amz-date", kS3Date}},
          kEmptySha};
}

TEST(SigV4Test, S3GetObjectWithRange) {
  SignedRequest r = S3DocGet("/test.txt");
  r.headers.emplace_back("Range", "bytes=0-9");
  EXPECT_EQ(CanonicalRequest(r),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                std::string(kEmptySha) + "\nx-amz-date:20130524T000000Z\n\n" +
                "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  EXPECT_EQ(Authorization(r, S3Doc(), kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3PutObjectEncodesTheKeyOnce) {
  const std::string payload = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const SignedRequest r{"PUT",
                        "/test$file.text",
                        {},
                        {{"Host", "examplebucket.s3.amazonaws.com"},
                         {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                         {"x-amz-date", kS3Date},
                         {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                         {"x-amz-content-sha256", payload}},
                        payload};
  EXPECT_EQ(CanonicalRequest(r).substr(0, 21), "PUT\n/test%24file.text");
  EXPECT_EQ(SignatureOf(Authorization(r, S3Doc(), kS3Date)),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

// "?lifecycle" has no value, like "?uploads": it is signed as "lifecycle=".
TEST(SigV4Test, S3ValuelessQueryParameter) {
  SignedRequest r = S3DocGet("/");
  r.query = {{"lifecycle", ""}};
  EXPECT_EQ(CanonicalQuery(r), "lifecycle=");
  EXPECT_EQ(SignatureOf(Authorization(r, S3Doc(), kS3Date)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, S3ListObjectsQuery) {
  SignedRequest r = S3DocGet("/");
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  EXPECT_EQ(SignatureOf(Authorization(r, S3Doc(), kS3Date)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// Keys and query values are encoded per RFC 3986 with upper-case hex: '+' is
// a literal plus in S3 keys (%2B), never a space.
TEST(SigV4Test, EncodesPlusSpaceAndUnicode) {
  EXPECT_EQ(EncodePath("/b/a+b c/\xc3\xa9~_-.txt"), "/b/a%2Bb%20c/%C3%A9~_-.txt");
  SignedRequest r = S3DocGet("/");
  r.query = {{"prefix", "a/b+c d"}, {"continuation-token", "x=/y"}};
  EXPECT_EQ(CanonicalQuery(r), "continuation-token=x%3D%2Fy&prefix=a%2Fb%2Bc%20d");
}

TEST(SigV4Test, HeaderValuesTrimmedAndDuplicatesJoined) {
  SignedRequest r = SuiteRequest("GET");
  r.headers.emplace_back("My-Header1", "  a   b  ");
  r.headers.emplace_back("my-header1", "c");
  EXPECT_NE(CanonicalRequest(r).find("\nmy-header1:a b,c\n"), std::string::npos);
}

}  // namespace
}  // namespace fsvc::s3

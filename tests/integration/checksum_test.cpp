// Client checksums against the real binary: Content-Digest (RFC 9530),
// Content-MD5 and x-amz-checksum-sha256 on PUT and on the file parts of
// POST /upload and /batch-upload; a mismatch stores nothing. Downloads
// carry Repr-Digest, and Content-Digest when the body is the whole file.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "common/storage_census.h"
#include "server_process.h"
#include "test_client.h"
#include "util/base64.h"

namespace fsvc::testing {
namespace {

std::string Digest(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(out), len));
}
std::string Sha256B64(const std::string& data) {
  return Digest(data, EVP_sha256());
}
std::string Md5B64(const std::string& data) {
  return Digest(data, EVP_md5());
}
std::string DigestField(const std::string& data) {
  return "sha-256=:" + Sha256B64(data) + ":";
}

// A multipart body by hand: httplib's client sends no per-part headers.
struct Part {
  std::string filename;
  std::string content;
  std::string extra_headers;  // "Name: value\r\n" lines
};
std::string Form(const std::vector<Part>& parts) {
  std::string body;
  for (const Part& p : parts) {
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + p.filename +
            "\"\r\nContent-Type: text/plain\r\n" + p.extra_headers + "\r\n" + p.content + "\r\n";
  }
  return body + "--XyZ--\r\n";
}
constexpr const char* kFormType = "multipart/form-data; boundary=XyZ";

class ChecksumTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }
  // Nothing of a refused upload may remain: no row, and no blob either.
  void ExpectNothingStored(const std::string& path) {
    EXPECT_EQ(c_->Get("/files/" + path)->status, 404) << path;
  }
  testutil::StorageCensus BlobCount() { return testutil::Census(server_->data_dir()); }
  std::unique_ptr<httplib::Client> c_ = server_->Client();
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> ChecksumTest::server_;

TEST_F(ChecksumTest, PutWithMatchingChecksumsIsStored) {
  const std::string body = "checked content";
  auto r = c_->Put("/files/c/ok",
                   {{"Content-Digest", "sha-512=:AAAA:, " + DigestField(body)},
                    {"Content-MD5", Md5B64(body)},
                    {"x-amz-checksum-sha256", Sha256B64(body)}},
                   body, "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->get_header_value("Repr-Digest"), DigestField(body));
}

TEST_F(ChecksumTest, PutContentDigestMismatchStoresNothing) {
  const auto blobs = BlobCount();
  auto r = c_->Put("/files/c/cd", {{"Content-Digest", DigestField("other")}}, "body", "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "digest_mismatch");
  ExpectNothingStored("c/cd");
  EXPECT_EQ(BlobCount(), blobs) << "no blob left behind";
}

TEST_F(ChecksumTest, PutReprDigestMismatch) {
  auto r = c_->Put("/files/c/rd", {{"Repr-Digest", DigestField("other")}}, "body", "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "digest_mismatch");
  ExpectNothingStored("c/rd");
}

TEST_F(ChecksumTest, PutContentMd5Mismatch) {
  auto r = c_->Put("/files/c/md5", {{"Content-MD5", Md5B64("other")}}, "body", "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "digest_mismatch");
  ExpectNothingStored("c/md5");
}

TEST_F(ChecksumTest, PutAmzChecksumMismatch) {
  auto r = c_->Put("/files/c/amz", {{"x-amz-checksum-sha256", Sha256B64("other")}}, "body",
                   "text/plain");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "digest_mismatch");
  ExpectNothingStored("c/amz");
}

// A mismatch leaves a file already at the path as it was.
TEST_F(ChecksumTest, MismatchDoesNotReplace) {
  ASSERT_EQ(c_->Put("/files/c/keep", "old", "text/plain")->status, 201);
  EXPECT_EQ(c_->Put("/files/c/keep", {{"Content-MD5", Md5B64("x")}}, "new", "text/plain")->status,
            400);
  EXPECT_EQ(c_->Get("/files/c/keep")->body, "old");
}

TEST_F(ChecksumTest, MalformedChecksumHeaders) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"Content-Digest", "sha-256=abc"},
           {"Content-Digest", "sha-512=:AAAA:"},
           {"Content-Digest", "sha-256=:AAAA:"},
           {"Content-MD5", "not base64!"},
           {"x-amz-checksum-sha256", Md5B64("wrong length")}}) {
    auto r = c_->Put("/files/c/bad", {{name, value}}, "body", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << name << ": " << value;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << name << ": " << value;
  }
  ExpectNothingStored("c/bad");
}

TEST_F(ChecksumTest, UploadPartMismatchFailsTheWholeForm) {
  const std::string body =
      Form({{"good.txt", "good", "Content-MD5: " + Md5B64("good") + "\r\n"},
            {"bad.txt", "bad", "Content-Digest: " + DigestField("x") + "\r\n"}});
  auto r = c_->Post("/upload?path=u", body, kFormType);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(ErrorCode(r), "digest_mismatch");
  ExpectNothingStored("u/good.txt");
  ExpectNothingStored("u/bad.txt");
  const std::string ok =
      Form({{"good.txt", "good", "x-amz-checksum-sha256: " + Sha256B64("good") + "\r\n"}});
  EXPECT_EQ(c_->Post("/upload?path=u", ok, kFormType)->status, 201);
}

TEST_F(ChecksumTest, BatchPartMismatchFailsThatPartOnly) {
  const std::string body =
      Form({{"good.txt", "good", "Content-Digest: " + DigestField("good") + "\r\n"},
            {"bad.txt", "bad", "Content-MD5: " + Md5B64("x") + "\r\n"}});
  auto r = c_->Post("/batch-upload?path=b", body, kFormType);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 207) << r->body;
  const auto j = Json(r);
  EXPECT_EQ(j["results"][0]["status"], 201);
  EXPECT_EQ(j["results"][1]["status"], 400);
  EXPECT_EQ(j["results"][1]["error"]["code"], "digest_mismatch");
  EXPECT_EQ(c_->Get("/files/b/good.txt")->body, "good");
  ExpectNothingStored("b/bad.txt");
}

TEST_F(ChecksumTest, DownloadsCarryDigests) {
  const std::string body = "0123456789";
  ASSERT_EQ(c_->Put("/files/c/dl", body, "text/plain")->status, 201);
  auto whole = c_->Get("/files/c/dl");
  EXPECT_EQ(whole->get_header_value("Repr-Digest"), DigestField(body));
  EXPECT_EQ(whole->get_header_value("Content-Digest"), DigestField(body));
  // A range's content is not the file: its Content-Digest is not known.
  auto part = c_->Get("/files/c/dl", {{"Range", "bytes=0-3"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->get_header_value("Repr-Digest"), DigestField(body));
  EXPECT_FALSE(part->has_header("Content-Digest"));
  const std::string url = LinkUrl(*c_, "c/dl");
  EXPECT_EQ(c_->Get(url)->get_header_value("Repr-Digest"), DigestField(body));
}

}  // namespace
}  // namespace fsvc::testing

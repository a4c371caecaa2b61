// Uploads and downloads stream: a 1 GiB file passes through the server
// without raising its peak RSS by more than 32 MiB, and comes back intact.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

constexpr size_t kGiB = size_t{1} << 30;

// Deterministic, incompressible-looking bytes without holding them in memory.
void Fill(char* out, size_t n, size_t offset) {
  for (size_t i = 0; i < n; ++i) {
    const uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ull;
    out[i] = static_cast<char>(x >> 56);
  }
}

std::string Hex(const unsigned char* md, unsigned len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) s += {kHex[md[i] >> 4], kHex[md[i] & 15]};
  return s;
}

TEST(StreamingTest, OneGibRoundTripWithFlatMemory) {
  ServerProcess server({{"--max-upload-bytes=2G"}, {}, {}, ""});
  ASSERT_TRUE(server.Start()) << server.Stderr();
  auto c = server.Client(300);
  // Warm up every code path once so the baseline includes their steady state.
  ASSERT_EQ(c->Put("/files/warm", std::string(1 << 20, 'w'), "application/octet-stream")->status,
            201);
  ASSERT_EQ(c->Get("/files/warm")->status, 200);
  const long before_kb = server.PeakRssKb();
  ASSERT_GT(before_kb, 0);

  EVP_MD_CTX* up = EVP_MD_CTX_new();
  EVP_DigestInit_ex(up, EVP_sha256(), nullptr);
  auto put = c->Put(
      "/files/big/one-gib.bin", kGiB,
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string chunk(std::min<size_t>(length, 256 * 1024), '\0');
        Fill(chunk.data(), chunk.size(), offset);
        EVP_DigestUpdate(up, chunk.data(), chunk.size());
        return sink.write(chunk.data(), chunk.size());
      },
      "application/octet-stream");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  EVP_DigestFinal_ex(up, md, &md_len);
  EVP_MD_CTX_free(up);
  const std::string sent_sha = Hex(md, md_len);
  ASSERT_TRUE(put) << httplib::to_string(put.error());
  ASSERT_EQ(put->status, 201) << put->body;
  EXPECT_EQ(Json(put)["sha256"], sent_sha);
  EXPECT_EQ(Json(put)["size"], kGiB);

  EVP_MD_CTX* down = EVP_MD_CTX_new();
  EVP_DigestInit_ex(down, EVP_sha256(), nullptr);
  size_t received = 0;
  auto get = c->Get("/files/big/one-gib.bin", [&](const char* data, size_t n) {
    EVP_DigestUpdate(down, data, n);
    received += n;
    return true;
  });
  EVP_DigestFinal_ex(down, md, &md_len);
  EVP_MD_CTX_free(down);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(received, kGiB);
  EXPECT_EQ(Hex(md, md_len), sent_sha);

  const long after_kb = server.PeakRssKb();
  EXPECT_LT(after_kb - before_kb, 32 * 1024)
      << "peak RSS grew from " << before_kb << " KiB to " << after_kb << " KiB";
  EXPECT_TRUE(ListFiles(server.data_dir() + "/tmp").empty());
}

}  // namespace
}  // namespace fsvc::testing

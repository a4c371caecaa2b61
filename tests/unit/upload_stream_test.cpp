// StageMultipart against a ContentReader that replays multipart events the
// way cpp-httplib's parser emits them (part header, then 4 KiB chunks).
#include "api/upload_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace fsvc {
namespace {

namespace fs = std::filesystem;

struct Part {
  std::string name, filename, content;
};

httplib::ContentReader Replay(std::vector<Part> parts, bool truncate = false) {
  return httplib::ContentReader(
      [](httplib::ContentReceiver) { return false; },
      [parts, truncate](httplib::MultipartContentHeader header, httplib::ContentReceiver body) {
        for (const Part& p : parts) {
          httplib::MultipartFormData meta{p.name, "", p.filename, "text/plain"};
          if (!header(meta)) return false;
          for (size_t at = 0; at < p.content.size(); at += 4096) {
            const size_t n = std::min<size_t>(4096, p.content.size() - at);
            if (!body(p.content.data() + at, n)) return false;
          }
        }
        return !truncate;
      });
}

class UploadStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fsvc-upload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::move(*FileStore::Open({dir_.string(), 1}));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  size_t Blobs() {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "blobs")) n += e.is_regular_file();
    return n;
  }
  fs::path dir_;
  std::unique_ptr<FileStore> store_;
};

TEST_F(UploadStreamTest, StagesFilesAndFieldsInAnyOrder) {
  auto staged = StageMultipart(Replay({{"file", "a.txt", std::string(10000, 'a')},
                                       {"path", "", "docs/x"},
                                       {"file", "b.txt", "bee"}}),
                               *store_, {1 << 20, 10});
  ASSERT_TRUE(staged.ok()) << staged.error().message;
  ASSERT_EQ(staged->files.size(), 2u);
  EXPECT_EQ(staged->files[0].filename, "a.txt");
  EXPECT_EQ(staged->files[0].blob->digest().size, 10000u);
  EXPECT_EQ(staged->files[1].blob->digest().size, 3u);
  EXPECT_EQ(staged->fields.find("path")->second, "docs/x");
  EXPECT_EQ(Blobs(), 2u);
  staged = Error{Errc::kInternal, "dropped"};  // never committed: the blobs go
  EXPECT_EQ(Blobs(), 0u);
}

TEST_F(UploadStreamTest, OversizedPartFailsAloneAndIsDrained) {
  auto staged =
      StageMultipart(Replay({{"file", "big", std::string(20000, 'b')}, {"file", "ok", "fine"}}),
                     *store_, {10000, 10});
  ASSERT_TRUE(staged.ok());
  ASSERT_EQ(staged->files.size(), 2u);
  ASSERT_TRUE(staged->files[0].error.has_value());
  EXPECT_EQ(staged->files[0].error->code, Errc::kPayloadTooLarge);
  EXPECT_FALSE(staged->files[0].blob.has_value());
  EXPECT_TRUE(staged->files[1].blob.has_value());
}

TEST_F(UploadStreamTest, TooManyFilesAndTruncatedBodiesFailWhole) {
  auto many = StageMultipart(Replay({{"file", "1", "x"}, {"file", "2", "y"}, {"file", "3", "z"}}),
                             *store_, {100, 2});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, Errc::kTooManyFiles);
  auto cut = StageMultipart(Replay({{"file", "1", "x"}}, /*truncate=*/true), *store_, {100, 2});
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(Blobs(), 0u);
  const std::string huge_field(5000, 'p');
  auto field = StageMultipart(Replay({{"path", "", huge_field}}), *store_, {100, 2});
  EXPECT_FALSE(field.ok());
}

}  // namespace
}  // namespace fsvc

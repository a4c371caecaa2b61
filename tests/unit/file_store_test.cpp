#include "storage/file_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fsvc {
namespace {

namespace fs = std::filesystem;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fsvc-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = FileStore::Open({dir_.string(), 2});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  Result<FileStore::Committed> Put(const std::string& path, const std::string& content) {
    auto w = store_->BeginUpload(1 << 20);
    if (!w) return w.error();
    if (auto st = w->Write(content); !st) return st.error();
    auto sealed = store_->Seal(std::move(*w));
    if (!sealed) return sealed.error();
    return store_->Commit(std::move(*sealed), path, "text/plain");
  }
  std::string Read(const std::string& path) {
    auto f = store_->OpenPath(path);
    if (!f) return "<" + f.error().message + ">";
    std::string out(f->blob->size, '\0');
    EXPECT_EQ(::pread(f->blob->fd.get(), out.data(), out.size(), 0),
              static_cast<ssize_t>(out.size()));
    return out;
  }
  size_t CountFiles(const std::string& sub) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / sub, ec)) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }
  fs::path dir_;
  std::unique_ptr<FileStore> store_;
};

TEST_F(FileStoreTest, StoresHashesAndReadsBack) {
  std::string big(300 * 1024 + 7, 'x');  // crosses the write buffer several times
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  auto c = Put("d/big.txt", big);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->created);
  EXPECT_EQ(c->info.size, big.size());
  EXPECT_EQ(Read("d/big.txt"), big);
  auto hello = Put("h", "hello\n");
  EXPECT_EQ(hello->info.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(CountFiles("blobs"), 2u);
}

TEST_F(FileStoreTest, OverwriteKeepsOldReaderConsistentAndRemovesOldBlob) {
  ASSERT_TRUE(Put("f", "old-content").ok());
  auto reader = store_->OpenPath("f");
  ASSERT_TRUE(reader.ok());
  auto c = Put("f", "new");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->created);
  // The reader opened before the overwrite still sees all of the old bytes.
  std::string old(reader->blob->size, '\0');
  ASSERT_EQ(::pread(reader->blob->fd.get(), old.data(), old.size(), 0), 11);
  EXPECT_EQ(old, "old-content");
  EXPECT_EQ(Read("f"), "new");
  EXPECT_EQ(CountFiles("blobs"), 1u);
}

TEST_F(FileStoreTest, UncommittedUploadsLeaveNothing) {
  {
    auto w = store_->BeginUpload(1 << 20);
    ASSERT_TRUE(w->Write("abandoned").ok());
    EXPECT_EQ(CountFiles("tmp"), 1u);
  }
  EXPECT_EQ(CountFiles("tmp"), 0u);
  {
    auto w = store_->BeginUpload(1 << 20);
    ASSERT_TRUE(w->Write("sealed but never named").ok());
    auto sealed = store_->Seal(std::move(*w));
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(CountFiles("blobs"), 1u);
  }
  EXPECT_EQ(CountFiles("blobs"), 0u);
  // A commit that fails (a folder stands at the path) removes its blob too.
  ASSERT_TRUE(store_->CreateFolder("taken").ok());
  auto c = Put("taken", "x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::kConflict);
  EXPECT_EQ(CountFiles("blobs"), 0u);
}

TEST_F(FileStoreTest, SizeLimitIsEnforcedWhileStreaming) {
  auto w = store_->BeginUpload(10);
  ASSERT_TRUE(w->Write("0123456789").ok());
  auto st = w->Write("x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kPayloadTooLarge);
}

TEST_F(FileStoreTest, RecoveryRemovesTempFilesOrphansAndDanglingRows) {
  ASSERT_TRUE(Put("keep", "kept").ok());
  ASSERT_TRUE(Put("lose-blob", "gone").ok());
  store_.reset();
  // Simulate a crash: a temp file mid-upload, a blob renamed but never
  // committed, and a row whose blob was removed by hand.
  std::ofstream(dir_ / "tmp" / "deadbeef.part") << "partial";
  fs::create_directories(dir_ / "blobs" / "ff");
  std::ofstream(dir_ / "blobs" / "ff" / "ffffffffffffffffffffffffffffffff") << "orphan";
  {
    auto meta = MetadataStore::Open((dir_ / "metadata.db").string(), 1);
    fs::remove(fs::path(dir_ / "blobs") / (*meta)->GetFile("lose-blob")->blob_id.substr(0, 2) /
               (*meta)->GetFile("lose-blob")->blob_id);
  }
  Reopen();
  EXPECT_EQ(store_->recovery().removed_temp_files, 1u);
  EXPECT_EQ(store_->recovery().removed_orphan_blobs, 1u);
  EXPECT_EQ(store_->recovery().removed_dangling_rows, 1u);
  EXPECT_EQ(Read("keep"), "kept");
  EXPECT_EQ(store_->Stat("lose-blob").error().code, Errc::kNotFound);
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(CountFiles("blobs"), 1u);
}

TEST_F(FileStoreTest, FileSizeLimitBecomesInsufficientStorage) {
  // RLIMIT_FSIZE makes write(2) fail with EFBIG (SIGXFSZ ignored), the same
  // path a full disk takes: the upload fails cleanly and leaves no file.
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  rlimit small{100 * 1024, old.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto w = store_->BeginUpload(10 << 20);
  Status st = OkStatus();
  std::string chunk(64 * 1024, 'z');
  for (int i = 0; i < 4 && st.ok(); ++i) st = w->Write(chunk);
  Result<PendingBlob> sealed =
      st.ok() ? store_->Seal(std::move(*w)) : Result<PendingBlob>(st.error());
  ::setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().code, Errc::kInsufficientStorage);
  w = store_->BeginUpload(1);        // drops the failed writer
  EXPECT_EQ(CountFiles("tmp"), 1u);  // only the new, empty one
}

}  // namespace
}  // namespace fsvc

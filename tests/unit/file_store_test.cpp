#include "storage/file_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "common/storage_census.h"
#include "storage/metadata_store.h"
#include "storage/segment_store.h"

namespace fsvc {
namespace {

namespace fs = std::filesystem;
using testutil::Census;
using testutil::StorageCensus;

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
  // Reopens with other options (the current store is closed first: the
  // data folder admits one store at a time).
  void ReopenWith(FileStore::Options options) {
    store_.reset();
    options.data_dir = dir_.string();
    auto s = FileStore::Open(options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  Result<std::unique_ptr<SealedUpload>> Stage(const std::string& content) {
    auto w = store_->BeginUpload(1 << 20);
    if (!w) return w.error();
    if (auto st = (*w)->Write(content); !st) return st.error();
    return store_->Seal(std::move(*w));
  }
  Result<FileStore::Committed> Put(const std::string& path, const std::string& content) {
    auto sealed = Stage(content);
    if (!sealed) return sealed.error();
    return store_->Commit({std::move(*sealed), path, "text/plain"});
  }
  std::string Read(const std::string& path) {
    auto f = store_->OpenPath(path);
    if (!f) return "<" + f.error().message + ">";
    return ReadAll(*f->content);
  }
  static std::string ReadAll(const FileContent& content) {
    std::string out;
    EXPECT_TRUE(content
                    .Read(0, content.size(),
                          [&](std::string_view bytes) {
                            out.append(bytes);
                            return OkStatus();
                          })
                    .ok());
    return out;
  }
  StorageCensus Stored() const { return Census(dir_.string()); }
  bool AllReady() {
    for (const auto& [part, status] : store_->CheckReady()) {
      if (!status.ok()) return false;
    }
    return true;
  }
  // Every blob a file, as before segments: for the tests of that path.
  void ReopenWithoutSegments() {
    FileStore::Options options;
    options.segment_blob_bytes = 0;
    ReopenWith(options);
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
  // The big one is a file of its own, the small one a block of a segment.
  EXPECT_EQ(Stored(), (StorageCensus{1, 4096}));
}

TEST_F(FileStoreTest, OverwriteKeepsOldReaderConsistentAndRemovesOldBlob) {
  ASSERT_TRUE(Put("f", "old-content").ok());
  auto reader = store_->OpenPath("f");
  ASSERT_TRUE(reader.ok());
  auto c = Put("f", "new");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->created);
  // The reader opened before the overwrite still sees all of the old bytes.
  EXPECT_EQ(ReadAll(*reader->content), "old-content");
  EXPECT_EQ(Read("f"), "new");
  EXPECT_EQ(Stored(), (StorageCensus{0, 8192})) << "the old bytes stay while read";
  reader = Error{Errc::kNotFound, "closed"};
  EXPECT_EQ(Stored(), (StorageCensus{0, 4096})) << "and go with the last reader";
}

TEST_F(FileStoreTest, UncommittedUploadsLeaveNothing) {
  {
    auto w = store_->BeginUpload(1 << 20);
    ASSERT_TRUE((*w)->Write("abandoned").ok());
    EXPECT_EQ(CountFiles("tmp"), 0u) << "a small blob stays in memory";
    ASSERT_TRUE((*w)->Write(std::string(300 << 10, 'a')).ok());
    EXPECT_EQ(CountFiles("tmp"), 1u) << "a large one goes to a temp file";
  }
  EXPECT_EQ(CountFiles("tmp"), 0u);
  for (const size_t size : {size_t{22}, size_t{300} << 10}) {
    {
      auto w = store_->BeginUpload(1 << 20);
      ASSERT_TRUE((*w)->Write(std::string(size, 's')).ok());
      auto sealed = store_->Seal(std::move(*w));
      ASSERT_TRUE(sealed.ok());
      EXPECT_NE(Stored(), StorageCensus{}) << size;
    }
    EXPECT_EQ(Stored(), StorageCensus{}) << "sealed but never named: " << size;
  }
  // A commit that fails (a folder stands at the path) removes its blob too.
  ASSERT_TRUE(store_->CreateFolder("taken").ok());
  auto c = Put("taken", "x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::kConflict);
  EXPECT_EQ(Stored(), StorageCensus{});
}

TEST_F(FileStoreTest, SizeLimitIsEnforcedWhileStreaming) {
  auto w = store_->BeginUpload(10);
  ASSERT_TRUE((*w)->Write("0123456789").ok());
  auto st = (*w)->Write("x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kPayloadTooLarge);
}

TEST_F(FileStoreTest, RecoveryRemovesTempFilesOrphansAndDanglingRows) {
  ReopenWithoutSegments();
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
  ReopenWithoutSegments();
  EXPECT_EQ(store_->recovery().removed_temp_files, 1u);
  EXPECT_EQ(store_->recovery().removed_orphan_blobs, 1u);
  EXPECT_EQ(store_->recovery().removed_dangling_rows, 1u);
  EXPECT_EQ(Read("keep"), "kept");
  EXPECT_EQ(store_->Stat("lose-blob").error().code, Errc::kNotFound);
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(CountFiles("blobs"), 1u);
}

// Small blobs live in segments: a crash can leave bytes appended that no row names (the
// group never committed), and a hand-truncated segment leaves rows whose bytes are gone.
TEST_F(FileStoreTest, RecoveryGivesBackUnnamedSegmentBytesAndDropsRowsPastTheEnd) {
  ASSERT_TRUE(Put("keep", "kept").ok());
  ASSERT_TRUE(Put("tail", std::string(5000, 't')).ok());
  const StorageCensus committed = Stored();
  EXPECT_EQ(committed, (StorageCensus{0, 4096 + 8192}));
  store_.reset();
  const fs::path segment = *fs::directory_iterator(dir_ / "segments");
  {
    // Bytes after the last blob, as an append whose group never committed leaves them.
    std::ofstream(segment, std::ios::app) << std::string(100 << 10, 'o');
  }
  EXPECT_GT(Stored().segment_bytes, committed.segment_bytes);
  Reopen();
  EXPECT_EQ(store_->recovery().reclaimed_segment_ranges, 1u);
  EXPECT_EQ(store_->recovery().removed_dangling_rows, 0u);
  EXPECT_EQ(Stored(), committed);
  EXPECT_EQ(Read("keep"), "kept");
  EXPECT_EQ(Read("tail"), std::string(5000, 't'));

  // A clean restart has nothing to give back; appends go to a new segment.
  Reopen();
  EXPECT_EQ(store_->recovery().reclaimed_segment_ranges, 0u);
  ASSERT_TRUE(Put("later", "l").ok());
  size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "segments")) segments += e.is_regular_file();
  EXPECT_EQ(segments, 2u);

  // The first segment cut short: "tail" is gone, "keep" and "later" stay.
  store_.reset();
  fs::resize_file(segment, 4096 + 100);
  Reopen();
  EXPECT_EQ(store_->recovery().removed_dangling_rows, 1u);
  EXPECT_EQ(store_->Stat("tail").error().code, Errc::kNotFound);
  EXPECT_EQ(Read("keep"), "kept");
  EXPECT_EQ(Read("later"), "l");

  // Deleting every file of a segment punches it empty; the next start removes it.
  ASSERT_TRUE(store_->Delete("keep").ok());
  Reopen();
  EXPECT_FALSE(fs::exists(segment));
  EXPECT_EQ(Read("later"), "l");

  // segments/ gone while rows name it (an unmounted volume?): refuse, delete nothing.
  store_.reset();
  fs::rename(dir_ / "segments", dir_ / "segments.aside");
  auto missing = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("lists 1 files stored there"), std::string::npos)
      << missing.error().message;
  fs::remove_all(dir_ / "segments");
  fs::rename(dir_ / "segments.aside", dir_ / "segments");
  Reopen();
  EXPECT_EQ(Read("later"), "l");
}

// A segment blob removed while a reader holds it keeps its bytes until the reader lets go,
// and a reader that raced with the removal reads the row again rather than the hole.
TEST_F(FileStoreTest, RemovedSegmentBlobStaysReadableWhileHeld) {
  ASSERT_TRUE(Put("a", "alpha").ok());
  ASSERT_TRUE(Put("b", "bravo").ok());
  auto held = store_->OpenPath("a");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(store_->Delete("a").ok());
  EXPECT_EQ(Stored(), (StorageCensus{0, 8192}));
  EXPECT_EQ(ReadAll(*held->content), "alpha");
  held = Error{Errc::kNotFound, "closed"};
  EXPECT_EQ(Stored(), (StorageCensus{0, 4096}));
  EXPECT_EQ(Read("b"), "bravo") << "the neighbour's bytes are untouched";
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
  for (int i = 0; i < 4 && st.ok(); ++i) st = (*w)->Write(chunk);
  Result<std::unique_ptr<SealedUpload>> sealed =
      st.ok() ? store_->Seal(std::move(*w)) : Result<std::unique_ptr<SealedUpload>>(st.error());
  ::setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().code, Errc::kInsufficientStorage);
  w = store_->BeginUpload(1);  // drops the failed writer
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(FileStoreTest, SecondStoreOnTheSameFolderIsRefusedAndTouchesNothing) {
  ASSERT_TRUE(Put("a", "first").ok());
  auto in_flight = store_->BeginUpload(1 << 20);
  ASSERT_TRUE(in_flight.ok());
  ASSERT_TRUE((*in_flight)->Write(std::string(300 << 10, 'u')).ok());  // past memory: a temp file
  ASSERT_EQ(CountFiles("tmp"), 1u);

  auto second = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kUnavailable);
  EXPECT_NE(second.error().message.find("is in use by another file-service (pid " +
                                        std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  EXPECT_EQ(CountFiles("tmp"), 1u) << "the second store's recovery ran";
  EXPECT_EQ(Read("a"), "first");
}

TEST_F(FileStoreTest, LockIsReleasedWhenTheStoreCloses) {
  store_.reset();
  auto again = FileStore::Open({dir_.string(), 1});
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(FileStoreTest, UnlistableBlobFolderAbortsRecoveryAndDeletesNothing) {
  ReopenWithoutSegments();
  ASSERT_TRUE(Put("d/one", "1").ok());
  ASSERT_TRUE(Put("d/two", "2").ok());
  store_.reset();
  const fs::path blobs = dir_ / "blobs";
  const fs::path aside = dir_ / "blobs.aside";
  fs::rename(blobs, aside);
  std::ofstream(dir_ / "tmp" / "inflight.part") << "partial";

  // Root is not stopped by permissions, so make the folder unlistable by
  // what it is: a regular file, then a dangling symlink.
  std::ofstream(blobs) << "not a folder";
  auto as_file = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(as_file.ok());
  EXPECT_NE(as_file.error().message.find("nothing was deleted"), std::string::npos)
      << as_file.error().message;
  fs::remove(blobs);
  fs::create_directory_symlink(dir_ / "no-such-volume", blobs);
  auto dangling = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(dangling.ok());
  fs::remove(blobs);

  // Missing entirely while rows exist: refuse, rather than drop the rows.
  auto missing = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("lists 2 files"), std::string::npos)
      << missing.error().message;
  EXPECT_FALSE(fs::exists(blobs)) << "a missing blobs/ must not be recreated over rows";

  // A blob's own folder unreadable (a file where blobs/xx should be).
  fs::rename(aside, blobs);
  const fs::path sub = *fs::directory_iterator(blobs);
  const fs::path sub_aside = dir_ / "sub.aside";
  fs::rename(sub, sub_aside);
  std::ofstream(sub) << "not a folder";
  auto sub_file = FileStore::Open({dir_.string(), 1});
  ASSERT_FALSE(sub_file.ok());
  fs::remove(sub);
  fs::rename(sub_aside, sub);

  EXPECT_EQ(CountFiles("tmp"), 1u);
  ReopenWithoutSegments();  // restored: everything is still there
  EXPECT_EQ(store_->recovery().removed_dangling_rows, 0u);
  EXPECT_EQ(store_->recovery().removed_orphan_blobs, 0u);
  EXPECT_EQ(Read("d/one"), "1");
  EXPECT_EQ(Read("d/two"), "2");
}

TEST_F(FileStoreTest, FreshFolderWithoutBlobsStarts) {
  store_.reset();
  fs::remove_all(dir_);
  Reopen();
  EXPECT_TRUE(fs::is_directory(dir_ / "blobs"));
  ASSERT_TRUE(Put("x", "y").ok());
}

bool FailingRandom(unsigned char*, size_t) {
  return false;
}
bool ConstantRandom(unsigned char* out, size_t size) {
  std::memset(out, 0x5a, size);
  return true;
}

TEST_F(FileStoreTest, FailingRandomSourceIsAnError) {
  FileStore::Options options;
  options.random = &FailingRandom;
  ReopenWith(options);
  auto w = store_->BeginUpload(1 << 20);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, Errc::kInternal);
  EXPECT_NE(w.error().message.find("RAND_bytes"), std::string::npos);
  EXPECT_EQ(CountFiles("tmp"), 0u);
  EXPECT_EQ(Stored(), StorageCensus{});
}

TEST_F(FileStoreTest, PublishNeverReplacesAnExistingBlob) {
  // Every id the same: the second upload's blob would land on the first's.
  FileStore::Options options;
  options.random = &ConstantRandom;
  options.segment_blob_bytes = 0;  // file blobs: segment ids are not random
  ReopenWith(options);
  ASSERT_TRUE(Put("first", "original bytes").ok());
  auto second = Put("second", "intruder");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::kInternal);
  EXPECT_EQ(Read("first"), "original bytes");
  EXPECT_EQ(store_->Stat("second").error().code, Errc::kNotFound);
  EXPECT_EQ(CountFiles("blobs"), 1u);
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(FileStoreTest, CommitAllIsAllOrNothing) {
  ASSERT_TRUE(store_->CreateFolder("taken").ok());
  ASSERT_TRUE(Put("keep", "old").ok());
  auto batch = [&](std::vector<std::pair<std::string, std::string>> files) {
    std::vector<FileStore::Staged> staged;
    for (auto& [path, content] : files) {
      auto blob = Stage(content);
      EXPECT_TRUE(blob.ok());
      staged.push_back(FileStore::Staged{std::move(*blob), path, "text/plain"});
    }
    return store_->CommitAll(std::move(staged));
  };
  // The second entry conflicts with a folder: the first must not stay.
  auto conflict = batch({{"keep", "new"}, {"first.txt", "1"}, {"taken", "2"}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, Errc::kConflict);
  EXPECT_EQ(store_->Stat("first.txt").error().code, Errc::kNotFound);
  EXPECT_EQ(Read("keep"), "old");
  EXPECT_EQ(Stored(), (StorageCensus{0, 4096})) << "a staged blob outlived its failed batch";

  auto dup = batch({{"d/x", "1"}, {"d/x", "2"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(store_->Stat("d/x").error().code, Errc::kNotFound);
  EXPECT_EQ(Stored(), (StorageCensus{0, 4096}));

  auto file_then_child = batch({{"f", "1"}, {"f/child", "2"}});
  ASSERT_FALSE(file_then_child.ok());
  EXPECT_EQ(file_then_child.error().code, Errc::kConflict);
  EXPECT_EQ(store_->Stat("f").error().code, Errc::kNotFound);
  EXPECT_EQ(Stored(), (StorageCensus{0, 4096}));

  auto ok = batch({{"keep", "new"}, {"b/one", "1"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_FALSE((*ok)[0].created);
  EXPECT_TRUE((*ok)[1].created);
  EXPECT_EQ((*ok)[1].info.path, "b/one");
  EXPECT_EQ(Read("keep"), "new");
  EXPECT_EQ(Read("b/one"), "1");
  EXPECT_EQ(Stored(), (StorageCensus{0, 8192}));
  EXPECT_TRUE(batch({})->empty());
}

TEST_F(FileStoreTest, ReserveRefusesUploadsAndNewFoldersButNotDeletes) {
  ASSERT_TRUE(Put("f", "x").ok());
  ASSERT_TRUE(store_->CreateFolder("old").ok());
  FileStore::Options options;
  options.disk_reserve_bytes = uint64_t{1} << 60;  // more than any disk has
  ReopenWith(options);
  auto space = store_->Space();
  ASSERT_TRUE(space.has_value());
  EXPECT_GT(space->free_bytes, 0u);
  EXPECT_FALSE(space->reserve_met());
  auto w = store_->BeginUpload(1 << 20);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, Errc::kInsufficientStorage);
  auto folder = store_->CreateFolder("new");
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error().code, Errc::kInsufficientStorage);
  EXPECT_FALSE(*store_->CreateFolder("old"));  // already there: still fine
  EXPECT_TRUE(store_->Delete("f").ok());
  EXPECT_TRUE(AllReady()) << "below the reserve is still ready";
}

TEST_F(FileStoreTest, RunningUploadStopsBeforeEatingTheReserve) {
  auto space = store_->Space();
  ASSERT_TRUE(space.has_value());
  const uint64_t room = 3 * BlobStore::kSpaceCheckInterval;
  FileStore::Options options;
  options.disk_reserve_bytes = space->free_bytes - room;
  ReopenWith(options);
  auto w = store_->BeginUpload(uint64_t{1} << 30);
  ASSERT_TRUE(w.ok()) << w.error().message;
  // Declared larger than the room: refused before a byte is written.
  auto declared = store_->BeginUpload(uint64_t{1} << 30, 2 * room);
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.error().code, Errc::kInsufficientStorage);
  const std::string chunk(64 * 1024, 'r');
  Status st = OkStatus();
  uint64_t written = 0;
  while (st.ok() && written < 4 * room) {
    st = (*w)->Write(chunk);
    written += chunk.size();
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kInsufficientStorage);
  EXPECT_LE(written, room + BlobStore::kSpaceCheckInterval);
}

TEST_F(FileStoreTest, HealthCheckWritesNothing) {
  const auto before = fs::last_write_time(dir_ / "tmp");
  ::usleep(20 * 1000);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AllReady());
  EXPECT_EQ(fs::last_write_time(dir_ / "tmp"), before);
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(FileStoreTest, ClosingRemovesCutOffUploads) {
  auto w = store_->BeginUpload(1 << 20);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(std::string(300 << 10, 'c')).ok());  // past memory: a temp file
  ASSERT_EQ(CountFiles("tmp"), 1u);
  store_.reset();  // the writer outlives the store, as a stuck handler would
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

}  // namespace
}  // namespace fsvc

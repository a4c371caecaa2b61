#include "storage/metadata_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace fsvc {
namespace {

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fsvc-meta-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto s = MetadataStore::Open((dir_ / "m.db").string(), 2);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  FileRecord Rec(std::string path, std::string blob) {
    FileRecord r;
    r.path = std::move(path);
    r.blob_id = std::move(blob);
    r.size = 3;
    r.sha256 = "abc";
    r.content_type = "text/plain";
    r.created_ms = r.modified_ms = NowMillis();
    return r;
  }
  std::filesystem::path dir_;
  std::unique_ptr<MetadataStore> store_;
};

// A group of batches shares one transaction, yet each stays all or nothing
// on its own: the conflicting batch fails alone, the others commit.
TEST_F(MetadataStoreTest, BatchesOfAGroupFailAlone) {
  ASSERT_TRUE(store_->PutFile(Rec("taken", "b0")).ok());
  std::vector<PutBatch> batches(3);
  batches[0].records.push_back(Rec("g/one", "b1"));
  batches[1].records.push_back(Rec("g/two", "b2"));
  batches[1].records.push_back(Rec("taken/under-a-file", "b3"));  // a file, not a folder
  batches[2].records.push_back(Rec("g/three", "b4"));
  auto results = store_->PutBatches(std::move(batches));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code, Errc::kConflict);
  EXPECT_TRUE(results[2].ok());
  EXPECT_TRUE(store_->GetFile("g/one").ok());
  EXPECT_TRUE(store_->GetFile("g/three").ok());
  EXPECT_EQ(store_->GetFile("g/two").error().code, Errc::kNotFound);  // rolled back with its batch
}

TEST_F(MetadataStoreTest, PutCreatesAncestorsAndOverwriteKeepsId) {
  auto first = store_->PutFile(Rec("a/b/c.txt", "blob1"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->replaced_blob.has_value());
  EXPECT_TRUE(*store_->FolderExists("a"));
  EXPECT_TRUE(*store_->FolderExists("a/b"));

  auto second = store_->PutFile(Rec("a/b/c.txt", "blob2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->replaced_blob.value(), "blob1");
  EXPECT_EQ(second->record.id, first->record.id);
  EXPECT_EQ(store_->GetFile("a/b/c.txt")->blob_id, "blob2");
  EXPECT_EQ(store_->GetFileById(first->record.id)->path, "a/b/c.txt");
}

TEST_F(MetadataStoreTest, FileAndFolderCannotShareAPath) {
  ASSERT_TRUE(store_->PutFile(Rec("x/y", "b1")).ok());
  auto under_file = store_->PutFile(Rec("x/y/z", "b2"));
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().code, Errc::kConflict);
  auto onto_folder = store_->PutFile(Rec("x", "b3"));
  ASSERT_FALSE(onto_folder.ok());
  EXPECT_EQ(onto_folder.error().code, Errc::kConflict);
  EXPECT_EQ(store_->CreateFolder("x/y").error().code, Errc::kConflict);
  // The failed transactions left nothing behind.
  EXPECT_EQ(store_->AllBlobIds()->size(), 1u);
}

TEST_F(MetadataStoreTest, ListPagesByNameAndFoldersByParent) {
  for (const char* n : {"d", "b", "a", "c", "e"}) {
    ASSERT_TRUE(store_->PutFile(Rec(std::string("f/") + n, std::string("blob-") + n)).ok());
  }
  ASSERT_TRUE(store_->PutFile(Rec("f/sub/deep", "blob-deep")).ok());
  auto page1 = store_->ListFiles("f", "", 2);
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].path, "f/a");
  EXPECT_EQ((*page1)[1].path, "f/b");
  auto page2 = store_->ListFiles("f", "b", 10);
  ASSERT_EQ(page2->size(), 3u);  // c, d, e: the file in f/sub is not listed here
  EXPECT_EQ((*page2)[2].path, "f/e");
  auto folders = store_->ListFolders("", "", 10);
  ASSERT_EQ(folders->size(), 1u);
  EXPECT_EQ((*folders)[0].path, "f");
  EXPECT_EQ(store_->ListFolders("f", "", 10)->at(0).path, "f/sub");
}

TEST_F(MetadataStoreTest, DeleteFolderRemovesSubtreeOnly) {
  ASSERT_TRUE(store_->PutFile(Rec("p/a", "1")).ok());
  ASSERT_TRUE(store_->PutFile(Rec("p/q/b", "2")).ok());
  ASSERT_TRUE(store_->PutFile(Rec("p0/c", "3")).ok());   // sorts right after "p/"
  ASSERT_TRUE(store_->PutFile(Rec("p-x/d", "4")).ok());  // sorts before "p/"
  auto blobs = store_->DeleteFolder("p");
  ASSERT_TRUE(blobs.ok());
  EXPECT_EQ(blobs->size(), 2u);
  EXPECT_FALSE(*store_->FolderExists("p"));
  EXPECT_FALSE(*store_->FolderExists("p/q"));
  EXPECT_TRUE(store_->GetFile("p0/c").ok());
  EXPECT_TRUE(store_->GetFile("p-x/d").ok());
  EXPECT_EQ(store_->DeleteFolder("p").error().code, Errc::kNotFound);
}

TEST_F(MetadataStoreTest, DeleteFileReturnsBlob) {
  ASSERT_TRUE(store_->PutFile(Rec("k", "blob-k")).ok());
  EXPECT_EQ(*store_->DeleteFile("k"), "blob-k");
  EXPECT_EQ(store_->DeleteFile("k").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->GetFile("k").error().code, Errc::kNotFound);
}

TEST_F(MetadataStoreTest, ConcurrentWritersAndReaders) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string p = "c/" + std::to_string(t) + "/" + std::to_string(i);
        EXPECT_TRUE(store_->PutFile(Rec(p, p)).ok());
        EXPECT_TRUE(store_->GetFile(p).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->AllBlobIds()->size(), 200u);
}

TEST_F(MetadataStoreTest, SchemaVersionIsRecordedAndReopenWorks) {
  ASSERT_TRUE(store_->PutFile(Rec("keep", "b")).ok());
  store_.reset();
  auto again = MetadataStore::Open((dir_ / "m.db").string(), 1);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->GetFile("keep").ok());
}

TEST_F(MetadataStoreTest, CorruptDatabaseIsAClearError) {
  store_.reset();
  const auto bad = dir_ / "bad.db";
  FILE* f = std::fopen(bad.c_str(), "w");
  std::fputs("this is not a database, just some text long enough to look like a header......", f);
  std::fclose(f);
  auto s = MetadataStore::Open(bad.string(), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace fsvc

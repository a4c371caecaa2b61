#include "storage/file_store.h"

#include <algorithm>
#include <unordered_set>

#include "storage/path.h"

namespace fsvc {

FileInfo ToFileInfo(const FileRecord& r) {
  return FileInfo{r.id, r.path, r.size, r.sha256, r.content_type, r.created_ms, r.modified_ms};
}

FileStore::FileStore(std::unique_ptr<BlobStore> blobs, std::unique_ptr<MetadataStore> meta)
    : blobs_(std::move(blobs)), meta_(std::move(meta)) {}

Result<std::unique_ptr<FileStore>> FileStore::Open(const Options& options) {
  auto blobs = BlobStore::Open(options.data_dir);
  if (!blobs) return blobs.error();
  auto meta =
      MetadataStore::Open((*blobs)->root() + "/metadata.db", std::max(1, options.read_connections));
  if (!meta) return meta.error();
  auto store = std::make_unique<FileStore>(std::move(*blobs), std::move(*meta));
  if (auto st = store->Recover(); !st) return st.error();
  return store;
}

Status FileStore::Recover() {
  recovery_.removed_temp_files = blobs_->RemoveTempFiles();
  auto referenced = meta_->AllBlobIds();
  if (!referenced) return referenced.error();
  const std::vector<std::string> on_disk = blobs_->ListBlobIds();
  const std::unordered_set<std::string> disk_set(on_disk.begin(), on_disk.end());
  const std::unordered_set<std::string> ref_set(referenced->begin(), referenced->end());

  // Blob without row: the process died after rename, before commit (or
  // after an overwrite's commit, before the old blob's removal).
  for (const auto& id : on_disk) {
    if (!ref_set.count(id)) {
      blobs_->Remove(id);
      ++recovery_.removed_orphan_blobs;
    }
  }
  // Row without blob: only if someone removed files by hand; such a row can
  // never be served, so it goes.
  std::vector<std::string> dangling;
  for (const auto& id : *referenced) {
    if (!disk_set.count(id)) dangling.push_back(id);
  }
  if (!dangling.empty()) {
    if (auto st = meta_->DeleteFilesWithBlobs(dangling); !st) return st;
    recovery_.removed_dangling_rows = dangling.size();
  }
  return OkStatus();
}

Result<FileStore::Committed> FileStore::Commit(PendingBlob blob, const std::string& path,
                                               const std::string& content_type) {
  FileRecord rec;
  rec.path = path;
  rec.blob_id = blob.id();
  rec.size = blob.digest().size;
  rec.sha256 = blob.digest().sha256_hex;
  rec.content_type = content_type;
  rec.created_ms = rec.modified_ms = NowMillis();
  auto put = meta_->PutFile(std::move(rec));
  if (!put) return put.error();  // the pending blob removes itself
  blob.Keep();
  const bool created = !put->replaced_blob.has_value();
  if (put->replaced_blob) {
    blobs_->Remove(*put->replaced_blob);
    NotifyChanged(path);
  }
  return Committed{ToFileInfo(put->record), created};
}

Result<OpenFile> FileStore::OpenRecord(const std::function<Result<FileRecord>()>& lookup) {
  // An overwrite or delete may remove the blob between reading the row and
  // opening the blob; the row read again then names the current content.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto rec = lookup();
    if (!rec) return rec.error();
    auto blob = blobs_->OpenBlob(rec->blob_id);
    if (blob) {
      return OpenFile{ToFileInfo(*rec), std::make_shared<const BlobHandle>(std::move(*blob))};
    }
    if (blob.error().code != Errc::kNotFound) return blob.error();
  }
  return Error{Errc::kUnavailable, "the file is changing too fast to be read; try again"};
}

Result<OpenFile> FileStore::OpenPath(const std::string& path) {
  return OpenRecord([&] { return meta_->GetFile(path); });
}

Result<OpenFile> FileStore::OpenById(int64_t id) {
  return OpenRecord([&] { return meta_->GetFileById(id); });
}

Result<FileInfo> FileStore::Stat(const std::string& path) {
  auto rec = meta_->GetFile(path);
  if (!rec) return rec.error();
  return ToFileInfo(*rec);
}

Status FileStore::Delete(const std::string& path) {
  auto blob = meta_->DeleteFile(path);
  if (!blob) return blob.error();
  blobs_->Remove(*blob);
  NotifyChanged(path);
  return OkStatus();
}

Result<bool> FileStore::CreateFolder(const std::string& path) {
  if (path.empty()) return false;  // the root always exists
  return meta_->CreateFolder(path);
}

Result<size_t> FileStore::DeleteFolder(const std::string& path) {
  if (path.empty()) return Error{Errc::kInvalidArgument, "the root folder cannot be deleted"};
  auto blobs = meta_->DeleteFolder(path);
  if (!blobs) return blobs.error();
  for (const auto& id : *blobs) blobs_->Remove(id);
  // Paths of the removed files are not kept; listeners get the folder prefix.
  NotifyChanged(path + "/");
  return blobs->size();
}

Result<FileList> FileStore::List(const std::string& folder, const std::string& cursor, int limit) {
  auto exists = meta_->FolderExists(folder);
  if (!exists) return exists.error();
  if (!*exists) return Error{Errc::kNotFound, "no folder at '" + folder + "'"};
  // One row more than asked tells whether another page follows.
  auto rows = meta_->ListFiles(folder, cursor, limit + 1);
  if (!rows) return rows.error();
  FileList out;
  const bool more = rows->size() > static_cast<size_t>(limit);
  if (more) rows->pop_back();
  for (const auto& r : *rows) out.files.push_back(ToFileInfo(r));
  if (more) out.next_cursor = std::string(BaseName(out.files.back().path));
  return out;
}

Result<FolderList> FileStore::ListFolders(const std::string& folder, const std::string& cursor,
                                          int limit) {
  auto exists = meta_->FolderExists(folder);
  if (!exists) return exists.error();
  if (!*exists) return Error{Errc::kNotFound, "no folder at '" + folder + "'"};
  const std::string after = cursor.empty() ? std::string() : JoinPath(folder, cursor);
  auto rows = meta_->ListFolders(folder, after, limit + 1);
  if (!rows) return rows.error();
  FolderList out;
  const bool more = rows->size() > static_cast<size_t>(limit);
  if (more) rows->pop_back();
  for (const auto& r : *rows) out.folders.push_back(r.path);
  if (more) out.next_cursor = std::string(BaseName(out.folders.back()));
  return out;
}

Status FileStore::CheckDatabase() {
  return meta_->Ping();
}
Status FileStore::CheckDataDir() {
  return blobs_->CheckWritable();
}

void FileStore::AddChangeListener(std::function<void(std::string_view)> listener) {
  listeners_.push_back(std::move(listener));
}

void FileStore::NotifyChanged(std::string_view path) {
  for (const auto& l : listeners_) l(path);
}

}  // namespace fsvc

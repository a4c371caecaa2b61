#include "storage/s3/s3_storage.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <unordered_set>

#include "storage/path.h"
#include "util/hex.h"

namespace fsvc {
namespace {

constexpr std::string_view kStagingPrefix = "/staging/";
constexpr std::string_view kShaMeta = "sha256";
constexpr std::string_view kCreatedMeta = "created-ms";
// CopyObject's limit; larger uploads would need UploadPartCopy.
constexpr uint64_t kMaxCopyBytes = uint64_t{5} << 30;
constexpr int kDeleteBatch = 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FolderPrefix(const std::string& folder) {
  return folder.empty() ? std::string() : folder + "/";
}

Result<std::string> NewStagingKey() {
  unsigned char id[16];
  if (RAND_bytes(id, sizeof id) != 1) return Error{Errc::kInternal, "RAND_bytes failed"};
  return std::string(kStagingPrefix) + HexEncode(id, sizeof id);
}

FileInfo InfoFromObject(const std::string& path, const s3::ObjectInfo& object) {
  FileInfo info;
  info.path = path;
  info.size = object.size;
  info.content_type = object.content_type;
  info.modified_ms = object.last_modified_ms;
  info.created_ms = object.last_modified_ms;
  if (auto it = object.metadata.find(std::string(kShaMeta)); it != object.metadata.end()) {
    info.sha256 = it->second;
  }
  if (auto it = object.metadata.find(std::string(kCreatedMeta)); it != object.metadata.end()) {
    int64_t created = 0;
    const auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), created);
    if (ec == std::errc() && end == it->second.data() + it->second.size()) {
      info.created_ms = created;
    }
  }
  return info;
}

s3::ListOptions Listing(std::string prefix, std::string delimiter = {}, int max_keys = 1000) {
  s3::ListOptions list;
  list.prefix = std::move(prefix);
  list.delimiter = std::move(delimiter);
  list.max_keys = max_keys;
  return list;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One object version's bytes, fetched as they are read; the ETag pins the
// version, so an overwrite in between fails the read instead of mixing.
class S3Content final : public FileContent {
 public:
  S3Content(s3::Client& client, std::string key, std::string etag, uint64_t size)
      : client_(client), key_(std::move(key)), etag_(std::move(etag)), size_(size) {}
  uint64_t size() const override { return size_; }
  std::optional<LocalRange> local_range() const override { return std::nullopt; }
  Status Read(uint64_t offset, uint64_t length, const ByteSink& sink) const override {
    if (length == 0) return OkStatus();
    s3::ObjectSink into{nullptr, sink};
    auto got = client_.GetObject(key_, into, s3::ByteRange{offset, offset + length - 1}, etag_);
    if (!got) return got.error();
    return OkStatus();
  }

 private:
  s3::Client& client_;
  const std::string key_;
  const std::string etag_;
  const uint64_t size_;
};

// An upload that fits in one part, read back from memory.
class MemoryContent final : public FileContent {
 public:
  explicit MemoryContent(const std::string& bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::optional<LocalRange> local_range() const override { return std::nullopt; }
  Status Read(uint64_t offset, uint64_t length, const ByteSink& sink) const override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) {
      return Error{Errc::kInternal, "read past the end of an upload"};
    }
    return sink(std::string_view(bytes_).substr(offset, length));
  }

 private:
  const std::string& bytes_;
};

class S3Sealed final : public SealedUpload {
 public:
  // Small: `bytes` holds the whole upload. Staged: `staging_key` names the
  // completed object (removed when this goes).
  S3Sealed(s3::Client& client, std::string bytes, std::string staging_key, std::string etag,
           uint64_t size, std::string sha256)
      : client_(client),
        bytes_(std::move(bytes)),
        staging_key_(std::move(staging_key)),
        etag_(std::move(etag)),
        size_(size),
        sha256_(std::move(sha256)) {}
  ~S3Sealed() override {
    if (!staging_key_.empty()) (void)client_.DeleteObject(staging_key_);
  }
  uint64_t size() const override { return size_; }
  const std::string& sha256_hex() const override { return sha256_; }
  Result<std::shared_ptr<const FileContent>> Open() const override {
    if (staging_key_.empty()) {
      return std::shared_ptr<const FileContent>(std::make_shared<MemoryContent>(bytes_));
    }
    return std::shared_ptr<const FileContent>(
        std::make_shared<S3Content>(client_, staging_key_, etag_, size_));
  }
  bool staged() const { return !staging_key_.empty(); }
  const std::string& bytes() const { return bytes_; }
  const std::string& staging_key() const { return staging_key_; }

 private:
  s3::Client& client_;
  const std::string bytes_;
  const std::string staging_key_;
  const std::string etag_;
  const uint64_t size_;
  const std::string sha256_;
};

class S3Upload final : public UploadWriter {
 public:
  S3Upload(s3::Client& client, uint64_t max_bytes, uint64_t part_bytes,
           std::unique_ptr<EVP_MD_CTX, MdCtxFree> sha)
      : client_(client), max_bytes_(max_bytes), part_bytes_(part_bytes), sha_(std::move(sha)) {}
  ~S3Upload() override {
    if (!upload_id_.empty()) (void)client_.AbortMultipartUpload(key_, upload_id_);
  }

  Status Write(std::string_view data) override {
    if (!failed_.ok()) return failed_;
    if (data.size() > max_bytes_ - size_) {
      return Error{Errc::kPayloadTooLarge,
                   "the upload is larger than " + std::to_string(max_bytes_) + " bytes" +
                       (max_bytes_ == kMaxCopyBytes ? " (the s3 backend's largest file)" : "")};
    }
    size_ += data.size();
    EVP_DigestUpdate(sha_.get(), data.data(), data.size());
    buffer_.append(data);
    while (buffer_.size() > part_bytes_) {
      if (auto st = SendPart(std::string_view(buffer_).substr(0, part_bytes_)); !st) {
        failed_ = st;
        return st;
      }
      buffer_.erase(0, part_bytes_);
    }
    return OkStatus();
  }
  uint64_t size() const override { return size_; }

  Result<std::unique_ptr<SealedUpload>> Seal() {
    if (!failed_.ok()) return failed_.error();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(sha_.get(), md, &len);
    std::string sha = HexEncode(md, len);
    if (upload_id_.empty()) {
      return std::unique_ptr<SealedUpload>(std::make_unique<S3Sealed>(
          client_, std::move(buffer_), std::string(), std::string(), size_, std::move(sha)));
    }
    if (!buffer_.empty()) {
      if (auto st = SendPart(buffer_); !st) return st.error();
    }
    auto etag = client_.CompleteMultipartUpload(key_, upload_id_, std::move(parts_));
    if (!etag) return etag.error();
    upload_id_.clear();  // completed: nothing to abort
    return std::unique_ptr<SealedUpload>(std::make_unique<S3Sealed>(
        client_, std::string(), std::move(key_), std::move(*etag), size_, std::move(sha)));
  }

 private:
  Status SendPart(std::string_view part) {
    if (upload_id_.empty()) {
      auto key = NewStagingKey();
      if (!key) return key.error();
      auto id = client_.CreateMultipartUpload(*key);
      if (!id) return id.error();
      key_ = std::move(*key);
      upload_id_ = std::move(*id);
    }
    const int number = static_cast<int>(parts_.size()) + 1;
    auto etag = client_.UploadPart(key_, upload_id_, number, part);
    if (!etag) return etag.error();
    parts_.push_back({number, std::move(*etag)});
    return OkStatus();
  }

  s3::Client& client_;
  const uint64_t max_bytes_;
  const uint64_t part_bytes_;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> sha_;
  std::string buffer_;
  uint64_t size_ = 0;
  Status failed_ = OkStatus();
  std::string key_;  // the staging key, once the first part went
  std::string upload_id_;
  std::vector<s3::CompletedPart> parts_;
};

}  // namespace

S3Storage::S3Storage(std::unique_ptr<s3::Client> client, S3StorageOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

S3Storage::~S3Storage() = default;

Result<std::unique_ptr<S3Storage>> S3Storage::Open(const S3StorageOptions& options) {
  if (options.part_bytes < (uint64_t{5} << 20) || options.part_bytes > kMaxCopyBytes) {
    return Error{Errc::kInvalidArgument, "S3 part size must be 5 MiB to 5 GiB"};
  }
  auto client = s3::Client::Create(options.s3);
  if (!client) return client.error();
  return std::make_unique<S3Storage>(std::move(*client), options);
}

Result<std::unique_ptr<UploadWriter>> S3Storage::BeginUpload(uint64_t max_bytes, uint64_t) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> sha(EVP_MD_CTX_new());
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1) {
    return Error{Errc::kInternal, "SHA-256 is not available"};
  }
  return std::unique_ptr<UploadWriter>(std::make_unique<S3Upload>(
      *client_, std::min(max_bytes, kMaxCopyBytes), options_.part_bytes, std::move(sha)));
}

Result<std::unique_ptr<SealedUpload>> S3Storage::Seal(std::unique_ptr<UploadWriter> upload) {
  return dynamic_cast<S3Upload&>(*upload).Seal();
}

Result<std::optional<FileInfo>> S3Storage::Current(const std::string& path) {
  auto head = client_->HeadObject(path);
  if (head) return std::optional<FileInfo>(InfoFromObject(path, *head));
  if (head.error().code == Errc::kNotFound) return std::optional<FileInfo>();
  return head.error();
}

Result<bool> S3Storage::FolderExists(const std::string& folder) {
  if (folder.empty()) return true;
  auto page = client_->ListObjectsV2(Listing(folder + "/", {}, 1));
  if (!page) return page.error();
  return !page->objects.empty();
}

Status S3Storage::CheckFileSlot(const std::string& path) {
  auto folder = FolderExists(path);
  if (!folder) return folder.error();
  if (*folder) return Error{Errc::kConflict, "a folder exists at '" + path + "'"};
  for (std::string_view parent = ParentFolder(path); !parent.empty();
       parent = ParentFolder(parent)) {
    auto file = Current(std::string(parent));
    if (!file) return file.error();
    if (*file) return Error{Errc::kConflict, "'" + std::string(parent) + "' is a file"};
  }
  return OkStatus();
}

Result<Storage::Committed> S3Storage::Commit(Staged staged, const FileGuard& guard) {
  if (auto st = CheckFileSlot(staged.path); !st) return st.error();
  return Write(staged, guard);
}

Result<Storage::Committed> S3Storage::Write(Staged& staged, const FileGuard& guard) {
  auto& sealed = dynamic_cast<S3Sealed&>(*staged.upload);
  auto current = Current(staged.path);
  if (!current) return current.error();
  if (guard) {
    if (auto st = guard(*current ? &**current : nullptr); !st) return st.error();
  }
  const int64_t now = NowMs();
  const int64_t created = *current ? (*current)->created_ms : now;
  s3::PutOptions put{staged.content_type,
                     {{std::string(kShaMeta), sealed.sha256_hex()},
                      {std::string(kCreatedMeta), std::to_string(created)}},
                     // Only a write that found no file asks S3 to keep it so:
                     // a guard saw "none" (If-None-Match: *) and S3 holds that exactly.
                     guard != nullptr && !*current};
  auto etag = sealed.staged() ? client_->CopyObject(sealed.staging_key(), staged.path, put)
                              : client_->PutObject(staged.path, sealed.bytes(), put);
  if (!etag) {
    if (etag.error().code == Errc::kPreconditionFailed) {
      return Error{Errc::kPreconditionFailed, "precondition failed: a file was created there"};
    }
    return etag.error();
  }
  if (*current) NotifyChanged(staged.path);
  FileInfo info{0,       staged.path, sealed.size(), sealed.sha256_hex(), staged.content_type,
                created, now};
  return Committed{std::move(info), !*current};
}

Result<std::vector<Storage::Committed>> S3Storage::CommitAll(std::vector<Staged> staged) {
  std::unordered_set<std::string_view> seen;
  for (const auto& s : staged) {
    if (!seen.insert(s.path).second) {
      return Error{Errc::kInvalidArgument, "'" + s.path + "' appears more than once in the batch"};
    }
  }
  for (const auto& s : staged) {
    for (std::string_view parent = ParentFolder(s.path); !parent.empty();
         parent = ParentFolder(parent)) {
      if (seen.count(parent)) {
        return Error{Errc::kConflict,
                     "'" + std::string(parent) + "' is both a file and a folder in the batch"};
      }
    }
    if (auto st = CheckFileSlot(s.path); !st) return st.error();
  }
  std::vector<Committed> out;
  for (auto& s : staged) {
    auto done = Write(s, nullptr);
    if (!done) {
      if (out.empty()) return done.error();
      std::string stored;
      for (const auto& c : out) stored += (stored.empty() ? "'" : ", '") + c.info.path + "'";
      return Error{done.error().code, done.error().message + "; the batch is not atomic on s3: " +
                                          std::to_string(out.size()) + " of " +
                                          std::to_string(staged.size()) +
                                          " files were stored before this (" + stored + ")"};
    }
    out.push_back(std::move(*done));
  }
  return out;
}

Result<OpenFile> S3Storage::OpenPath(const std::string& path) {
  auto head = client_->HeadObject(path);
  if (!head) {
    if (head.error().code == Errc::kNotFound) {
      return Error{Errc::kNotFound, "no file at '" + path + "'"};
    }
    return head.error();
  }
  OpenFile out{InfoFromObject(path, *head),
               std::make_shared<S3Content>(*client_, path, head->etag, head->size)};
  return out;
}

Result<FileInfo> S3Storage::Stat(const std::string& path) {
  auto current = Current(path);
  if (!current) return current.error();
  if (!*current) return Error{Errc::kNotFound, "no file at '" + path + "'"};
  return std::move(**current);
}

Status S3Storage::Delete(const std::string& path, const FileGuard& guard) {
  auto current = Current(path);
  if (!current) return current.error();
  if (!*current) return Error{Errc::kNotFound, "no file at '" + path + "'"};
  if (guard) {
    if (auto st = guard(&**current); !st) return st;
  }
  if (auto st = client_->DeleteObject(path); !st) return st;
  NotifyChanged(path);
  return KeepFolder(ParentFolder(path));
}

Result<bool> S3Storage::CreateFolder(const std::string& path) {
  if (path.empty()) return false;
  auto exists = FolderExists(path);
  if (!exists) return exists.error();
  if (*exists) return false;
  for (std::string_view at = path; !at.empty(); at = ParentFolder(at)) {
    auto file = Current(std::string(at));
    if (!file) return file.error();
    if (*file) return Error{Errc::kConflict, "'" + std::string(at) + "' is a file"};
  }
  s3::PutOptions marker;
  marker.if_none_match = true;
  auto put = client_->PutObject(path + "/", "", marker);
  if (!put && put.error().code == Errc::kPreconditionFailed) return false;  // a replica won
  if (!put) return put.error();
  return true;
}

Status S3Storage::KeepFolder(std::string_view folder) {
  if (folder.empty()) return OkStatus();
  auto put = client_->PutObject(std::string(folder) + "/", "");
  if (!put) return put.error();
  return OkStatus();
}

Result<std::vector<std::string>> S3Storage::KeysUnder(const std::string& prefix) {
  std::vector<std::string> keys;
  s3::ListOptions list = Listing(prefix);
  for (;;) {
    auto page = client_->ListObjectsV2(list);
    if (!page) return page.error();
    for (auto& o : page->objects) keys.push_back(std::move(o.key));
    if (page->next_token.empty()) return keys;
    list.continuation_token = std::move(page->next_token);
  }
}

Status S3Storage::DeleteKeys(const std::vector<std::string>& keys) {
  for (size_t at = 0; at < keys.size(); at += kDeleteBatch) {
    const std::vector<std::string> batch(
        keys.begin() + static_cast<std::ptrdiff_t>(at),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), at + kDeleteBatch)));
    auto results = client_->DeleteObjects(batch);
    if (!results) return results.error();
    for (const auto& r : *results) {
      if (!r.status.ok()) return r.status;
    }
  }
  return OkStatus();
}

Result<size_t> S3Storage::DeleteFolder(const std::string& path) {
  if (path.empty()) return Error{Errc::kInvalidArgument, "the root folder cannot be deleted"};
  auto keys = KeysUnder(path + "/");
  if (!keys) return keys.error();
  if (keys->empty()) return Error{Errc::kNotFound, "no folder at '" + path + "'"};
  const size_t files = static_cast<size_t>(std::count_if(
      keys->begin(), keys->end(), [](const std::string& k) { return k.back() != '/'; }));
  const Status deleted = DeleteKeys(*keys);
  NotifyChanged(path + "/");  // some may be gone even when the rest failed
  if (!deleted) return deleted.error();
  if (auto st = KeepFolder(ParentFolder(path)); !st) return st.error();
  return files;
}

Result<MoveOutcome> S3Storage::Move(const std::string& from, const std::string& to, bool replace) {
  if (from == to) return Error{Errc::kInvalidArgument, "'from' and 'to' are the same"};
  if (from.starts_with(to + "/")) {
    return Error{Errc::kInvalidArgument, "'" + to + "' is a folder above '" + from + "'"};
  }
  auto file = Current(from);
  if (!file) return file.error();
  if (!*file) return MoveFolder(from, to, replace);
  auto target = Current(to);
  if (!target) return target.error();
  if (*target && !replace) return Error{Errc::kConflict, "'" + to + "' exists"};
  if (auto st = CheckFileSlot(to); !st) return st.error();
  if (auto copied = client_->CopyObject(from, to); !copied) return copied.error();
  if (auto st = client_->DeleteObject(from); !st) return st.error();
  NotifyChanged(from);
  NotifyChanged(to);
  if (auto st = KeepFolder(ParentFolder(from)); !st) return st.error();
  return MoveOutcome{false, 1, target->has_value()};
}

Result<MoveOutcome> S3Storage::MoveFolder(const std::string& from, const std::string& to,
                                          bool replace) {
  if (from.empty() || to.empty()) {
    return Error{Errc::kInvalidArgument, "the root folder cannot be moved"};
  }
  if (to.starts_with(from + "/")) {
    return Error{Errc::kInvalidArgument, "a folder cannot move into itself"};
  }
  auto keys = KeysUnder(from + "/");
  if (!keys) return keys.error();
  if (keys->empty()) return Error{Errc::kNotFound, "nothing at '" + from + "'"};
  auto target_file = Current(to);
  if (!target_file) return target_file.error();
  auto target_folder = FolderExists(to);
  if (!target_folder) return target_folder.error();
  const bool occupied = target_file->has_value() || *target_folder;
  if (occupied && !replace) return Error{Errc::kConflict, "'" + to + "' exists"};
  if (*target_file) {
    if (auto st = client_->DeleteObject(to); !st) return st.error();
  }
  if (*target_folder) {
    if (auto gone = DeleteFolder(to); !gone) return gone.error();
  }
  size_t files = 0;
  for (const std::string& key : *keys) {
    const std::string moved = to + key.substr(from.size());
    if (key.back() == '/') {
      if (auto put = client_->PutObject(moved, ""); !put) return put.error();
    } else {
      if (auto copied = client_->CopyObject(key, moved); !copied) return copied.error();
      ++files;
    }
  }
  if (auto st = DeleteKeys(*keys); !st) return st.error();
  if (auto st = KeepFolder(ParentFolder(from)); !st) return st.error();
  NotifyChanged(from + "/");
  NotifyChanged(to);
  NotifyChanged(to + "/");
  return MoveOutcome{true, files, occupied};
}

Result<std::vector<s3::ListEntry>> S3Storage::ListChildren(const std::string& folder,
                                                           const std::string& after, int limit,
                                                           bool folders, bool& more) {
  auto exists = FolderExists(folder);
  if (!exists) return exists.error();
  if (!*exists) return Error{Errc::kNotFound, "no folder at '" + folder + "'"};
  const std::string prefix = FolderPrefix(folder);
  s3::ListOptions list = Listing(prefix, "/");
  if (!after.empty()) list.start_after = prefix + after;
  std::vector<s3::ListEntry> out;
  more = false;
  for (;;) {
    list.max_keys = std::min(1000, limit + 1);
    auto page = client_->ListObjectsV2(list);
    if (!page) return page.error();
    std::vector<s3::ListEntry> found;
    if (folders) {
      for (auto& p : page->common_prefixes) {
        // A prefix "/" holds this backend's own keys.
        if (!p.starts_with('/')) found.push_back({p.substr(0, p.size() - 1), 0, {}, 0});
      }
    } else {
      for (auto& o : page->objects) {
        if (o.key != prefix) found.push_back(std::move(o));  // not the folder's marker
      }
    }
    for (auto& entry : found) {
      if (out.size() == static_cast<size_t>(limit)) {
        more = true;
        return out;
      }
      out.push_back(std::move(entry));
    }
    if (page->next_token.empty()) return out;
    list.continuation_token = std::move(page->next_token);
  }
}

Result<FileList> S3Storage::List(const std::string& folder, const std::string& cursor, int limit) {
  bool more = false;
  auto entries = ListChildren(folder, cursor, limit, false, more);
  if (!entries) return entries.error();
  FileList out;
  for (auto& e : *entries) {
    // A listing has the size and the time, but no SHA-256 or content type.
    FileInfo info;
    info.path = std::move(e.key);
    info.size = e.size;
    info.created_ms = info.modified_ms = e.last_modified_ms;
    out.files.push_back(std::move(info));
  }
  if (more) out.next_cursor = std::string(BaseName(out.files.back().path));
  return out;
}

Result<FolderList> S3Storage::ListFolders(const std::string& folder, const std::string& cursor,
                                          int limit) {
  bool more = false;
  // "a0" sorts after every key below "a/" ('0' follows '/'), so a cursor
  // resumes after the whole of the folder it names.
  auto entries = ListChildren(folder, cursor.empty() ? cursor : cursor + "0", limit, true, more);
  if (!entries) return entries.error();
  FolderList out;
  for (auto& e : *entries) out.folders.push_back(std::move(e.key));
  if (more) out.next_cursor = std::string(BaseName(out.folders.back()));
  return out;
}

std::vector<std::pair<std::string, Status>> S3Storage::CheckReady() {
  auto page = client_->ListObjectsV2(Listing({}, {}, 1));
  return {{"bucket", page ? OkStatus() : Status(page.error())}};
}

void S3Storage::AddChangeListener(std::function<void(std::string_view)> listener) {
  listeners_.push_back(std::move(listener));
}

void S3Storage::NotifyChanged(std::string_view path) {
  for (const auto& l : listeners_) l(path);
}

Result<size_t> S3Storage::SweepStale() {
  const int64_t cutoff =
      NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(options_.stale_after).count();
  size_t removed = 0;
  s3::ListUploadsOptions uploads;
  uploads.prefix = std::string(kStagingPrefix);
  for (;;) {
    auto page = client_->ListMultipartUploads(uploads);
    if (!page) return page.error();
    for (const auto& u : page->uploads) {
      if (u.initiated_ms >= cutoff) continue;
      if (auto st = client_->AbortMultipartUpload(u.key, u.upload_id);
          st.ok() || st.error().code == Errc::kNotFound) {
        ++removed;
      }
    }
    if (page->next_key_marker.empty() && page->next_upload_id_marker.empty()) break;
    uploads.key_marker = std::move(page->next_key_marker);
    uploads.upload_id_marker = std::move(page->next_upload_id_marker);
  }
  std::vector<std::string> stale;
  s3::ListOptions list = Listing(std::string(kStagingPrefix));
  for (;;) {
    auto page = client_->ListObjectsV2(list);
    if (!page) return page.error();
    for (auto& o : page->objects) {
      if (o.last_modified_ms < cutoff) stale.push_back(std::move(o.key));
    }
    if (page->next_token.empty()) break;
    list.continuation_token = std::move(page->next_token);
  }
  if (auto st = DeleteKeys(stale); !st) return st.error();
  return removed + stale.size();
}

}  // namespace fsvc

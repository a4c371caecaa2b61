#include "storage/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "observability/request_phases.h"
#include "storage/segment_store.h"
#include "util/hex.h"

namespace fsvc {
namespace {

// Bodies arrive in pieces of any size (a few KiB off a busy socket); once a
// blob has outgrown a segment's limit, one write(2) per 64 KiB keeps
// syscalls off the profile. Before that its bytes stay in memory (at most
// 256 KiB an upload) so that a small blob is written once, into its segment,
// with no temp file to create, rename and sync.
constexpr size_t kWriteBuffer = 64 * 1024;

bool OpenSslRandom(unsigned char* out, size_t size) {
  return RAND_bytes(out, static_cast<int>(size)) == 1;
}

// A failing generator must not yield a predictable (all-zero) name: ids
// are what keeps one upload from landing on another's blob.
Result<std::string> RandomHex(RandomBytesFn random, size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (!random(raw.data(), raw.size())) {
    return Error{Errc::kInternal, "no random bytes for a file name (RAND_bytes failed)"};
  }
  return HexEncode(raw.data(), raw.size());
}

Error IoError(std::string_view what, int err) {
  const Errc code = (err == ENOSPC || err == EDQUOT || err == EFBIG) ? Errc::kInsufficientStorage
                                                                     : Errc::kInternal;
  const std::string msg = code == Errc::kInsufficientStorage
                              ? "not enough storage space to store the file"
                              : std::string(what) + ": " + std::strerror(err);
  return Error{code, msg};
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return IoError("fsync " + dir, errno);
  return OkStatus();
}

Result<DiskSpace> SpaceOf(int fd, const std::string& path, uint64_t reserve) {
  struct statvfs vfs {};
  const int rc = fd >= 0 ? ::fstatvfs(fd, &vfs) : ::statvfs(path.c_str(), &vfs);
  if (rc != 0) return IoError("statvfs " + path, errno);
  return DiskSpace{static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize, reserve};
}

Status ReserveError(uint64_t free_bytes, uint64_t reserve) {
  return Error{Errc::kInsufficientStorage,
               "not enough storage space: " + std::to_string(free_bytes >> 10) + " KiB free, and " +
                   std::to_string(reserve >> 10) + " KiB are kept in reserve"};
}

Status CheckSpace(int fd, const std::string& path, uint64_t reserve, uint64_t needed) {
  if (reserve == 0) return OkStatus();
  auto space = SpaceOf(fd, path, reserve);
  if (!space) return space.error();
  if (space->free_bytes < reserve || space->free_bytes - reserve < needed) {
    return ReserveError(space->free_bytes, reserve);
  }
  return OkStatus();
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// The names in `dir` (not "." or ".."). kNotFound only for ENOENT on `dir`
// itself; every other failure, including one mid-listing, is kInternal, so a
// caller never mistakes an unreadable folder for an empty one.
Result<std::vector<std::string>> ListDir(const std::string& dir) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) {
    const int err = errno;
    if (err == ENOENT) return Error{Errc::kNotFound, dir + " does not exist"};
    return Error{Errc::kInternal, "cannot list " + dir + ": " + std::strerror(err)};
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* e = ::readdir(d.get());
    if (!e) {
      if (errno != 0) {
        return Error{Errc::kInternal, "cannot list " + dir + ": " + std::strerror(errno)};
      }
      return names;
    }
    const std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
}

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

struct BlobWriter::State {
  std::string temp_path;     // created on the first Flush
  bool spilled = false;      // temp_path exists: the blob outgrew a segment's limit
  uint64_t segment_max = 0;  // kept in memory below this; 0: straight to a file
  UniqueFd fd;
  std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter> sha{EVP_MD_CTX_new()};
  std::vector<char> buffer;
  uint64_t size = 0;
  uint64_t max_bytes = 0;
  uint64_t reserve = 0;
  uint64_t flushed = 0;
  uint64_t next_space_check = BlobStore::kSpaceCheckInterval;
  uint64_t written_back = 0;  // bytes handed to write-back; UINT64_MAX: never

  Status Flush() {
    ScopedPhase timed(Phase::kDisk);
    if (!spilled) {
      fd.reset(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (!fd.valid()) return IoError("create temp file", errno);
      spilled = true;
    }
    size_t done = 0;
    while (done < buffer.size()) {
      const ssize_t n = ::write(fd.get(), buffer.data() + done, buffer.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write", errno);
      }
      done += static_cast<size_t>(n);
    }
    flushed += buffer.size();
    buffer.clear();
    if (flushed - written_back >= BlobStore::kWriteBehind && written_back != UINT64_MAX) {
      // Asynchronous: starts the I/O and returns. A failure only means the
      // group's sync has more to do, so it is not an error.
      (void)::sync_file_range(fd.get(), static_cast<off_t>(written_back),
                              static_cast<off_t>(flushed - written_back), SYNC_FILE_RANGE_WRITE);
      written_back = flushed;
    }
    return OkStatus();
  }

  // Called between writes, once per kSpaceCheckInterval (a statvfs per
  // write would show in the profile): fails when the next interval's bytes
  // would take free space below the reserve. The final flush in Publish is
  // not checked: those bytes are already accounted for.
  Status CheckSpaceForMore() {
    if (flushed < next_space_check) return OkStatus();
    next_space_check = flushed + BlobStore::kSpaceCheckInterval;
    return CheckSpace(fd.get(), temp_path, reserve, BlobStore::kSpaceCheckInterval);
  }

  ~State() {
    if (spilled && !temp_path.empty()) ::unlink(temp_path.c_str());
  }
};

BlobWriter::BlobWriter(std::unique_ptr<State> state) : s_(std::move(state)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

uint64_t BlobWriter::size() const {
  return s_->size;
}

Status BlobWriter::Write(std::string_view data) {
  if (data.size() > s_->max_bytes - s_->size) {
    return Error{Errc::kPayloadTooLarge,
                 "upload is larger than the limit of " + std::to_string(s_->max_bytes) + " bytes"};
  }
  EVP_DigestUpdate(s_->sha.get(), data.data(), data.size());
  s_->size += data.size();
  while (!data.empty()) {
    // In memory up to the segment limit; a blob that reaches it goes to a file.
    const size_t full = s_->spilled || s_->segment_max == 0 ? kWriteBuffer : s_->segment_max;
    const size_t take = std::min(full - s_->buffer.size(), data.size());
    s_->buffer.insert(s_->buffer.end(), data.data(), data.data() + take);
    data.remove_prefix(take);
    if (s_->buffer.size() == full) {
      if (auto st = s_->Flush(); !st) return st;
      if (auto st = s_->CheckSpaceForMore(); !st) return st;
    }
  }
  return OkStatus();
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& data_dir,
                                                   BlobStoreOptions options) {
  std::error_code ec;
  const std::string root = std::filesystem::absolute(data_dir, ec).lexically_normal().string();
  for (const char* sub : {"", "/tmp"}) {
    std::filesystem::create_directories(root + sub, ec);
    if (ec) return Error{Errc::kInternal, "cannot create " + root + sub + ": " + ec.message()};
  }
  if (!options.random) options.random = &OpenSslRandom;
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return IoError("open " + root, errno);
  auto segments = SegmentStore::Open(root, options.sync);
  if (!segments) return segments.error();
  return std::make_unique<BlobStore>(root, std::move(root_fd), options, std::move(*segments));
}

BlobStore::BlobStore(std::string root, UniqueFd root_fd, BlobStoreOptions options,
                     std::unique_ptr<SegmentStore> segments)
    : root_(std::move(root)),
      root_fd_(std::move(root_fd)),
      options_(options),
      segments_(std::move(segments)) {}

BlobStore::~BlobStore() = default;

std::string BlobStore::BlobPath(std::string_view id) const {
  std::string p = root_ + "/blobs/";
  p.append(id.substr(0, 2)).append("/").append(id);
  return p;
}

Result<std::string> BlobStore::NewId() const {
  return RandomHex(options_.random, 16);
}

Result<BlobWriter> BlobStore::NewWriter(uint64_t max_bytes, uint64_t declared_size) {
  if (auto st = CheckReserve(declared_size); !st) return st.error();
  auto name = NewId();
  if (!name) return name.error();
  auto s = std::make_unique<BlobWriter::State>();
  s->temp_path = root_ + "/tmp/" + *name + ".part";
  s->max_bytes = max_bytes;
  // A body declared too large for a segment streams to its file from the start.
  s->segment_max = std::min(options_.segment_blob_bytes, SegmentStore::kMaxBlobBytes);
  if (declared_size >= s->segment_max) s->segment_max = 0;
  s->reserve = options_.reserve_bytes;
  if (!options_.sync) s->written_back = UINT64_MAX;
  // A declared small blob needs exactly its size; others grow as they come.
  s->buffer.reserve(declared_size > 0 && declared_size < s->segment_max ? declared_size
                                                                        : kWriteBuffer);
  if (!s->sha || EVP_DigestInit_ex(s->sha.get(), EVP_sha256(), nullptr) != 1) {
    return Error{Errc::kInternal, "cannot initialise SHA-256"};
  }
  return BlobWriter(std::move(s));
}

namespace {

// rename(2) that fails with EEXIST instead of replacing `to`. Filesystems
// without RENAME_NOREPLACE get link()+unlink(), which refuses the same way.
int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return -1;
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  ::unlink(from.c_str());
  return 0;
}

}  // namespace

Result<PendingBlob> BlobStore::Publish(BlobWriter writer) {
  BlobWriter::State& s = *writer.s_;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(s.sha.get(), md, &md_len) != 1) {
    return Error{Errc::kInternal, "SHA-256 failed"};
  }
  BlobDigest digest{s.size, HexEncode(md, md_len)};
  if (!s.spilled && s.segment_max > 0) {
    ScopedPhase timed(Phase::kDisk);
    auto id = segments_->Append({s.buffer.data(), s.buffer.size()});
    if (!id) return id.error();
    return PendingBlob(this, std::move(*id), std::move(digest));
  }
  if (auto st = s.Flush(); !st) return st.error();
  ScopedPhase timed(Phase::kDisk);  // rename, and the folder it may need
  s.fd.reset();

  // Two random 128-bit ids colliding means the generator is broken; one
  // retry covers a freak, a second collision is an error, never an overwrite.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto id = NewId();
    if (!id) return id.error();
    const std::string dir = root_ + "/blobs/" + id->substr(0, 2);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return IoError("mkdir " + dir, errno);
    const std::string target = BlobPath(*id);
    if (RenameNoReplace(s.temp_path, target) != 0) {
      if (errno == EEXIST) continue;
      return IoError("rename", errno);
    }
    s.temp_path.clear();  // published: the destructor must not delete it
    files_unsynced_.store(true, std::memory_order_release);
    return PendingBlob(this, *id, std::move(digest));
  }
  return Error{Errc::kInternal, "a fresh blob id collided twice with an existing blob"};
}

Status BlobStore::SyncAll() {
  if (!options_.sync) return OkStatus();
  ScopedPhase timed(Phase::kDisk);
  if (auto st = segments_->Sync(); !st) return st;
  // Cleared before the sync starts: a file published meanwhile may miss this
  // sync, and its own group's sync will see the flag.
  if (!files_unsynced_.exchange(false, std::memory_order_acq_rel)) return OkStatus();
  // Since Linux 5.8 syncfs reports write-back errors of the filesystem
  // (errseq), so a lost page fails the group instead of passing silently.
  if (::syncfs(root_fd_.get()) != 0) {
    files_unsynced_.store(true, std::memory_order_release);
    return IoError("syncfs " + root_, errno);
  }
  return OkStatus();
}

Result<BlobHandle> BlobStore::OpenBlob(std::string_view id) const {
  ScopedPhase timed(Phase::kDisk);
  if (auto range = ParseSegmentId(id)) return segments_->Read(*range);
  BlobHandle h;
  h.fd = UniqueFd(::open(BlobPath(id).c_str(), O_RDONLY | O_CLOEXEC));
  if (!h.fd.valid()) {
    if (errno == ENOENT) return Error{Errc::kNotFound, "file contents not found"};
    return IoError("open blob", errno);
  }
  struct stat st {};
  if (::fstat(h.fd.get(), &st) != 0) return IoError("fstat", errno);
  h.size = static_cast<uint64_t>(st.st_size);
  return h;
}

PendingBlob::~PendingBlob() {
  if (store_) store_->Remove(id_);
}

void BlobStore::Remove(std::string_view id) {
  if (auto range = ParseSegmentId(id)) return segments_->Remove(*range);
  ::unlink(BlobPath(id).c_str());
}

uint64_t BlobStore::removals() const {
  return segments_->removals();
}

Result<size_t> BlobStore::ReclaimSegments(const std::vector<std::string>& referenced) {
  return segments_->Reclaim(referenced);
}

bool BlobStore::segments_folder_was_missing() const {
  return segments_->folder_was_missing();
}

Result<size_t> BlobStore::RemoveTempFiles() {
  const std::string tmp = root_ + "/tmp";
  auto names = ListDir(tmp);
  if (!names)
    return names.error().code == Errc::kNotFound ? Result<size_t>(size_t{0}) : names.error();
  size_t removed = 0;
  for (const auto& name : *names) {
    if (::unlink((tmp + "/" + name).c_str()) == 0) ++removed;
  }
  return removed;
}

Result<std::vector<std::string>> BlobStore::ListBlobIds() const {
  const std::string blobs = root_ + "/blobs";
  auto dirs = ListDir(blobs);
  if (!dirs) return dirs.error();
  std::vector<std::string> ids;
  for (const auto& name : *dirs) {
    const std::string sub = blobs + "/" + name;
    struct stat st {};
    if (::lstat(sub.c_str(), &st) != 0) return IoError("stat " + sub, errno);
    if (!S_ISDIR(st.st_mode)) continue;  // not ours: blobs live one level down
    auto files = ListDir(sub);
    // Vanishing mid-listing is impossible under the lock: any error counts.
    if (!files) return Error{Errc::kInternal, files.error().message};
    for (auto& f : *files) ids.push_back(std::move(f));
  }
  return ids;
}

Result<bool> BlobStore::BlobExists(std::string_view id) const {
  if (auto range = ParseSegmentId(id)) return segments_->Exists(*range);
  struct stat st {};
  if (::stat(BlobPath(id).c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return Error{Errc::kInternal, "stat " + BlobPath(id) + ": " + std::strerror(errno)};
}

Status BlobStore::CreateBlobsFolder() {
  const std::string blobs = root_ + "/blobs";
  if (::mkdir(blobs.c_str(), 0755) != 0 && errno != EEXIST) return IoError("mkdir " + blobs, errno);
  return FsyncDir(root_);
}

Status BlobStore::CheckWritable() const {
  // Probing with a real file cost a create and an unlink per health check;
  // access(2) and the mount flags answer the same question without writing.
  for (const std::string& dir : {root_, root_ + "/tmp", root_ + "/blobs", root_ + "/segments"}) {
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
      return Error{Errc::kInternal,
                   "data folder not writable: " + dir + ": " + std::strerror(errno)};
    }
  }
  struct statvfs vfs {};
  if (::statvfs(root_.c_str(), &vfs) != 0) return IoError("statvfs " + root_, errno);
  if (vfs.f_flag & ST_RDONLY)
    return Error{Errc::kInternal, "data folder is on a read-only filesystem"};
  return OkStatus();
}

Result<DiskSpace> BlobStore::Space() const {
  return SpaceOf(-1, root_, options_.reserve_bytes);
}

Status BlobStore::CheckReserve(uint64_t needed) const {
  return CheckSpace(-1, root_, options_.reserve_bytes, needed);
}

bool BlobStore::ReleaseSpare() {
  return ::unlink((root_ + "/spare-space").c_str()) == 0;
}

void BlobStore::EnsureSpare() {
  const std::string spare = root_ + "/spare-space";
  struct stat st {};
  if (::stat(spare.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) >= kSpareBytes) return;
  // Only when space is plentiful: on a nearly full disk the spare would take
  // the very room the next delete needs.
  auto space = Space();
  if (!space || space->free_bytes < 2 * kSpareBytes) return;
  const std::string temp = root_ + "/tmp/spare-space.part";
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return;
    // posix_fallocate really allocates (writing zeros where the filesystem
    // has no fallocate), so the space is ours, not a sparse promise.
    if (::posix_fallocate(fd.get(), 0, static_cast<off_t>(kSpareBytes)) != 0 ||
        ::fsync(fd.get()) != 0) {
      ::unlink(temp.c_str());
      return;
    }
  }
  if (::rename(temp.c_str(), spare.c_str()) != 0) ::unlink(temp.c_str());
}

}  // namespace fsvc

#include "storage/blob_store.h"

#include "observability/request_phases.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fsvc {
namespace {

// cpp-httplib hands bodies over 4 KiB at a time; one write(2) per 64 KiB
// keeps syscalls off the profile while a thousand concurrent uploads still
// hold only 64 MiB of buffers.
constexpr size_t kWriteBuffer = 64 * 1024;

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
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

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

struct BlobWriter::State {
  std::string temp_path;
  UniqueFd fd;
  std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter> sha{EVP_MD_CTX_new()};
  std::vector<char> buffer;
  uint64_t size = 0;
  uint64_t max_bytes = 0;

  Status Flush() {
    ScopedPhase timed(Phase::kDisk);
    size_t done = 0;
    while (done < buffer.size()) {
      const ssize_t n = ::write(fd.get(), buffer.data() + done, buffer.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write", errno);
      }
      done += static_cast<size_t>(n);
    }
    buffer.clear();
    return OkStatus();
  }

  ~State() {
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
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
    const size_t room = kWriteBuffer - s_->buffer.size();
    const size_t take = std::min(room, data.size());
    s_->buffer.insert(s_->buffer.end(), data.data(), data.data() + take);
    data.remove_prefix(take);
    if (s_->buffer.size() == kWriteBuffer) {
      if (auto st = s_->Flush(); !st) return st;
    }
  }
  return OkStatus();
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& data_dir) {
  std::error_code ec;
  const std::string root = std::filesystem::absolute(data_dir, ec).lexically_normal().string();
  for (const char* sub : {"", "/tmp", "/blobs"}) {
    std::filesystem::create_directories(root + sub, ec);
    if (ec) return Error{Errc::kInternal, "cannot create " + root + sub + ": " + ec.message()};
  }
  return std::make_unique<BlobStore>(root);
}

std::string BlobStore::BlobPath(std::string_view id) const {
  std::string p = root_ + "/blobs/";
  p.append(id.substr(0, 2)).append("/").append(id);
  return p;
}

Result<BlobWriter> BlobStore::NewWriter(uint64_t max_bytes) {
  auto s = std::make_unique<BlobWriter::State>();
  const std::string path = root_ + "/tmp/" + RandomHex(16) + ".part";
  s->fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!s->fd.valid()) return IoError("create temp file", errno);
  s->temp_path = path;
  s->max_bytes = max_bytes;
  s->buffer.reserve(kWriteBuffer);
  if (!s->sha || EVP_DigestInit_ex(s->sha.get(), EVP_sha256(), nullptr) != 1) {
    return Error{Errc::kInternal, "cannot initialise SHA-256"};
  }
  return BlobWriter(std::move(s));
}

Result<PendingBlob> BlobStore::Publish(BlobWriter writer) {
  BlobWriter::State& s = *writer.s_;
  if (auto st = s.Flush(); !st) return st.error();
  ScopedPhase timed(Phase::kDisk);  // fsync, rename, fsync of the folder
  if (::fsync(s.fd.get()) != 0) return IoError("fsync", errno);
  s.fd.reset();

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(s.sha.get(), md, &md_len);
  BlobDigest digest{s.size, {}};
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < md_len; ++i) {
    digest.sha256_hex.push_back(kHex[md[i] >> 4]);
    digest.sha256_hex.push_back(kHex[md[i] & 15]);
  }

  const std::string id = RandomHex(16);
  const std::string dir = root_ + "/blobs/" + id.substr(0, 2);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return IoError("mkdir " + dir, errno);
  const std::string target = BlobPath(id);
  if (::rename(s.temp_path.c_str(), target.c_str()) != 0) return IoError("rename", errno);
  s.temp_path.clear();  // published: the destructor must not delete it
  if (auto st = FsyncDir(dir); !st) {
    ::unlink(target.c_str());
    return st.error();
  }
  return PendingBlob(this, id, std::move(digest));
}

Result<BlobHandle> BlobStore::OpenBlob(std::string_view id) const {
  ScopedPhase timed(Phase::kDisk);
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
  ::unlink(BlobPath(id).c_str());
}

size_t BlobStore::RemoveTempFiles() {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/tmp", ec)) {
    if (std::filesystem::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

std::vector<std::string> BlobStore::ListBlobIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root_ + "/blobs", ec)) {
    if (e.is_regular_file(ec)) ids.push_back(e.path().filename().string());
  }
  return ids;
}

Status BlobStore::CheckWritable() const {
  const std::string probe = root_ + "/tmp/.health-" + RandomHex(4);
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return IoError("data folder not writable", errno);
  ::unlink(probe.c_str());
  return OkStatus();
}

}  // namespace fsvc

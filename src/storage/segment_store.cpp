#include "storage/segment_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace fsvc {
namespace {

// The bytes a range takes in its segment: an empty blob still gets a block of its own, so
// that no two blobs share an offset.
uint64_t Span(uint64_t size) {
  const uint64_t a = SegmentStore::kAlign;
  return (std::max<uint64_t>(size, 1) + a - 1) / a * a;
}

Error SegmentIoError(std::string_view what, int err) {
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    return Error{Errc::kInsufficientStorage, "not enough storage space to store the file"};
  }
  return Error{Errc::kInternal, std::string(what) + ": " + std::strerror(err)};
}

bool ParseNumber(std::string_view text, uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<uint32_t> ParseSegmentName(std::string_view name) {
  if (name.size() != 8 ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint32_t n = 0;
  std::from_chars(name.data(), name.data() + name.size(), n);
  if (n == 0) return std::nullopt;
  return n;
}

}  // namespace

std::optional<SegmentRange> ParseSegmentId(std::string_view id) {
  if (id.size() < 6 || id[0] != 's') return std::nullopt;
  id.remove_prefix(1);
  uint64_t parts[3];
  for (int i = 0; i < 3; ++i) {
    const size_t dash = i < 2 ? id.find('-') : id.size();
    if (dash == std::string_view::npos || !ParseNumber(id.substr(0, dash), parts[i])) {
      return std::nullopt;
    }
    id.remove_prefix(std::min(dash + 1, id.size()));
  }
  if (parts[0] == 0 || parts[0] > UINT32_MAX || parts[1] % SegmentStore::kAlign != 0 ||
      parts[2] > SegmentStore::kMaxBlobBytes ||
      parts[1] + Span(parts[2]) > SegmentStore::kSegmentBytes) {
    return std::nullopt;
  }
  return SegmentRange{static_cast<uint32_t>(parts[0]), parts[1], parts[2]};
}

std::string SegmentId(const SegmentRange& r) {
  return "s" + std::to_string(r.segment) + "-" + std::to_string(r.offset) + "-" +
         std::to_string(r.size);
}

struct SegmentStore::Shared {
  struct Segment {
    UniqueFd fd;        // opened on first use, read-write (a removal punches through it)
    uint64_t size = 0;  // bytes known to be there: the file's size, or the appended end
  };
  struct Pin {
    int readers = 0;
    bool removed = false;  // punch when the last reader lets go
    uint64_t size = 0;
  };
  using Key = std::pair<uint32_t, uint64_t>;  // segment, offset

  std::string dir;
  bool sync = true;
  bool folder_was_missing = false;
  Mutex mu;
  std::map<uint32_t, Segment> segments GUARDED_BY(mu);  // nodes are never erased while open
  uint32_t current GUARDED_BY(mu) = 0;                  // 0: this process has appended nothing
  uint32_t next_number GUARDED_BY(mu) = 1;
  std::set<uint32_t> unsynced GUARDED_BY(mu);
  std::map<Key, Pin> pins GUARDED_BY(mu);

  std::string PathOf(uint32_t n) const {
    char name[16];
    std::snprintf(name, sizeof name, "/%08u", n);
    return dir + name;
  }

  Result<int> FdOf(uint32_t n) REQUIRES(mu) {
    auto it = segments.find(n);
    if (it == segments.end()) return Error{Errc::kNotFound, "file contents not found"};
    if (!it->second.fd.valid()) {
      it->second.fd.reset(::open(PathOf(n).c_str(), O_RDWR | O_CLOEXEC));
      if (!it->second.fd.valid()) {
        if (errno == ENOENT) return Error{Errc::kNotFound, "file contents not found"};
        return SegmentIoError("open segment", errno);
      }
    }
    return it->second.fd.get();
  }

  // Best effort: a punch that fails only leaves the bytes allocated until the next
  // recovery's Reclaim.
  void Punch(uint32_t n, uint64_t offset, uint64_t length) REQUIRES(mu) {
    auto fd = FdOf(n);
    if (!fd || length == 0) return;
    (void)::fallocate(*fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                      static_cast<off_t>(length));
  }

  Status StartSegment() REQUIRES(mu) {
    const uint32_t n = next_number++;
    Segment seg;
    seg.fd.reset(::open(PathOf(n).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!seg.fd.valid()) return SegmentIoError("create segment " + PathOf(n), errno);
    if (sync) {
      // Its folder entry first: rows will name this segment as soon as a group is synced.
      UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!d.valid() || ::fsync(d.get()) != 0) return SegmentIoError("fsync " + dir, errno);
    }
    segments[n] = std::move(seg);
    current = n;
    return OkStatus();
  }

  void Unpin(const Key& key) {
    MutexLock lock(mu);
    auto it = pins.find(key);
    if (it == pins.end() || --it->second.readers > 0) return;
    if (it->second.removed) Punch(key.first, key.second, Span(it->second.size));
    pins.erase(it);
  }
};

SegmentStore::SegmentStore(std::shared_ptr<Shared> shared) : s_(std::move(shared)) {}
SegmentStore::~SegmentStore() = default;

Result<std::unique_ptr<SegmentStore>> SegmentStore::Open(const std::string& root, bool sync) {
  auto shared = std::make_shared<Shared>();
  shared->dir = root + "/segments";
  shared->sync = sync;
  std::error_code ec;
  shared->folder_was_missing = !std::filesystem::exists(shared->dir, ec);
  if (ec) return Error{Errc::kInternal, "cannot look at " + shared->dir + ": " + ec.message()};
  std::filesystem::create_directories(shared->dir, ec);
  if (ec) return Error{Errc::kInternal, "cannot create " + shared->dir + ": " + ec.message()};
  MutexLock lock(shared->mu);
  for (std::filesystem::directory_iterator it(shared->dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto n = ParseSegmentName(it->path().filename().string());
    if (!n) continue;  // not ours
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) {
      return Error{Errc::kInternal, "stat " + it->path().string() + ": " + std::strerror(errno)};
    }
    shared->segments[*n].size = static_cast<uint64_t>(st.st_size);
    shared->next_number = std::max(shared->next_number, *n + 1);
  }
  if (ec) return Error{Errc::kInternal, "cannot list " + shared->dir + ": " + ec.message()};
  return std::unique_ptr<SegmentStore>(new SegmentStore(std::move(shared)));
}

bool SegmentStore::folder_was_missing() const {
  return s_->folder_was_missing;
}

Result<std::string> SegmentStore::Append(std::string_view bytes) {
  SegmentRange r;
  int fd = -1;
  {
    MutexLock lock(s_->mu);
    if (s_->current == 0 || s_->segments[s_->current].size + Span(bytes.size()) > kSegmentBytes) {
      if (auto st = s_->StartSegment(); !st) return st.error();
    }
    Shared::Segment& seg = s_->segments[s_->current];
    r = {s_->current, seg.size, bytes.size()};
    seg.size += Span(bytes.size());
    fd = seg.fd.get();
  }
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(r.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      MutexLock lock(s_->mu);
      s_->Punch(r.segment, r.offset, Span(r.size));
      return SegmentIoError("write segment", err);
    }
    done += static_cast<size_t>(n);
  }
  if (s_->sync) {
    MutexLock lock(s_->mu);
    s_->unsynced.insert(r.segment);
  }
  return SegmentId(r);
}

Status SegmentStore::Sync() {
  if (!s_->sync) return OkStatus();
  std::vector<std::pair<uint32_t, int>> todo;
  {
    MutexLock lock(s_->mu);
    for (uint32_t n : s_->unsynced) todo.emplace_back(n, s_->segments[n].fd.get());
    s_->unsynced.clear();
  }
  for (size_t i = 0; i < todo.size(); ++i) {
    // Since Linux 4.13 a write-back error is reported to every fd open at the time
    // (errseq), so a lost page fails this group rather than passing silently.
    if (::fdatasync(todo[i].second) != 0) {
      const int err = errno;
      MutexLock lock(s_->mu);
      for (size_t j = i; j < todo.size(); ++j) s_->unsynced.insert(todo[j].first);
      return SegmentIoError("fdatasync segment", err);
    }
  }
  return OkStatus();
}

Result<BlobHandle> SegmentStore::Read(const SegmentRange& r) const {
  MutexLock lock(s_->mu);
  auto fd = s_->FdOf(r.segment);
  if (!fd) return fd.error();
  if (s_->segments[r.segment].size < r.offset + r.size) {
    return Error{Errc::kNotFound, "file contents not found (segment too short)"};
  }
  BlobHandle h;
  h.fd.reset(::fcntl(*fd, F_DUPFD_CLOEXEC, 0));
  if (!h.fd.valid()) return SegmentIoError("dup segment fd", errno);
  h.offset = r.offset;
  h.size = r.size;
  const Shared::Key key{r.segment, r.offset};
  Shared::Pin& pin = s_->pins[key];
  ++pin.readers;
  pin.size = r.size;
  h.pin =
      std::shared_ptr<const void>(nullptr, [shared = s_, key](const void*) { shared->Unpin(key); });
  return h;
}

void SegmentStore::Remove(const SegmentRange& r) {
  MutexLock lock(s_->mu);
  removals_.fetch_add(1, std::memory_order_acq_rel);
  auto it = s_->pins.find({r.segment, r.offset});
  if (it != s_->pins.end()) {
    it->second.removed = true;
    return;
  }
  s_->Punch(r.segment, r.offset, Span(r.size));
}

Result<bool> SegmentStore::Exists(const SegmentRange& r) const {
  MutexLock lock(s_->mu);
  auto it = s_->segments.find(r.segment);
  return it != s_->segments.end() && it->second.size >= r.offset + r.size;
}

Result<size_t> SegmentStore::Reclaim(const std::vector<std::string>& referenced) {
  std::map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> used;  // [begin, end)
  for (const std::string& id : referenced) {
    if (auto r = ParseSegmentId(id))
      used[r->segment].emplace_back(r->offset, r->offset + Span(r->size));
  }
  MutexLock lock(s_->mu);
  size_t gaps = 0;
  for (auto it = s_->segments.begin(); it != s_->segments.end();) {
    auto& ranges = used[it->first];
    if (ranges.empty()) {
      // Nothing of it is named (its files were all deleted, or never committed): the whole
      // file goes, which is housekeeping rather than recovery, so it is not counted.
      if (::unlink(s_->PathOf(it->first).c_str()) != 0 && errno != ENOENT) {
        return SegmentIoError("remove segment", errno);
      }
      it = s_->segments.erase(it);
      continue;
    }
    auto fd = s_->FdOf(it->first);
    if (!fd) return fd.error();
    std::sort(ranges.begin(), ranges.end());
    uint64_t at = 0;
    // Only gaps that still hold data count: a deleted blob's range was punched already.
    auto punch = [&](uint64_t until) {
      if (until <= at) return;
      const off_t data = ::lseek(*fd, static_cast<off_t>(at), SEEK_DATA);
      if (data < 0 || static_cast<uint64_t>(data) >= until) return;
      s_->Punch(it->first, at, until - at);
      ++gaps;
    };
    for (const auto& [begin, end] : ranges) {
      punch(begin);
      at = std::max(at, end);
    }
    // To the end of the last block: a partial block is only zeroed by a punch, not freed.
    punch(Span(it->second.size));
    ++it;
  }
  return gaps;
}

}  // namespace fsvc

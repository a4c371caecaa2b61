// What makes a group of uploaded blobs durable fastest (issue 13): the I/O of
// one commit group of N 100 KiB blobs, without SQLite (whose one commit per
// group is the same for every strategy), on the filesystem of the current
// folder (run it from the data volume):
//   PerFileFsync  each blob written to a temp file in its own blobs/xx folder,
//                 fsync'd, renamed, its folder fsync'd (before group commit)
//   Syncfs        the same files without fsyncs, then one syncfs(2) for the
//                 group (what BlobStore::SyncAll does today)
//   Segment       the blobs appended to one preallocated segment file and one
//                 fdatasync(2) for the group (a Haystack/SeaweedFS volume)
// syncfs writes back every dirty page of the filesystem, other processes'
// too, so its cost grows with what else writes to the volume; the segment's
// fdatasync pays only for its own pages.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "util/unique_fd.h"

namespace fsvc::bench {
namespace {

constexpr size_t kBlobBytes = 100 * 1024;
constexpr int kFolders = 256;  // blobs/00 .. blobs/ff, as BlobStore spreads them

class Scratch {
 public:
  Scratch() {
    char name[] = "./fsvc-group-sync.XXXXXX";
    if (::mkdtemp(name) == nullptr) std::perror("mkdtemp");
    root_ = name;
    for (int i = 0; i < kFolders; ++i) std::filesystem::create_directories(Folder(i));
  }
  ~Scratch() { std::filesystem::remove_all(root_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::string Folder(int i) const {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", i % kFolders);
    return root_ + "/" + hex;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

const std::vector<char>& Payload() {
  static const std::vector<char> payload(kBlobBytes, 'x');
  return payload;
}

bool WriteAll(int fd, off_t offset) {
  const auto& p = Payload();
  return ::pwrite(fd, p.data(), p.size(), offset) == static_cast<ssize_t>(p.size());
}

// Writes one blob as BlobStore does: a temp file, then a rename into place.
void PutFile(const Scratch& s, uint64_t n, bool fsync_each) {
  const std::string folder = s.Folder(static_cast<int>(n * 2654435761u >> 24));
  const std::string tmp = folder + "/tmp-" + std::to_string(n);
  const std::string final_path = folder + "/blob-" + std::to_string(n);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid() || !WriteAll(fd.get(), 0)) std::perror("write");
  if (fsync_each) ::fsync(fd.get());
  fd.reset();
  ::rename(tmp.c_str(), final_path.c_str());
  if (fsync_each) {
    UniqueFd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ::fsync(dir.get());
  }
}

void PerFileFsync(benchmark::State& state) {
  const Scratch s;
  uint64_t n = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(0); ++i) PutFile(s, n++, true);
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void Syncfs(benchmark::State& state) {
  const Scratch s;
  const UniqueFd root(::open(s.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  uint64_t n = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(0); ++i) PutFile(s, n++, false);
    ::syncfs(root.get());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void Segment(benchmark::State& state) {
  const Scratch s;
  const std::string path = s.root() + "/segment";
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  // Preallocated (and its size made durable once), as a volume would be, so
  // fdatasync need not write the inode for every append.
  constexpr off_t kSegmentBytes = off_t{1} << 30;
  ::posix_fallocate(fd.get(), 0, kSegmentBytes);
  ::fsync(fd.get());
  off_t offset = 0;
  uint64_t n = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(0); ++i, ++n) {
      if (offset + static_cast<off_t>(kBlobBytes) > kSegmentBytes) offset = 0;
      WriteAll(fd.get(), offset);
      offset += kBlobBytes;
    }
    ::fdatasync(fd.get());
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

BENCHMARK(PerFileFsync)->Arg(1)->Arg(20)->UseRealTime()->MinTime(2.0);
BENCHMARK(Syncfs)->Arg(1)->Arg(20)->UseRealTime()->MinTime(2.0);
BENCHMARK(Segment)->Arg(1)->Arg(20)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace fsvc::bench

// What a data folder holds on disk, for tests that check an upload left nothing behind or
// that blobs and rows match: the file blobs (blobs/xx/ID, one file each) and the bytes still
// allocated in segments (storage/segment_store.h: small blobs packed together, a deleted
// one's range punched out). Read from the filesystem, not from the service.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>

#include "storage/segment_store.h"

namespace fsvc::testutil {

struct StorageCensus {
  size_t file_blobs = 0;
  uint64_t segment_bytes = 0;  // bytes in the data regions of segments/*, in whole blocks
  bool operator==(const StorageCensus&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const StorageCensus& c) {
  return out << "{file_blobs " << c.file_blobs << ", segment_bytes " << c.segment_bytes << "}";
}

// The bytes a blob of `size` takes in a segment (whole blocks), 0 for a blob stored as a file.
inline uint64_t SegmentSpan(uint64_t size) {
  if (size >= SegmentStore::kMaxBlobBytes) return 0;
  const uint64_t a = SegmentStore::kAlign;
  return (std::max<uint64_t>(size, 1) + a - 1) / a * a;
}

inline StorageCensus Census(const std::string& data_dir) {
  namespace fs = std::filesystem;
  StorageCensus c;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(data_dir + "/blobs", ec)) {
    c.file_blobs += e.is_regular_file() ? 1 : 0;
  }
  for (const auto& e : fs::directory_iterator(data_dir + "/segments", ec)) {
    // The data regions (SEEK_DATA to SEEK_HOLE), not st_blocks: that also counts the blocks
    // of the extent tree a file with many holes needs.
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (off_t at = 0;;) {
      const off_t data = ::lseek(fd, at, SEEK_DATA);
      if (data < 0) break;
      const off_t hole = ::lseek(fd, data, SEEK_HOLE);
      if (hole < 0) break;
      // Rounded to blocks, as a blob's span is.
      const off_t a = SegmentStore::kAlign;
      c.segment_bytes += uint64_t((hole + a - 1) / a * a - data / a * a);
      at = hole;
    }
    ::close(fd);
  }
  return c;
}

}  // namespace fsvc::testutil

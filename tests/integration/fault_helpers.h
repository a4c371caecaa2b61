// Fault-injection helpers shared by the integration tests: a small real
// filesystem, filling it, and running the binary to completion.
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

namespace fsvc::testing {

// A tmpfs of `bytes` mounted at `path` where mounting is allowed (root with
// CAP_SYS_ADMIN); mounted() is false elsewhere and the caller falls back to
// RLIMIT_FSIZE.
class SmallFilesystem {
 public:
  SmallFilesystem(std::string path, size_t bytes) : path_(std::move(path)) {
    ::mkdir(path_.c_str(), 0755);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

// Fills the filesystem holding `file` until only about `leave` bytes are free.
inline void FillLeaving(const std::string& file, size_t leave) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const std::string block(64 << 10, 'f');
  size_t written = 0;
  while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) written += block.size();
  std::fclose(f);  // flushing the tail fails too: the disk is full
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  ASSERT_EQ(::truncate(file.c_str(), std::max<off_t>(0, st.st_size - static_cast<off_t>(leave))),
            0);
}

// Runs the binary on `data_dir` to completion (it must not start serving)
// and returns its wait status and what it logged.
inline std::pair<int, std::string> RunToExit(const std::string& data_dir) {
  const std::string log = data_dir + ".start.log";
  const std::string cmd = std::string("timeout 30 ") + FSVC_BINARY +
                          " --host=127.0.0.1 --port=0 --auth=off --data-dir=" + data_dir + " >" +
                          log + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  return {status, std::string(std::istreambuf_iterator<char>(in), {})};
}

}  // namespace fsvc::testing

// A uniquely named file in $TMPDIR (or /tmp) that is removed when the object dies.
//
// Contract: the profilers hand the path to a library that writes the file by name
// (gperftools, jemalloc), then read it back whole. Create fails with kInternal.
#pragma once

#include <string>

#include "util/error.h"

namespace fsvc::pprof {

class TempFile {
 public:
  static Result<TempFile> Create(const std::string& prefix);
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  ~TempFile();

  const std::string& path() const { return path_; }
  Result<std::string> ReadAll() const;

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace fsvc::pprof

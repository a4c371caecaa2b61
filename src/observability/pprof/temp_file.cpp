#include "observability/pprof/temp_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fsvc::pprof {

Result<TempFile> TempFile::Create(const std::string& prefix) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/" + prefix + "-XXXXXX";
  int fd = mkstemp(pattern.data());
  if (fd < 0) return Error{Errc::kInternal, "mkstemp: " + std::string(std::strerror(errno))};
  close(fd);
  return TempFile(std::move(pattern));
}

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

Result<std::string> TempFile::ReadAll() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Error{Errc::kInternal, "cannot read " + path_};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace fsvc::pprof

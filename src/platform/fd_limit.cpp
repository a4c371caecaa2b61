#include "platform/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace fsvc {

Result<uint64_t> RaiseFdLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return Error{Errc::kInternal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      return Error{Errc::kInternal,
                   std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
    }
    lim = raised;
  }
  return static_cast<uint64_t>(lim.rlim_cur);
}

uint64_t CurrentFdLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  return static_cast<uint64_t>(lim.rlim_cur);
}

}  // namespace fsvc

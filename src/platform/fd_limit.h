// The process's open-file limit (RLIMIT_NOFILE).
//
// Every client connection is a file descriptor, so the soft limit (often
// 1024) caps concurrent connections long before memory does. RaiseFdLimit
// lifts the soft limit to the hard limit, which an unprivileged process may
// always do; it never lowers it.
#pragma once

#include <cstdint>

#include "util/error.h"

namespace fsvc {

// Raises the soft limit to the hard one; returns the soft limit now in force.
Result<uint64_t> RaiseFdLimit();

// The soft limit now in force (0 if it cannot be read).
uint64_t CurrentFdLimit();

}  // namespace fsvc

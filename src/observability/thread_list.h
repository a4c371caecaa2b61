// The threads of this process with name, state and CPU time, for /debug/pprof/threads (the
// C++ counterpart of Go's goroutine listing).
//
// Contract: read from /proc/self/task/*/{comm,stat}; threads that exit while being listed are
// skipped. Names are whatever pthread_setname_np set (15 chars), else the program's name.
#pragma once

#include <string>
#include <vector>

namespace fsvc {

struct ThreadInfo {
  int tid = 0;
  std::string name;
  char state = '?';  // R, S, D, Z, T, t, X, I
  double cpu_seconds = 0;
};

std::vector<ThreadInfo> ListThreads();
const char* ThreadStateName(char state);

// "threads: N\n\nthread 123 \"name\" [S (sleeping)] cpu=0.12s\n..."; one line per thread.
std::string ThreadsText(const std::vector<ThreadInfo>& threads);
std::string ThreadsJson(const std::vector<ThreadInfo>& threads);

}  // namespace fsvc

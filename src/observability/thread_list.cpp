#include "observability/thread_list.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fsvc {
namespace {

bool ReadThread(const std::filesystem::path& dir, ThreadInfo& t) {
  std::ifstream comm(dir / "comm");
  std::ifstream stat_file(dir / "stat");
  if (!comm || !stat_file) return false;
  std::getline(comm, t.name);
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised name: 3 state ... 14 utime 15 stime (clock ticks).
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 3) t.state = field.empty() ? '?' : field[0];
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  t.cpu_seconds = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
  return true;
}

}  // namespace

std::vector<ThreadInfo> ListThreads() {
  std::vector<ThreadInfo> threads;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end;
       it.increment(ec)) {
    ThreadInfo t;
    t.tid = std::atoi(it->path().filename().c_str());
    if (ReadThread(it->path(), t)) threads.push_back(std::move(t));
  }
  std::sort(threads.begin(), threads.end(),
            [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
  return threads;
}

const char* ThreadStateName(char state) {
  switch (state) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "disk sleep";
    case 'Z':
      return "zombie";
    case 'T':
      return "stopped";
    case 't':
      return "tracing stop";
    case 'X':
      return "dead";
    case 'I':
      return "idle";
  }
  return "unknown";
}

std::string ThreadsText(const std::vector<ThreadInfo>& threads) {
  std::string out = "threads: " + std::to_string(threads.size()) + "\n\n";
  char line[256];
  for (const ThreadInfo& t : threads) {
    std::snprintf(line, sizeof(line), "thread %d \"%s\" [%c (%s)] cpu=%.2fs\n", t.tid,
                  t.name.c_str(), t.state, ThreadStateName(t.state), t.cpu_seconds);
    out += line;
  }
  return out;
}

std::string ThreadsJson(const std::vector<ThreadInfo>& threads) {
  nlohmann::json list = nlohmann::json::array();
  for (const ThreadInfo& t : threads) {
    list.push_back({{"tid", t.tid},
                    {"name", t.name},
                    {"state", std::string(1, t.state)},
                    {"state_name", ThreadStateName(t.state)},
                    {"cpu_seconds", t.cpu_seconds}});
  }
  return nlohmann::json{{"count", threads.size()}, {"threads", list}}.dump();
}

}  // namespace fsvc

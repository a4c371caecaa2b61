#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>

namespace fsvc {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

void SetLogLevel(std::string_view level) {
  for (int i = 0; i < 4; ++i) {
    if (level == kNames[i]) g_level = i;
  }
}

void Log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // One fprintf per line: stdio's lock keeps lines from interleaving.
  std::fprintf(stderr, "%s %s %.*s\n", stamp, kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace fsvc

// One-line structured logs to stderr: "2026-11-22T19:00:00Z info message".
// Access logs are not written here: request figures go to /metrics.
#pragma once

#include <string_view>

namespace fsvc {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void SetLogLevel(std::string_view level);  // unknown names keep "info"
void Log(LogLevel level, std::string_view message);

inline void LogError(std::string_view m) {
  Log(LogLevel::kError, m);
}
inline void LogWarn(std::string_view m) {
  Log(LogLevel::kWarn, m);
}
inline void LogInfo(std::string_view m) {
  Log(LogLevel::kInfo, m);
}

}  // namespace fsvc

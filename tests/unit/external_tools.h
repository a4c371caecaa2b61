// Test helper: the real external checkers (standalone `pprof`, built offline from Debian's
// golang-github-google-pprof-dev, `go tool pprof`, `promtool`), and a shell runner.
//
// Contract: StandalonePprof() builds the tool once into a shared temp dir (or takes $FSVC_PPROF)
// and returns its path, or "" when Go or the sources are missing (tests then GTEST_SKIP with the
// reason). Run() returns the combined stdout+stderr and the exit code of `sh -c command`.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace fsvc::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

inline CommandResult Run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline bool HaveGo() {
  return Run("command -v go").exit_code == 0;
}

inline const std::string& StandalonePprof() {
  static const std::string path = [] {
    if (const char* env = std::getenv("FSVC_PPROF")) return std::string(env);
    if (!HaveGo() || !std::filesystem::exists("/usr/share/gocode/src/github.com/google/pprof")) {
      return std::string();
    }
    // Shared by the test processes ctest starts; built under a unique name, then renamed.
    auto dir = std::filesystem::temp_directory_path() / "fsvc-pprof-tool";
    std::string bin = (dir / "pprof").string();
    if (std::filesystem::exists(bin)) return bin;
    std::filesystem::create_directories(dir);
    std::string tmp = bin + "." + std::to_string(getpid());
    auto r = Run("cd " + dir.string() + " && HOME=" + dir.string() + " GOCACHE=" + dir.string() +
                 "/cache GOPATH=/usr/share/gocode GO111MODULE=off go build -o " + tmp +
                 " github.com/google/pprof && mv -f " + tmp + " " + bin);
    return r.exit_code == 0 ? bin : std::string();
  }();
  return path;
}

// Writes `bytes` to a fresh file in the temp dir and returns its path.
inline std::string WriteTemp(const std::string& name, const std::string& bytes) {
  auto path = std::filesystem::temp_directory_path() /
              (name + "-" + std::to_string(getpid()) + "-" + std::to_string(std::rand()));
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

inline bool HavePromtool() {
  return Run("command -v promtool").exit_code == 0;
}

// Runs `promtool check metrics` on `text` and fails the current test on any error or lint
// remark; returns false (checking nothing) when promtool is not installed.
inline bool ExpectPromtoolClean(const std::string& text) {
  if (!HavePromtool()) return false;
  std::string file = WriteTemp("metrics.txt", text);
  auto r = Run("promtool check metrics < " + file);
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << r.output;
  return true;
}

// `-top` of a profile file with both tools; HOME points pprof's state dir away from $HOME.
inline CommandResult PprofTop(const std::string& tool, const std::string& file) {
  return Run("HOME=" + std::filesystem::temp_directory_path().string() +
             " PPROF_BINARY_PATH=/nonexistent " + tool + " -top " + file);
}

// Runs `-top` of `file` with each pprof present (standalone, then go tool)
// and expects every needle in each output. Returns how many tools ran.
inline int ExpectPprofTopShows(const std::string& file,
                               std::initializer_list<std::string> needles) {
  int ran = 0;
  for (const std::string& tool :
       {StandalonePprof(), std::string(HaveGo() ? "go tool pprof" : "")}) {
    if (tool.empty()) continue;
    ++ran;
    const auto r = PprofTop(tool, file);
    EXPECT_EQ(r.exit_code, 0) << tool << ": " << r.output;
    for (const auto& needle : needles) {
      EXPECT_NE(r.output.find(needle), std::string::npos) << tool << ": " << r.output;
    }
  }
  return ran;
}

}  // namespace fsvc::testing

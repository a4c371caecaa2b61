// The profiles of waiting, against the real binary, read with the real pprof tools in an
// empty folder (no binary at hand, names from the profile itself). /debug/pprof/wall: an
// idle service shows its threads parked in epoll_wait; under a load of durable uploads the
// fsync and SQLite commit waits show, with their share of the wall time.
// /debug/pprof/mutex: under concurrent requests, waits on the service's own mutexes show in
// Go's format (contentions/count, delay/nanoseconds) by the waiter's stack.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../unit/external_tools.h"
#include "server_process.h"
#include "test_client.h"

namespace fsvc::testing {
namespace {

std::vector<std::string> PprofTools() {
  std::vector<std::string> tools;
  if (HaveGo()) tools.push_back("go tool pprof");
  if (!StandalonePprof().empty()) tools.push_back(StandalonePprof());
  return tools;
}

class PprofWaitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{{"--enable-profiling=true", "--pprof-max-seconds=5",
                                "--write-timeout=1", "--mutex-profile-rate=1"},
                               {},
                               {},
                               ""});
    ASSERT_TRUE(server_->Start()) << server_->Stderr();
  }
  static void TearDownTestSuite() { server_.reset(); }

  // `tool args` run from an empty folder, with no binary to be found.
  CommandResult Pprof(const std::string& tool, const std::string& args) {
    return testing::Run("cd " + empty_.path() + " && HOME=" + empty_.path() +
                        " PPROF_BINARY_PATH=/nonexistent " + tool + " " + args);
  }

  std::string FetchProfile(const std::string& path) {
    auto res = c_->Get(path);
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body.substr(0, 500);
    EXPECT_EQ(res->body.substr(0, 2), std::string("\x1f\x8b"));  // gzip
    return WriteTemp("pprof-wall.pb.gz", res->body);
  }

  // The cum% `-top -cum` gives the first node whose name contains `name`; -1 if absent.
  static double CumPercent(const std::string& top, const std::string& name) {
    std::istringstream lines(top);
    for (std::string line; std::getline(lines, line);) {
      if (line.find(name) == std::string::npos || line.find('%') == std::string::npos) continue;
      std::istringstream fields(line);
      std::string flat, flat_pct, sum_pct, cum, cum_pct;
      fields >> flat >> flat_pct >> sum_pct >> cum >> cum_pct;
      return std::strtod(cum_pct.c_str(), nullptr);
    }
    return -1;
  }

  TempDir empty_;
  std::unique_ptr<httplib::Client> c_ = server_->Client(60);
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> PprofWaitsTest::server_;

TEST_F(PprofWaitsTest, IdleServiceWaitsInEpoll) {
  const std::string file = FetchProfile("/debug/pprof/wall?seconds=1&hz=50");
  ASSERT_FALSE(file.empty());
  const auto tools = PprofTools();
  ASSERT_FALSE(tools.empty()) << "no pprof: install golang-go";
  for (const std::string& tool : tools) {
    const auto raw = Pprof(tool, "-raw " + file);
    ASSERT_EQ(raw.exit_code, 0) << tool << ": " << raw.output;
    EXPECT_NE(raw.output.find("PeriodType: wall nanoseconds"), std::string::npos) << raw.output;
    EXPECT_NE(raw.output.find("samples/count wall/nanoseconds"), std::string::npos) << raw.output;
    const auto top = Pprof(tool, "-top -cum -nodefraction=0 " + file);
    ASSERT_EQ(top.exit_code, 0) << tool << ": " << top.output;
    EXPECT_NE(top.output.find("Type: wall"), std::string::npos) << top.output;
    // The reactor (and httplib's accept loop) sit in epoll_wait / poll most of the time.
    EXPECT_GT(CumPercent(top.output, "epoll_wait"), 0) << tool << ": " << top.output;
    EXPECT_GT(CumPercent(top.output, "fsvc::"), 0) << tool << ": " << top.output;
    EXPECT_EQ(top.output.find("no symbol"), std::string::npos) << top.output;
  }
  std::filesystem::remove(file);

  auto svg = c_->Get("/debug/pprof/wall?seconds=1&format=svg");
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->status, 200);
  EXPECT_EQ(svg->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(svg->body.find("epoll_wait"), std::string::npos);
  EXPECT_EQ(c_->Get("/debug/pprof/wall?hz=5000&seconds=1")->status, 200);  // capped
  EXPECT_EQ(c_->Get("/debug/pprof/wall?hz=0")->status, 400);
}

TEST_F(PprofWaitsTest, UploadLoadShowsFsyncAndCommitWaits) {
  std::atomic<bool> done{false};
  std::atomic<int> stored{0};
  std::vector<std::thread> load;
  const std::string body(64 * 1024, 'u');
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      auto c = server_->Client();
      for (int i = 0; !done; ++i) {
        auto res = c->Put("/files/wall/" + std::to_string(t) + "-" + std::to_string(i % 50), body,
                          "application/octet-stream");
        if (res && (res->status == 200 || res->status == 201)) ++stored;
      }
    });
  }
  const std::string file = FetchProfile("/debug/pprof/wall?seconds=3");
  done = true;
  for (auto& t : load) t.join();
  ASSERT_FALSE(file.empty());
  EXPECT_GT(stored.load(), 10);

  for (const std::string& tool : PprofTools()) {
    const auto top = Pprof(tool, "-top -cum -nodefraction=0 " + file);
    ASSERT_EQ(top.exit_code, 0) << tool << ": " << top.output;
    EXPECT_NE(top.output.find("Type: wall"), std::string::npos) << top.output;
    const double fsync =
        std::max(CumPercent(top.output, "fsync"), CumPercent(top.output, "fdatasync"));
    const double commit = CumPercent(top.output, "Transaction::Commit");
    EXPECT_GT(fsync, 0) << tool << ": " << top.output;
    EXPECT_GT(commit, 0) << tool << ": " << top.output;
    std::printf("[%s] wall share under upload load: fsync %.2f%%, Transaction::Commit %.2f%%\n",
                tool.c_str(), fsync, commit);
  }
  std::filesystem::remove(file);
}

TEST_F(PprofWaitsTest, MutexProfileShowsContendedWaits) {
  std::atomic<bool> done{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 8; ++t) {
    load.emplace_back([&done, t] {
      auto c = server_->Client();
      while (!done) c->Get(t % 2 ? "/metrics/requests" : "/ping");
    });
  }
  const std::string file = FetchProfile("/debug/pprof/mutex?seconds=3");
  done = true;
  for (auto& t : load) t.join();
  ASSERT_FALSE(file.empty());
  for (const std::string& tool : PprofTools()) {
    const auto raw = Pprof(tool, "-raw " + file);
    ASSERT_EQ(raw.exit_code, 0) << tool << ": " << raw.output;
    EXPECT_NE(raw.output.find("PeriodType: contentions count"), std::string::npos) << raw.output;
    EXPECT_NE(raw.output.find("contentions/count delay/nanoseconds"), std::string::npos)
        << raw.output;
    const auto top = Pprof(tool, "-top -cum -nodefraction=0 " + file);
    ASSERT_EQ(top.exit_code, 0) << tool << ": " << top.output;
    EXPECT_NE(top.output.find("Type: delay"), std::string::npos) << top.output;
    // Waiters are our own code, and the recorder's frames are not in their stacks.
    EXPECT_GT(CumPercent(top.output, "fsvc::"), 0) << tool << ": " << top.output;
    EXPECT_EQ(top.output.find("LockSlow"), std::string::npos) << top.output;
  }
  std::filesystem::remove(file);
  // Since start, as Go's: at least what the window saw.
  auto text = c_->Get("/debug/pprof/mutex?debug=1");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
}

// The flame graph's script in real headless Chromium (Debian's, driven by playwright-core
// from tools/): click a frame, it fills the width and unrelated frames hide; search
// highlights the matching frames and shows their share; reset restores the layout.
TEST_F(PprofWaitsTest, FlameGraphZoomsSearchesAndResetsInChromium) {
  const std::string source = FSVC_SOURCE_DIR;
  const std::string driver = source + "/tools/flamegraph-ui.mjs";
  if (!std::filesystem::exists("/usr/bin/chromium") ||
      !std::filesystem::exists(source + "/tools/node_modules/playwright-core")) {
    GTEST_SKIP() << "needs chromium and tools/node_modules (scripts/install-deps.sh --test)";
  }
  auto svg = c_->Get("/debug/pprof/wall?seconds=1&hz=50&format=svg");
  ASSERT_TRUE(svg);
  ASSERT_EQ(svg->status, 200);
  ASSERT_NE(svg->body.find("data-n=\"epoll_wait\""), std::string::npos);
  // Chromium picks the document type of a file:// URL by its extension.
  const std::string file = WriteTemp("flamegraph", svg->body) + ".svg";
  std::filesystem::rename(file.substr(0, file.size() - 4), file);
  const auto run = testing::Run("node " + driver + " " + file + " epoll_wait epoll");
  std::filesystem::remove(file);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto ui = nlohmann::json::parse(run.output.substr(run.output.find('{')), nullptr, false);
  ASSERT_TRUE(ui.is_object()) << run.output;
  EXPECT_TRUE(ui["errors"].empty()) << ui;
  const double full = ui["full_width"].get<double>();
  EXPECT_LT(ui["target_width_before"].get<double>(), full - 1) << ui;
  EXPECT_NEAR(ui["target_width_zoomed"].get<double>(), full, 0.5) << ui;
  EXPECT_LT(ui["visible_zoomed"].get<int>(), ui["visible_before"].get<int>()) << ui;
  EXPECT_TRUE(ui["reset_shown_when_zoomed"].get<bool>()) << ui;
  const std::string matched = ui["matched_text"];
  ASSERT_EQ(matched.rfind("Matched: ", 0), 0u) << ui;
  const double share = std::strtod(matched.c_str() + 9, nullptr);
  EXPECT_GT(share, 0) << ui;
  EXPECT_LE(share, 100) << ui;
  EXPECT_FALSE(ui["highlighted"].empty()) << ui;
  EXPECT_TRUE(ui["highlighted_all_match"].get<bool>()) << ui;
  EXPECT_DOUBLE_EQ(ui["target_width_reset"].get<double>(), ui["target_width_before"].get<double>());
  EXPECT_EQ(ui["visible_reset"], ui["visible_before"]) << ui;
}

TEST_F(PprofWaitsTest, OneAtATime) {
  std::thread first([] {
    auto c = server_->Client(60);
    auto res = c->Get("/debug/pprof/wall?seconds=2&debug=1");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("wall"), std::string::npos) << res->body.substr(0, 300);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto second = c_->Get("/debug/pprof/wall?seconds=1");
  first.join();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->body;
  EXPECT_EQ(ErrorCode(second), "conflict");
}

}  // namespace
}  // namespace fsvc::testing

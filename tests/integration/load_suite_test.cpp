// The load suite (stress-tests/) run for real: its quick wrk path against the real binary must
// leave result files in the documented schema, verified uploads and a report with its SVG
// charts; its baseline comparison must flag a regression; it must explain a server that does
// not answer; and every k6 script must be a valid ES module (checked offline under node).
// Nothing here asserts a speed: only shapes, counts and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "server_process.h"

namespace fsvc::testing {
namespace {

const std::string kSource = FSVC_SOURCE_DIR;

struct Shell {
  int status = -1;
  std::string output;
};

// Runs `command` through sh with stderr folded into the captured output.
Shell RunShell(const std::string& command) {
  Shell r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool HaveTool(const std::string& name) {
  return RunShell("command -v " + name + " >/dev/null").status == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json ReadJson(const std::string& path) {
  auto j = nlohmann::json::parse(ReadFile(path), nullptr, false);
  return j.is_discarded() ? nlohmann::json("unreadable: " + path) : j;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The keys stress-tests/lib/result.py promises in every result.
const std::vector<std::string> kRequired = {
    "schema",  "scenario",     "timestamp",  "git_commit", "instance_profile", "load_generator",
    "quick",   "base_url",     "throughput", "latency_ms", "errors",           "memory",
    "threads", "verification", "lost_files", "stages",     "server_metrics",   "profiles",
    "checks",  "passed",       "extra"};

void ExpectResultSchema(const nlohmann::json& r, const std::string& scenario) {
  ASSERT_TRUE(r.is_object()) << r.dump();
  for (const auto& key : kRequired) EXPECT_TRUE(r.contains(key)) << scenario << " lacks " << key;
  EXPECT_EQ(r["schema"], "fsvc-load-result/1");
  EXPECT_EQ(r["scenario"], scenario);
  EXPECT_EQ(r["load_generator"], "wrk");
  EXPECT_EQ(r["quick"], true);
  EXPECT_GT(r["throughput"]["requests"].get<long>(), 0);
  EXPECT_GT(r["throughput"]["requests_per_sec"].get<double>(), 0.0);
  const auto& lat = r["latency_ms"];
  ASSERT_TRUE(lat.is_object()) << scenario;
  EXPECT_LE(lat["p50"].get<double>(), lat["p95"].get<double>());
  EXPECT_LE(lat["p95"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  EXPECT_EQ(r["errors"]["count"], 0) << r["errors"].dump();
  EXPECT_FALSE(r["stages"].empty());
  // Memory comes from /metrics/memory or, with SERVER_PID, from /proc: never invented.
  const auto& mem = r["memory"];
  EXPECT_NE(mem["source"], "unavailable");
  EXPECT_GE(mem["samples"].size(), 2u) << scenario;
  EXPECT_GT(mem["peak_mb"].get<double>(), 0.0);
  EXPECT_GE(mem["peak_mb"].get<double>(), mem["baseline_mb"].get<double>());
  EXPECT_TRUE(mem.contains("slope_mb_per_s"));
  EXPECT_GT(r["threads"]["peak"].get<int>(), 0);
  EXPECT_TRUE(r["passed"].get<bool>()) << r["checks"].dump();
}

class LoadSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("wrk") || !HaveTool("curl") || !HaveTool("python3")) {
      GTEST_SKIP() << "wrk, curl and python3 are needed (scripts/install-deps.sh --test)";
    }
  }
};

TEST_F(LoadSuite, QuickRunLeavesSchemaResultsVerifiedUploadsAndAReportWithCharts) {
  ServerProcess::Options options;
  options.env = {{"DISABLE_RATE_LIMITER", "true"},
                 {"MAX_BODIES_PER_CLIENT", "0"},
                 {"ENABLE_PROFILING", "true"}};
  ServerProcess server(options);
  ASSERT_TRUE(server.Start()) << server.Stderr();
  TempDir out;
  const std::string results = out.path() + "/results";
  const std::string env = "BASE_URL=" + server.base_url() +
                          " SERVER_PID=" + std::to_string(server.pid()) +
                          " FSVC_RESULTS_DIR=" + results + " FSVC_PROFILES_DIR=" + out.path() +
                          "/profiles" + " FSVC_BASELINES_DIR=" + out.path() + "/baselines ";
  const Shell run = RunShell(env + kSource + "/stress-tests/run.sh ping upload --quick " +
                             "--loadgen wrk --update-baseline");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("[ping]"), std::string::npos) << "no progress line:\n" << run.output;

  ExpectResultSchema(ReadJson(results + "/ping.json"), "ping");
  const auto upload = ReadJson(results + "/upload.json");
  ExpectResultSchema(upload, "upload");
  // Every acknowledged upload was downloaded back and compared.
  const auto& v = upload["verification"];
  ASSERT_TRUE(v.is_object()) << upload.dump();
  EXPECT_GT(v["acknowledged"].get<long>(), 0);
  EXPECT_GT(v["checked"].get<long>(), 0);
  EXPECT_LE(v["checked"].get<long>(), v["acknowledged"].get<long>());
  EXPECT_EQ(v["lost"], 0);
  EXPECT_EQ(v["corrupted"], 0);
  EXPECT_EQ(upload["lost_files"], 0);
  // The suite deletes what it wrote.
  auto listed = server.Client()->Get("/list-folders?path=load");
  ASSERT_TRUE(listed);
  if (listed->status != 404) {
    EXPECT_EQ(listed->status, 200);
    EXPECT_EQ(nlohmann::json::parse(listed->body)["folders"].size(), 0u) << listed->body;
  }

  const std::string report = ReadFile(results + "/report.html");
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(report.find("<script"), std::string::npos) << "the report must be self-contained";
  EXPECT_EQ(report.find("src=\"http"), std::string::npos) << "the report must fetch nothing";
  EXPECT_EQ(report.find("<link"), std::string::npos) << "the report must fetch nothing";
  EXPECT_GE(Count(report, "<svg"), 6u);  // memory, latency, throughput per scenario
  EXPECT_GE(Count(report, "<polyline class=\"series\""), 2u);
  EXPECT_GE(Count(report, "class=\"bar\""), 8u);
  EXPECT_NE(report.find("ping: memory (RSS) over time"), std::string::npos);
  EXPECT_NE(report.find("upload: latency percentiles"), std::string::npos);
  EXPECT_NE(report.find("upload: throughput per stage"), std::string::npos);
  // Latency over time per scenario, from the server's histogram, beside the memory chart.
  EXPECT_NE(report.find("ping: latency over time"), std::string::npos);
  EXPECT_GE(Count(report, "<polyline class=\"latency\""), 6u);  // p50, p95, p99 per scenario
  // The RSS breakdown, stacked, from /metrics/memory's samples.
  EXPECT_NE(report.find("ping: RSS by part over time"), std::string::npos);
  EXPECT_GE(Count(report, "<polygon class=\"area\""), 4u);

  // --update-baseline stored trimmed baselines; a result three times slower than its
  // baseline must make the comparison fail (p99 +50 % and over the 1 ms noise floor) and
  // mark the finding in the result. The result is made slower, not the baseline faster:
  // a sub-millisecond p99 has no faster baseline that clears the noise floor.
  const std::string baseline = out.path() + "/baselines/ping.quick.json";
  const auto b = ReadJson(baseline);
  ASSERT_TRUE(b.is_object()) << run.output;
  EXPECT_FALSE(b["memory"].contains("samples"));
  auto slow = ReadJson(results + "/ping.json");
  slow["latency_ms"]["p99"] = b["latency_ms"]["p99"].get<double>() * 3.0 + 2.0;
  std::ofstream(results + "/ping.json") << slow.dump();
  const Shell cmp = RunShell("python3 " + kSource + "/stress-tests/lib/baseline.py --results " +
                             results + " --baselines " + out.path() + "/baselines ping");
  EXPECT_EQ(cmp.status, 1) << cmp.output;
  EXPECT_NE(cmp.output.find("FAIL latency p99 ms"), std::string::npos) << cmp.output;
  const auto flagged = ReadJson(results + "/ping.json")["baseline_comparison"];
  EXPECT_EQ(flagged["verdict"], "fail");
  EXPECT_FALSE(b["memory"].contains("breakdown_samples"));

  // The baseline kept its CPU profile; the flagged run got a diff profile against it that
  // go tool pprof reads, and a diff flame graph.
  ASSERT_TRUE(b["cpu_profile"].is_string()) << b.dump();
  EXPECT_TRUE(std::filesystem::exists(out.path() + "/baselines/ping.quick.cpu.pb.gz"));
  ASSERT_TRUE(flagged.contains("cpu_diff")) << flagged.dump();
  const std::string diff = flagged["cpu_diff"];
  const Shell top = RunShell("HOME=" + out.path() + " go tool pprof -top " + diff);
  EXPECT_EQ(top.status, 0) << top.output;
  EXPECT_NE(top.output.find("Type: cpu"), std::string::npos) << top.output;
  const std::string flame = ReadFile(flagged["cpu_diff_flamegraph"].get<std::string>());
  EXPECT_NE(flame.find("against the baseline"), std::string::npos);
  EXPECT_NE(flame.find("baseline "), std::string::npos);
}

// A capacity.json as stress-tests/lib/capacity.py writes it, for one instance.
nlohmann::json CapacityDoc() {
  auto step = [](double level, double p95, bool passed) {
    return nlohmann::json{{"level", level}, {"requests_per_sec", level}, {"p50_ms", p95 / 4},
                          {"p95_ms", p95},  {"p99_ms", p95 * 2},         {"passed", passed}};
  };
  auto form = [&](double rps, const std::string& limit, nlohmann::json burst) {
    return nlohmann::json{
        {"vcpu", 2},
        {"max_rps", rps * 2},
        {"max_users", 40},
        {"knee_rps", rps * 2},
        {"knee_users", 40},
        {"slo", "p95 <= 200 ms"},
        {"p50", 10.0},
        {"p95", 150.0},
        {"p99", 190.0},
        {"binding_limit", limit},
        {"evidence", {{"cpu_quota_use_pct", 97.0}, {"at", "first failing step"}}},
        {"burst_minutes", burst},
        {"steps",
         {{"open", {step(rps / 2, 20, true), step(rps, 150, true), step(rps * 1.2, 900, false)}},
          {"closed", {step(20, 30, true), step(40, 150, true), step(60, 700, false)}}}}};
  };
  return {{"schema", "fsvc-capacity/1"},
          {"slo", {{"percentile", "p95"}, {"ms", 200}, {"max_error_rate", 0.001}}},
          {"quick", true},
          {"command", "stress-tests/run.sh capacity --quick"},
          {"instances",
           {{{"instance", "t3-micro"},
             {"answer", "A t3.micro holds 40 users of this mix."},
             {"forms",
              {{"burst", form(500, "cpu", 160.0)},
               {"baseline", form(50, "cpu credits (baseline quota)", nullptr)}}}}}}};
}

// The capacity answer's report section and its CI check (scripts/test.sh runs
// `run.sh capacity --quick --instance t3-micro`, then capacity_check.py): the section comes
// first, with the table, the curve, the SLO line and the knee; the check passes on a good
// result and names what is wrong in a bad one.
TEST(CapacityReport, ComesFirstWithTableCurveSloAndKneeAndTheCheckCanFail) {
  TempDir dir;
  std::ofstream(dir.path() + "/capacity.json") << CapacityDoc().dump();
  const std::string lib = "python3 " + kSource + "/stress-tests/lib/";
  const Shell render = RunShell(lib + "report.py --results " + dir.path());
  ASSERT_EQ(render.status, 0) << render.output;
  const std::string report = ReadFile(dir.path() + "/report.html");
  EXPECT_NE(report.find("<section id=\"capacity\">"), std::string::npos);
  EXPECT_NE(report.find("t3-micro: p95 latency vs load (open model)"), std::string::npos);
  EXPECT_NE(report.find("knee 1000/s"), std::string::npos) << report;
  EXPECT_NE(report.find("A t3.micro holds 40 users of this mix."), std::string::npos);
  const Shell ok = RunShell(lib + "capacity_check.py " + dir.path());
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("capacity ok: t3-micro"), std::string::npos) << ok.output;

  auto bad = CapacityDoc();
  auto& burst = bad["instances"][0]["forms"]["burst"];
  burst["p95"] = 250.0;
  burst.erase("binding_limit");
  bad["instances"][0]["forms"]["baseline"]["max_users"] = 0;
  std::ofstream(dir.path() + "/capacity.json") << bad.dump();
  const Shell fail = RunShell(lib + "capacity_check.py " + dir.path() + " --instance t3-micro " +
                              "--instance t3-small");
  EXPECT_EQ(fail.status, 1) << fail.output;
  EXPECT_NE(fail.output.find("FAIL t3-micro burst lacks binding_limit"), std::string::npos)
      << fail.output;
  EXPECT_NE(fail.output.find("FAIL t3-micro baseline: max_rps 100"), std::string::npos)
      << fail.output;
  EXPECT_NE(fail.output.find("max_users 0 (nothing met the SLO)"), std::string::npos)
      << fail.output;
  EXPECT_NE(fail.output.find("FAIL t3-small missing"), std::string::npos) << fail.output;
  EXPECT_NE(fail.output.find("no row for t3-small"), std::string::npos) << fail.output;
}

// The capacity search against a scripted service (stress-tests/lib/capacity_test.py): it finds
// the level within its precision, a step that fails once is run again and only a second
// failure counts, and the answer, 85 % of the knee, must pass again in a row (a confirmation
// retried like a step), 15 % lower after a failure.
TEST(CapacitySearch, RetriesAFailureAndConfirmsTheFoundLevel) {
  const Shell run = RunShell("python3 " + kSource + "/stress-tests/lib/capacity_test.py");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("Ran 7 tests"), std::string::npos) << run.output;
}

// The TLS cost section (scripts/test.sh runs `run.sh tls --quick --instance t3-micro`):
// each measure with both sides and the ratio, and where it was measured.
TEST(TlsCostReport, ShowsEachMeasureWithItsRatioAndTheInstance) {
  TempDir dir;
  auto test = [](double plain, double tls) {
    return nlohmann::json{{"plain_rps", plain}, {"tls_rps", tls}, {"ratio", tls / plain}};
  };
  const nlohmann::json doc = {
      {"schema", "fsvc-tls/1"},
      {"instance", "t3-micro"},
      {"rounds", 1},
      {"duration_s", 1},
      {"tests",
       {{"conn", test(4000, 1000)}, {"ping", test(50000, 30000)}, {"get100k", test(9000, 3000)}}},
      {"idle_kib_per_connection", {{"plain", 0.1}, {"tls", 7.5}}},
      {"git_commit", "abc1234"},
      {"time", "2026-12-03T08:00:00Z"}};
  std::ofstream(dir.path() + "/tls.json") << doc.dump();
  const Shell render =
      RunShell("python3 " + kSource + "/stress-tests/lib/report.py --results " + dir.path());
  ASSERT_EQ(render.status, 0) << render.output;
  const std::string report = ReadFile(dir.path() + "/report.html");
  EXPECT_NE(report.find("<section id=\"tls\">"), std::string::npos) << report;
  EXPECT_NE(report.find("under the t3-micro profile"), std::string::npos) << report;
  EXPECT_NE(report.find("<td>4000</td><td>1000</td><td>0.25</td>"), std::string::npos) << report;
  EXPECT_NE(report.find("<td>9000</td><td>3000</td><td>0.33</td>"), std::string::npos) << report;
  EXPECT_NE(report.find("<td>0.1</td><td>7.5</td>"), std::string::npos) << report;
}

TEST_F(LoadSuite, ExplainsWhatToDoWhenNoServerAnswers) {
  TempDir out;
  const Shell run = RunShell("BASE_URL=http://127.0.0.1:1 FSVC_RESULTS_DIR=" + out.path() + " " +
                             kSource + "/stress-tests/run.sh ping --quick --loadgen wrk");
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find("no file-service answers at http://127.0.0.1:1/ping"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("--instance t3-micro"), std::string::npos) << run.output;
}

TEST(K6Scripts, AreValidEsModulesThatRunAgainstStubbedK6) {
  if (!HaveTool("node")) GTEST_SKIP() << "node is needed (Debian package nodejs)";
  const std::string check =
      "node --experimental-vm-modules --no-warnings " + kSource + "/stress-tests/lib/k6_check.js ";
  const std::vector<std::string> scripts = {"ping", "upload",   "read", "batch",
                                            "soak", "breaking", "slow", "capacity"};
  std::string args;
  for (const auto& s : scripts) args += kSource + "/stress-tests/k6/" + s + ".js ";
  const Shell ok = RunShell(check + args);
  EXPECT_EQ(ok.status, 0) << ok.output;
  for (const auto& s : scripts) {
    EXPECT_NE(ok.output.find("ok " + kSource + "/stress-tests/k6/" + s + ".js"), std::string::npos)
        << s << ":\n"
        << ok.output;
  }

  // The check can fail: a script that is not a module, and one without handleSummary.
  TempDir dir;
  std::ofstream(dir.path() + "/broken.js") << "import http from 'k6/http';\nexport const x = {;\n";
  std::ofstream(dir.path() + "/bare.js")
      << "import http from 'k6/http';\nexport const options = {scenarios: {}, thresholds: {}};\n"
         "export default function () { http.get('http://127.0.0.1/'); }\n";
  const Shell bad = RunShell(check + dir.path() + "/broken.js " + dir.path() + "/bare.js");
  EXPECT_EQ(bad.status, 1) << bad.output;
  EXPECT_NE(bad.output.find("FAIL " + dir.path() + "/broken.js"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("no handleSummary"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace fsvc::testing

// The t3 instance profiles, checked end to end.
//
// - docker-compose.stress.yml against the one profile table (stress-tests/
//   profiles.sh, read through `instance.sh --list`), via docker-compose's own
//   normalised `config` output; its replicas profile against
//   deploy/nginx/nginx.conf. Skipped where docker-compose is missing.
// - stress-tests/instance.sh with the real cgroups: the service's /health
//   reports the profile's limits, a process over the memory limit is
//   OOM-killed, and the credit model drops the quota to the baseline and
//   raises it again on a scaled clock. Skipped, with instance.sh's reason,
//   where cgroups are not writable.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace fsvc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSource = FSVC_SOURCE_DIR;
const std::string kInstance = kSource + "/stress-tests/instance.sh";

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct ShellResult {
  int status = -1;  // exit code, or 128 + signal like a shell reports it
  std::string output;
};

// Runs a shell command line, capturing what it prints (stdout and stderr).
ShellResult Shell(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int ws = ::pclose(pipe);
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  return r;
}

bool Installed(const std::string& tool) {
  return Shell("command -v " + Quote(tool)).status == 0;
}

// One row of `instance.sh --list`, by column name.
using Profile = std::map<std::string, std::string>;

std::map<std::string, Profile> ProfileTable() {
  std::map<std::string, Profile> table;
  const ShellResult r = Shell(Quote(kInstance) + " --list");
  std::istringstream lines(r.output);
  std::string line;
  std::vector<std::string> header;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> cells;
    for (std::string w; words >> w;) cells.push_back(w);
    if (header.empty()) {
      header = cells;
      continue;
    }
    if (cells.size() != header.size()) continue;
    Profile p;
    for (size_t i = 0; i < cells.size(); ++i) p[header[i]] = cells[i];
    table[p["profile"]] = p;
  }
  return table;
}

double Num(const Profile& p, const std::string& column) {
  return std::stod(p.at(column));
}

// "1g", "512m", 1073741824 -> bytes (compose keeps the unit, v2 resolves it).
std::optional<double> Bytes(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  size_t used = 0;
  const double n = std::stod(s, &used);
  std::string unit = s.substr(used);
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B') && unit.size() > 1)
    unit.pop_back();
  static const std::map<std::string, double> kUnits = {
      {"", 1}, {"b", 1}, {"k", 1024.0}, {"m", 1024.0 * 1024}, {"g", 1024.0 * 1024 * 1024}};
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return n * it->second;
}

double AsDouble(const json& v) {
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

// environment as a map whether compose wrote a mapping or a KEY=VALUE list.
std::map<std::string, std::string> Environment(const json& service) {
  std::map<std::string, std::string> env;
  const json& e = service.value("environment", json::object());
  if (e.is_object()) {
    for (auto& [k, v] : e.items()) env[k] = v.is_string() ? v.get<std::string>() : v.dump();
  } else {
    for (const auto& kv : e) {
      const std::string s = kv.get<std::string>();
      const auto eq = s.find('=');
      env[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
    }
  }
  return env;
}

// docker-compose's normalised view of the stress file, as JSON. Compose v1
// prints YAML only; Debian's docker-compose depends on python3-yaml.
std::optional<json> ComposeConfig(std::string* why) {
  const ShellResult r =
      Shell("cd " + Quote(kSource) +
            " && docker-compose -f docker-compose.stress.yml config | /usr/bin/python3 -c "
            "'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'");
  if (r.status != 0) {
    *why = r.output;
    return std::nullopt;
  }
  return json::parse(r.output.substr(r.output.find('{')), nullptr, false);
}

TEST(ProfileTable, HoldsEachInstanceBurstingAndAtBaseline) {
  const auto table = ProfileTable();
  ASSERT_EQ(table.size(), 6u) << "instance.sh --list";
  for (const auto& [name, p] : table) {
    const bool baseline = name.ends_with("-baseline");
    EXPECT_DOUBLE_EQ(Num(p, "cpus"), Num(p, baseline ? "baseline_cpus" : "burst_cpus")) << name;
    EXPECT_DOUBLE_EQ(Num(p, "burst_cpus"), Num(p, "vcpu")) << name;
    EXPECT_EQ(Num(p, "swap_bytes"), 0) << name;
    // A credit is one vCPU-minute, so an instance earns exactly its baseline.
    EXPECT_NEAR(Num(p, "baseline_cpus") * 60, Num(p, "credits_per_hour"), 1e-9) << name;
    EXPECT_DOUBLE_EQ(Num(p, "max_credits"), Num(p, "credits_per_hour") * 24) << name;
    if (!baseline) {
      EXPECT_TRUE(table.contains(name + "-baseline")) << name;
    }
  }
  ASSERT_TRUE(table.contains("t3-micro"));
  EXPECT_EQ(Num(table.at("t3-micro"), "memory_bytes"), 1073741824);
}

class ComposeFile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Installed("docker-compose")) GTEST_SKIP() << "docker-compose is not installed";
    std::string why;
    auto config = ComposeConfig(&why);
    ASSERT_TRUE(config && config->is_object()) << why;
    services_ = (*config)["services"];
  }
  json services_;
};

TEST_F(ComposeFile, EachProfileMatchesTheTable) {
  const auto table = ProfileTable();
  ASSERT_FALSE(table.empty());
  for (const auto& [name, p] : table) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(services_.contains(name));
    const json& s = services_[name];
    EXPECT_EQ(s.value("profiles", json::array()), json::array({name}));
    EXPECT_NEAR(AsDouble(s.at("cpus")), Num(p, "cpus"), 1e-9);
    const auto mem = Bytes(s.at("mem_limit"));
    const auto memswap = Bytes(s.at("memswap_limit"));
    ASSERT_TRUE(mem && memswap);
    EXPECT_EQ(*mem, Num(p, "memory_bytes"));
    EXPECT_EQ(*memswap, *mem + Num(p, "swap_bytes"));
    EXPECT_GT(s.value("pids_limit", 0), 0);

    const auto env = Environment(s);
    EXPECT_EQ(env.at("ENABLE_PROFILING"), "true");
    EXPECT_EQ(env.at("DISABLE_RATE_LIMITER"), "true");
    EXPECT_EQ(env.at("MAX_BODIES_PER_CLIENT"), "0");
    EXPECT_EQ(env.at("AUTH"), "off");
    EXPECT_EQ(env.at("PORT"), "8080");
    EXPECT_EQ(env.at("DATA_DIR"), "/data");
    // Sizing comes from the cgroup; a fixed figure here would contradict it.
    EXPECT_FALSE(env.contains("THREADS"));
    EXPECT_FALSE(env.contains("MAX_UPLOAD_BYTES"));

    EXPECT_NE(s.at("healthcheck").at("test").dump().find("/health"), std::string::npos);
    EXPECT_NE(s.at("ports").dump().find("8080"), std::string::npos);
    EXPECT_NE(s.at("volumes").dump().find(":/data"), std::string::npos);
    EXPECT_TRUE(s.contains("build"));
  }
  for (auto& [name, s] : services_.items()) {
    if (name.starts_with("t3-")) {
      EXPECT_TRUE(table.contains(name)) << name << " is not in the table";
    }
  }
}

TEST_F(ComposeFile, LoadtestProfileRunsK6OnTheRepositoryScripts) {
  ASSERT_TRUE(services_.contains("k6"));
  const json& k6 = services_["k6"];
  EXPECT_EQ(k6.value("profiles", json::array()), json::array({"loadtest"}));
  EXPECT_TRUE(k6.value("image", "").starts_with("grafana/k6"));
  const std::string volumes = k6.at("volumes").dump();
  EXPECT_NE(volumes.find("stress-tests/k6:/scripts"), std::string::npos) << volumes;
  EXPECT_NE(volumes.find("stress-tests/results:/results"), std::string::npos) << volumes;
}

// Two stateless replicas on the S3 store the environment names, behind the
// nginx of deploy/nginx/, whose upstream block lists exactly these replicas.
TEST_F(ComposeFile, ReplicasProfileIsTwoS3ReplicasBehindNginx) {
  std::ifstream conf_file(kSource + "/deploy/nginx/nginx.conf");
  ASSERT_TRUE(conf_file) << "deploy/nginx/nginx.conf";
  const std::string conf{std::istreambuf_iterator<char>(conf_file), {}};
  std::vector<std::string> replicas;
  for (auto& [name, s] : services_.items()) {
    if (s.value("profiles", json::array()) != json::array({"replicas"})) continue;
    if (name == "nginx") continue;
    SCOPED_TRACE(name);
    replicas.push_back(name);
    const auto env = Environment(s);
    EXPECT_EQ(env.at("STORAGE"), "s3");
    for (const char* key :
         {"S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY", "LINK_SECRET"}) {
      EXPECT_TRUE(env.contains(key)) << key;
    }
    EXPECT_EQ(env.at("TRUSTED_PROXY_HOPS"), "1");
    EXPECT_FALSE(env.contains("DATA_DIR"));
    EXPECT_TRUE(s.value("ports", json::array()).empty());
    EXPECT_TRUE(s.value("volumes", json::array()).empty());
    EXPECT_TRUE(s.value("read_only", false));
    EXPECT_EQ(s.at("networks").dump().find("file-service"), std::string::npos);
    EXPECT_NE(conf.find("server " + name + ":8080 "), std::string::npos) << "nginx.conf";
  }
  EXPECT_EQ(replicas.size(), 2u);

  ASSERT_TRUE(services_.contains("nginx"));
  const json& lb = services_["nginx"];
  EXPECT_EQ(lb.value("profiles", json::array()), json::array({"replicas"}));
  EXPECT_NE(lb.at("ports").dump().find("8080"), std::string::npos);
  EXPECT_NE(lb.at("networks").dump().find("file-service"), std::string::npos);
  for (const auto& name : replicas) {
    EXPECT_EQ(lb.at("depends_on").at(name).value("condition", ""), "service_healthy") << name;
  }
  size_t servers = 0;
  for (size_t at = conf.find("\n    server "); at != std::string::npos;
       at = conf.find("\n    server ", at + 1)) {
    ++servers;
  }
  EXPECT_EQ(servers, replicas.size()) << "nginx.conf's upstream servers";
}

TEST_F(ComposeFile, DotEnvMakesItTheDefaultFile) {
  const ShellResult r = Shell("cd " + Quote(kSource) + " && docker-compose config --services");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const auto& [name, p] : ProfileTable()) {
    EXPECT_NE(r.output.find(name + "\n"), std::string::npos) << name;
  }
}

// --- instance.sh on real cgroups ------------------------------------------

// "v1"/"v2" when instance.sh can make groups here; else nullopt and its reason.
std::optional<std::string> CgroupMode(std::string* why) {
  const ShellResult check = Shell(Quote(kInstance) + " --check");
  const auto at = check.output.find("cgroup v");
  if (check.status != 0 || at == std::string::npos) {
    *why = check.output;
    return std::nullopt;
  }
  return check.output.substr(at + 7, 2);
}

// Tests on real cgroups skip, saying why, where instance.sh cannot make them.
template <class Base>
class OnCgroups : public Base {
 protected:
  void SetUp() override {
    std::string why;
    auto mode = CgroupMode(&why);
    if (!mode) GTEST_SKIP() << why;
    mode_ = *mode;
  }
  std::string mode_;
};

// The cgroup directories instance.sh reports making ("(cgroup v1: A B C)").
std::vector<std::string> GroupDirs(const std::string& output) {
  std::vector<std::string> dirs;
  const auto open = output.find("(cgroup v");
  if (open == std::string::npos) return dirs;
  const auto colon = output.find(": ", open);
  const auto close = output.find(')', colon);
  std::istringstream words(output.substr(colon + 2, close - colon - 2));
  for (std::string d; words >> d;) dirs.push_back(d);
  return dirs;
}

void ExpectRemoved(const std::vector<std::string>& dirs) {
  EXPECT_FALSE(dirs.empty());
  for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d)) << d << " was left behind";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TempDir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() /
                 ("fsvc-instance-test-" + std::to_string(::getpid()) + "-" + info->name() + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

class HealthUnderProfile : public OnCgroups<::testing::TestWithParam<std::string>> {};

TEST_P(HealthUnderProfile, ReportsTheProfileLimits) {
  const auto table = ProfileTable();
  ASSERT_TRUE(table.contains(GetParam()));
  const Profile& p = table.at(GetParam());

  json limits;
  std::vector<std::string> dirs;
  {
    testing::ServerProcess::Options options;
    options.wrapper = {kInstance, GetParam(), "--"};
    testing::ServerProcess service(options);
    ASSERT_TRUE(service.Start()) << service.Stderr();
    dirs = GroupDirs(service.Stderr());
    for (const auto& d : dirs) EXPECT_TRUE(fs::is_directory(d)) << d;

    const auto res = service.Client(10)->Get("/health");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200) << res->body;
    const json body = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("limits")) << res->body;
    limits = body["limits"];

    // instance.sh passes SIGTERM on and exits with the service's status.
    const int ws = service.Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << ws << "\n" << service.Stderr();
  }
  EXPECT_EQ(limits.value("cgroup", ""), mode_) << limits.dump();
  ASSERT_TRUE(limits["cpu_cores"].is_number()) << limits.dump();
  EXPECT_NEAR(limits["cpu_cores"].get<double>(), Num(p, "cpus"), 0.005) << limits.dump();
  ASSERT_TRUE(limits["memory_limit_bytes"].is_number()) << limits.dump();
  EXPECT_EQ(limits["memory_limit_bytes"].get<double>(), Num(p, "memory_bytes")) << limits.dump();
  ExpectRemoved(dirs);
}

INSTANTIATE_TEST_SUITE_P(Instance, HealthUnderProfile,
                         ::testing::Values("t3-micro", "t3-micro-baseline"), [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

// dd's buffer is its resident memory: 1.5 GiB of it.
const std::string kHog = "dd if=/dev/zero of=/dev/null bs=1536M count=1 iflag=fullblock";

using InstanceScript = OnCgroups<::testing::Test>;

TEST_F(InstanceScript, StopsAProcessOverTheMemoryLimit) {
  const ShellResult over = Shell(Quote(kInstance) + " t3-micro -- " + kHog);
  EXPECT_EQ(over.status, 128 + SIGKILL) << over.output;
  EXPECT_NE(over.output.find("OOM-killed"), std::string::npos) << over.output;
  ExpectRemoved(GroupDirs(over.output));

  // The same process fits a 2 GiB instance: the limit, not the machine, killed it.
  const ShellResult fits = Shell(Quote(kInstance) + " t3-small -- " + kHog);
  EXPECT_EQ(fits.status, 0) << fits.output;
  ExpectRemoved(GroupDirs(fits.output));
}

TEST_F(InstanceScript, PassesOnTheExitStatus) {
  const ShellResult r = Shell(Quote(kInstance) + " t3-small-baseline -- sh -c 'exit 7'");
  EXPECT_EQ(r.status, 7) << r.output;
  ExpectRemoved(GroupDirs(r.output));
}

TEST(InstanceScriptWithoutCgroups, SaysSoWhenCgroupsAreNotWritable) {
  if (::geteuid() != 0 || !Installed("setpriv")) GTEST_SKIP() << "needs root and setpriv";
  const ShellResult r =
      Shell("setpriv --reuid=65534 --regid=65534 --clear-groups " + Quote(kInstance) + " --check");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("cgroups are not usable here"), std::string::npos) << r.output;
}

struct CreditRow {
  double cpu_used = 0;
  double balance = 0;
  std::string state;
  double quota = 0;
};

std::vector<CreditRow> ReadCreditLog(const fs::path& csv) {
  std::vector<CreditRow> rows;
  std::istringstream lines(ReadFile(csv));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::istringstream in(line);
    for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
    if (cells.size() != 6) continue;
    rows.push_back({std::stod(cells[2]), std::stod(cells[3]), cells[4], std::stod(cells[5])});
  }
  return rows;
}

TEST_F(InstanceScript, CreditsRunOutToTheBaselineAndComeBack) {
  const auto table = ProfileTable();
  const Profile& p = table.at("t3-micro");
  const fs::path dir = TempDir("");
  const fs::path csv = dir / "credits.csv";
  // x600: t3-micro earns 2 credits per real second and a busy CPU spends 10,
  // so 2 credits last well under the 4 s of load; 3 idle seconds earn the 1
  // credit needed to burst again several times over.
  const ShellResult r =
      Shell(Quote(kInstance) +
            " t3-micro --credits --time-scale 600 --initial-credits 2 --interval 0.25"
            " --log " +
            Quote(csv.string()) + " -- sh -c 'timeout 4 sh -c \"while :; do :; done\"; sleep 3'");
  ASSERT_EQ(r.status, 0) << r.output;
  ExpectRemoved(GroupDirs(r.output));
  const auto rows = ReadCreditLog(csv);
  ASSERT_GT(rows.size(), 10u) << ReadFile(csv);

  const double burst = Num(p, "burst_cpus"), baseline = Num(p, "baseline_cpus");
  EXPECT_EQ(rows.front().state, "burst");
  EXPECT_DOUBLE_EQ(rows.front().quota, burst);
  size_t dropped = rows.size(), raised = rows.size();
  for (size_t i = 1; i < rows.size(); ++i) {
    if (dropped == rows.size() && rows[i].state == "baseline") dropped = i;
    if (dropped < i && raised == rows.size() && rows[i].state == "burst") raised = i;
  }
  ASSERT_LT(dropped, rows.size()) << "quota never dropped\n" << ReadFile(csv);
  ASSERT_LT(raised, rows.size()) << "quota never came back\n" << ReadFile(csv);
  // The quota column is read back from the kernel's cgroup files.
  EXPECT_DOUBLE_EQ(rows[dropped].quota, baseline);
  EXPECT_EQ(rows[dropped].balance, 0);
  EXPECT_DOUBLE_EQ(rows[raised].quota, burst);
  EXPECT_GE(rows[raised].balance, 1.0);

  // While held at the baseline the group really was throttled: the ticks
  // after the switch (the switch tick itself still counts burst time) use no
  // more than the quota plus one CFS period's rounding.
  double used = 0;
  int ticks = 0;
  for (size_t i = dropped + 1; i < raised; ++i) {
    used += rows[i].cpu_used;
    ++ticks;
  }
  if (ticks > 0) {
    EXPECT_LE(used / ticks, baseline + 0.1) << ReadFile(csv);
  }
  fs::remove_all(dir);
}

// --- the image's runtime stage ---------------------------------------------

// The packages the Dockerfile's last stage installs (its first apt-get install).
std::vector<std::string> RuntimePackages() {
  std::string joined;
  std::istringstream lines(ReadFile(kSource + "/Dockerfile"));
  for (std::string line; std::getline(lines, line);) {
    const bool continued = !line.empty() && line.back() == '\\';
    joined += continued ? line.substr(0, line.size() - 1) + " " : line + "\n";
  }
  std::vector<std::string> packages;
  const auto stage = joined.rfind("\nFROM ");
  const auto install = joined.find("apt-get install", stage == std::string::npos ? 0 : stage);
  if (install == std::string::npos) return packages;
  const auto eol = joined.find('\n', install);
  std::istringstream words(joined.substr(install, eol - install));
  std::string w;
  words >> w >> w;  // "apt-get install"
  while (words >> w && w != "&&") {
    if (!w.starts_with("-")) packages.push_back(w);
  }
  return packages;
}

// The installed packages `roots` pull in, per dpkg's own Depends/Pre-Depends
// (names not installed, such as virtual packages, end the walk).
std::set<std::string> InstalledClosure(const std::vector<std::string>& roots) {
  std::map<std::string, std::vector<std::string>> depends;
  std::istringstream db(
      Shell("dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Depends}, ${Pre-Depends}\\n'")
          .output);
  for (std::string line; std::getline(db, line);) {
    if (!line.starts_with("ii ")) continue;
    for (auto& c : line) c = c == '|' || c == ',' ? ' ' : c;
    std::istringstream words(line.substr(3));
    std::string pkg, w;
    words >> pkg;
    auto& deps = depends[pkg];
    while (words >> w) {
      if (!w.starts_with("(") && !w.ends_with(")")) deps.push_back(w.substr(0, w.find(':')));
    }
  }
  std::set<std::string> seen;
  std::vector<std::string> todo(roots.begin(), roots.end());
  while (!todo.empty()) {
    const std::string pkg = todo.back();
    todo.pop_back();
    if (!depends.contains(pkg) || !seen.insert(pkg).second) continue;
    todo.insert(todo.end(), depends[pkg].begin(), depends[pkg].end());
  }
  return seen;
}

TEST(DockerImage, RuntimeStageInstallsEveryLibraryTheServiceLinks) {
  if (!Installed("dpkg-query") || !Installed("ldd")) GTEST_SKIP() << "needs dpkg and ldd";
  const auto packages = RuntimePackages();
  ASSERT_FALSE(packages.empty()) << "no apt-get install in the Dockerfile's last stage";
  const auto closure = InstalledClosure(packages);
  for (const auto& p : packages) {
    if (!closure.contains(p))
      GTEST_SKIP() << p << " is not installed here: its dependencies are unknown";
  }
  EXPECT_TRUE(closure.contains("curl")) << "the health check needs curl";

  // Each shared library's owner, found whichever side of merged /usr dpkg lists it on.
  const ShellResult libs =
      Shell("ldd " + Quote(FSVC_BINARY) +
            " | awk '/=> \\// {print $3}' | while read -r f; do"
            " o=$(dpkg -S \"$f\" 2>/dev/null || dpkg -S \"/usr$f\" 2>/dev/null ||"
            " dpkg -S \"${f#/usr}\" 2>/dev/null) || o=\"?: $f\"; echo \"${o%%:*} $f\"; done");
  ASSERT_EQ(libs.status, 0) << libs.output;
  std::istringstream lines(libs.output);
  int count = 0;
  for (std::string owner, path; lines >> owner >> path; ++count) {
    EXPECT_TRUE(closure.contains(owner))
        << path << " comes from " << owner << ", which the runtime stage does not install";
  }
  EXPECT_GT(count, 3) << libs.output;
}

}  // namespace
}  // namespace fsvc

#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "storage/s3/client.h"

namespace fsvc::testing {
namespace {
// The server may close a connection while a test is still sending a body it
// refused; the client must see EPIPE, not die of SIGPIPE.
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The test bucket's client, from the environment tests/s3/run.sh sets.
std::unique_ptr<s3::Client> BucketClient(const std::string& bucket) {
  s3::Config config;
  config.endpoint = EnvOr("S3_ENDPOINT");
  config.bucket = bucket;
  config.access_key = EnvOr("S3_ACCESS_KEY");
  config.secret_key = EnvOr("S3_SECRET_KEY");
  auto client = s3::Client::Create(config);
  return client ? std::move(*client) : nullptr;
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "fsvc-test-XXXXXX").string();
  path_ = ::mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool TestsOnS3() {
  return EnvOr("FSVC_TEST_STORAGE") == "s3";
}

ServerProcess::ServerProcess(Options options) : options_(std::move(options)) {
  if (options_.data_dir.empty()) {
    owned_dir_ = std::make_unique<TempDir>();
    data_dir_ = owned_dir_->path() + "/data";
  } else {
    data_dir_ = options_.data_dir;
  }
  log_path_ = data_dir_ + ".log";
  if (TestsOnS3()) {
    // One bucket per data folder: a test that restarts a server on its
    // folder finds its files again.
    char bucket[32];
    std::snprintf(bucket, sizeof bucket, "fsvc-%016zx", std::hash<std::string>{}(data_dir_));
    s3_bucket_ = bucket;
    if (auto client = BucketClient(s3_bucket_)) (void)client->CreateBucket();  // may exist
  }
}

std::vector<std::string> ServerProcess::BucketContents() const {
  std::vector<std::string> out;
  auto client = BucketClient(s3_bucket_);
  if (!client) return {"<no S3 client>"};
  s3::ListOptions list;
  for (;;) {
    auto page = client->ListObjectsV2(list);
    if (!page) return {"<" + page.error().message + ">"};
    for (const auto& o : page->objects) out.push_back(o.key);
    if (page->next_token.empty()) break;
    list.continuation_token = page->next_token;
  }
  auto uploads = client->ListMultipartUploads({});
  if (!uploads) return {"<" + uploads.error().message + ">"};
  for (const auto& u : uploads->uploads) out.push_back("upload:" + u.key);
  return out;
}

ServerProcess::~ServerProcess() {
  if (Running()) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50 && Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (Running()) Stop(SIGKILL);
  }
}

bool ServerProcess::Start() {
  port_ = 0;  // a restart must not report the previous run's port
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return false;
  std::vector<std::string> argv = options_.wrapper;
  argv.push_back(FSVC_BINARY);
  argv.push_back("--host=127.0.0.1");
  argv.push_back("--port=0");
  argv.push_back("--data-dir=" + data_dir_);
  // Tests send bursts far above a client's fair share, all from 127.0.0.1;
  // the limiters' own tests turn them back on (a later flag wins).
  argv.push_back("--disable-rate-limiter=true");
  argv.push_back("--max-bodies-per-client=0");
  // Access control is off unless a test turns it on (auth_test).
  argv.push_back("--auth=off");
  if (on_s3()) {
    // Replicas of one test share links: the same secret everywhere.
    argv.push_back("--storage=s3");
    argv.push_back("--s3-bucket=" + s3_bucket_);
    argv.push_back("--link-secret=s3-integration-link-secret-0123456789");
  }
  for (const auto& a : options_.args) argv.push_back(a);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
    for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // Read stdout until the "listening on HOST:PORT" line, for at most 20 s.
  std::string buf;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < deadline && Running()) {
    char c[256];
    const ssize_t n = ::read(out[0], c, sizeof c);
    if (n > 0) {
      buf.append(c, static_cast<size_t>(n));
      const auto at = buf.find("listening on ");
      const auto nl = buf.find('\n', at == std::string::npos ? 0 : at);
      if (at != std::string::npos && nl != std::string::npos) {
        const std::string addr = buf.substr(at, nl - at);
        port_ = std::atoi(addr.substr(addr.rfind(':') + 1).c_str());
        break;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::close(out[0]);
  return port_ > 0;
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool ServerProcess::Running() const {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    const_cast<ServerProcess*>(this)->pid_ = -1;  // reaped: remember it
    return false;
  }
  return r == 0;
}

std::unique_ptr<httplib::Client> ServerProcess::Client(int timeout_sec) const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_connection_timeout(5);
  c->set_read_timeout(timeout_sec);
  c->set_write_timeout(timeout_sec);
  return c;
}

std::string ServerProcess::Stderr() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {
long StatusField(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
  }
  return -1;
}
}  // namespace

long ServerProcess::PeakRssKb() const {
  return StatusField(pid_, "VmHWM");
}
long ServerProcess::RssKb() const {
  return StatusField(pid_, "VmRSS");
}

int ServerProcess::OpenFdCount() const {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) {
      out.push_back(std::filesystem::relative(e.path(), dir, ec).string());
    }
  }
  return out;
}

}  // namespace fsvc::testing

// Runs the real file-service binary for a test: a free port on 127.0.0.1,
// a fresh temporary data folder, and real HTTP through httplib::Client.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fsvc::testing {

// A temporary folder removed (recursively) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  struct Options {
    std::vector<std::string> args;           // extra flags
    std::map<std::string, std::string> env;  // extra environment
    std::vector<std::string> wrapper;        // e.g. {"instance.sh", "t3-micro", "--"}
    std::string data_dir;                    // empty: a fresh TempDir
  };

  explicit ServerProcess(Options options = {});
  ~ServerProcess();  // SIGTERM, then SIGKILL if it lingers

  // Starts it and waits for "listening on"; false (with stderr captured) if it
  // did not come up within 20 s.
  bool Start();
  // Sends `sig` and waits for exit; returns the wait status.
  int Stop(int sig);
  bool Running() const;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::unique_ptr<httplib::Client> Client(int timeout_sec = 30) const;
  std::string Stderr() const;  // what the server logged so far

  // FSVC_TEST_STORAGE=s3: the server stores in s3_bucket() (see S3Flags).
  bool on_s3() const { return !s3_bucket_.empty(); }
  const std::string& s3_bucket() const { return s3_bucket_; }
  // On s3: every key in the bucket, then "upload:<key>" for each multipart
  // upload in progress, so a leftover of any kind shows.
  std::vector<std::string> BucketContents() const;

  // From /proc/PID/status, in KiB: VmHWM (peak RSS) and VmRSS.
  long PeakRssKb() const;
  long RssKb() const;
  int OpenFdCount() const;

 private:
  Options options_;
  std::unique_ptr<TempDir> owned_dir_;
  std::string data_dir_;
  std::string log_path_;
  std::string s3_bucket_;  // empty on the local backend
  pid_t pid_ = -1;
  int port_ = 0;
};

// The backend FSVC_TEST_STORAGE asks for: true for s3.
bool TestsOnS3();

// Files below `dir` (recursive), as paths relative to it.
std::vector<std::string> ListFiles(const std::string& dir);

}  // namespace fsvc::testing

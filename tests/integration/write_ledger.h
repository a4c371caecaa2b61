// Concurrent writers whose acknowledged state is known, for tests that kill
// the server under them. Writer w writes w<w>/f0..f6 in turn through one
// server (new files, overwrites, and every fifth write a DELETE) until a
// write gets no answer. After a restart every path must hold the bytes of
// its last acknowledged write, or, when a write's answer never came, maybe
// that write's: it may or may not have happened, never in part.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"
#include "util/thread_annotations.h"

namespace fsvc::testing {

class WriteLedger {
 public:
  // The body of writer `w`'s `i`-th write.
  using BodyFn = std::function<std::string(int w, int i)>;

  WriteLedger(int writers, BodyFn body) : writers_(writers), body_(std::move(body)) {}
  ~WriteLedger() { Join(); }

  // Starts the writers against `server`; they run until Join(), or until
  // their writes stop being answered (the server was killed).
  void Start(const ServerProcess& server);
  void Join();

  // Reads every path written so far through `c`, records a failure (with
  // `when` in its message) for any that holds neither its acknowledged nor its
  // unanswered write, and takes what it found as the known state.
  void Verify(httplib::Client& c, const std::string& when);

  size_t acknowledged() const { return acknowledged_; }
  // The paths whose known state is a file (after Verify: what it found).
  std::vector<std::string> Present();
  // w0 .. w<writers-1>.
  std::vector<std::string> folders() const;

 private:
  struct PathState {
    std::string acked;                   // sha256, or "" for absent
    std::optional<std::string> pending;  // sent, answer not seen
  };
  void Write(const ServerProcess& server, int w);

  const int writers_;
  const BodyFn body_;
  std::mutex mu_;
  std::map<std::string, PathState> states_ GUARDED_BY(mu_);
  std::atomic<size_t> acknowledged_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace fsvc::testing

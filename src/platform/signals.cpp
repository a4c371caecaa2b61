#include "platform/signals.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "util/log.h"

namespace fsvc {
namespace {

// Set by main once the server has drained. The watcher decides to end the
// process under the lock, so main cannot tear down what `in_flight` reads
// while it is being called.
std::mutex g_drained_mu;
bool g_drained = false;

bool Drained() {
  std::lock_guard lock(g_drained_mu);
  return g_drained;
}

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

struct ExitHooks {
  std::mutex mu;
  int next_id = 0;
  std::map<int, std::function<void()>> hooks;
};

ExitHooks& Hooks() {
  static ExitHooks hooks;
  return hooks;
}

void RunForcedExitHooks() {
  ExitHooks& h = Hooks();
  std::lock_guard lock(h.mu);  // held until _exit: no hook is removed mid-run
  for (auto& [id, hook] : h.hooks) hook();
}

}  // namespace

int AddForcedExitHook(std::function<void()> hook) {
  ExitHooks& h = Hooks();
  std::lock_guard lock(h.mu);
  const int id = h.next_id++;
  h.hooks.emplace(id, std::move(hook));
  return id;
}

void RemoveForcedExitHook(int id) {
  ExitHooks& h = Hooks();
  std::lock_guard lock(h.mu);
  h.hooks.erase(id);
}

void InstallProcessSignals() {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);
  const sigset_t set = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WatchShutdownSignals(std::function<void()> on_shutdown, int grace_seconds,
                          std::function<int64_t()> in_flight) {
  std::thread([on_shutdown = std::move(on_shutdown), grace_seconds,
               in_flight = std::move(in_flight)] {
    const sigset_t set = ShutdownSet();
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    LogInfo(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
            ": draining in-flight requests");
    on_shutdown();
    // Bounded wait: a second signal or the grace period ends it now. The
    // metadata is a WAL database, so exiting here loses nothing committed.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
    timespec step{0, 200'000'000};
    bool second_signal = false;
    while (!Drained() && std::chrono::steady_clock::now() < deadline) {
      if (sigtimedwait(&set, nullptr, &step) > 0) {
        second_signal = true;
        break;
      }
    }
    std::lock_guard lock(g_drained_mu);
    if (g_drained) return;  // main is on its way out with its own status
    const int64_t cut_off = in_flight ? in_flight() : 0;
    const std::string why = second_signal ? "second signal" : "shutdown grace period over";
    RunForcedExitHooks();
    if (cut_off <= 0) {
      // Only idle connections were left: nothing a client had asked for is lost.
      LogInfo(why + ": no request in flight, exiting");
      ::_exit(0);
    }
    LogWarn(why + ": " + std::to_string(cut_off) + " request" + (cut_off == 1 ? "" : "s") +
            " cut off, exiting with status " + std::to_string(kExitRequestsCutOff));
    ::_exit(kExitRequestsCutOff);
  }).detach();
}

void ShutdownDrained() {
  std::lock_guard lock(g_drained_mu);
  g_drained = true;
}

}  // namespace fsvc

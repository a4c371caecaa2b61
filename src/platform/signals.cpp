#include "platform/signals.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "util/log.h"

namespace fsvc {
namespace {

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

void WatchShutdownSignals(std::function<void()> on_shutdown, int grace_seconds) {
  std::thread([on_shutdown = std::move(on_shutdown), grace_seconds] {
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
    while (std::chrono::steady_clock::now() < deadline) {
      if (sigtimedwait(&set, nullptr, &step) > 0) break;
    }
    LogWarn("shutdown grace period over: exiting with requests still in flight");
    RunForcedExitHooks();
    ::_exit(0);
  }).detach();
}

}  // namespace fsvc

// Process-wide signal set-up.
//
// SIGPIPE and SIGXFSZ are ignored so a vanished client or a file-size limit
// turn into write errors (EPIPE, EFBIG) the code handles. SIGTERM and SIGINT
// are blocked in every thread and taken by one watcher thread, which calls
// the shutdown callback once; a second signal, or the grace period running
// out, ends the process at once.
//
// Exit status: 0 when every request finished (main returns after
// ShutdownDrained), kExitRequestsCutOff when the grace period or a second
// signal ended requests still in flight, so a supervisor or deploy script can
// tell a clean stop from one that dropped clients (who should retry).
#pragma once

#include <cstdint>
#include <functional>

namespace fsvc {

// EX_TEMPFAIL (sysexits.h): the work that was cut off can be retried.
inline constexpr int kExitRequestsCutOff = 75;

// Call first in main, before any thread starts, so all threads inherit the mask.
void InstallProcessSignals();

// Starts the watcher. `on_shutdown` runs on the watcher thread; `in_flight`
// counts the requests still being served, called only if the grace runs out.
void WatchShutdownSignals(std::function<void()> on_shutdown, int grace_seconds,
                          std::function<int64_t()> in_flight);

// The server has stopped and every request finished: the watcher no longer
// ends the process, and main's own exit status stands.
void ShutdownDrained();

// Cleanup that must also happen when the grace period runs out and the
// process ends with _exit (no destructors run): each hook runs once, on the
// watcher thread, just before that exit. Returns an id for removal; removal
// waits for a hook that is running. Hooks must be quick and must not throw.
int AddForcedExitHook(std::function<void()> hook);
void RemoveForcedExitHook(int id);

}  // namespace fsvc

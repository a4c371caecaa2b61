// Process-wide signal set-up.
//
// SIGPIPE and SIGXFSZ are ignored so a vanished client or a file-size limit
// turn into write errors (EPIPE, EFBIG) the code handles. SIGTERM and SIGINT
// are blocked in every thread and taken by one watcher thread, which calls
// the shutdown callback once; a second signal, or the grace period running
// out, ends the process at once.
#pragma once

#include <functional>

namespace fsvc {

// Call first in main, before any thread starts, so all threads inherit the mask.
void InstallProcessSignals();

// Starts the watcher. `on_shutdown` runs on the watcher thread.
void WatchShutdownSignals(std::function<void()> on_shutdown, int grace_seconds);

// Cleanup that must also happen when the grace period runs out and the
// process ends with _exit (no destructors run): each hook runs once, on the
// watcher thread, just before that exit. Returns an id for removal; removal
// waits for a hook that is running. Hooks must be quick and must not throw.
int AddForcedExitHook(std::function<void()> hook);
void RemoveForcedExitHook(int id);

}  // namespace fsvc

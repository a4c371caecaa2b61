// Debugging routes (all need the admin role):
//   POST /debug/purge                  jemalloc arena purge, memory before/after (Go's
//                                      debug.FreeOSMemory); always served
// Only with config.enable_profiling (404 otherwise), Go's net/http/pprof for C++:
//   GET  /debug/pprof, /debug/pprof/   index page
//   GET  /debug/pprof/profile          CPU profile, ?seconds=N (default 30, capped by
//                                      config.pprof_max_seconds); 409 while another runs
//   GET  /debug/pprof/heap             live-heap sample, ?gc=1 purges first
//   GET  /debug/pprof/flamegraph       SVG of a CPU profile (?seconds=N) or ?type=heap
//   GET  /debug/pprof/threads          every thread: name, state, CPU time
//   GET  /debug/pprof/cmdline          NUL-separated command line
//   GET|POST /debug/pprof/symbol       Go's symbol protocol
//   POST /debug/alloc-test?bytes=N     holds one buffer of N bytes (0 frees it), allocated
//                                      in fsvc::HoldTestAllocation, so that anyone can check
//                                      that the heap profile shows a known allocation
// Profiles are gzipped profile.proto with names filled in; ?debug=1 gives text instead.
// A CPU profile ends early when `stopping` turns true (shutdown), so it never holds the
// server past its grace period.
#pragma once

#include <atomic>

#include "config/config.h"
#include "http/server.h"

namespace fsvc {

void RegisterDebugRoutes(HttpServer& server, const Config& config,
                         const std::atomic<bool>& stopping);

}  // namespace fsvc

#include "observability/pprof/debug_pages.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "observability/pprof/symbolizer.h"

namespace fsvc::pprof {

HttpBody IndexPage() {
  struct Entry {
    const char* href;
    const char* name;
    const char* help;
  };
  static constexpr Entry kEntries[] = {
      {"profile?seconds=30", "profile",
       "CPU profile of all threads (gperftools). ?seconds=N; open with go tool pprof URL. "
       "One at a time."},
      {"heap", "heap",
       "Sampled live heap (jemalloc, 1 sample per 512 KiB by default). ?gc=1 purges arenas "
       "first; ?seconds=N: what was allocated (and is still live) within N seconds."},
      {"wall?seconds=10", "wall",
       "Wall-clock profile of every thread, running or waiting (fsync, locks, epoll_wait). "
       "?seconds=N, ?hz=N (default 100), ?format=svg for a flame graph. One at a time."},
      {"mutex", "mutex",
       "Waits on the service's own mutexes by the waiter's stack, since start (1 in "
       "MUTEX_PROFILE_RATE contended waits timed); ?seconds=N for a window."},
      {"flamegraph?seconds=10", "flamegraph",
       "CPU flame graph as SVG, rendered here; ?type=heap for the live heap."},
      {"threads?debug=1", "threads", "Every thread with its name, state and CPU time."},
      {"cmdline", "cmdline", "The command line of this process, NUL-separated."},
      {"symbol", "symbol", "Go's symbol lookup protocol: POST 0xADDR+0xADDR..."},
  };
  std::string html =
      "<html><head><title>/debug/pprof/</title></head><body>\n"
      "<h1>/debug/pprof/</h1>\n"
      "<p>Profiles are in pprof's format with C++ names filled in: "
      "<code>go tool pprof -http=127.0.0.1:9090 http://HOST:PORT/debug/pprof/profile?seconds=10"
      "</code>. Add <code>?debug=1</code> to a profile for plain text.</p>\n<table>\n";
  for (const Entry& e : kEntries) {
    html += std::string("<tr><td><a href=\"") + e.href + "\">" + e.name + "</a></td><td>" + e.help +
            "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return {html, "text/html; charset=utf-8", ""};
}

HttpBody CmdlinePage() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  const std::string raw = out.str();
  // The kernel ends every argument with NUL.
  std::vector<std::string> args;
  for (size_t start = 0; start < raw.size();) {
    const size_t end = std::min(raw.find('\0', start), raw.size());
    args.emplace_back(raw, start, end - start);
    start = end + 1;
  }
  // Secrets may be given as flags; the page shows that they were, not what they are.
  args = RedactArgs(std::move(args));
  std::string cmdline;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) cmdline += '\0';  // Go separates arguments, so none after the last
    cmdline += args[i];
  }
  return {cmdline, "text/plain; charset=utf-8", ""};
}

HttpBody SymbolPage(std::string_view addresses) {
  if (addresses.empty()) return {"num_symbols: 1\n", "text/plain; charset=utf-8", ""};
  Profile p;
  std::vector<uint64_t> wanted;
  while (!addresses.empty()) {
    size_t plus = addresses.find('+');
    std::string token(addresses.substr(0, plus));
    addresses.remove_prefix(plus == std::string_view::npos ? addresses.size() : plus + 1);
    char* end = nullptr;
    uint64_t address = std::strtoull(token.c_str(), &end, 16);
    if (token.empty() || end == token.c_str() || *end != '\0') continue;
    wanted.push_back(address);
    p.InternLocation(address);
  }
  Symbolizer::Global().Symbolize(p);
  std::string out;
  char buf[32];
  for (uint64_t address : wanted) {
    const Location& loc = p.locations[p.InternLocation(address) - 1];
    if (loc.lines.empty() || loc.mapping_id == 0) continue;  // not code of ours
    std::snprintf(buf, sizeof(buf), "%#" PRIx64 " ", address);
    // Go's protocol names the outermost function at the address, not inlined callees.
    out += buf + loc.lines.back().system_name + "\n";
  }
  return {out, "text/plain; charset=utf-8", ""};
}

}  // namespace fsvc::pprof

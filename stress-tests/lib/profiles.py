"""Collects CPU and heap profiles and flame graphs from /debug/pprof while a scenario runs.

Contract: files land in PROFILES_DIR as <scenario>_cpu.pb.gz, <scenario>_heap.pb.gz,
<scenario>_cpu_flame.<svg|html>, <scenario>_heap_flame.<svg|html>; a profile the server
does not offer is recorded as "unavailable" (404) or as the error it gave, never faked.
The CPU profile covers 40 % of the scenario (at most MAX_CPU_SECONDS); it and the CPU flame
graph are taken one after the other (the server runs
one CPU profile at a time). For each file the `go tool pprof -http` command is printed.
"""
import os
import sys
import threading
import time

from service import UNAVAILABLE

# Longer captures add little to a profile and the server caps them anyway.
MAX_CPU_SECONDS = 60


def _save(service, path, out_base, timeout):
    status, headers, body = service.request("GET", path, timeout=timeout)
    if status in (404, 405):
        return UNAVAILABLE
    if status != 200:
        return "error: status %d %s" % (status, body[:120].decode(errors="replace"))
    out = out_base
    if out_base.endswith(".flame"):
        ctype = headers.get("content-type", "")
        out = out_base[:-6] + "_flame." + ("html" if "html" in ctype else "svg")
    with open(out, "wb") as f:
        f.write(body)
    return out


class ProfileCollector:
    """start(duration) begins the CPU capture in the background; finish() takes the heap."""

    def __init__(self, service, scenario, out_dir):
        self.service = service
        self.base = os.path.join(out_dir, scenario)
        self.out_dir = out_dir
        self.files = {}
        self._thread = None

    def start(self, duration, cpu=True):
        """cpu=False skips the CPU capture (and says why in the result)."""
        os.makedirs(self.out_dir, exist_ok=True)
        if not cpu:
            why = "skipped: the profiler's buffers would count as the RSS growth this scenario checks"
            self.files["cpu"] = self.files["cpu_flamegraph"] = why
            return
        seconds = max(1, min(MAX_CPU_SECONDS, int(duration * 0.4)))
        lead = min(duration * 0.1, 5.0)

        def capture():
            time.sleep(lead)
            self.files["cpu"] = _save(self.service, "/debug/pprof/profile?seconds=%d" % seconds,
                                      self.base + "_cpu.pb.gz", seconds + 30)
            if self.files["cpu"] == UNAVAILABLE:
                self.files["cpu_flamegraph"] = UNAVAILABLE
                return
            self.files["cpu_flamegraph"] = _save(
                self.service, "/debug/pprof/flamegraph?seconds=%d" % seconds,
                self.base + "_cpu.flame", seconds + 30)

        self._thread = threading.Thread(target=capture, daemon=True)
        self._thread.start()

    def finish(self):
        if self._thread:
            self._thread.join(timeout=120)
        self.files["heap"] = _save(self.service, "/debug/pprof/heap", self.base + "_heap.pb.gz", 60)
        self.files["heap_flamegraph"] = _save(self.service, "/debug/pprof/flamegraph?type=heap",
                                              self.base + "_heap.flame", 60)
        for kind, f in sorted(self.files.items()):
            if f.endswith(".pb.gz"):
                sys.stderr.write("  %-5s profile: go tool pprof -http=127.0.0.1:9090 %s\n" % (kind, f))
            elif f.endswith((".svg", ".html")):
                sys.stderr.write("  %s: open %s in a browser\n" % (kind, f))
            else:
                sys.stderr.write("  %s: %s\n" % (kind, f))
        return self.files

"""Watches the service while a scenario runs: memory every second, progress on stderr.

Contract: start() takes the first (baseline) sample before returning; stop() returns the
samples [(t_seconds, rss_mb, threads)] and the source ("metrics", "proc" or
"unavailable"). Current req/s comes from /metrics/requests when the server has it.
`latency` holds [t_seconds, p50_ms, p95_ms, p99_ms, requests] per interval: the requests the
server finished in that interval, from the differences of its Prometheus latency histogram
(GET /metrics), interpolated inside the buckets; empty when the server has no histogram.
breakdown_samples holds [t_seconds, {part: bytes}] of the RSS breakdown where the service
reports one (/metrics/memory's breakdown.process).
"""
import re
import sys
import threading
import time

from service import UNAVAILABLE


HISTOGRAM = re.compile(r'^fsvc_http_request_duration_seconds_bucket\{le="([^"]+)"\} ([0-9.e+]+)$',
                       re.M)


class Monitor:
    def __init__(self, service, label, total_seconds, interval=1.0):
        self.service = service
        self.label = label
        self.total = total_seconds
        self.interval = interval
        self.samples = []
        self.breakdown_samples = []
        self.source = UNAVAILABLE
        self._stop = threading.Event()
        self._thread = None
        self._t0 = None
        self._last_total = None
        self.latency = []
        self._last_buckets = None
        self._tty = sys.stderr.isatty()

    def _sample(self):
        now = time.monotonic() - self._t0
        m = self.service.memory_now()
        if m:
            self.source = m[0]
            self.samples.append((round(now, 2), m[1] / 1048576.0, m[2]))
            if m[3]:
                self.breakdown_samples.append([round(now, 2), m[3]])
        return now

    def _rate(self):
        r = self.service.json("GET", "/metrics/requests", timeout=2)
        if not isinstance(r, dict) or "total" not in r:
            return None
        now = time.monotonic()
        prev, self._last_total = self._last_total, (now, r["total"])
        if prev is None or now <= prev[0]:
            return None
        return (r["total"] - prev[1]) / (now - prev[0])

    def _buckets(self):
        status, _, body = self.service.request("GET", "/metrics", timeout=2)
        if status != 200:
            return None
        found = HISTOGRAM.findall(body.decode(errors="replace"))
        return [(float("inf") if le == "+Inf" else float(le), float(n)) for le, n in found] \
            or None

    def _latency_window(self, elapsed):
        now = self._buckets()
        prev, self._last_buckets = self._last_buckets, now
        if not now or not prev or len(now) != len(prev):
            return
        counts = [(le, n - p) for (le, n), (_, p) in zip(now, prev)]
        total = counts[-1][1]
        if total <= 0:
            return

        def pct(q):
            want, lo_le, lo_n = q * total, 0.0, 0.0
            for le, n in counts:
                if n >= want:
                    if le == float("inf"):
                        return lo_le * 1000
                    return (lo_le + (le - lo_le) * (want - lo_n) / max(n - lo_n, 1e-9)) * 1000
                lo_le, lo_n = le, n
            return lo_le * 1000

        self.latency.append([round(elapsed, 2), round(pct(0.5), 3), round(pct(0.95), 3),
                             round(pct(0.99), 3), int(total)])

    def _progress(self, elapsed, rate):
        rss = "%.1f MB" % self.samples[-1][1] if self.samples else "n/a"
        thr = self.samples[-1][2] if self.samples and self.samples[-1][2] is not None else "n/a"
        rps = "%.0f" % rate if rate is not None else "n/a"
        line = "[%s] %3.0fs/%ds  %s req/s  RSS %s  threads %s" % (
            self.label, elapsed, self.total, rps, rss, thr)
        if self._tty:
            sys.stderr.write("\r" + line.ljust(78))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def _loop(self):
        tick = 0
        every = 1 if self._tty else 2
        while not self._stop.wait(self.interval):
            elapsed = self._sample()
            rate = self._rate()
            self._latency_window(elapsed)
            tick += 1
            if tick % every == 0:
                self._progress(elapsed, rate)

    def start(self):
        self._t0 = time.monotonic()
        self._sample()
        self._rate()
        self._last_buckets = self._buckets()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()
        if self._tty:
            sys.stderr.write("\n")
        return self.samples, self.source

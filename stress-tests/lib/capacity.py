"""The capacity answer: per t3 instance (burst and -baseline forms) the highest load of a
request mix that meets a latency SLO with < 0.1 % errors, and the limit that stops it.

usage: capacity.py --bin build/file-service --instances t3-micro,... [--slo p95=200ms]
                   [--mix ping=20,read=60,upload=15,batch=5] [--think 1s] [--quick]
                   [--results-dir DIR]

Contract: for every instance and form the service is started fresh under
`instance.sh PROFILE --vcpus 1 -- taskset -c 0 ...` (one vCPU of the instance's quota, pinned
to core 0) and the generator (stress-tests/arrival, built here from the Go standard library)
runs pinned to core 1, so the CPU verdict is the service's. Two searches run: open model
(arrival rate; latency from the intended send time) and closed model (users with exponential
think time). Each is a bracket-then-bisect search over steady steps (warm-up, then a measured
window). The answer is HEADROOM (85 %) of the highest level the search passed (the knee),
confirmed: it must pass CONFIRM_PASSES runs in a row (near a cliff one pass is luck), each
failure dropping it 15 %, at most CONFIRM_TRIES runs. Baseline forms' steps are longer.
In full runs a failing search step is run again and counts as failing only if it fails twice:
on a shared host one disturbed step would otherwise send the bisection below the real level
for good. Every step prints one progress line. Per-vCPU figures are multiplied by the
instance's vCPUs (linear scaling, stated in the result). At the step just above the found
level the binding limit is named from measurements (cgroup CPU use against the quota and
throttling, memory against the limit and OOM kills, an fsync probe on the data disk, fds and
connections, the service's own 503s, the generator's own CPU); the evidence is stored beside
the verdict. Writes RESULTS/capacity.json. Exit status 0 when every search ran, 2 when one
could not run.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import payload
import stats
from result import REPO, git_commit
from service import Service

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = "fsvc-capacity/1"
SEED_FILES, SEED_KB, UPLOAD_KB = 50, 16, 16
MAX_ERROR_RATE = 0.001
# (warm-up s, measured s, relative precision of the bracket, most steps per search, whether a
# failing step is run again)
PLAN = {False: (2, 8, 0.15, 10, True), True: (1, 2, 0.35, 5, False)}
# A baseline form's quota (0.10-0.20 CPU) runs the service 10-20 ms of every 100 ms period,
# so its latency varies more from step to step than an 8 s window averages away: full runs
# give its steps this many times the warm-up and measured window.
BASELINE_STEP_FACTOR = {False: 2, True: 1}
# The answer is this share of the knee (the highest level the search passed). At the knee the
# same load passes or fails by chance: runs that had passed failed at once when repeated, on
# a few 503s in 70,000 requests. A level a user can plan with keeps headroom below it.
HEADROOM = 0.85
# Confirming the answer: it must pass this many runs in a row (full, quick); a failure drops
# it 15 %; at most this many runs.
CONFIRM_PASSES = {False: 2, True: 1}
CONFIRM_TRIES = {False: 6, True: 2}
CONFIRM_BACKOFF = 0.85
# Share of core 0 used by other processes above which waiting for the core is theirs.
HOST_CONTENTION_PCT = 15
# Every binding limit verdict() names; capacity_check.py accepts these and no other.
LIMITS = ("cpu", "cpu (the service's threads queue for its core)",
          "cpu credits (baseline quota)", "memory", "disk (fsync latency)", "connections/fds",
          "admission (the service's 503s)", "database (SQLite lock contention: 503s)",
          "host CPU contention (other processes on the service's core: a lower bound)",
          "load generator (its core is full: the figure is a lower bound)",
          "latency (no measured resource saturated)")


def core_busy_s(core=0):
    """Seconds core `core` has spent busy since boot (/proc/stat), None if unreadable."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu%d " % core):
                    v = [int(x) for x in line.split()[1:]]
                    # user nice system idle iowait irq softirq steal: all but idle and iowait
                    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    return None


def say(msg):
    sys.stderr.write("capacity: %s\n" % msg)
    sys.stderr.flush()


def parse_duration_ms(text):
    m = re.fullmatch(r"([0-9.]+)\s*(ms|s)?", text.strip())
    if not m:
        raise ValueError("not a duration: %r" % text)
    return float(m.group(1)) * (1000 if m.group(2) == "s" else 1)


def parse_slo(text):
    """'p95=200ms' -> ("p95", 200.0)."""
    m = re.fullmatch(r"(p50|p95|p99)=(.+)", text.strip())
    if not m:
        raise ValueError("--slo takes pNN=DURATION, e.g. p95=200ms")
    return m.group(1), parse_duration_ms(m.group(2))


def profile(name):
    """The instance.sh --list row of a profile, as a dict of its columns."""
    out = subprocess.run([os.path.join(HERE, "instance.sh"), "--list"], capture_output=True,
                         text=True, check=True).stdout.split("\n")
    head = out[0].split()
    for line in out[1:]:
        cols = line.split()
        if cols and cols[0] == name:
            return dict(zip(head, cols))
    raise ValueError("unknown profile %s" % name)


def build_generator(cache):
    """Builds stress-tests/arrival offline (standard library only) into `cache`."""
    src = os.path.join(HERE, "arrival", "main.go")
    out = os.path.join(cache, "arrival")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    if not shutil.which("go"):
        raise RuntimeError("go is not installed (Debian: golang-go); the capacity search needs "
                           "its open-model generator stress-tests/arrival")
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               GOCACHE=os.path.join(cache, "gocache"))
    p = subprocess.run(["go", "build", "-o", out, src], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("go build of stress-tests/arrival failed: %s" % p.stderr[-600:])
    return out


# --- the service under an instance's limits ------------------------------------------------


class Cgroup:
    """Reads the instance group instance.sh made (v1 or v2) from the directories it logs."""

    def __init__(self, dirs):
        self.cpu = self.acct = self.mem = None
        for d in dirs:
            if os.path.exists(os.path.join(d, "cpu.max")):  # v2: one directory
                self.cpu = self.acct = self.mem = d
            if os.path.exists(os.path.join(d, "cpu.cfs_quota_us")):
                self.cpu = d
            if os.path.exists(os.path.join(d, "cpuacct.usage")):
                self.acct = d
            if os.path.exists(os.path.join(d, "memory.limit_in_bytes")):
                self.mem = d
        self.v2 = self.cpu is not None and os.path.exists(os.path.join(self.cpu, "cpu.max"))

    def _read(self, d, name):
        try:
            with open(os.path.join(d, name)) as f:
                return f.read()
        except (OSError, TypeError):
            return None

    def _kv(self, d, name):
        text = self._read(d, name) or ""
        return {k: int(v) for k, v in (line.split() for line in text.splitlines()
                                        if len(line.split()) == 2 and line.split()[1].isdigit())}

    def quota_cpus(self):
        if self.v2:
            q, p = (self._read(self.cpu, "cpu.max") or "max 100000").split()
            return None if q == "max" else int(q) / int(p)
        q = int(self._read(self.cpu, "cpu.cfs_quota_us") or -1)
        return None if q < 0 else q / int(self._read(self.cpu, "cpu.cfs_period_us"))

    def sample(self):
        """CPU used (s), throttled periods / periods, memory now (all it is charged, page
        cache included, and its anonymous part: what cannot be reclaimed without swap) and
        its limit, OOM kills."""
        st = self._kv(self.cpu, "cpu.stat")
        ms = self._kv(self.mem, "memory.stat")
        if self.v2:
            used = st.get("usage_usec", 0) / 1e6
            anon = ms.get("anon", 0)
            mem = int(self._read(self.mem, "memory.current") or 0)
            limit = self._read(self.mem, "memory.max") or "max"
            limit = None if limit.strip() == "max" else int(limit)
            oom = self._kv(self.mem, "memory.events").get("oom_kill", 0)
        else:
            used = int(self._read(self.acct, "cpuacct.usage") or 0) / 1e9
            anon = ms.get("total_rss", ms.get("rss", 0))
            mem = int(self._read(self.mem, "memory.usage_in_bytes") or 0)
            limit = int(self._read(self.mem, "memory.limit_in_bytes") or 0) or None
            oom = self._kv(self.mem, "memory.oom_control").get("oom_kill", 0)
        return {"cpu_s": used, "periods": st.get("nr_periods", 0),
                "throttled": st.get("nr_throttled", 0), "mem": mem, "anon": anon,
                "mem_limit": limit,
                "oom_kills": oom}


class Instance:
    """file-service started under instance.sh PROFILE --vcpus 1, pinned to core 0."""

    def __init__(self, binary, prof):
        self.binary, self.profile = binary, prof
        self.proc = self.dir = self.service = self.cgroup = self.pid = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="fsvc-capacity-")
        self.key = os.urandom(16).hex()
        env = dict(os.environ, API_KEYS="admin:" + self.key, FSVC_API_KEY=self.key,
                   DISABLE_RATE_LIMITER="true", MAX_BODIES_PER_CLIENT="0")
        self.log = self.dir + "/service.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [os.path.join(HERE, "instance.sh"), self.profile, "--vcpus", "1", "--",
                 "taskset", "-c", "0", self.binary, "--host", "127.0.0.1", "--port", "0",
                 "--data-dir", self.dir + "/data"], stdout=log, stderr=subprocess.STDOUT,
                env=env, stdin=subprocess.DEVNULL)
        port = None
        for _ in range(300):
            text = open(self.log).read()
            m = re.search(r"^file-service listening on .*:(\d+)$", text, re.M)
            if m:
                port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if not port:
            raise RuntimeError("the service did not start under instance.sh %s:\n%s"
                               % (self.profile, open(self.log).read()[-1500:]))
        m = re.search(r"\(cgroup v[12]: ([^)]*)\)", open(self.log).read())
        self.cgroup = Cgroup(m.group(1).split() if m else [])
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                self.pid = int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            self.pid = None
        os.environ["FSVC_API_KEY"] = self.key  # Service() sends it
        self.base_url = "http://127.0.0.1:%d" % port
        self.service = Service(self.base_url, self.pid)
        return self

    def health(self):
        h = self.service.json("GET", "/health", timeout=2)
        return h if isinstance(h, dict) else {}

    def fds(self):
        try:
            n = len(os.listdir("/proc/%d/fd" % self.pid))
            with open("/proc/%d/limits" % self.pid) as f:
                soft = next(int(line.split()[3]) for line in f if line.startswith("Max open files"))
            return n, soft
        except (OSError, TypeError, StopIteration, ValueError):
            return None, None

    def cpu_sched_s(self):
        """(seconds on a CPU, seconds runnable but waiting for one) summed over the service's
        threads (/proc/PID/task/*/schedstat). The waiting includes time throttled by the
        quota, so it names other processes on the core only while the quota is not used up
        (verdict() reads it after the CPU check)."""
        run = wait = 0
        try:
            tasks = os.listdir("/proc/%d/task" % self.pid)
        except (OSError, TypeError):
            return None
        for t in tasks:
            try:
                with open("/proc/%d/task/%s/schedstat" % (self.pid, t)) as f:
                    fields = f.read().split()
                run, wait = run + int(fields[0]), wait + int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        return run / 1e9, wait / 1e9

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        oom = "OOM-killed" in open(self.log).read() if self.dir else False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return oom


class FsyncProbe:
    """4 KiB write + fsync in the data folder every 0.2 s: the disk's answer time under load."""

    def __init__(self, folder):
        self.path = os.path.join(folder, ".capacity-fsync-probe")
        self.samples, self._stop = [], threading.Event()

    def _loop(self):
        block = b"\0" * 4096
        while not self._stop.wait(0.2):
            t = time.monotonic()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, block)
                os.fsync(fd)
            finally:
                os.close(fd)
            self.samples.append((time.monotonic() - t) * 1000)

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def p95(self):
        return stats.percentile_of(self.samples, 95)


# --- one steady step -----------------------------------------------------------------------


class Runner:
    def __init__(self, opts, gen, inst, vcpu, plan):
        self.opts, self.gen, self.inst, self.vcpu = opts, gen, inst, vcpu
        self.warmup, self.seconds = plan[0], plan[1]
        self.seed_folder, self.up_folder = "load/capacity/seed", "load/capacity/up"
        self.slo_key, self.slo_ms = opts.slo
        self.idle_fsync_ms = None
        self.steps = 0

    def generator(self, mode, level, mix=None, seconds=None, warmup=None):
        args = ["taskset", "-c", "1", self.gen, "-base", self.inst.base_url, "-mode", mode,
                "-duration", "%gs" % (seconds or self.seconds),
                "-warmup", "%gs" % (self.warmup if warmup is None else warmup),
                "-mix", mix or self.opts.mix, "-seed", self.seed_folder,
                "-seed-count", str(SEED_FILES), "-upload", self.up_folder,
                "-upload-kb", str(UPLOAD_KB), "-timeout", "5s"]
        if mode == "open":
            args += ["-rate", "%g" % level, "-conns", str(self.opts.conns)]
        else:
            args += ["-users", str(int(level)), "-think", "%gms" % self.opts.think_ms]
        return args

    def run_generator(self, args):
        env = dict(os.environ, GOMAXPROCS="1", FSVC_API_KEY=self.inst.key)
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             text=True)
        out, err = p.communicate(timeout=self.warmup + self.seconds + 60)
        if p.returncode != 0:
            raise RuntimeError("arrival failed (%d): %s" % (p.returncode, err[-400:]))
        return json.loads(out)

    def step(self, model, level):
        """One steady step at `level` (req/s or users, per modelled vCPU); its figures and
        the resources measured over its measured window."""
        self.steps += 1
        cg, inst = self.inst.cgroup, self.inst
        args = self.generator(model, level)
        holder = {}
        gen_thread = threading.Thread(target=lambda: holder.update(r=self._timed(args)))
        gen_thread.start()
        time.sleep(self.warmup + 0.1)
        c0, h0, w0, t0 = cg.sample(), inst.health(), inst.cpu_sched_s(), time.monotonic()
        k0 = core_busy_s()
        peak_mem, peak_anon, peak_fds, peak_conns, peak_queue = c0["mem"], c0["anon"], 0, 0, 0
        with FsyncProbe(inst.dir) as probe:
            while gen_thread.is_alive() and time.monotonic() - t0 < self.seconds:
                time.sleep(0.5)
                s, h = cg.sample(), inst.health()
                peak_mem = max(peak_mem, s["mem"])
                peak_anon = max(peak_anon, s["anon"])
                fds, fd_limit = inst.fds()
                peak_fds = max(peak_fds, fds or 0)
                srv = h.get("server") or {}
                peak_conns = max(peak_conns, (srv.get("connections") or {}).get("open", 0))
                peak_queue = max(peak_queue, (srv.get("queue") or {}).get("depth", 0))
            c1, h1, w1, t1 = cg.sample(), inst.health(), inst.cpu_sched_s(), time.monotonic()
            k1 = core_busy_s()
        gen_thread.join()
        if "error" in holder.get("r", {}):
            raise RuntimeError(holder["r"]["error"])
        r, gen_cpu = holder["r"]["doc"], holder["r"]["cpu_s"]
        tot = r["total"]
        lat = tot["latency_ms"] or {}
        quota = cg.quota_cpus()
        used = (c1["cpu_s"] - c0["cpu_s"]) / (t1 - t0)
        periods = c1["periods"] - c0["periods"]
        srv0, srv1 = h0.get("server") or {}, h1.get("server") or {}
        rejected = sum(((srv1.get("rejected") or {}).get(k, 0) -
                        (srv0.get("rejected") or {}).get(k, 0))
                       for k in ("queue_full", "connection_limit"))
        fds, fd_limit = inst.fds()
        res = {
            "level": level, "requests_per_sec": round(tot["requests_per_sec"], 1),
            "requests": tot["requests"], "error_rate": round(tot["error_rate"], 5),
            "status_503": tot["status_503"], "transport_errors": tot["transport_errors"],
            "statuses": tot["statuses"],
            "p50_ms": lat.get("p50"), "p95_ms": lat.get("p95"), "p99_ms": lat.get("p99"),
            "max_ms": lat.get("max"),
            "routes_p95_ms": {k: (v["latency_ms"] or {}).get("p95")
                              for k, v in r["routes"].items()},
            "cpu_used_cpus": round(used, 3), "cpu_quota_cpus": quota,
            # Of the time the service's threads were runnable, the share they waited for core 0.
            "cpu_wait_pct": wait_share(w0, w1),
            # Core 0's busy time that was not the service's: other processes on its core.
            "core_others_pct": round(100 * max(0.0, (k1 - k0) / (t1 - t0) - used), 1)
            if k0 is not None and k1 is not None else None,
            "cpu_quota_use_pct": round(100 * used / quota, 1) if quota else None,
            "throttled_periods_pct": round(100 * (c1["throttled"] - c0["throttled"]) / periods, 1)
            if periods else None,
            "memory_peak_mb": round(max(peak_mem, c1["mem"]) / 1048576, 1),
            "memory_anon_peak_mb": round(max(peak_anon, c1["anon"]) / 1048576, 1),
            "memory_limit_mb": round(c1["mem_limit"] / 1048576) if c1["mem_limit"] else None,
            "oom_kills": c1["oom_kills"],
            "fsync_p95_ms": round(probe.p95(), 2) if probe.samples else None,
            "fsync_idle_p95_ms": self.idle_fsync_ms,
            "fds_peak": peak_fds, "fd_limit": fd_limit,
            "open_connections_peak": peak_conns,
            "max_connections": (srv1.get("connections") or {}).get("max"),
            "queue_depth_peak": peak_queue, "queue_limit": (srv1.get("queue") or {}).get("limit"),
            "rejected_503_by_service": rejected,
            "uploads_rejected": ((srv1.get("uploads") or {}).get("rejected", 0) -
                                 (srv0.get("uploads") or {}).get("rejected", 0)),
            "error_kinds": r.get("error_kinds") or {},
            "send_lag_ms": r.get("send_lag_ms"),
            "generator_cpu_pct": round(100 * gen_cpu / (self.warmup + self.seconds), 1),
            "service_alive": inst.alive(),
        }
        res["passed"] = self.meets(res)
        return res

    def _timed(self, args):
        t = os.times()
        try:
            doc = self.run_generator(args)
        except (RuntimeError, ValueError, subprocess.SubprocessError) as e:
            return {"error": str(e)}
        u = os.times()
        return {"doc": doc, "cpu_s": (u.children_user - t.children_user) +
                (u.children_system - t.children_system)}

    def meets(self, s):
        v = s.get(self.slo_key + "_ms")
        return (v is not None and v <= self.slo_ms and s["error_rate"] < MAX_ERROR_RATE
                and s["status_503"] == 0 and s["requests"] > 0 and s["service_alive"])


def wait_share(before, after):
    if before is None or after is None:
        return None
    run, wait = after[0] - before[0], after[1] - before[1]
    return round(100 * wait / (run + wait), 1) if run + wait > 0 else None


def search(run, guess, precision, max_steps, floor, cap, label, retry=False):
    """Bracket (double or halve from `guess`) then bisect. With `retry` a failing step is run
    once more and the second run stands (its `retried` holds the first). Returns (best passing
    step or None, first failing step above it or None, every step)."""
    steps, good, bad = [], None, None

    def probe(level):
        level = max(floor, min(cap, round(level, 1 if level < 10 else 0)))
        if any(s["level"] == level for s in steps):
            return next(s for s in steps if s["level"] == level)
        s = run_again_on_failure(
            run, level, retry,
            lambda first: report_step(label, len(steps) + 1, first,
                                      " (failed once: running it again)"))
        report_step(label, len(steps) + 1, s, " (the second run)" if "retried" in s else "")
        steps.append(s)
        return s

    level = guess
    while len(steps) < max_steps:
        s = probe(level)
        if s["passed"]:
            good = s if good is None or s["level"] > good["level"] else good
        else:
            bad = s if bad is None or s["level"] < bad["level"] else bad
        if bad is None:
            if level >= cap:
                break
            level *= 2
        elif good is None:
            if level <= floor:
                break
            level /= 2
        else:
            if bad["level"] - good["level"] <= precision * good["level"] or \
                    bad["level"] - good["level"] <= (1 if label.endswith("closed") else 0.5):
                break
            level = (good["level"] + bad["level"]) / 2
    return good, bad, sorted(steps, key=lambda s: s["level"])


def run_again_on_failure(run, level, retry, on_first_failure):
    """run(level); with `retry` a failing run is reported by on_first_failure and run once
    more, and the second run stands, keeping the first one's figures in its `retried`."""
    s = run(level)
    if retry and not s["passed"]:
        on_first_failure(s)
        first, s = s, run(level)
        s["retried"] = {k: first[k] for k in ("p95_ms", "error_rate", "status_503")}
    return s


def report_step(label, n, s, note):
    say("%s step %d: %s -> %.0f req/s  p50 %s  p95 %s  p99 %s ms  errors %.3f%%  503 %d  "
        "cpu %s%% of quota (waited %s%%, others on the core %s%%)  %s%s" % (
            label, n, fmt_level(label, s["level"]), s["requests_per_sec"], num(s["p50_ms"]),
            num(s["p95_ms"]), num(s["p99_ms"]), 100 * s["error_rate"], s["status_503"],
            num(s["cpu_quota_use_pct"], "%.0f"), num(s["cpu_wait_pct"], "%.0f"),
            num(s["core_others_pct"], "%.0f"), "pass" if s["passed"] else "FAIL", note))


def rated(label, level):
    """HEADROOM of `level`, rounded as a step level (whole users for the closed model)."""
    level *= HEADROOM
    if label.endswith("closed"):
        return max(1, int(level))
    return round(level, 1 if level < 10 else 0)


def confirm(run, good, steps, passes, tries, label, retry=False):
    """Runs HEADROOM of the knee `good` until it passes `passes` runs in a row; each failure
    drops the level 15 % more; at most `tries` runs. With `retry` a failing run is run once
    more and the second run stands, as in search(). Returns (the answer: the last of the
    passing runs, else `good` unconfirmed; the nearest failing step above it among `steps`
    and the confirmations, or None; the confirmations; whether the level was confirmed)."""
    runs, level, streak = [], rated(label, good["level"]) if good else None, 0
    while good is not None and len(runs) < tries and streak < passes:
        s = run_again_on_failure(
            run, level, retry,
            lambda first: say("%s confirm %d: %s -> p95 %s ms, errors %.3f%%, 503 %d: FAIL "
                              "(running it again)" % (
                                  label, len(runs) + 1, fmt_level(label, level),
                                  num(first["p95_ms"]), 100 * first["error_rate"],
                                  first["status_503"])))
        runs.append(s)
        say("%s confirm %d: %s -> p95 %s ms, errors %.3f%%, 503 %d: %s" % (
            label, len(runs), fmt_level(label, level), num(s["p95_ms"]), 100 * s["error_rate"],
            s["status_503"], "pass" if s["passed"] else "FAIL"))
        if s["passed"]:
            streak += 1
            continue
        streak = 0
        level = round(level * CONFIRM_BACKOFF, 1 if level < 10 else 0)
        if label.endswith("closed"):
            level = max(1, int(level))
    confirmed = streak >= passes
    answer = runs[-1] if confirmed else good
    above = [s for s in list(steps) + runs
             if not s["passed"] and answer is not None and s["level"] > answer["level"]]
    bad = min(above, key=lambda s: s["level"]) if above else None
    return answer, bad, runs, confirmed


def fmt_level(label, level):
    return ("%g users" % level) if label.endswith("closed") else ("%g req/s" % level)


def num(v, fmt="%.2f"):
    return fmt % v if isinstance(v, (int, float)) and not isinstance(v, bool) else "n/a"


# --- the verdict ---------------------------------------------------------------------------


def verdict(good, bad, form, vcpu, slo_key, slo_ms):
    """(binding limit, evidence) from the step just above the found level (the one that
    failed), compared with the found level."""
    s = bad or good
    if s is None:
        return "unmeasured", {"why": "no step ran"}
    ev = {k: s.get(k) for k in (
        "level", "requests_per_sec", "p95_ms", "error_rate", "status_503",
        "rejected_503_by_service", "uploads_rejected", "error_kinds", "cpu_quota_use_pct",
        "throttled_periods_pct", "cpu_wait_pct", "core_others_pct", "send_lag_ms",
        "memory_peak_mb", "memory_anon_peak_mb", "memory_limit_mb", "oom_kills",
        "fsync_p95_ms", "fsync_idle_p95_ms",
        "fds_peak", "fd_limit", "open_connections_peak", "max_connections", "queue_depth_peak",
        "queue_limit", "generator_cpu_pct", "routes_p95_ms")}
    ev["at"] = "first failing step" if bad else "highest step (none failed)"
    if good:
        ev["at_found_level"] = {k: good.get(k) for k in (
            "level", "cpu_quota_use_pct", "memory_anon_peak_mb", "fsync_p95_ms", "p95_ms")}
    # Memory: the anonymous (unreclaimable) peak times the vCPUs, since the whole instance
    # carries vcpu times the modelled load in the same memory (page cache is reclaimed).
    limit = s.get("memory_limit_mb")
    projected = None
    if limit:
        projected = round(s["memory_anon_peak_mb"] * vcpu, 1)
        ev["memory_projected_mb_all_vcpus"] = projected
    if s.get("oom_kills") or not s.get("service_alive", True) or \
            (limit and projected and projected >= 0.9 * limit):
        return "memory", ev
    if s.get("status_503") or s.get("rejected_503_by_service"):
        said = " ".join(k for k in (s.get("error_kinds") or {}) if k.startswith("503"))
        if not s.get("rejected_503_by_service") and not s.get("uploads_rejected") and \
                re.search(r"database|locked|sqlite", said, re.I):
            return "database (SQLite lock contention: 503s)", ev
        return "admission (the service's 503s)", ev
    if (s.get("fd_limit") and s["fds_peak"] >= 0.8 * s["fd_limit"]) or \
            (s.get("max_connections") and s["open_connections_peak"] >= 0.9 * s["max_connections"]):
        return "connections/fds", ev
    if (s.get("cpu_quota_use_pct") or 0) >= 85 or (s.get("throttled_periods_pct") or 0) >= 50:
        return ("cpu credits (baseline quota)" if form == "baseline" else "cpu"), ev
    if (s.get("cpu_wait_pct") or 0) >= 50:
        # Runnable threads waiting for core 0: other processes' doing only when they used
        # the core; otherwise the service's own threads queue for its one core.
        if s.get("core_others_pct") is None or s["core_others_pct"] >= HOST_CONTENTION_PCT:
            return "host CPU contention (other processes on the service's core: a lower bound)", ev
        return ("cpu credits (baseline quota)" if form == "baseline" else
                "cpu (the service's threads queue for its core)"), ev
    idle = s.get("fsync_idle_p95_ms")
    if idle and s.get("fsync_p95_ms") and s["fsync_p95_ms"] >= max(3 * idle, idle + 5):
        return "disk (fsync latency)", ev
    if (s.get("generator_cpu_pct") or 0) >= 90:
        return "load generator (its core is full: the figure is a lower bound)", ev
    return "latency (no measured resource saturated)", ev


def burst_minutes(cpu_used_cpus, prof):
    """Minutes a full credit balance lasts at `cpu_used_cpus` of the whole instance, with
    instance.sh's credit model (one credit = one vCPU-minute; earned at credits_per_hour)."""
    earn_per_min = int(prof["credits_per_hour"]) / 60.0
    spend = cpu_used_cpus - earn_per_min
    if spend <= 0:
        return None
    return round(int(prof["max_credits"]) / spend, 1)


# --- the generator against wrk -------------------------------------------------------------


def check_generator(runner):
    """/ping at low load: wrk (one connection) beside arrival closed (one user, no think time)
    and arrival open at a quarter of wrk's rate. At low load nothing queues, so the three
    medians must agree; this is the check that arrival measures what wrk measures."""
    inst = runner.inst
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c1", "-d3s", "--latency",
                          inst.base_url + "/ping"], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    p50 = re.search(r"^\s*50%\s+([0-9.]+)(us|ms|s)", out, re.M)
    if not rps or not p50:
        return {"error": "no wrk figures: " + out[-300:]}
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    wrk = {"requests_per_sec": float(rps.group(1)), "p50_ms": float(p50.group(1)) * unit}
    closed = runner.run_generator(runner.generator("closed", 1, "ping=1", 3, 0.5)[:-2] +
                                  ["-think", "0s"])["total"]
    rate = max(10.0, round(wrk["requests_per_sec"] / 4))
    opened_doc = runner.run_generator(runner.generator("open", rate, "ping=1", 3, 0.5))
    opened = opened_doc["total"]
    doc = {"wrk_c1": wrk, "arrival_open_send_lag_ms": opened_doc.get("send_lag_ms"),
           "arrival_closed_1_user": {"requests_per_sec": round(closed["requests_per_sec"], 1),
                                     "p50_ms": closed["latency_ms"]["p50"]},
           "arrival_open": {"rate": rate, "requests_per_sec": round(opened["requests_per_sec"], 1),
                            "p50_ms": opened["latency_ms"]["p50"],
                            "p95_ms": opened["latency_ms"]["p95"]}}
    ref = wrk["p50_ms"]
    doc["agree"] = all(abs(x - ref) <= max(0.5 * ref, 0.3) for x in
                       (doc["arrival_closed_1_user"]["p50_ms"], doc["arrival_open"]["p50_ms"]))
    return doc


# --- one instance form ---------------------------------------------------------------------


def measure_form(opts, gen, name, form, prof, plan):
    if form == "baseline":
        k = BASELINE_STEP_FACTOR[opts.quick]
        plan = (plan[0] * k, plan[1] * k) + plan[2:]
    warm, secs, precision, max_steps, retry = plan
    profile_name = name + ("-baseline" if form == "baseline" else "")
    vcpu = int(prof["vcpu"])
    inst = Instance(opts.bin, profile_name).start()
    try:
        runner = Runner(opts, gen, inst, vcpu, plan)
        for i in range(SEED_FILES):
            path = "%s/r-%d.bin" % (runner.seed_folder, i)
            st, body = inst.service.put_file(path, payload.content(path, SEED_KB * 1024))
            if st not in (200, 201):
                raise RuntimeError("seeding %s: %d %s" % (path, st, body[:200]))
        with FsyncProbe(inst.dir) as probe:
            time.sleep(2)
        runner.idle_fsync_ms = round(probe.p95(), 2) if probe.samples else None
        gen_check = check_generator(runner) if opts.check_generator else None
        if gen_check:
            opts.check_generator = False
        quota = inst.cgroup.quota_cpus() or 1.0
        label = "%s %s" % (profile_name, "open")
        say("%s: service pinned to core 0 with %.2f CPUs of quota (one of %d vCPUs), %s MiB; "
            "arrival on core 1; steps %d s + %d s warm-up" % (
                profile_name, quota, vcpu, int(prof["memory_bytes"]) >> 20, secs, warm))
        passes, tries = CONFIRM_PASSES[opts.quick], CONFIRM_TRIES[opts.quick]
        o_good, o_bad, o_steps = search(lambda lv: runner.step("open", lv), 600 * quota,
                                        precision, max_steps, 2, 40000, label, retry)
        o_knee = o_good
        o_good, o_bad, o_confirm, o_ok = confirm(lambda lv: runner.step("open", lv), o_good,
                                                 o_steps, passes, tries, label, retry)
        think_s = opts.think_ms / 1000
        users_guess = max(2, (o_good or {"requests_per_sec": 20 * quota})["requests_per_sec"]
                          * (think_s + 0.005))
        c_label = "%s %s" % (profile_name, "closed")
        c_good, c_bad, c_steps = search(lambda lv: runner.step("closed", int(lv)), users_guess,
                                        precision, max_steps, 1, 20000, c_label, retry)
        c_knee = c_good
        c_good, c_bad, c_confirm, c_ok = confirm(lambda lv: runner.step("closed", int(lv)),
                                                 c_good, c_steps, passes, tries, c_label, retry)
        recheck = None
        if opts.recheck and o_good:
            # The found level twice more, and 1.5 times it twice: the first must pass, the
            # second fail (p95 over the SLO, errors or 503s), or the figure does not hold.
            recheck = [dict(runner.step("open", lv), times=x)
                       for x, lv in ((1, o_good["level"]), (1, o_good["level"]),
                                     (1.5, 1.5 * o_good["level"]), (1.5, 1.5 * o_good["level"]))]
            for r in recheck:
                say("%s recheck x%g: %g req/s -> p95 %s ms, errors %.3f%%, 503 %d: %s" % (
                    label, r["times"], r["level"], num(r["p95_ms"]), 100 * r["error_rate"],
                    r["status_503"], "pass" if r["passed"] else "FAIL"))
        limit, evidence = verdict(o_good, o_bad, form, vcpu, *opts.slo)
        c_limit, c_evidence = verdict(c_good, c_bad, form, vcpu, *opts.slo)
    finally:
        oom = inst.stop()
    g = o_good or {}
    doc = {
        "profile": profile_name, "form": form, "vcpu": vcpu,
        "modelled": "1 vCPU: the service pinned to core 0 with %.2f CPUs of quota; figures x%d"
                    % (quota, vcpu),
        "slo": "%s <= %g ms, errors < %g %%, no 503" % (opts.slo[0], opts.slo[1],
                                                       100 * MAX_ERROR_RATE),
        "max_rps": round(g["requests_per_sec"] * vcpu, 1) if o_good else 0,
        "max_rps_per_vcpu": g.get("requests_per_sec", 0),
        "max_users": int(c_good["level"]) * vcpu if c_good else 0,
        "max_users_per_vcpu": int(c_good["level"]) if c_good else 0,
        "users_requests_per_sec": round(c_good["requests_per_sec"] * vcpu, 1) if c_good else 0,
        "p50": g.get("p50_ms"), "p95": g.get("p95_ms"), "p99": g.get("p99_ms"),
        "users_p95": (c_good or {}).get("p95_ms"),
        "binding_limit": limit, "evidence": evidence,
        "users_binding_limit": c_limit, "users_evidence": c_evidence,
        "cpu_used_cpus_at_max": round(g.get("cpu_used_cpus", 0) * vcpu, 3) if o_good else None,
        "burst_minutes": None,
        "oom_killed": oom,
        "steps": {"open": o_steps, "closed": c_steps},
        # The highest levels the searches passed; max_rps and max_users are HEADROOM of them.
        "knee_rps": round(o_knee["requests_per_sec"] * vcpu, 1) if o_knee else 0,
        "knee_users": int(c_knee["level"]) * vcpu if c_knee else 0,
        "step_s": {"warmup": warm, "measured": secs},
        # The found levels run again; "..._confirmed": a confirmation passed and is the answer.
        "confirm": {"open": o_confirm, "closed": c_confirm,
                    "open_confirmed": o_ok, "closed_confirmed": c_ok},
    }
    if recheck:
        doc["recheck"] = {"steps": recheck,
                          "holds": all(r["passed"] == (r["times"] == 1) for r in recheck)}
    if gen_check:
        doc["generator_check"] = gen_check
    return doc


def main():
    # A TERM (or run.sh's INT) unwinds through the finally blocks that stop the service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "file-service"))
    ap.add_argument("--instances", default="t3-micro,t3-small,t3-medium")
    ap.add_argument("--slo", default="p95=200ms")
    ap.add_argument("--mix", default="ping=20,read=60,upload=15,batch=5")
    ap.add_argument("--think", default="1s", help="closed model: mean think time")
    ap.add_argument("--conns", type=int, default=256, help="open model: connections")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--recheck", action="store_true",
                    help="re-run the open model's found level twice and 1.5x it twice")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--command", default="", help="the command line, recorded in the result")
    opts = ap.parse_args()
    try:
        opts.slo = parse_slo(opts.slo)
        opts.think_ms = parse_duration_ms(opts.think)
        profiles = {n: profile(n) for n in opts.instances.split(",")}
    except (ValueError, subprocess.CalledProcessError) as e:
        say(str(e))
        return 2
    plan = PLAN[opts.quick]
    os.makedirs(opts.results_dir, exist_ok=True)
    opts.check_generator = True
    t0 = time.monotonic()
    instances = []
    try:
        gen = build_generator(os.path.join(REPO, "build", "arrival"))
        for name, prof in profiles.items():
            forms = {}
            for form in ("burst", "baseline"):
                forms[form] = measure_form(opts, gen, name, form, prof, plan)
            b = forms["burst"]
            b["burst_minutes"] = burst_minutes(b["cpu_used_cpus_at_max"] or 0, prof)
            instances.append({"instance": name, "vcpu": int(prof["vcpu"]),
                              "memory_mib": int(prof["memory_bytes"]) >> 20,
                              "baseline_cpus": float(prof["baseline_cpus"]),
                              "credits_per_hour": int(prof["credits_per_hour"]),
                              "max_credits": int(prof["max_credits"]),
                              "forms": forms, "answer": answer(name, forms, opts.slo)})
            say(instances[-1]["answer"])
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        say("could not run: %s" % e)
        return 2
    gen_check = next((f.pop("generator_check") for i in instances for f in i["forms"].values()
                      if "generator_check" in f), None)
    doc = {"schema": SCHEMA,
           "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "git_commit": git_commit(), "command": opts.command, "quick": opts.quick,
           "slo": {"percentile": opts.slo[0], "ms": opts.slo[1], "max_error_rate": MAX_ERROR_RATE},
           "mix": opts.mix, "think_s": opts.think_ms / 1000, "open_connections": opts.conns,
           "step": {"warmup_s": plan[0], "measured_s": plan[1], "precision": plan[2],
                    "max_steps": plan[3], "failures_rerun": plan[4],
                    "baseline_factor": BASELINE_STEP_FACTOR[opts.quick]},
           "headroom": HEADROOM,
           "cpu_model": "service pinned to core 0 with one vCPU's quota of the instance (burst: "
                        "1.00 CPU; -baseline: the baseline share of one vCPU); generator pinned "
                        "to core 1; max_rps and max_users = per-vCPU figures x vCPUs (linear "
                        "scaling assumed); memory limit not scaled (the whole instance's)",
           "latency": "open model: from each request's intended send time (coordinated omission "
                      "counted); closed model: from the actual send",
           "generator_check": gen_check, "seconds": round(time.monotonic() - t0, 1),
           "instances": instances}
    out = os.path.join(opts.results_dir, "capacity.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print(table(doc))
    print("  result: %s (%.0f s)" % (out, doc["seconds"]))
    return 0


def answer(name, forms, slo):
    """One sentence per instance."""
    b, base = forms["burst"], forms["baseline"]
    text = ("A %s holds %d users (%g req/s open-model) of this mix at %s <= %g ms; what "
            "stops it beyond that: %s" % (name.replace("-", "."), b["max_users"], b["max_rps"],
                                       slo[0], slo[1], b["binding_limit"]))
    if b["burst_minutes"]:
        text += ("; at that load a full credit balance lasts %g min, then the baseline holds "
                 "%d users (%g req/s)" % (b["burst_minutes"], base["max_users"], base["max_rps"]))
    else:
        text += "; it needs no credits at that load (baseline: %d users, %g req/s)" % (
            base["max_users"], base["max_rps"])
    unconfirmed = [f for f, d in (("burst", b), ("baseline", base))
                   if not all((d.get("confirm") or {}).get(k, True)
                              for k in ("open_confirmed", "closed_confirmed"))]
    if unconfirmed:
        text += " (%s: the found level failed when run again, not confirmed)" % \
            " and ".join(unconfirmed)
    return text + "."


def table(doc):
    lines = ["| instance | form | max req/s | max users | p50 ms | p95 ms | p99 ms | binding limit "
             "| burst min |", "|" + "---|" * 9]
    for i in doc["instances"]:
        for form, f in i["forms"].items():
            lines.append("| %s | %s | %g | %d | %s | %s | %s | %s | %s |" % (
                i["instance"], form, f["max_rps"], f["max_users"], num(f["p50"]), num(f["p95"]),
                num(f["p99"]), f["binding_limit"],
                num(f["burst_minutes"], "%g") if f["burst_minutes"] else "-"))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""Runs one scenario of the load suite and writes stress-tests/results/<scenario>.json.

usage: scenario.py SCENARIO --base-url URL [--quick] [--loadgen wrk|k6] [--instance PROFILE]
                   [--pid PID] [--results-dir DIR] [--profiles-dir DIR] [--run-id ID]

Contract: the plan table below is the one place where each scenario's shape (stages of
(seconds, connections or VUs)) is defined; wrk runs it stage by stage, k6 receives it as
STAGES. Around the load: request metrics are snapshot and reset, memory is sampled every
second, CPU/heap profiles are collected, and writing scenarios verify every acknowledged
upload afterwards. Files the scenario wrote (load/<run-id>/...) are deleted at the end.
Exit status: 0 when the scenario ran and its checks passed, 1 when a check failed, 2 when
it could not run.
Environment: FILE_SIZE_KB (upload, default 100), SOAK_SECONDS (default 900),
SLOW_SECONDS (window of the slow scenario, default 60), SLOW_FILE_MB (default 50),
SLOW_RATE (curl --limit-rate, default 100K), SLOW_UPLOADERS (trickling request bodies after
the slow readers, default 100, quick 40), SLOW_UPLOAD_SECONDS (how long they trickle, default
30, quick 6), SLOW_UPLOAD_P99_MS (the /ping p99 they may cause, default 50 ms both),
BREAK_ERROR_RATE (0.05), BREAK_P95_MS (200),
FSVC_PEER_NGINX_URL / _DIR and FSVC_PEER_GO_URL / _DIR (compare; set by run.sh),
FSVC_API_KEY (sent as a Bearer token by every client of the suite).
"""
import argparse
import json
import os
import urllib.parse
import subprocess
import sys
import tempfile
import threading
import time

import loadgen_k6
import loadgen_wrk
import payload
import result
import verify
from monitor import Monitor
from profiles import ProfileCollector
from service import UNAVAILABLE, Service


def env_num(name, default):
    v = os.environ.get(name, "")
    return float(v) if v else default


# name: (full stages, quick stages); a stage is (seconds, connections).
PLANS = {
    "ping": ([(30, 50), (30, 100), (60, 200)], [(2, 20), (3, 50)]),
    "upload": ([(20, 25), (20, 50), (40, 100)], [(2, 10), (3, 20)]),
    "read": ([(20, 100), (20, 200), (40, 300)], [(2, 50), (3, 100)]),
    "batch": ([(20, 10), (20, 25), (40, 50)], [(2, 5), (3, 10)]),
    "soak": ([(env_num("SOAK_SECONDS", 900), 20)], [(8, 20)]),
    "breaking": ([(15, c) for c in (100, 500, 1000, 2000, 3500, 5000)],
                 [(2, c) for c in (100, 500, 1000)]),
    "slow": ([(env_num("SLOW_SECONDS", 60), 20)], [(5, 20)]),
    "compare": ([(20, 50), (20, 200), (20, 50)], [(2, 50), (2, 200), (2, 50)]),
}
SEED_FILES = {False: 200, True: 20}
SEED_KB = 100


class Context:
    def __init__(self, opts):
        self.opts = opts
        self.service = Service(opts.base_url, opts.pid)
        self.root = "load/%s" % opts.run_id
        self.folder = "%s/%s" % (self.root, opts.scenario)
        self.seed_folder = self.root + "/seed"
        self.stages = PLANS[opts.scenario][1 if opts.quick else 0]
        self.ack_dir = tempfile.mkdtemp(prefix="fsvc-acks-")
        self.size_kb = None  # set by writing scenarios: the size of the files they upload
        self.steady_until = None  # monotonic time the steady part of the load ends (slow)

    def wrk_env(self, **extra):
        env = {"FSVC_RUN_ID": self.opts.run_id, "FSVC_ACK_DIR": self.ack_dir,
               "FSVC_FOLDER": self.folder, "FSVC_SEED_FOLDER": self.seed_folder,
               "FSVC_FILE_COUNT": str(SEED_FILES[self.opts.quick])}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def drive(self, wrk_script, k6_script, env, stages=None):
        stages = stages or self.stages
        url = self.opts.base_url + env.pop("URL_PATH", "")
        if self.opts.loadgen == "k6":
            return loadgen_k6.run(k6_script, stages, self.opts.base_url, self.opts.results_dir,
                                  env)
        return loadgen_wrk.run_stages(url, wrk_script, stages, env)

    def seed(self, count=None, size_kb=SEED_KB):
        count = count or SEED_FILES[self.opts.quick]
        for i in range(count):
            path = "%s/r-%d.bin" % (self.seed_folder, i)
            status, body = self.service.put_file(path, payload.content(path, size_kb * 1024))
            if status not in (200, 201):
                raise RuntimeError("seeding %s failed: %d %s" % (path, status, body[:200]))

    def verify_writes(self, load):
        if self.opts.loadgen == "k6":
            return verify.verify_folder(self.service, self.folder, self.size_kb * 1024,
                                        load.get("acknowledged", 0))
        return verify.verify_acks(self.service, self.ack_dir, self.size_kb * 1024)


# --- scenarios: each returns (load summary, extra dict) -----------------------------------


def run_ping(ctx):
    return ctx.drive("get.lua", "ping.js", ctx.wrk_env(URL_PATH="/ping")), {}


def run_upload(ctx):
    ctx.size_kb = env_num("FILE_SIZE_KB", 100)
    env = ctx.wrk_env(FILE_SIZE_KB=ctx.size_kb)
    return ctx.drive("upload.lua", "upload.js", env), {"file_size_kb": ctx.size_kb}


def run_read(ctx):
    env = ctx.wrk_env(FSVC_FOLDER=ctx.seed_folder)
    return ctx.drive("read.lua", "read.js", env), {"seeded_files": SEED_FILES[ctx.opts.quick]}


def run_batch(ctx):
    ctx.size_kb = env_num("FILE_SIZE_KB", 50)
    has_links = ctx.service.has_route("POST", "/batch-download", b'{"paths":[]}')
    env = ctx.wrk_env(FILE_SIZE_KB=ctx.size_kb, FSVC_BATCH_DOWNLOAD=1 if has_links else 0)
    load = ctx.drive("batch.lua", "batch.js", env)
    return load, {"file_size_kb": ctx.size_kb, "files_per_batch": 5,
                  "batch_download": "measured" if has_links else UNAVAILABLE}


def run_soak(ctx):
    ctx.size_kb = env_num("FILE_SIZE_KB", 100)
    env = ctx.wrk_env(FILE_SIZE_KB=ctx.size_kb)
    return ctx.drive("mix.lua", "soak.js", env), {"mix": "50% ping, 20% list, 20% download, "
                                                         "10% upload"}


def run_breaking(ctx):
    limit_err = env_num("BREAK_ERROR_RATE", 0.05)
    limit_p95 = env_num("BREAK_P95_MS", 200)
    raw = []
    for stage in ctx.stages:
        if ctx.opts.loadgen == "k6":
            step = loadgen_k6.run("breaking.js", [stage], ctx.opts.base_url,
                                  ctx.opts.results_dir)["stages"][0]
            raw.append(step)
        else:
            raw.append(loadgen_wrk.run_stage(ctx.opts.base_url + "/ping", "get.lua", *stage,
                                             env=ctx.wrk_env()))
    if ctx.opts.loadgen == "k6":
        steps = raw
        load = _combine_steps(steps)
    else:
        load = loadgen_wrk.merge(raw)
        steps = load["stages"]
    crossed = next((s for s in steps
                    if s["error_rate"] > limit_err or (s["p95_ms"] or 0) > limit_p95), None)
    peak = max(steps, key=lambda s: s["requests_per_sec"])
    ok_steps = steps if crossed is None else steps[:steps.index(crossed)]
    held = max((s["connections"] for s in ok_steps), default=0)
    extra = {"limits": {"error_rate": limit_err, "p95_ms": limit_p95},
             "breaking_point": crossed and {"connections": crossed["connections"],
                                            "error_rate": crossed["error_rate"],
                                            "p95_ms": crossed["p95_ms"]},
             "held_up_to_connections": held,
             "peak": {"connections": peak["connections"],
                      "requests_per_sec": peak["requests_per_sec"], "p95_ms": peak["p95_ms"]}}
    return load, extra


def _combine_steps(steps):
    """Scenario totals from per-step summaries (k6 runs one process per step)."""
    req = sum(s["requests"] for s in steps)
    sec = sum(s["seconds"] for s in steps)
    err = sum(s["errors"] for s in steps)
    worst = max(steps, key=lambda s: s["p99_ms"] or 0)
    return {"throughput": {"requests": req, "seconds": sec,
                           "requests_per_sec": round(req / sec, 1) if sec else 0},
            "latency_ms": {"p50": worst["p50_ms"], "p95": worst["p95_ms"],
                           "p99": worst["p99_ms"], "max": max(s["max_ms"] or 0 for s in steps)},
            "errors": {"count": err, "rate": round(err / req, 5) if req else 0},
            "stages": steps}


def _start_probe(ctx, seconds, k6_env=None):
    """/ping at 10 connections for `seconds` in a thread; returns (thread, dict that gets
    "load")."""
    probe = [(seconds, 10)]
    probed = {}

    def run_probe():
        if ctx.opts.loadgen == "k6":
            probed["load"] = loadgen_k6.run("slow.js", probe, ctx.opts.base_url,
                                            ctx.opts.results_dir, k6_env)
        else:
            probed["load"] = loadgen_wrk.run_stages(ctx.opts.base_url + "/ping", "get.lua", probe,
                                                    ctx.wrk_env())

    prober = threading.Thread(target=run_probe)
    prober.start()
    return prober, probed


def _join_probe(prober, probed):
    prober.join()
    if "load" not in probed:
        raise RuntimeError("the /ping probe gave no result")
    return probed["load"]


def run_slow(ctx):
    """Two phases, each with its own /ping probe (10 connections): slow readers, then slow
    uploaders. The probe starts first and warms the pool; the RSS baseline is taken after it,
    so the growth reported is what the slow clients add, as in backpressure-watermarks.md.
    The scenario's own latency figures are those of the slow-reader phase (what the
    baselines hold); the slow uploaders' figures are in extra["slow_uploaders"]."""
    seconds, clients = ctx.stages[0]
    size = int(env_num("SLOW_FILE_MB", 50) * 1048576)
    rate = os.environ.get("SLOW_RATE", "100K")
    path = ctx.folder + "/big.bin"
    status, body = ctx.service.put_file(path, payload.content(path, size))
    if status not in (200, 201):
        raise RuntimeError("cannot store the slow scenario's file: %d %s" % (status, body[:200]))
    warmup = 2
    prober, probed = _start_probe(ctx, seconds + warmup)
    time.sleep(warmup)
    before = ctx.service.memory_now()
    url = "%s/files/%s" % (ctx.opts.base_url, path)
    auth = ["-H", "Authorization: Bearer " + os.environ["FSVC_API_KEY"]] \
        if os.environ.get("FSVC_API_KEY") else []
    curls = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "--limit-rate", rate] + auth +
                              ["--max-time", str(int(seconds)), "-w",
                               "%{size_download} %{http_code}", url],
                              stdout=subprocess.PIPE, text=True)
             for _ in range(int(clients))]
    peak = before[1] if before else None
    while any(c.poll() is None for c in curls):
        time.sleep(0.5)
        now = ctx.service.memory_now()
        if now and peak is not None:
            peak = max(peak, now[1])
    completed = still_reading = dropped = 0
    received = []
    for c in curls:
        out, _ = c.communicate()
        got = int(out.split()[0]) if out.split() else 0
        received.append(got)
        if c.returncode == 0 and got == size:
            completed += 1
        elif c.returncode == 28:  # our own --max-time: the client was still reading
            still_reading += 1
        else:
            dropped += 1
    load = _join_probe(prober, probed)
    growth = round((peak - before[1]) / 1048576, 2) if before else None
    extra = {
        "clients": int(clients), "file_mb": size / 1048576, "rate": rate, "window_s": seconds,
        "completed": completed, "still_reading": still_reading, "dropped": dropped,
        "min_received_mb": round(min(received) / 1048576, 2),
        "expected_received_mb": round(seconds * _rate_bytes(rate) / 1048576, 2),
        "rss_growth_slow_readers_mb": growth, "ping_p99_target_ms": 20}
    # The memory slope (a steady-state figure the baselines hold) is fitted over the slow
    # readers; the slow uploaders' threads are new memory by design, reported as their growth.
    ctx.steady_until = time.monotonic()
    extra["slow_uploaders"] = _slow_uploaders(ctx)
    return load, extra


def slow_upload_plan(quick):
    """(clients, seconds) of the slow-uploader phase."""
    return (int(env_num("SLOW_UPLOADERS", 40 if quick else 100)),
            env_num("SLOW_UPLOAD_SECONDS", 6 if quick else 30))


SLOW_UPLOAD_WARMUP = 1
SLOW_UPLOAD_BYTES = 4  # body bytes per client per second: far below MIN_BODY_RATE (1 KiB/s)
SLOW_UPLOAD_BATCH_SHARE = 0.2


def _slow_uploaders(ctx):
    """N clients trickle request bodies (stress-tests/lib/conn_storm.py slowbody) while the
    probe measures /ping: most PUT /files/<folder>/trickle/<i> declaring 1 MiB, a fifth
    POST /batch-download declaring 64 KiB, 4 bytes a second each. A server with a minimum
    body rate (MIN_BODY_RATE over BODY_RATE_WINDOW) cuts them off with 408; one without
    keeps them until they stop by themselves. Either way none may be stored."""
    clients, seconds = slow_upload_plan(ctx.opts.quick)
    target = env_num("SLOW_UPLOAD_P99_MS", 50)
    host = urllib.parse.urlsplit(ctx.opts.base_url).hostname
    if host not in ("127.0.0.1", "localhost") or clients <= 0:
        return {"skipped": "conn_storm.py trickles bodies to 127.0.0.1 only" if clients > 0
                else "SLOW_UPLOADERS=0", "clients": clients, "trickle_s": seconds}
    has_batch = ctx.service.has_route("POST", "/batch-download", b'{"paths":[]}')
    share = SLOW_UPLOAD_BATCH_SHARE if has_batch else 0.0
    prefix = ctx.folder + "/trickle"
    prober, probed = _start_probe(ctx, seconds + SLOW_UPLOAD_WARMUP,
                                  {"SLOW_PHASE": "uploaders", "PING_P99_MS": target})
    time.sleep(SLOW_UPLOAD_WARMUP)
    before = ctx.service.memory_now()
    port = urllib.parse.urlsplit(ctx.opts.base_url).port or 80
    storm = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "conn_storm.py"), "slowbody", "--port", str(port),
         "--conns", str(clients), "--duration", str(seconds), "--interval", "1",
         "--bytes", str(SLOW_UPLOAD_BYTES), "--batch-share", str(share), "--prefix", prefix],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = before[1] if before else None
    deadline = time.monotonic() + seconds + 30
    while storm.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        now = ctx.service.memory_now()
        if now and peak is not None:
            peak = max(peak, now[1])
    if storm.poll() is None:
        storm.kill()
    out, err = storm.communicate()
    load = _join_probe(prober, probed)
    try:
        crowd = json.loads(out)
    except ValueError:
        raise RuntimeError("conn_storm.py slowbody gave no result (exit %s): %s"
                           % (storm.returncode, err[-400:]))
    # Not one trickled body may have become a file.
    stored, unknown = [], 0
    for i in range(clients):
        st, _, _ = ctx.service.request("GET", "/files/" + urllib.parse.quote("%s/%d" % (prefix, i)),
                                       timeout=10)
        if st == 200:
            stored.append(i)
        elif st != 404:
            unknown += 1
    lat = load["latency_ms"] or {}
    return {
        "clients": clients, "put": crowd["put"], "batch_download": crowd["batch"],
        "trickle_s": seconds, "bytes_per_s_each": SLOW_UPLOAD_BYTES,
        "declared_bytes": crowd["declared_bytes"],
        "cut_off": crowd["cut_off"], "cut_off_408": crowd["cut_off_408"],
        "cut_off_closed": crowd["cut_off_closed"], "answered_other": crowd["answered_other"],
        "cut_off_put": crowd["cut_off_put"], "cut_off_batch": crowd["cut_off_batch"],
        "first_cut_s": crowd["first_cut_s"], "median_cut_s": crowd["median_cut_s"],
        "still_open_at_end": crowd["still_open"], "connect_failed": crowd["connect_failed"],
        "stored": len(stored), "stored_unverified": unknown,
        "ping_ms": {k: lat.get(k) for k in ("p50", "p95", "p99", "max")},
        "ping_requests": load["throughput"]["requests"],
        "ping_requests_per_sec": load["throughput"]["requests_per_sec"],
        "ping_error_rate": load["errors"]["rate"], "ping_p99_target_ms": target,
        "rss_before_mb": round(before[1] / 1048576, 2) if before else None,
        "rss_growth_mb": round((peak - before[1]) / 1048576, 2) if before else None,
    }


def _rate_bytes(rate):
    mult = {"K": 1024, "M": 1048576, "G": 1073741824}
    return float(rate[:-1]) * mult[rate[-1].upper()] if rate[-1].upper() in mult else float(rate)


def run_compare(ctx):
    body = payload.content("compare/100k.bin", 100 * 1024)
    status, err = ctx.service.put_file(ctx.folder + "/100k.bin", body)
    if status not in (200, 201):
        raise RuntimeError("cannot store the compare file: %d %s" % (status, err[:200]))
    targets = {"file-service": (ctx.opts.base_url, "/files/%s/100k.bin" % ctx.folder)}
    for name, var in (("nginx", "FSVC_PEER_NGINX"), ("go-net-http", "FSVC_PEER_GO")):
        url, www = os.environ.get(var + "_URL"), os.environ.get(var + "_DIR")
        if url and www:
            with open(os.path.join(www, "www", "100k.bin"), "wb") as f:
                f.write(body)
            targets[name] = (url, "/files/100k.bin")
    (s_ping, c_ping), (s_ping2, c_ping2), (s_get, c_get) = ctx.stages
    table, fsvc_raw = {}, []
    for name, (base, file_path) in targets.items():
        rows = {}
        for label, path, s, c in (("ping_c%d" % c_ping, "/ping", s_ping, c_ping),
                                  ("ping_c%d" % c_ping2, "/ping", s_ping2, c_ping2),
                                  ("get_100k_c%d" % c_get, file_path, s_get, c_get)):
            raw = loadgen_wrk.run_stage(base + path, "get.lua", s, c, env=ctx.wrk_env())
            if name == "file-service":
                fsvc_raw.append(raw)
            st = loadgen_wrk.summarize_stage(raw)
            rows[label] = {"requests_per_sec": st["requests_per_sec"], "p99_ms": st["p99_ms"],
                           "error_rate": st["error_rate"]}
        table[name] = rows
    ratios = {}
    for peer in (n for n in table if n != "file-service"):
        ratios["file-service/" + peer] = {
            label: round(table["file-service"][label]["requests_per_sec"]
                         / row["requests_per_sec"], 3) if row["requests_per_sec"] else None
            for label, row in table[peer].items()}
    missing = [n for n in ("nginx", "go-net-http") if n not in table]
    return loadgen_wrk.merge(fsvc_raw), {"load_generator_note": "compare always uses wrk",
                                         "targets": table, "ratios": ratios,
                                         "peers_unavailable": missing}


SCENARIOS = {"ping": run_ping, "upload": run_upload, "read": run_read, "batch": run_batch,
             "soak": run_soak, "breaking": run_breaking, "slow": run_slow,
             "compare": run_compare}
NEEDS_SEED = ("read", "batch", "soak")
STEADY = ("soak", "slow")  # scenarios whose memory should be flat once loaded


# --- around the load -------------------------------------------------------------------


def snapshot(service):
    return {"memory": service.json("GET", "/metrics/memory"),
            "requests": service.json("GET", "/metrics/requests")}


def make_checks(name, load, memory, verification, extra):
    checks = []

    def add(what, passed, value, limit):
        checks.append({"check": what, "passed": bool(passed), "value": value, "limit": limit})

    if name != "breaking":
        add("error rate", load["errors"]["rate"] <= 0.05, load["errors"]["rate"], "<= 0.05")
    if verification is not None:
        bad = verification["lost"] + verification["corrupted"]
        add("lost or corrupted files", bad == 0, bad, "== 0")
    if name == "soak" and memory["slope_mb_per_s"] is not None:
        add("memory slope MB/s", memory["slope_mb_per_s"] <= 0.1, memory["slope_mb_per_s"],
            "<= 0.1")
    if name == "slow":
        growth = extra["rss_growth_slow_readers_mb"]
        add("RSS growth MB with slow readers", growth is not None and growth < 5, growth, "< 5")
        add("slow readers dropped by the server", extra["dropped"] == 0, extra["dropped"], "== 0")
    up = extra.get("slow_uploaders") if name == "slow" else None
    if up and "skipped" not in up:
        # How many the server cut off is reported, not checked: only a server with a minimum
        # body rate cuts them off, and only after BODY_RATE_WINDOW (10 s by default).
        p99 = up["ping_ms"]["p99"]
        add("ping p99 ms while bodies trickle", p99 is not None and p99 < up["ping_p99_target_ms"],
            p99, "< %g" % up["ping_p99_target_ms"])
        add("ping error rate while bodies trickle", up["ping_error_rate"] <= 0.05,
            up["ping_error_rate"], "<= 0.05")
        bad = up["stored"] + up["stored_unverified"]
        add("trickling uploads stored", bad == 0, bad, "== 0")
    return checks


def run(opts):
    ctx = Context(opts)
    svc = ctx.service
    try:
        if opts.scenario in NEEDS_SEED:
            ctx.seed()
        before = snapshot(svc)
        reset = svc.json("POST", "/metrics/reset")
        total = sum(s for s, _ in ctx.stages)
        if opts.scenario == "compare":
            total = total * 3
        if opts.scenario == "slow":  # its probe's warm-up, then the slow uploaders
            total += 2 + SLOW_UPLOAD_WARMUP + slow_upload_plan(opts.quick)[1]
        mon = Monitor(svc, opts.scenario, int(total))
        prof = ProfileCollector(svc, opts.scenario, opts.profiles_dir)
        t_mon = time.monotonic()
        mon.start()
        prof.start(total if opts.scenario != "compare" else total / 3,
                   cpu=opts.scenario != "slow")
        t_load = time.monotonic()
        try:
            load, extra = SCENARIOS[opts.scenario](ctx)
        finally:
            samples, source = mon.stop()
            files = prof.finish()
        load_seconds = time.monotonic() - t_load
        after = snapshot(svc)
        verification = ctx.verify_writes(load) if ctx.size_kb else None
    finally:
        svc.delete_folder(ctx.root)
    # The slope is fitted after the first tenth of the run, once the ramp has filled the pools
    # (slow: over its slow-reader phase only).
    steady = ctx.steady_until - t_mon if ctx.steady_until else None
    memory, threads = result.memory_summary(samples, source,
                                            load_from=0.1 * (steady or load_seconds),
                                            load_until=steady)
    memory["breakdown_samples"] = mon.breakdown_samples
    checks = make_checks(opts.scenario, load, memory, verification, extra)
    doc = result.build(opts.scenario, opts, load, memory, threads, verification,
                       {"before": before, "after": after,
                        "reset": "ok" if isinstance(reset, dict) else reset},
                       files, checks, extra)
    doc["latency_over_time"] = {"source": "server /metrics histogram, per interval",
                                "samples": mon.latency}
    os.makedirs(opts.results_dir, exist_ok=True)
    out = os.path.join(opts.results_dir, opts.scenario + ".json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    return doc, out


def print_summary(doc):
    t, lat, m = doc["throughput"], doc["latency_ms"] or {}, doc["memory"]

    def f(v, fmt="%.2f"):
        return fmt % v if isinstance(v, (int, float)) else "n/a"

    print("%-9s %9s req/s  p50 %s  p95 %s  p99 %s  max %s ms  errors %s  RSS %s->%s MB "
          "(slope %s MB/s)  lost %s  %s" % (
              doc["scenario"], f(t["requests_per_sec"], "%.1f"), f(lat.get("p50")),
              f(lat.get("p95")), f(lat.get("p99")), f(lat.get("max")),
              f(doc["errors"]["rate"] * 100, "%.2f%%"), f(m["baseline_mb"], "%.1f"),
              f(m["peak_mb"], "%.1f"), f(m["slope_mb_per_s"], "%.4f"),
              doc["lost_files"] if doc["lost_files"] is not None else "-",
              "PASS" if doc["passed"] else "FAIL: " + ", ".join(
                  "%s=%s (%s)" % (c["check"], c["value"], c["limit"])
                  for c in doc["checks"] if not c["passed"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--loadgen", choices=("wrk", "k6"), default="wrk")
    ap.add_argument("--instance", default="")
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--results-dir", default=os.path.join(result.REPO, "stress-tests", "results"))
    ap.add_argument("--profiles-dir", default=os.path.join(result.REPO, "profiles"))
    ap.add_argument("--run-id", default=time.strftime("%Y%m%d-%H%M%S"))
    opts = ap.parse_args()
    opts.base_url = opts.base_url.rstrip("/")
    try:
        doc, out = run(opts)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print("scenario %s could not run: %s" % (opts.scenario, e), file=sys.stderr)
        return 2
    print_summary(doc)
    print("  result: %s" % out)
    return 0 if doc["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

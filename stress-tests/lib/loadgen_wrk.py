"""Runs wrk through the stages of a scenario and merges what the stages measured.

Contract: a stage is (seconds, connections); each runs one wrk process with a script from
stress-tests/wrk/ whose done() prints "FSVC_RESULT {json}". The merged result counts every
request and error of all stages, and its latency percentiles come from the weighted mixture
of the stages' quantiles (not from averaging percentiles). Error rate = (non-2xx/3xx +
socket errors) / (responses + socket errors). Raises RuntimeError when wrk gives no result.
"""
import json
import os
import subprocess

import stats

WRK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wrk")


def run_stage(url, script, seconds, connections, env=None, threads=2, timeout_s=10):
    threads = max(1, min(threads, connections))
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % max(1, round(seconds)),
           "--timeout", "%ds" % timeout_s, "-s", os.path.join(WRK_DIR, script), url]
    full_env = dict(os.environ, FSVC_WRK_DIR=WRK_DIR, **(env or {}))
    p = subprocess.run(cmd, env=full_env, capture_output=True, text=True,
                       timeout=seconds + timeout_s + 60)
    for line in p.stdout.splitlines():
        if line.startswith("FSVC_RESULT "):
            r = json.loads(line[len("FSVC_RESULT "):])
            r["connections"] = connections
            r["seconds"] = seconds
            return r
    raise RuntimeError("wrk gave no result (exit %d): %s %s" %
                       (p.returncode, p.stdout[-400:], p.stderr[-400:]))


def summarize_stage(r):
    e = r["errors"]
    socket_errors = e["connect"] + e["read"] + e["write"] + e["timeout"]
    attempts = r["requests"] + socket_errors
    dur = r["duration_us"] / 1e6
    lat = r["latency_us"]
    return {
        "connections": r["connections"],
        "seconds": round(dur, 2),
        "requests": r["requests"],
        "requests_per_sec": round(r["requests"] / dur, 1) if dur else 0,
        "errors": e["status"] + socket_errors,
        "error_rate": round((e["status"] + socket_errors) / attempts, 5) if attempts else 0,
        "p50_ms": lat["p50"] / 1000, "p95_ms": lat["p95"] / 1000, "p99_ms": lat["p99"] / 1000,
        "max_ms": lat["max"] / 1000,
    }


def merge(raw_stages):
    """One scenario-level summary (throughput, latency_ms, errors) from raw stage results."""
    requests = sum(r["requests"] for r in raw_stages)
    seconds = sum(r["duration_us"] for r in raw_stages) / 1e6
    by_kind = {k: sum(r["errors"][k] for r in raw_stages)
               for k in ("connect", "read", "write", "status", "timeout")}
    socket_errors = by_kind["connect"] + by_kind["read"] + by_kind["write"] + by_kind["timeout"]
    errors = by_kind["status"] + socket_errors
    attempts = requests + socket_errors
    pct = stats.merge_quantiles([(r["requests"], r["latency_us"]["q200"]) for r in raw_stages])
    latency = None
    if pct and requests:
        latency = {"p50": pct(50) / 1000, "p95": pct(95) / 1000, "p99": pct(99) / 1000,
                   "max": max(r["latency_us"]["max"] for r in raw_stages) / 1000,
                   "mean": sum(r["latency_us"]["mean"] * r["requests"] for r in raw_stages)
                   / requests / 1000}
    return {
        "throughput": {"requests": requests, "seconds": round(seconds, 2),
                       "requests_per_sec": round(requests / seconds, 1) if seconds else 0,
                       "bytes_per_sec": round(sum(r["bytes"] for r in raw_stages) / seconds)
                       if seconds else 0},
        "latency_ms": latency,
        "errors": {"count": errors, "rate": round(errors / attempts, 5) if attempts else 0,
                   "by_kind": by_kind},
        "stages": [summarize_stage(r) for r in raw_stages],
    }


def run_stages(url, script, stages, env=None, threads=2):
    """Each stage gets FSVC_STAGE=<index>, so names the scripts make stay unique."""
    raw = [run_stage(url, script, s, c, dict(env or {}, FSVC_STAGE=str(i)), threads)
           for i, (s, c) in enumerate(stages)]
    return merge(raw)

"""Runs a k6 script of stress-tests/k6/ and turns its handleSummary JSON into the suite's
load summary (the same shape loadgen_wrk.merge returns).

Contract: the stages come from the suite's plan (passed as -e STAGES=30s:50,...), so k6 and
wrk drive the same shape; the script's handleSummary writes RESULTS_DIR/<name>.k6-summary.json.
Raises RuntimeError when k6 produced no summary.
"""
import json
import os
import subprocess

K6_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "k6")


def stages_arg(stages):
    return ",".join("%ds:%d" % (max(1, round(s)), c) for s, c in stages)


def run(script, stages, base_url, results_dir, env=None):
    name = os.path.splitext(os.path.basename(script))[0]
    summary_path = os.path.join(results_dir, name + ".k6-summary.json")
    if os.path.exists(summary_path):
        os.remove(summary_path)
    cmd = [os.environ.get("K6", "k6"), "run", "--quiet", "--no-usage-report",
           "-e", "BASE_URL=" + base_url, "-e", "STAGES=" + stages_arg(stages),
           "-e", "RESULTS_DIR=" + results_dir]
    env = dict(env or {})
    if os.environ.get("FSVC_API_KEY"):
        env["FSVC_API_KEY"] = os.environ["FSVC_API_KEY"]
    for k, v in env.items():
        cmd += ["-e", "%s=%s" % (k, v)]
    cmd.append(os.path.join(K6_DIR, script))
    total = sum(s for s, _ in stages)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=total + 300)
    if not os.path.exists(summary_path):
        raise RuntimeError("k6 wrote no summary (exit %d): %s" % (p.returncode, p.stderr[-600:]))
    with open(summary_path) as f:
        return convert(json.load(f), stages)


def _metric(summary, name, field, default=None):
    return summary.get("metrics", {}).get(name, {}).get("values", {}).get(field, default)


def convert(summary, stages):
    count = _metric(summary, "http_reqs", "count", 0)
    rate = _metric(summary, "http_reqs", "rate", 0)
    failed = _metric(summary, "http_req_failed", "rate", 0)
    seconds = summary.get("state", {}).get("testRunDurationMs", 0) / 1000.0
    latency = None
    if count:
        latency = {"p50": _metric(summary, "http_req_duration", "p(50)"),
                   "p95": _metric(summary, "http_req_duration", "p(95)"),
                   "p99": _metric(summary, "http_req_duration", "p(99)"),
                   "max": _metric(summary, "http_req_duration", "max"),
                   "mean": _metric(summary, "http_req_duration", "avg")}
    errors = round(failed * count)
    return {
        "throughput": {"requests": count, "seconds": round(seconds, 2),
                       "requests_per_sec": round(rate, 1),
                       "bytes_per_sec": round(_metric(summary, "data_received", "rate", 0))},
        "latency_ms": latency,
        "errors": {"count": errors, "rate": round(failed, 5), "by_kind": {"http_req_failed": errors}},
        "stages": [{"connections": max(c for _, c in stages), "seconds": round(seconds, 2),
                    "requests": count, "requests_per_sec": round(rate, 1), "errors": errors,
                    "error_rate": round(failed, 5),
                    "p50_ms": latency and latency["p50"], "p95_ms": latency and latency["p95"],
                    "p99_ms": latency and latency["p99"], "max_ms": latency and latency["max"]}],
        "acknowledged": int(_metric(summary, "uploads_acknowledged", "count", 0) or 0),
    }

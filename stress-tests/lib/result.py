"""The result document of one scenario (stress-tests/results/<scenario>.json).

Contract: SCHEMA names the version; build() always emits every top-level key listed in
REQUIRED (values may be null or "unavailable" where a figure could not be measured, never
an invented number), so the report, the baseline comparison and the schema test can rely
on the shape whatever load generator produced it.
"""
import datetime
import os
import subprocess

import stats

SCHEMA = "fsvc-load-result/1"
REQUIRED = ("schema", "scenario", "timestamp", "git_commit", "instance_profile",
            "load_generator", "quick", "base_url", "throughput", "latency_ms", "errors",
            "memory", "threads", "verification", "lost_files", "stages", "server_metrics",
            "profiles", "checks", "passed", "extra")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def git_commit():
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def memory_summary(samples, source, load_from=0.0, load_until=None):
    """samples: [(t, rss_mb, threads)]; the first one is taken before the load starts.
    The slope is fitted over the samples from `load_from` seconds on (up to `load_until`
    seconds when given)."""
    if not samples:
        return ({"source": source, "baseline_mb": None, "peak_mb": None, "final_mb": None,
                 "growth_mb": None, "slope_mb_per_s": None, "samples": []},
                {"baseline": None, "peak": None, "final": None})
    mb = [s[1] for s in samples]
    fitted = [(t, m) for t, m, _ in samples
              if t >= load_from and (load_until is None or t <= load_until)]
    slope = stats.slope(fitted)
    thr = [s[2] for s in samples if s[2] is not None]
    memory = {
        "source": source,
        "baseline_mb": round(mb[0], 2),
        "peak_mb": round(max(mb), 2),
        "final_mb": round(mb[-1], 2),
        "growth_mb": round(max(mb) - mb[0], 2),
        "slope_mb_per_s": round(slope, 5) if slope is not None else None,
        "samples": [[t, round(m, 2)] for t, m, _ in samples],
    }
    threads = {"baseline": thr[0] if thr else None, "peak": max(thr) if thr else None,
               "final": thr[-1] if thr else None,
               "samples": [[t, n] for t, _, n in samples if n is not None]}
    return memory, threads


def build(scenario, opts, load, memory, threads, verification, server_metrics, profiles,
          checks, extra):
    lost = None
    if verification is not None:
        lost = verification["lost"] + verification["corrupted"]
    return {
        "schema": SCHEMA,
        "scenario": scenario,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": git_commit(),
        "instance_profile": opts.instance or None,
        "load_generator": opts.loadgen,
        "quick": opts.quick,
        "base_url": opts.base_url,
        "throughput": load["throughput"],
        "latency_ms": load["latency_ms"],
        "errors": load["errors"],
        "memory": memory,
        "threads": threads,
        "verification": verification,
        "lost_files": lost,
        "stages": load.get("stages", []),
        "server_metrics": server_metrics,
        "profiles": profiles,
        "checks": checks,
        "passed": all(c["passed"] for c in checks),
        "extra": extra,
    }

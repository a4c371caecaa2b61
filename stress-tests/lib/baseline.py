"""Compares scenario results with the tracked baselines, or stores them as the new baselines.

usage: baseline.py --results DIR --baselines DIR [--update] SCENARIO...

Contract: a full run is compared with baselines/<scenario>.json, a --quick run with
baselines/<scenario>.quick.json (their figures are not comparable with each other). The
thresholds are those of the seed load-test-baselines.md:
  p99 latency   +20 % warn, +50 % fail      throughput   -20 % warn
  memory growth +50 % warn                  memory slope > 0.1 MB/s fail (steady scenarios:
  error rate    > 5 % fail (not breaking)                 soak, slow; others: info)
plus: lost or corrupted files > 0 fail. Changes smaller than a noise floor (1 ms, 1 MB) are
never flagged. A flagged scenario (warn or fail) also gets a diff CPU profile and a diff
flame graph against the CPU profile kept with its baseline (profile_diff.py), named in its
comparison; --update keeps the run's CPU profile beside the baseline (<baseline>.cpu.pb.gz). The comparison is printed, written into each result as
"baseline_comparison" and into DIR/comparison.json. Exit status: 1 when any fail-level
finding, else 0 (warnings do not change it).
"""
import argparse
import json
import os
import sys

import profile_diff

STEADY = ("soak", "slow")
BASELINE_KEYS = ("schema", "scenario", "timestamp", "git_commit", "instance_profile",
                 "load_generator", "quick", "throughput", "latency_ms", "errors", "memory",
                 "threads", "lost_files", "stages", "extra")


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shown(path):
    """A path relative to the repository when inside it, else absolute."""
    full = os.path.abspath(path)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else full


def baseline_path(baselines, doc):
    return os.path.join(baselines, doc["scenario"] + (".quick" if doc["quick"] else "") + ".json")


def trimmed(doc):
    """What a baseline keeps: the figures, not the per-second samples."""
    b = {k: doc.get(k) for k in BASELINE_KEYS}
    b["memory"] = {k: v for k, v in (doc.get("memory") or {}).items()
                   if not k.endswith("samples")}
    b["threads"] = {k: v for k, v in (doc.get("threads") or {}).items() if k != "samples"}
    return b


def pct(new, old):
    if new is None or old in (None, 0):
        return None
    return (new - old) / old * 100.0


def compare(doc, base):
    """Findings: [{"metric", "baseline", "current", "change_pct", "level"}], level in
    ok | warn | fail | info."""
    out = []

    def add(metric, old, new, level, change=None):
        out.append({"metric": metric, "baseline": old, "current": new,
                    "change_pct": None if change is None else round(change, 1), "level": level})

    def get(d, *keys):
        for k in keys:
            if not isinstance(d, dict):
                return None
            d = d.get(k)
        return d

    old, new = get(base, "latency_ms", "p99"), get(doc, "latency_ms", "p99")
    ch = pct(new, old)
    level = "ok"
    if ch is not None and new - old > 1.0:
        level = "fail" if ch > 50 else "warn" if ch > 20 else "ok"
    add("latency p99 ms", old, new, level, ch)

    old, new = get(base, "throughput", "requests_per_sec"), get(doc, "throughput", "requests_per_sec")
    ch = pct(new, old)
    add("throughput req/s", old, new, "warn" if ch is not None and ch < -20 else "ok", ch)

    old, new = get(base, "memory", "growth_mb"), get(doc, "memory", "growth_mb")
    ch = pct(new, old)
    add("memory growth MB", old, new,
        "warn" if ch is not None and ch > 50 and new - old > 1.0 else "ok", ch)

    new = get(doc, "memory", "slope_mb_per_s")
    if new is not None:
        steady = doc["scenario"] in STEADY
        add("memory slope MB/s", get(base, "memory", "slope_mb_per_s"), new,
            ("fail" if new > 0.1 else "ok") if steady else "info")

    if doc["scenario"] != "breaking":
        new = get(doc, "errors", "rate")
        add("error rate", get(base, "errors", "rate"), new,
            "fail" if new is not None and new > 0.05 else "ok")
    else:
        old, new = get(base, "extra", "held_up_to_connections"), get(doc, "extra",
                                                                      "held_up_to_connections")
        add("held up to connections", old, new,
            "warn" if None not in (old, new) and new < old else "ok", pct(new, old))

    if doc.get("lost_files") is not None:
        add("lost or corrupted files", base.get("lost_files"), doc["lost_files"],
            "fail" if doc["lost_files"] > 0 else "ok")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--baselines", required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("scenarios", nargs="+")
    a = ap.parse_args()
    failed = False
    summary = {}
    for s in a.scenarios:
        path = os.path.join(a.results, s + ".json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            doc = json.load(f)
        bpath = baseline_path(a.baselines, doc)
        base = None
        if os.path.exists(bpath):
            with open(bpath) as f:
                base = json.load(f)
        if base is None:
            cmp = {"baseline": None, "note": "no baseline yet (%s); store one with "
                   "--update-baseline" % shown(bpath), "findings": []}
        else:
            cmp = {"baseline": shown(bpath), "baseline_commit": base.get("git_commit"),
                   "baseline_timestamp": base.get("timestamp"),
                   "findings": compare(doc, base)}
            notes = [k for k in ("instance_profile", "load_generator")
                     if base.get(k) != doc.get(k)]
            if notes:
                cmp["note"] = "measured with a different " + " and ".join(notes)
        levels = [f["level"] for f in cmp["findings"]]
        cmp["verdict"] = "fail" if "fail" in levels else "warn" if "warn" in levels else "ok"
        if base is not None and cmp["verdict"] != "ok":
            cmp.update(profile_diff.diff(doc, base, a.results))
        failed |= cmp["verdict"] == "fail"
        doc["baseline_comparison"] = cmp
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        summary[s] = cmp
        print("baseline %-9s %-4s %s" % (s, cmp["verdict"].upper(), cmp.get("note", "")))
        for fnd in cmp["findings"]:
            if fnd["level"] in ("warn", "fail"):
                print("   %-4s %-26s %s -> %s (%s%%)" % (fnd["level"].upper(), fnd["metric"],
                                                        fnd["baseline"], fnd["current"],
                                                        fnd["change_pct"]))
        if a.update:
            os.makedirs(a.baselines, exist_ok=True)
            kept = trimmed(doc)
            kept["cpu_profile"] = profile_diff.keep(doc, bpath)
            with open(bpath, "w") as f:
                json.dump(kept, f, indent=1, sort_keys=True)
                f.write("\n")
            print("   baseline updated: %s" % shown(bpath))
        for k in ("cpu_diff", "cpu_diff_flamegraph", "cpu_diff_error"):
            if k in cmp:
                print("   %s: %s" % (k, cmp[k]))
    with open(os.path.join(a.results, "comparison.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

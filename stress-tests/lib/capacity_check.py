"""Checks what `run.sh capacity` left: results/capacity.json in its schema and the capacity
section at the top of results/report.html.

usage: capacity_check.py RESULTS_DIR [--instance t3-micro ...]

Contract: prints one "FAIL what" line per broken promise and exits 1 when there is any, else
prints "capacity ok: ..." and exits 0. Checks shapes and the SLO the result claims to meet
(p95 at the found level within the SLO), never a speed.
"""
import argparse
import json
import os
import sys

from capacity import LIMITS

FORM_KEYS = ("max_rps", "max_users", "slo", "p50", "p95", "p99", "binding_limit", "evidence",
             "burst_minutes", "steps", "knee_rps", "knee_users")

def check(results, instances):
    bad = []
    try:
        with open(os.path.join(results, "capacity.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return ["capacity.json unreadable: %s" % e]
    if doc.get("schema") != "fsvc-capacity/1":
        bad.append("schema is %r" % doc.get("schema"))
    slo = doc.get("slo") or {}
    by_name = {i.get("instance"): i for i in doc.get("instances") or []}
    for name in instances:
        inst = by_name.get(name)
        if inst is None:
            bad.append("%s missing" % name)
            continue
        if not inst.get("answer", "").startswith("A %s holds " % name.replace("-", ".")):
            bad.append("%s: no one-sentence answer" % name)
        for form in ("burst", "baseline"):
            f = (inst.get("forms") or {}).get(form)
            if f is None:
                bad.append("%s %s missing" % (name, form))
                continue
            where = "%s %s" % (name, form)
            bad += ["%s lacks %s" % (where, k) for k in FORM_KEYS if k not in f]
            if any(k not in f for k in FORM_KEYS):
                continue
            if not f["max_rps"] > 0 or not f["max_users"] > 0:
                bad.append("%s: max_rps %s, max_users %s (nothing met the SLO)"
                           % (where, f["max_rps"], f["max_users"]))
                continue
            # The answer is headroom below the knee (or the knee itself when unconfirmed).
            if f["max_rps"] > 1.05 * f["knee_rps"] or f["max_users"] > f["knee_users"]:
                bad.append("%s: answer %s req/s, %s users above the knee %s, %s" % (
                    where, f["max_rps"], f["max_users"], f["knee_rps"], f["knee_users"]))
            if not f["p50"] <= f["p95"] <= f["p99"]:
                bad.append("%s: percentiles out of order %s %s %s" % (where, f["p50"], f["p95"],
                                                                      f["p99"]))
            if slo.get("percentile") == "p95" and f["p95"] > slo.get("ms", 0):
                bad.append("%s: p95 %s over the SLO %s ms" % (where, f["p95"], slo.get("ms")))
            if f["binding_limit"] not in LIMITS:
                bad.append("%s: unknown binding limit %r" % (where, f["binding_limit"]))
            if not isinstance(f["evidence"], dict) or "cpu_quota_use_pct" not in f["evidence"]:
                bad.append("%s: no evidence beside the verdict" % where)
            if len(f["steps"].get("open", [])) < 2 or len(f["steps"].get("closed", [])) < 2:
                bad.append("%s: fewer than two steps per search" % where)
        if (inst.get("forms") or {}).get("burst", {}).get("burst_minutes") is None and \
                "needs no credits" not in inst.get("answer", ""):
            bad.append("%s: no burst_minutes and no word on credits" % name)
    try:
        with open(os.path.join(results, "report.html")) as f:
            page = f.read()
    except OSError as e:
        return bad + ["report.html unreadable: %s" % e]
    at = page.find('<section id="capacity">')
    first_other = page.find("<section id=", at + 1) if at >= 0 else -1
    if at < 0:
        bad.append("report.html has no capacity section")
    elif page.find("<section") < at:
        bad.append("the capacity section is not the report's first")
    else:
        section = page[at:first_other if first_other > 0 else len(page)]
        for name in instances:
            if "<td>%s</td>" % name not in section:
                bad.append("the capacity table has no row for %s" % name)
            if "%s: p95 latency vs load" % name not in section:
                bad.append("no latency-vs-load curve for %s" % name)
        for mark in ('class="slo"', 'class="knee"', '<ul class="answer">'):
            if mark not in section:
                bad.append("the capacity section lacks %s" % mark)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--instance", action="append", default=[])
    a = ap.parse_args()
    instances = a.instance or ["t3-micro"]
    bad = check(a.results, instances)
    for b in bad:
        print("FAIL " + b)
    if bad:
        return 1
    print("capacity ok: %s in %s" % (", ".join(instances), a.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Renders stress-tests/results/report.html from the scenario results in the results folder.

usage: report.py --results DIR [--out FILE] [--markdown]

Contract: one self-contained page (inline CSS and SVG, no scripts, nothing fetched): first
the capacity answer when results/capacity.json exists (a table across instances, a latency-vs-
load curve per instance with the SLO line and the knee, one sentence per instance), the TLS
cost table when results/tls.json exists, then a summary table, then per scenario SVG charts (memory over time, the RSS breakdown over time
as stacked areas, latency over time, latency percentiles against the baseline, throughput per
stage), its checks, the baseline comparison with
warnings and failures highlighted, scenario extras and links to the profiles; the
microbenchmark table when results/bench_*.json exist. Only files whose "schema" is
result.SCHEMA are read as scenario results. --markdown prints the summary table as Markdown
instead (for READMEs) and writes nothing.
"""
import argparse
import glob
import html
import json
import os
import sys

import result

ORDER = ["ping", "upload", "read", "batch", "soak", "breaking", "slow", "compare"]
W, H, PAD_L, PAD_B, PAD_T, PAD_R = 440, 220, 52, 34, 16, 12
COLORS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"]


def esc(v):
    return html.escape(str(v))


def num(v, fmt="%.2f"):
    return fmt % v if isinstance(v, (int, float)) and not isinstance(v, bool) else "n/a"


def nice_max(v):
    if not v or v <= 0:
        return 1.0
    for m in (1, 2, 2.5, 5, 10):
        scale = 10 ** len(str(int(v))) / 10
        if v <= m * scale:
            return m * scale
    return v


def frame(title, ymax, ylabel, xlabels):
    """SVG opening, axes, gridlines; returns (parts, x of plot left, plot width, plot height)."""
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    p = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" '
         'viewBox="0 0 %d %d" role="img"><title>%s</title>' % (W, H, W, H, esc(title))]
    for i in range(5):
        y = PAD_T + ph - ph * i / 4
        p.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e2e8f0"/>'
                 % (PAD_L, y, PAD_L + pw, y))
        p.append('<text x="%d" y="%.1f" text-anchor="end" class="ax">%s</text>'
                 % (PAD_L - 4, y + 4, esc(("%g" % round(ymax * i / 4, 3)))))
    p.append('<text x="12" y="%d" class="ax" transform="rotate(-90 12 %d)" '
             'text-anchor="middle">%s</text>' % (PAD_T + ph / 2, PAD_T + ph / 2, esc(ylabel)))
    for x, label in xlabels:
        p.append('<text x="%.1f" y="%d" text-anchor="middle" class="ax">%s</text>'
                 % (x, H - PAD_B + 14, esc(label)))
    p.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#4a5568"/>'
             % (PAD_L, PAD_T + ph, PAD_L + pw, PAD_T + ph))
    return p, pw, ph


def line_chart(title, points, ylabel, xlabel="seconds"):
    if len(points) < 1:
        return empty_chart(title, "no samples (memory unavailable)")
    xmax = max(max(t for t, _ in points), 1.0)
    ymax = nice_max(max(v for _, v in points) * 1.1)
    pw = W - PAD_L - PAD_R
    ticks = [(PAD_L + pw * i / 4, "%g" % round(xmax * i / 4, 1)) for i in range(5)]
    p, pw, ph = frame(title, ymax, ylabel, ticks)
    coords = " ".join("%.1f,%.1f" % (PAD_L + pw * t / xmax, PAD_T + ph - ph * v / ymax)
                      for t, v in points)
    p.append('<polyline class="series" fill="none" stroke="%s" stroke-width="2" points="%s"/>'
             % (COLORS[0], coords))
    p.append('<text x="%d" y="%d" text-anchor="middle" class="ax">%s</text>'
             % (PAD_L + pw / 2, H - 4, esc(xlabel)))
    p.append("</svg>")
    return "".join(p)


def latency_time_chart(doc):
    """p50/p95/p99 per interval over the run (the server's histogram, scenario.py's monitor),
    beside the memory chart."""
    title = "%s: latency over time" % doc["scenario"]
    samples = (doc.get("latency_over_time") or {}).get("samples") or []
    if not samples:
        return empty_chart(title, "no latency samples (server without /metrics histogram)")
    xmax = max(max(s[0] for s in samples), 1.0)
    ymax = nice_max(max(s[3] for s in samples) * 1.1)
    pw = W - PAD_L - PAD_R
    ticks = [(PAD_L + pw * i / 4, "%g" % round(xmax * i / 4, 1)) for i in range(5)]
    p, pw, ph = frame(title, ymax, "ms (server side)", ticks)
    for j, name in enumerate(("p50", "p95", "p99")):
        coords = " ".join("%.1f,%.1f" % (PAD_L + pw * s[0] / xmax,
                                         PAD_T + ph - ph * s[1 + j] / ymax) for s in samples)
        p.append('<polyline class="latency" fill="none" stroke="%s" stroke-width="1.5" '
                 'points="%s"/><rect x="%d" y="2" width="10" height="10" fill="%s"/>'
                 '<text x="%d" y="11" class="ax">%s</text>'
                 % (COLORS[j], coords, PAD_L + 8 + 60 * j, COLORS[j], PAD_L + 22 + 60 * j, name))
    p.append('<text x="%d" y="%d" text-anchor="middle" class="ax">seconds</text>'
             % (PAD_L + pw / 2, H - 4))
    p.append("</svg>")
    return "".join(p)


def bar_chart(title, groups, series_names, ylabel):
    """groups: [(label, [value per series or None])]."""
    values = [v for _, vs in groups for v in vs if isinstance(v, (int, float))]
    if not values:
        return empty_chart(title, "no figures")
    ymax = nice_max(max(values) * 1.1)
    pw = W - PAD_L - PAD_R
    gw = pw / max(len(groups), 1)
    bw = gw * 0.7 / max(len(series_names), 1)
    ticks = [(PAD_L + gw * (i + 0.5), label) for i, (label, _) in enumerate(groups)]
    p, pw, ph = frame(title, ymax, ylabel, ticks)
    for i, (_, vs) in enumerate(groups):
        for j, v in enumerate(vs):
            if not isinstance(v, (int, float)):
                continue
            h = ph * v / ymax
            x = PAD_L + gw * i + gw * 0.15 + bw * j
            p.append('<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">'
                     '<title>%s %s: %s</title></rect>'
                     % (x, PAD_T + ph - h, bw - 1, h, COLORS[j % len(COLORS)],
                        esc(series_names[j]), esc(groups[i][0]), esc(num(v))))
    for j, name in enumerate(series_names):
        p.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" '
                 'class="ax">%s</text>' % (PAD_L + 8 + 110 * j, 2, COLORS[j % len(COLORS)],
                                          PAD_L + 22 + 110 * j, 11, esc(name)))
    p.append("</svg>")
    return "".join(p)


def empty_chart(title, why):
    return ('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d">'
            '<title>%s</title><text x="%d" y="%d" text-anchor="middle" class="ax">%s</text></svg>'
            % (W, H, esc(title), W / 2, H / 2, esc(why)))


# The RSS breakdown's parts, bottom to top, and their colours; parts a service does not
# report are left out, unknown ones go on top in grey.
BREAKDOWN_PARTS = [("heap_allocated", "#2b6cb0"), ("sqlite", "#63b3ed"),
                   ("heap_fragmentation", "#dd6b20"), ("heap_dirty", "#f6ad55"),
                   ("thread_stacks", "#38a169"), ("mapped_files", "#805ad5"),
                   ("other", "#a0aec0")]
BREAKDOWN_LEGEND = {"heap_allocated": "heap", "heap_fragmentation": "frag",
                    "heap_dirty": "dirty", "thread_stacks": "stacks",
                    "mapped_files": "files"}


def memory_breakdown_chart(doc):
    """Stacked areas of the RSS breakdown over time (MB), from memory.breakdown_samples."""
    title = "%s: RSS by part over time" % doc["scenario"]
    samples = (doc.get("memory") or {}).get("breakdown_samples") or []
    if not samples:
        return empty_chart(title, "no breakdown (the service reports none)")
    seen = {k for _, parts in samples for k in parts}
    order = [(k, c) for k, c in BREAKDOWN_PARTS if k in seen]
    order += [(k, "#718096") for k in sorted(seen - {k for k, _ in BREAKDOWN_PARTS})]
    # A negative "other" (the parts come from different sources) stacks as nothing.
    mb = [(t, [max(parts.get(k, 0), 0) / 1048576.0 for k, _ in order]) for t, parts in samples]
    xmax = max(max(t for t, _ in mb), 1.0)
    ymax = nice_max(max(sum(v) for _, v in mb) * 1.1)
    pw = W - PAD_L - PAD_R
    ticks = [(PAD_L + pw * i / 4, "%g" % round(xmax * i / 4, 1)) for i in range(5)]
    p, pw, ph = frame(title, ymax, "MB", ticks)
    x = [PAD_L + pw * t / xmax for t, _ in mb]
    below = [0.0] * len(mb)
    for j, (name, colour) in enumerate(order):
        above = [below[i] + mb[i][1][j] for i in range(len(mb))]
        top = ["%.1f,%.1f" % (x[i], PAD_T + ph - ph * above[i] / ymax) for i in range(len(mb))]
        bottom = ["%.1f,%.1f" % (x[i], PAD_T + ph - ph * below[i] / ymax)
                  for i in reversed(range(len(mb)))]
        p.append('<polygon class="area" fill="%s" fill-opacity="0.85" points="%s">'
                 '<title>%s: %s MB at the end</title></polygon>'
                 % (colour, " ".join(top + bottom), esc(name), num(mb[-1][1][j], "%.1f")))
        p.append('<rect x="%d" y="%d" width="8" height="8" fill="%s"/><text x="%d" y="%d" '
                 'class="ax">%s</text>' % (PAD_L + 6 + 52 * (j % 7), 2 + 10 * (j // 7), colour,
                                          PAD_L + 16 + 52 * (j % 7), 10 + 10 * (j // 7),
                                          esc(BREAKDOWN_LEGEND.get(name, name)[:6])))
        below = above
    p.append('<text x="%d" y="%d" text-anchor="middle" class="ax">seconds</text>'
             % (PAD_L + pw / 2, H - 4))
    p.append("</svg>")
    return "".join(p)


def baseline_of(doc):
    cmp = doc.get("baseline_comparison") or {}
    path = cmp.get("baseline")
    if not path:
        return None
    full = path if os.path.isabs(path) else os.path.join(result.REPO, path)
    try:
        with open(full) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def charts(doc):
    base = baseline_of(doc)
    mem = [(t, v) for t, v in doc["memory"].get("samples", [])]
    out = [line_chart("%s: memory (RSS) over time" % doc["scenario"], mem, "RSS MB"),
           memory_breakdown_chart(doc),
           latency_time_chart(doc)]
    lat = doc.get("latency_ms") or {}
    blat = (base or {}).get("latency_ms") or {}
    names = ["this run"] + (["baseline"] if base else [])
    groups = [(k, [lat.get(k)] + ([blat.get(k)] if base else [])) for k in ("p50", "p95", "p99",
                                                                             "max")]
    out.append(bar_chart("%s: latency percentiles" % doc["scenario"], groups, names, "ms"))
    bstages = (base or {}).get("stages") or []
    groups = []
    for i, st in enumerate(doc.get("stages") or []):
        bv = bstages[i]["requests_per_sec"] if i < len(bstages) else None
        groups.append(("c%s" % st["connections"], [st["requests_per_sec"]] + ([bv] if base else [])))
    out.append(bar_chart("%s: throughput per stage" % doc["scenario"], groups, names, "req/s"))
    return "".join(out)


def slow_uploaders_section(doc):
    """The slow scenario's second phase: /ping while request bodies trickle, what the server
    did with the trickling uploads, RSS growth."""
    up = (doc.get("extra") or {}).get("slow_uploaders")
    if not isinstance(up, dict):
        return ""
    if "skipped" in up:
        return "<h3>Slow uploaders</h3><p>skipped: %s</p>" % esc(up["skipped"])
    lat = doc.get("latency_ms") or {}
    ping = up.get("ping_ms") or {}
    chart = bar_chart("slow: /ping with slow readers vs slow uploaders",
                      [(k, [lat.get(k), ping.get(k)]) for k in ("p50", "p95", "p99", "max")],
                      ["slow readers", "slow uploaders"], "ms")
    p99, target = ping.get("p99"), up.get("ping_p99_target_ms")
    slow_ping = not isinstance(p99, (int, float)) or p99 >= target
    stored = (up.get("stored") or 0) + (up.get("stored_unverified") or 0)
    other = ", ".join("%s × %s" % (n, code) for code, n in sorted(up.get("answered_other", {})
                                                                   .items()))
    cut = "%d of %d (408: %d, closed without an answer: %d%s)" % (
        up["cut_off"], up["clients"], up["cut_off_408"], up["cut_off_closed"],
        ", other answers: " + other if other else "")
    if up["cut_off"]:
        cut += "; first after %s s, median %s s" % (num(up.get("first_cut_s")),
                                                   num(up.get("median_cut_s")))
    rows = [
        ("", ["trickling clients", "%d for %s s at %d B/s each: %d PUT /files (declaring %s "
              "bytes), %d POST /batch-download (declaring %s bytes)" % (
                  up["clients"], num(up["trickle_s"], "%g"), up["bytes_per_s_each"], up["put"],
                  up["declared_bytes"]["put"], up["batch_download"],
                  up["declared_bytes"]["batch"])]),
        ("fail" if slow_ping else "", ["/ping while bodies trickle",
                                       "p50 %s, p95 %s, p99 %s (target &lt; %s), max %s ms; "
                                       "%s req/s, error rate %s" % (
                                           num(ping.get("p50")), num(ping.get("p95")),
                                           num(p99), esc(num(target, "%g")), num(ping.get("max")),
                                           num(up.get("ping_requests_per_sec"), "%.0f"),
                                           num(up.get("ping_error_rate"), "%.4f"))]),
        ("", ["cut off by the server", esc(cut) + " &mdash; reported, not checked"]),
        ("", ["still open at the end", "%d (closed by the client, body unfinished)"
              % up["still_open_at_end"]]),
        ("fail" if stored else "", ["stored", "%d (GET of every trickled path after the phase)"
                                    % stored]),
        ("", ["RSS growth", "%s MB (from %s MB)" % (num(up.get("rss_growth_mb")),
                                                    num(up.get("rss_before_mb"), "%.1f"))]),
    ]
    if up.get("connect_failed"):
        rows.append(("warn", ["connects failed", str(up["connect_failed"])]))
    return ('<h3>Slow uploaders</h3><div class="charts">%s</div>' % chart +
            table(rows, ["what", "figure"]))


def table(rows, header):
    h = "".join("<th>%s</th>" % esc(c) for c in header)
    body = "".join("<tr%s>%s</tr>" % (' class="%s"' % cls if cls else "",
                                      "".join("<td>%s</td>" % c for c in cells))
                   for cls, cells in rows)
    return "<table><tr>%s</tr>%s</table>" % (h, body)


def flame_thumbnails(doc, out_dir):
    """The scenario's flame graphs as clickable thumbnails (SVG) or links (HTML), each opening
    the full graph; the files stay beside the report (relative links, nothing fetched)."""
    cells = []
    for kind, f in sorted((doc.get("profiles") or {}).items()):
        if not (isinstance(f, str) and "flame" in kind and os.path.exists(f)):
            continue
        rel = esc(os.path.relpath(f, out_dir))
        label = esc("%s %s" % (doc["scenario"], kind.replace("_flamegraph", " flame graph")))
        if f.endswith(".svg"):
            cells.append('<a class="flame" href="%s"><img src="%s" width="320" height="160" '
                         'alt="%s"><br>%s</a>' % (rel, rel, label, label))
        elif f.endswith(".html"):
            cells.append('<a class="flame" href="%s">%s (open)</a>' % (rel, label))
    return '<div class="charts flames">%s</div>' % "".join(cells) if cells else ""


def regression_diff_links(cmp, out_dir):
    """The diff CPU profile and diff flame graph of a flagged scenario (baseline.py)."""
    items = []
    if cmp.get("cpu_diff_flamegraph"):
        items.append('<a href="%s">diff flame graph</a> (red: share grew, blue: shrank)'
                     % esc(os.path.relpath(cmp["cpu_diff_flamegraph"], out_dir)))
    if cmp.get("cpu_diff"):
        items.append("diff CPU profile: <code>go tool pprof -top %s</code>" % esc(cmp["cpu_diff"]))
    if cmp.get("cpu_diff_error"):
        items.append("no CPU diff: %s" % esc(cmp["cpu_diff_error"]))
    return "<p>%s</p>" % " &middot; ".join(items) if items else ""


def scenario_section(doc, out_dir):
    s = doc["scenario"]
    cmp = doc.get("baseline_comparison") or {}
    verdict = cmp.get("verdict", "none")
    parts = ['<section id="%s"><h2>%s <span class="badge %s">%s</span> '
             '<span class="badge %s">baseline: %s</span></h2>'
             % (esc(s), esc(s), "ok" if doc["passed"] else "fail",
                "checks pass" if doc["passed"] else "checks FAIL", esc(verdict), esc(verdict))]
    parts.append('<p class="meta">%s &middot; commit %s &middot; instance %s &middot; %s%s</p>'
                 % (esc(doc["timestamp"]), esc(doc["git_commit"]),
                    esc(doc["instance_profile"] or "none (BASE_URL)"), esc(doc["load_generator"]),
                    " &middot; quick" if doc["quick"] else ""))
    parts.append('<div class="charts">%s</div>' % charts(doc))
    parts.append(flame_thumbnails(doc, out_dir))
    rows = [("" if c["passed"] else "fail", [esc(c["check"]), esc(c["value"]), esc(c["limit"]),
                                              "pass" if c["passed"] else "FAIL"])
            for c in doc["checks"]]
    if rows:
        parts.append("<h3>Checks</h3>" + table(rows, ["check", "value", "limit", "result"]))
    if s == "slow":
        parts.append(slow_uploaders_section(doc))
    if cmp:
        parts.append("<h3>Against the baseline</h3><p>%s %s</p>"
                     % (esc(cmp.get("baseline") or ""), esc(cmp.get("note", ""))))
        rows = [(f["level"] if f["level"] in ("warn", "fail") else "",
                 [esc(f["metric"]), esc(num(f["baseline"], "%.4g")), esc(num(f["current"], "%.4g")),
                  esc(num(f["change_pct"], "%+.1f%%")), esc(f["level"])])
                for f in cmp.get("findings", [])]
        if rows:
            parts.append(table(rows, ["metric", "baseline", "this run", "change", "level"]))
        parts.append(regression_diff_links(cmp, out_dir))
    m, t, v = doc["memory"], doc["threads"], doc.get("verification")
    facts = [("", ["memory (%s)" % esc(m["source"]),
                   "baseline %s MB, peak %s MB, growth %s MB, slope %s MB/s" % (
                       num(m["baseline_mb"], "%.1f"), num(m["peak_mb"], "%.1f"),
                       num(m["growth_mb"], "%.1f"), num(m["slope_mb_per_s"], "%.4f"))]),
             ("", ["threads", "baseline %s, peak %s, final %s" % (t["baseline"], t["peak"],
                                                                   t["final"])])]
    if v:
        facts.append(("fail" if doc["lost_files"] else "",
                      ["verification", "%d acknowledged, %d files checked, %d lost, %d corrupted"
                       % (v["acknowledged"], v["checked"], v["lost"], v["corrupted"])]))
    for k, val in sorted(doc.get("extra", {}).items()):
        if s == "slow" and k == "slow_uploaders":
            continue  # its own table above
        facts.append(("", [esc(k), "<code>%s</code>" % esc(json.dumps(val))]))
    for kind, f in sorted((doc.get("profiles") or {}).items()):
        shown = f
        if isinstance(f, str) and f.endswith(".pb.gz"):
            shown = "%s &mdash; <code>go tool pprof -http=127.0.0.1:9090 %s</code>" % (esc(f), esc(f))
        elif isinstance(f, str) and f.endswith((".svg", ".html")):
            shown = '<a href="%s">%s</a>' % (esc(os.path.relpath(f, out_dir)), esc(f))
        else:
            shown = esc(f)
        facts.append(("", ["profile: " + esc(kind), shown]))
    parts.append("<h3>Details</h3>" + table(facts, ["what", "figure"]))
    parts.append("</section>")
    return "".join(parts)


def summary_table(docs):
    rows = []
    for d in docs:
        lat = d.get("latency_ms") or {}
        verdict = (d.get("baseline_comparison") or {}).get("verdict", "none")
        cls = "fail" if not d["passed"] or verdict == "fail" else "warn" if verdict == "warn" else ""
        rows.append((cls, ['<a href="#%s">%s</a>' % (esc(d["scenario"]), esc(d["scenario"])),
                           num(d["throughput"]["requests_per_sec"], "%.1f"),
                           num(lat.get("p50")), num(lat.get("p95")), num(lat.get("p99")),
                           num(lat.get("max")), num(d["errors"]["rate"] * 100, "%.2f%%"),
                           num(d["memory"]["peak_mb"], "%.1f"),
                           num(d["memory"]["slope_mb_per_s"], "%.4f"),
                           esc(d["lost_files"] if d["lost_files"] is not None else "-"),
                           "pass" if d["passed"] else "FAIL", esc(verdict)]))
    return table(rows, ["scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors",
                        "peak RSS MB", "slope MB/s", "lost", "checks", "baseline"])


def bench_section(results_dir):
    parts = []
    for path in sorted(glob.glob(os.path.join(results_dir, "bench_*.json"))):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        rows = [("", [esc(b.get("name")), num(b.get("real_time"), "%.1f"), esc(b.get("time_unit")),
                      num(b.get("allocs_per_op", b.get("allocs/op")), "%.2f")])
                for b in data.get("benchmarks", [])]
        parts.append("<h3>%s</h3>" % esc(os.path.basename(path)) +
                     table(rows, ["benchmark", "time", "unit", "allocs/op"]))
    return ('<section id="bench"><h2>Microbenchmarks</h2>%s</section>' % "".join(parts)) if parts \
        else ""


# --- what TLS costs (results/tls.json, stress-tests/tls_cost.sh) --------------------------

TLS_TESTS = [("conn", "new connections/s, GET /ping, keep-alive off (a full handshake each)"),
             ("ping", "GET /ping, keep-alive"), ("get100k", "GET 100 KiB file, keep-alive")]


def tls_section(results_dir):
    try:
        with open(os.path.join(results_dir, "tls.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return ""
    if not isinstance(doc, dict) or doc.get("schema") != "fsvc-tls/1":
        return ""
    tests = doc.get("tests") or {}
    rows = [("", [esc(label), num(tests.get(t, {}).get("plain_rps"), "%.0f"),
                  num(tests.get(t, {}).get("tls_rps"), "%.0f"),
                  num(tests.get(t, {}).get("ratio"), "%.2f")]) for t, label in TLS_TESTS]
    idle = doc.get("idle_kib_per_connection") or {}
    rows.append(("", ["RSS per idle keep-alive connection, KiB", num(idle.get("plain"), "%.1f"),
                      num(idle.get("tls"), "%.1f"), ""]))
    where = ("under the %s profile, one vCPU of quota, service on core 0 and clients on core 1"
             % esc(doc["instance"])) if doc.get("instance") else "without instance limits"
    return ('<section id="tls"><h2>What TLS costs</h2><p>A plain and a TLS service side by side, '
            '%s; medians of %s interleaved rounds of %s s (commit %s, %s).</p>%s</section>'
            % (where, esc(doc.get("rounds")), esc(doc.get("duration_s")), esc(doc.get("git_commit")),
               esc(doc.get("time")), table(rows, ["measure", "plain", "TLS", "TLS / plain"])))


# --- the capacity answer (results/capacity.json, stress-tests/lib/capacity.py) ------------

CAPACITY_SCHEMA = "fsvc-capacity/1"


def load_capacity(results_dir):
    try:
        with open(os.path.join(results_dir, "capacity.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("schema") == CAPACITY_SCHEMA else None


def capacity_curve(inst, slo_ms, slo_key):
    """Latency (the SLO's percentile) against the open-model load of both forms, whole-
    instance req/s on x; the SLO as a dashed line, each form's knee (the highest level its
    search passed; the answer, max_rps, is HEADROOM of it) marked."""
    series = []
    for j, (form, f) in enumerate(sorted(inst["forms"].items())):
        pts = [(s["level"] * f["vcpu"], s.get(slo_key + "_ms")) for s in f["steps"]["open"]
               if isinstance(s.get(slo_key + "_ms"), (int, float))]
        series.append((form, pts, f.get("knee_rps", f["max_rps"]), COLORS[j % len(COLORS)]))
    xs = [x for _, pts, _, _ in series for x, _ in pts]
    if not xs:
        return empty_chart("%s: latency vs load" % inst["instance"], "no steps")
    xmax = nice_max(max(xs) * 1.05)
    ymax = nice_max(min(max([slo_ms * 1.5] + [y for _, pts, _, _ in series for _, y in pts]),
                        slo_ms * 4))
    pw = W - PAD_L - PAD_R
    ticks = [(PAD_L + pw * i / 4, "%g" % round(xmax * i / 4)) for i in range(5)]
    p, pw, ph = frame("%s: %s latency vs load (open model)" % (inst["instance"], slo_key), ymax,
                      "%s ms" % slo_key, ticks)

    def x_of(x):
        return PAD_L + pw * x / xmax

    def y_of(y):
        return PAD_T + ph - ph * min(y, ymax) / ymax

    p.append('<line class="slo" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e53e3e" '
             'stroke-dasharray="5,3"/><text x="%d" y="%.1f" class="ax" fill="#e53e3e">SLO %s '
             '%g ms</text>' % (PAD_L, y_of(slo_ms), PAD_L + pw, y_of(slo_ms), PAD_L + 4,
                               y_of(slo_ms) - 3, esc(slo_key), slo_ms))
    for k, (form, pts, knee, color) in enumerate(series):
        if pts:
            p.append('<polyline class="series" fill="none" stroke="%s" stroke-width="2" '
                     'points="%s"/>' % (color, " ".join("%.1f,%.1f" % (x_of(x), y_of(y))
                                                        for x, y in pts)))
            p.extend('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s: %g req/s, %s '
                     '%.2f ms</title></circle>' % (x_of(x), y_of(y), color, esc(form), x,
                                                   esc(slo_key), y) for x, y in pts)
        if knee:
            p.append('<line class="knee" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" '
                     'stroke-dasharray="2,2"/><text x="%.1f" y="%d" class="ax" fill="%s">knee '
                     '%g/s</text>' % (x_of(knee), PAD_T, x_of(knee), PAD_T + ph, color,
                                      x_of(knee) + 3, PAD_T + 10 + 11 * k, color, knee))
        p.append('<rect x="%d" y="2" width="10" height="10" fill="%s"/><text x="%d" y="11" '
                 'class="ax">%s</text>' % (PAD_L + 8 + 110 * k, color, PAD_L + 22 + 110 * k,
                                           esc(form)))
    p.append('<text x="%d" y="%d" text-anchor="middle" class="ax">req/s (whole instance)</text>'
             '<text x="%d" y="11" text-anchor="end" font-weight="bold" class="ax">%s</text>'
             % (PAD_L + pw / 2, H - 4, W - PAD_R, esc(inst["instance"])))
    p.append("</svg>")
    return "".join(p)


def capacity_section(results_dir):
    """The report's first section: the table across instances, a latency-vs-load curve per
    instance and one sentence per instance."""
    doc = load_capacity(results_dir)
    if doc is None:
        return ""
    slo = doc["slo"]
    rows = []
    for inst in doc["instances"]:
        for form, f in inst["forms"].items():
            ev = f.get("evidence") or {}
            shown = ", ".join("%s %s" % (k, v) for k, v in (
                ("CPU % of quota", ev.get("cpu_quota_use_pct")),
                ("throttled %", ev.get("throttled_periods_pct")),
                ("waited for core 0 %", ev.get("cpu_wait_pct")),
                ("memory MB (anon)", "%s of %s" % (ev.get("memory_anon_peak_mb"),
                                                   ev.get("memory_limit_mb"))),
                ("fsync p95 ms", "%s (idle %s)" % (ev.get("fsync_p95_ms"),
                                                   ev.get("fsync_idle_p95_ms"))),
                ("503s", ev.get("status_503")), ("fds", ev.get("fds_peak")),
                ("generator CPU %", ev.get("generator_cpu_pct"))))
            rows.append(("", [esc(inst["instance"]), esc(form), num(f["max_rps"], "%g"),
                              esc(f["max_users"]), num(f["p50"]), num(f["p95"]), num(f["p99"]),
                              "<b>%s</b>" % esc(f["binding_limit"]),
                              esc(f.get("users_binding_limit", "")),
                              num(f["burst_minutes"], "%g") if f.get("burst_minutes") else "-",
                              "<small>at %s: %s</small>" % (esc(ev.get("at", "")), esc(shown))]))
    curves = "".join(capacity_curve(i, slo["ms"], slo["percentile"]) for i in doc["instances"])
    answers = "".join("<li>%s</li>" % esc(i["answer"]) for i in doc["instances"])
    check = doc.get("generator_check") or {}
    return ('<section id="capacity"><h2>Capacity: how many users each t3 size holds%s</h2>'
            '<ul class="answer">%s</ul>%s<div class="charts">%s</div>'
            '<p class="meta">SLO %s &le; %g ms, errors &lt; %g %%, no 503 &middot; mix %s '
            '&middot; closed model: think time %g s &middot; %s &middot; %s &middot; %s '
            '&middot; <code>%s</code> (%s s, %s)</p>'
            '<p class="meta">Generator check at low load (/ping): %s</p></section>'
            % (" (quick)" if doc.get("quick") else "", answers,
               table(rows, ["instance", "form", "max req/s", "max users", "p50 ms", "p95 ms",
                            "p99 ms", "binding limit", "users: binding limit", "burst min",
                            "evidence"]),
               curves, esc(slo["percentile"]), slo["ms"], 100 * slo["max_error_rate"],
               esc(doc.get("mix")), doc.get("think_s", 0), esc(doc.get("cpu_model")),
               esc(doc.get("latency")), esc(doc.get("timestamp")), esc(doc.get("command")),
               esc(doc.get("seconds")), esc(doc.get("git_commit")), esc(json.dumps(check))))


CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#1a202c;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #cbd5e0;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#edf2f7}tr.warn td{background:#fefcbf}
tr.fail td{background:#fed7d7;font-weight:600}.badge{font-size:12px;padding:2px 6px;
border-radius:4px;background:#e2e8f0}.badge.ok{background:#c6f6d5}.badge.warn{background:#fefcbf}
.badge.fail{background:#feb2b2}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #e2e8f0;background:#fff}.ax{font-size:10px;fill:#4a5568}
.meta{color:#4a5568}.flame{font-size:12px;text-align:center}
.flame img{border:1px solid #e2e8f0;object-fit:cover;object-position:left bottom}
ul.answer{font-size:15px}code{font-size:12px;word-break:break-all}section{margin-top:28px}"""

def load_results(results_dir):
    docs = []
    for path in glob.glob(os.path.join(results_dir, "*.json")):
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(d, dict) and d.get("schema") == result.SCHEMA:
            docs.append(d)
    docs.sort(key=lambda d: ORDER.index(d["scenario"]) if d["scenario"] in ORDER else 99)
    return docs


def markdown(docs):
    lines = ["| scenario | peak conns | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | "
             "RSS base→peak MB | slope MB/s | threads peak | lost |", "|" + "---|" * 12]
    for d in docs:
        lat = d.get("latency_ms") or {}
        m = d["memory"]
        conns = max((st["connections"] for st in d.get("stages") or []), default=None)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s→%s | %s | %s | %s |" % (
            d["scenario"], conns, num(d["throughput"]["requests_per_sec"], "%.0f"),
            num(lat.get("p50")), num(lat.get("p95")), num(lat.get("p99")), num(lat.get("max")),
            num(d["errors"]["rate"] * 100, "%.2f%%"), num(m["baseline_mb"], "%.1f"),
            num(m["peak_mb"], "%.1f"), num(m["slope_mb_per_s"], "%.4f"), d["threads"]["peak"],
            d["lost_files"] if d["lost_files"] is not None else "-"))
    return "\n".join(lines) + "\n"


def render(results_dir, out_dir):
    docs = load_results(results_dir)
    body = ["<h1>file-service load report</h1>", capacity_section(results_dir),
            tls_section(results_dir),
            "<p>Scenarios run by <code>stress-tests/run.sh</code>; figures are client-side "
            "(load generator) except memory, which the service reports (or /proc).</p>",
            summary_table(docs)] + [scenario_section(d, out_dir) for d in docs] + [bench_section(results_dir)]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>file-service "
            "load report</title><style>%s</style></head><body>%s</body></html>\n"
            % (CSS, "".join(body)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    if a.markdown:
        sys.stdout.write(markdown(load_results(a.results)))
        return 0
    out = a.out or os.path.join(a.results, "report.html")
    page = render(a.results, os.path.dirname(os.path.abspath(out)))
    with open(out, "w") as f:
        f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())

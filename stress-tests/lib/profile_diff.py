"""Regression diffs of CPU profiles: a baseline keeps its CPU profile beside its JSON, and a
scenario the comparison flags gets a diff profile and a diff flame graph against it.

Contract: keep(doc, baseline_json) copies the run's CPU profile (doc.profiles.cpu, a .pb.gz)
to <baseline_json without .json>.cpu.pb.gz and returns that path as the baseline records
it (relative to the repository), or None when the run has none.
diff(doc, base, results_dir) returns {"cpu_diff": ..., "cpu_diff_flamegraph": ...} (paths)
or {"cpu_diff_error": why}. The diff profile is what `go tool pprof -proto -diff_base=BASE
CURRENT` writes (the baseline's samples negated, so `go tool pprof -top` of it lists what
grew first; open it with -diff_base semantics as it is). The diff flame graph is an SVG
rendered here: widths are this run's shares, colour is the change of each frame's share
against the baseline (red grew, blue shrank); both profiles are read with `go tool pprof
-traces`. Shares, not absolute times: the two runs may have profiled for different spans.
"""
import html
import os
import re
import shutil
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _abs(path):
    return path if os.path.isabs(path) else os.path.join(REPO, path)


def _cpu_profile(doc):
    f = (doc.get("profiles") or {}).get("cpu")
    return f if isinstance(f, str) and f.endswith(".pb.gz") and os.path.exists(_abs(f)) else None


def keep(doc, baseline_json):
    src = _cpu_profile(doc)
    if not src:
        return None
    dst = baseline_json[:-len(".json")] + ".cpu.pb.gz"
    shutil.copyfile(_abs(src), dst)
    full = os.path.abspath(dst)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else full


def _pprof(args):
    env = dict(os.environ, PPROF_BINARY_PATH="/nonexistent", HOME=os.environ.get("TMPDIR", "/tmp"))
    return subprocess.run(["go", "tool", "pprof"] + args, capture_output=True, env=env,
                          timeout=120, check=False)


def traces(path):
    """[(seconds, [frame root first])] of a CPU profile, from `go tool pprof -traces`."""
    out = _pprof(["-traces", path])
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors="replace")[:300])
    stacks, value, frames = [], None, []
    for line in out.stdout.decode(errors="replace").splitlines():
        if line.startswith("-----------+"):
            if value is not None and frames:
                stacks.append((value, frames[::-1]))
            value, frames = None, []
            continue
        m = re.match(r"^\s*(-?[0-9.]+)([a-z\u00b5]+)\s{2,}(\S.*)$", line)
        if m and m.group(2) in UNITS:
            value = float(m.group(1)) * UNITS[m.group(2)]
            frames = [m.group(3).replace(" (inline)", "").strip()]
        elif value is not None and line.startswith(" ") and line.strip():
            frames.append(line.replace(" (inline)", "").strip())
    if value is not None and frames:
        stacks.append((value, frames[::-1]))
    return stacks


def _tree(stacks, slot, tree):
    total = sum(v for v, _ in stacks) or 1.0
    for v, frames in stacks:
        node = tree
        node["v"][slot] += v / total
        for f in frames:
            node = node["c"].setdefault(f, {"v": [0.0, 0.0], "c": {}})
            node["v"][slot] += v / total


def flame_svg(current, baseline, title, width=1200):
    """A diff flame graph of two [(value, frames)] lists, as self-contained SVG text."""
    root = {"v": [0.0, 0.0], "c": {}}
    _tree(current, 0, root)
    _tree(baseline, 1, root)

    def depth(n):
        return 1 + max([depth(c) for c in n["c"].values()] or [0])

    fh, top = 16, 40
    height = top + depth(root) * fh + 8
    out = ['<?xml version="1.0" standalone="no"?>\n<svg version="1.1" width="%d" height="%d" '
           'xmlns="http://www.w3.org/2000/svg"><style>text{font:12px monospace;'
           'pointer-events:none}</style><rect width="100%%" height="100%%" fill="#fff"/>'
           '<text x="10" y="20" style="font-size:16px">%s</text><text x="10" y="34">width: '
           'share of this run; red: share grew against the baseline, blue: shrank (hover for '
           'both)</text>\n' % (width, height, html.escape(title))]
    scale = width - 20

    def frame(name, n, x, d):
        w = n["v"][0] * scale
        if w < 0.5:
            return
        delta = n["v"][0] - n["v"][1]
        strength = min(1.0, abs(delta) * 10)  # 10 points of share change saturates
        light = int(255 - 200 * strength)
        fill = "rgb(255,%d,%d)" % (light, light) if delta > 0 else "rgb(%d,%d,255)" % (light, light)
        y = height - 8 - (d + 1) * fh
        out.append('<g><title>%s: this run %.2f%%, baseline %.2f%% (%+.2f points)</title>'
                   '<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s" stroke="#ccc" '
                   'stroke-width="0.3"/>' % (html.escape(name), 100 * n["v"][0], 100 * n["v"][1],
                                            100 * delta, x, y, w, fh - 1, fill))
        fits = int((w - 6) / 7)
        if fits >= 3:
            label = name if len(name) <= fits else name[:fits - 2] + ".."
            out.append('<text x="%.2f" y="%d">%s</text>' % (x + 3, y + 12, html.escape(label)))
        out.append("</g>\n")
        cx = x
        for cname in sorted(n["c"]):
            frame(cname, n["c"][cname], cx, d + 1)
            cx += n["c"][cname]["v"][0] * scale

    frame("all", root, 10, 0)
    out.append("</svg>\n")
    return "".join(out)


def diff(doc, base, results_dir):
    cur = _cpu_profile(doc)
    old = base.get("cpu_profile")
    if not cur or not old or not os.path.exists(_abs(old)):
        return {"cpu_diff_error": "no CPU profile %s" % ("in this run" if not cur else
                                                         "kept with the baseline")}
    if shutil.which("go") is None:
        return {"cpu_diff_error": "go tool pprof not found (golang-go)"}
    stem = os.path.join(results_dir, doc["scenario"])
    out = _pprof(["-proto", "-diff_base=" + _abs(old), _abs(cur)])
    if out.returncode != 0:
        return {"cpu_diff_error": out.stderr.decode(errors="replace")[:300]}
    with open(stem + "_cpu_diff.pb.gz", "wb") as f:
        f.write(out.stdout)
    try:
        svg = flame_svg(traces(_abs(cur)), traces(_abs(old)),
                        "%s: CPU against the baseline" % doc["scenario"])
    except (RuntimeError, subprocess.SubprocessError) as e:
        return {"cpu_diff": stem + "_cpu_diff.pb.gz", "cpu_diff_error": str(e)}
    with open(stem + "_cpu_diff_flame.svg", "w") as f:
        f.write(svg)
    return {"cpu_diff": stem + "_cpu_diff.pb.gz", "cpu_diff_flamegraph": stem + "_cpu_diff_flame.svg"}

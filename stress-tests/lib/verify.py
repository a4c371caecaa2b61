"""Checks, after a writing scenario, that every acknowledged upload is stored intact.

Contract: each acknowledged file is downloaded back and its sha256 compared with both the
sha256 the server acknowledged and the sha256 of the deterministic content for its path
(payload.content). lost = acknowledged but not downloadable; corrupted = downloadable but
different. Returns {"acknowledged", "checked", "lost", "corrupted", "examples"}.
"""
import glob
import hashlib
import http.client
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import payload

WORKERS = 4


class _Fetcher(threading.local):
    """One keep-alive connection per worker thread."""

    def __init__(self, service):
        self.service = service
        self.conn = None

    def sha(self, path):
        for _ in range(2):
            if self.conn is None:
                self.conn = self.service.connection(timeout=60)
            try:
                self.conn.request("GET", "/files/" + urllib.parse.quote(path),
                                  headers=self.service.headers())
                r = self.conn.getresponse()
                h = hashlib.sha256()
                while True:
                    chunk = r.read(65536)
                    if not chunk:
                        break
                    h.update(chunk)
                return r.status, h.hexdigest()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
        return 0, None


def _check(service, expected, size):
    """expected: {path: acknowledged sha or None}."""
    fetcher = _Fetcher(service)
    lost, corrupted, examples = 0, 0, []

    def one(item):
        path, acked = item
        want = payload.sha256_hex(payload.content(path, size))
        status, got = fetcher.sha(path)
        if status != 200:
            return "lost", "%s: status %d" % (path, status)
        if got != want or (acked is not None and acked != want):
            return "corrupted", "%s: got %s, acknowledged %s, expected %s" % (path, got, acked, want)
        return "ok", None

    with ThreadPoolExecutor(WORKERS) as pool:
        for verdict, why in pool.map(one, sorted(expected.items())):
            if verdict == "lost":
                lost += 1
            elif verdict == "corrupted":
                corrupted += 1
            if why and len(examples) < 5:
                examples.append(why)
    return lost, corrupted, examples


def verify_acks(service, ack_dir, size):
    """Acknowledgements logged by the wrk scripts: "path sha256" lines in acks-*.txt."""
    expected, acknowledged, conflicting = {}, 0, 0
    for name in glob.glob(ack_dir + "/acks-*.txt"):
        with open(name) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2:
                    continue
                acknowledged += 1
                if expected.setdefault(parts[0], parts[1]) != parts[1]:
                    conflicting += 1
    lost, corrupted, examples = _check(service, expected, size)
    return {"acknowledged": acknowledged, "checked": len(expected), "lost": lost,
            "corrupted": corrupted + conflicting, "examples": examples}


def list_folder(service, folder):
    paths, cursor = [], None
    while True:
        q = "/list?path=%s&pageSize=1000" % urllib.parse.quote(folder)
        if cursor:
            q += "&cursor=" + urllib.parse.quote(cursor)
        page = service.json("GET", q, timeout=60)
        if not isinstance(page, dict):
            return paths
        paths.extend(f["path"] for f in page.get("files", []))
        cursor = page.get("next_cursor")
        if not cursor:
            return paths


def verify_folder(service, folder, size, acknowledged):
    """For k6, whose VUs cannot log: every file in `folder` is checked, and files the
    load generator counted as acknowledged but that are not there count as lost."""
    paths = list_folder(service, folder)
    lost, corrupted, examples = _check(service, {p: None for p in paths}, size)
    missing = max(0, acknowledged - len(paths))
    return {"acknowledged": acknowledged, "checked": len(paths), "lost": lost + missing,
            "corrupted": corrupted, "examples": examples}


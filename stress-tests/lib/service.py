"""HTTP access to the service under test, for the suite's own bookkeeping (not the load).

Contract: every call is bounded by a timeout and never raises for HTTP statuses; a route
the server does not have (404) is reported as UNAVAILABLE so the suite degrades, and a
server that does not answer is reported as an error string. With FSVC_API_KEY set, every
request carries "Authorization: Bearer KEY".
"""
import http.client
import json
import os
import urllib.parse

UNAVAILABLE = "unavailable"


class Service:
    def __init__(self, base_url, pid=None, timeout=10):
        u = urllib.parse.urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.pid = pid
        self.timeout = timeout

    def connection(self, timeout=None):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)

    def headers(self, extra=None):
        h = dict(extra or {})
        key = os.environ.get("FSVC_API_KEY")
        if key:
            h["Authorization"] = "Bearer " + key
        return h

    def request(self, method, path, body=None, headers=None, timeout=None):
        """Returns (status, headers dict, body bytes); status 0 with the reason on failure."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=self.headers(headers))
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        except (OSError, http.client.HTTPException) as e:
            return 0, {}, str(e).encode()
        finally:
            conn.close()

    def json(self, method, path, body=None, timeout=None):
        """Parsed JSON of a 2xx answer; UNAVAILABLE for 404/405; an "error: ..." string else."""
        headers = {"Content-Type": "application/json"} if body is not None else None
        status, _, data = self.request(method, path, body, headers, timeout)
        if status in (404, 405):
            return UNAVAILABLE
        if not 200 <= status < 300:
            return "error: status %d %s" % (status, data[:200].decode(errors="replace"))
        try:
            return json.loads(data)
        except ValueError:
            return "error: not JSON"

    def has_route(self, method, path, body=None):
        status, _, _ = self.request(method, path, body, {"Content-Type": "application/json"})
        return status not in (0, 404, 405)

    def put_file(self, path, data):
        status, _, body = self.request("PUT", "/files/" + urllib.parse.quote(path), data,
                                       {"Content-Type": "application/octet-stream"}, timeout=60)
        return status, body

    def delete_folder(self, path):
        return self.request("DELETE", "/delete-folder?path=" + urllib.parse.quote(path),
                            timeout=120)[0]

    def proc_status(self):
        """(rss_bytes, threads) from /proc/PID/status, or None when the service is not local."""
        if not self.pid:
            return None
        try:
            with open("/proc/%d/status" % self.pid) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            return int(fields["VmRSS"].split()[0]) * 1024, int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            return None

    def memory_now(self):
        """(source, rss_bytes, threads, breakdown) from /metrics/memory, else /proc, else None.
        breakdown: the process's RSS by part ({part: bytes}, /metrics/memory's
        breakdown.process), or None where the service has none (older ones, /proc)."""
        m = self.json("GET", "/metrics/memory", timeout=5)
        if isinstance(m, dict) and m.get("rss_bytes") is not None:
            parts = (m.get("breakdown") or {}).get("process") or None
            return "metrics", m["rss_bytes"], m.get("threads"), parts
        p = self.proc_status()
        if p:
            return "proc", p[0], p[1], None
        return None

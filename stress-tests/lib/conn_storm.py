#!/usr/bin/env python3
"""A slowloris crowd for stress-tests/concurrency.sh (127.0.0.1 only).

  conn_storm.py slowloris --port P [--conns 1000] [--interval 1] [--duration 15]
      N connections each send a request line, then one header byte per
      interval, never finishing the header; reports when the server closed each.
  conn_storm.py slowbody --port P [--conns 100] [--interval 1] [--duration 15]
                [--bytes 4] [--declared 1048576] [--batch-share 0.2] [--prefix slow]
      N connections each send complete headers declaring a body, then --bytes body
      bytes per interval, never finishing it: most PUT /files/PREFIX/<i> (octet-stream,
      Content-Length --declared), a --batch-share of them POST /batch-download (JSON,
      Content-Length 64 KiB). Reports how many the server cut off ("cut_off": 408,
      closed without an answer, or another answer counted by status in
      "answered_other") and how many were still open at --duration, when each client
      closes its socket with the body unfinished.
      FSVC_API_KEY, when set, is sent as "Authorization: Bearer KEY".
Prints one JSON object on stdout. Every run is bounded by its duration/timeout.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import time

HOST = "127.0.0.1"


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def slow_client(port, interval, duration, out):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        out["connect_failed"] += 1
        return
    writer.write(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    closed_at = None
    while time.monotonic() - start < duration:
        try:
            data = await asyncio.wait_for(reader.read(4096), timeout=interval)
            if not data:
                closed_at = time.monotonic() - start
                break
            out["answered"] += 1  # the server answered a partial header: unexpected
        except asyncio.TimeoutError:
            pass
        except OSError:
            closed_at = time.monotonic() - start
            break
        try:
            writer.write(b"a")
            await writer.drain()
        except OSError:
            closed_at = time.monotonic() - start
            break
    if closed_at is None:
        out["still_open"] += 1
    else:
        out["closed"] += 1
        out["close_times"].append(closed_at)
    writer.close()


async def slowloris(args):
    out = {"closed": 0, "still_open": 0, "connect_failed": 0, "answered": 0, "close_times": []}
    tasks = []
    for _ in range(args.conns):
        tasks.append(asyncio.create_task(slow_client(args.port, args.interval, args.duration, out)))
        await asyncio.sleep(0)  # spread the connects a little
    await asyncio.gather(*tasks)
    times = sorted(out.pop("close_times"))
    out["max_close_s"] = round(times[-1], 2) if times else None
    out["min_close_s"] = round(times[0], 2) if times else None
    return out


BATCH_DECLARED = 64 * 1024
BATCH_PREFIX = b'{"paths":["'


def _status_of(data):
    """The status code of an HTTP/1.x status line at the start of data, else None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


async def _read_status(reader, timeout):
    """What the server sent within timeout: ("answer", status) | ("closed", None) |
    (None, None) when it sent nothing."""
    try:
        data = await asyncio.wait_for(reader.read(4096), timeout=timeout)
    except asyncio.TimeoutError:
        return None, None
    except OSError:
        return "closed", None
    if not data:
        return "closed", None
    return "answer", _status_of(data)


async def slowbody_client(i, args, out):
    start = time.monotonic()
    batch = i < round(args.conns * args.batch_share)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, args.port),
                                                timeout=10)
    except (OSError, asyncio.TimeoutError):
        out["connect_failed"] += 1
        return
    auth = ""
    if os.environ.get("FSVC_API_KEY"):
        auth = "Authorization: Bearer %s\r\n" % os.environ["FSVC_API_KEY"]
    if batch:
        head = ("POST /batch-download HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json"
                "\r\nContent-Length: %d\r\n\r\n" % (auth, BATCH_DECLARED))
        first = BATCH_PREFIX
    else:
        head = ("PUT /files/%s/%d HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                "application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                % (args.prefix, i, auth, args.declared))
        first = b""
    kind = "batch" if batch else "put"
    out[kind] += 1
    outcome = status = None
    sent = 0
    try:
        writer.write(head.encode() + first)
        sent = len(first)
        await writer.drain()
        while time.monotonic() - start < args.duration:
            outcome, status = await _read_status(reader, args.interval)
            if outcome:
                break
            writer.write(b"a" * args.bytes)
            sent += args.bytes
            await writer.drain()
    except OSError:
        # A write failed: the server closed; it may have answered first.
        outcome, status = await _read_status(reader, 0.5)
        outcome = outcome or "closed"
    elapsed = time.monotonic() - start
    out["bytes_sent"] += sent
    if outcome is None:
        out["still_open"] += 1
    else:
        # The server ended the upload before its body was complete.
        out["cut_off"] += 1
        out["cut_off_" + kind] += 1
        out["cut_times"].append(elapsed)
        if outcome == "closed":
            out["cut_off_closed"] += 1
        elif status == 408:
            out["cut_off_408"] += 1
        else:  # another answer (400 stalled, 413, 429, 503, ...): by status
            key = str(status)
            out["answered_other"][key] = out["answered_other"].get(key, 0) + 1
    writer.close()


async def slowbody(args):
    out = {"clients": args.conns, "put": 0, "batch": 0, "cut_off": 0, "cut_off_408": 0,
           "cut_off_closed": 0, "answered_other": {}, "cut_off_put": 0, "cut_off_batch": 0,
           "still_open": 0, "connect_failed": 0, "bytes_sent": 0, "cut_times": []}
    t0 = time.monotonic()
    tasks = []
    for i in range(args.conns):
        tasks.append(asyncio.create_task(slowbody_client(i, args, out)))
        await asyncio.sleep(0)
    # Bounded whatever the server does: the clients stop at --duration on their own.
    done, pending = await asyncio.wait(tasks, timeout=args.duration + 15)
    for t in pending:
        t.cancel()
    out["unfinished_clients"] = len(pending)
    times = sorted(out.pop("cut_times"))
    out["first_cut_s"] = round(times[0], 2) if times else None
    out["median_cut_s"] = round(times[len(times) // 2], 2) if times else None
    out["last_cut_s"] = round(times[-1], 2) if times else None
    out["seconds"] = round(time.monotonic() - t0, 2)
    out["bytes_per_interval"] = args.bytes
    out["interval_s"] = args.interval
    out["declared_bytes"] = {"put": args.declared, "batch": BATCH_DECLARED}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["slowloris", "slowbody"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=0)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--bytes", type=int, default=4, help="slowbody: body bytes per interval")
    ap.add_argument("--declared", type=int, default=1048576,
                    help="slowbody: Content-Length of the PUTs")
    ap.add_argument("--batch-share", type=float, default=0.2,
                    help="slowbody: share of clients trickling POST /batch-download")
    ap.add_argument("--prefix", default="slow", help="slowbody: PUT /files/PREFIX/<i>")
    args = ap.parse_args()
    raise_fd_limit()
    if args.mode == "slowbody":
        args.conns = args.conns or 100
        result = asyncio.run(slowbody(args))
    else:
        args.conns = args.conns or 1000
        result = asyncio.run(slowloris(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

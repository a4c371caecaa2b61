#!/usr/bin/env python3
"""A slowloris crowd for stress-tests/concurrency.sh (127.0.0.1 only).

  conn_storm.py slowloris --port P [--conns 1000] [--interval 1] [--duration 15]
      N connections each send a request line, then one header byte per
      interval, never finishing the header; reports when the server closed each.
Prints one JSON object on stdout. Every run is bounded by its duration/timeout.
"""
import argparse
import asyncio
import json
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["slowloris"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=0)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=15.0)
    args = ap.parse_args()
    raise_fd_limit()
    args.conns = args.conns or 1000
    result = asyncio.run(slowloris(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Misbehaving client crowds for stress-tests/concurrency.sh (127.0.0.1 only).

  conn_storm.py slowloris --port P [--conns 1000] [--interval 1] [--duration 15]
      N connections each send a request line, then one header byte per
      interval, never finishing the header; reports when the server closed each.
  conn_storm.py burst --port P [--conns 20000] [--procs 4] [--timeout 10]
      N connections opened at once (split over PROCS processes, each within
      its own fd limit), each sending GET /ping with Connection: close;
      classifies every attempt: 200, 503 (refusal), closed/reset without an
      answer, connect refused, or no connection / no answer within TIMEOUT.
Prints one JSON object on stdout. Every run is bounded by its duration/timeout.
"""
import argparse
import asyncio
import json
import multiprocessing
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


async def burst_client(port, timeout, out, times):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    except asyncio.TimeoutError:
        out["connect_timeout"] += 1
        return
    except OSError:
        out["connect_refused"] += 1  # refused or reset by the kernel: fast
        return
    try:
        writer.write(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        left = max(0.01, timeout - (time.monotonic() - start))
        data = await asyncio.wait_for(reader.read(), left)
        status = data[9:12]
        if status == b"200":
            out["ok"] += 1
        elif status == b"503":
            out["refused_503"] += 1
        elif not data:
            out["closed_no_answer"] += 1
        else:
            out["other"] += 1
        times.append(time.monotonic() - start)
    except asyncio.TimeoutError:
        out["timeout"] += 1
    except OSError:
        out["closed_no_answer"] += 1
        times.append(time.monotonic() - start)
    finally:
        writer.close()


def burst_worker(port, conns, timeout, queue):
    raise_fd_limit()
    out = {"ok": 0, "refused_503": 0, "closed_no_answer": 0, "connect_refused": 0,
           "connect_timeout": 0, "timeout": 0, "other": 0}
    times = []

    async def run():
        await asyncio.gather(*(burst_client(port, timeout, out, times) for _ in range(conns)))

    asyncio.run(run())
    queue.put((out, times))


def burst(args):
    queue = multiprocessing.Queue()
    per = [args.conns // args.procs + (1 if i < args.conns % args.procs else 0)
           for i in range(args.procs)]
    procs = [multiprocessing.Process(target=burst_worker, args=(args.port, n, args.timeout, queue))
             for n in per]
    start = time.monotonic()
    for p in procs:
        p.start()
    total = {}
    times = []
    for _ in procs:
        out, t = queue.get(timeout=args.timeout * 3 + 30)
        for k, v in out.items():
            total[k] = total.get(k, 0) + v
        times += t
    for p in procs:
        p.join()
    total["burst_s"] = round(time.monotonic() - start, 2)
    times.sort()
    if times:
        total["p99_answer_ms"] = round(times[int(len(times) * 0.99) - 1] * 1000, 1)
        total["max_answer_ms"] = round(times[-1] * 1000, 1)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["slowloris", "burst"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=0)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    raise_fd_limit()
    if args.mode == "slowloris":
        args.conns = args.conns or 1000
        result = asyncio.run(slowloris(args))
    else:
        args.conns = args.conns or 20000
        result = burst(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

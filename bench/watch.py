"""Watchers of one hot auction for `make bench`: SSE streams or ETag pollers, to 127.0.0.1 only.

    python -m bench.watch OUT.json --port 5181 --project 1 --mode sse|poll --watchers 1000 --seconds 30

sse: each watcher holds one `GET …/auction/events` stream; poll: each GETs `…/auction` with If-None-Match once a
second (staggered). For every bid a watcher learns of, push lag = time of receipt − the bid's `at` (the server's
clock when the bid transaction wrote it, just before its COMMIT; same machine, same clock). Lost = bids a watcher
never saw between the first room it got and the last bid (gaps in the seqs it received, and the tail it was
missing when the run ended, after a 3 s grace period). Events are coalesced under load (each carries the last 50
bids), so lost stays 0 unless more than 50 bids pass between two events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import resource
import time
from datetime import datetime

from bench.load import HOST, Conn, percentile

BID = re.compile(rb'"seq": (\d+), "bidder_no": "[^"]*", "amount": "[^"]*", "at": "([^"]+)"')
COUNT = re.compile(rb'"bid_count": (\d+)')


class Watcher:
    __slots__ = ("first", "last", "lost", "events", "errors")

    def __init__(self) -> None:
        self.first: int | None = None
        self.last = 0
        self.lost = 0
        self.events = 0
        self.errors = 0


def _bids(data: bytes) -> list[tuple[int, bytes]]:
    return [(int(s), at) for s, at in BID.findall(data)]


_at_cache: dict[bytes, float] = {}


def _ts(at: bytes) -> float:
    t = _at_cache.get(at)
    if t is None:
        t = _at_cache[at] = datetime.fromisoformat(at.decode()).timestamp()
        if len(_at_cache) > 100000:
            _at_cache.clear()
    return t


def _seen(w: Watcher, data: bytes, lags: list[float], now: float) -> None:
    w.events += 1
    bids = _bids(data)
    m = COUNT.search(data)
    count = int(m.group(1)) if m else 0
    if w.first is None:
        w.first = w.last = count
        return
    for seq, at in bids:
        if seq <= w.last:
            continue
        if seq > w.last + 1:
            w.lost += seq - w.last - 1
        w.last = seq
        lags.append((now - _ts(at)) * 1000)


async def _sse(port: int, path: str, w: Watcher, lags: list[float], stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        status = await reader.readline()
        if b" 200 " not in status:
            w.errors += 1
            return
        chunked = False
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"transfer-encoding:") and b"chunked" in h.lower():
                chunked = True
        buf = b""
        while not stop.is_set():
            if chunked:
                size_line = await reader.readline()
                if not size_line:
                    break
                size = int(size_line.strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    break
                chunk = await reader.readexactly(size + 2)
                buf += chunk[:-2]
            else:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                for line in ev.split(b"\n"):
                    if line.startswith(b"data: "):
                        _seen(w, line[6:], lags, time.time())
    except (OSError, asyncio.IncompleteReadError, ValueError):
        w.errors += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _poll(port: int, path: str, w: Watcher, lags: list[float], stop: asyncio.Event, out: list[float],
                offset: float) -> None:
    conn = Conn(port, None)
    etag = None
    await asyncio.sleep(offset)
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                status, data = await asyncio.wait_for(conn.request(
                    "GET", path, headers={"If-None-Match": etag} if etag else None, want=("etag",)), 10)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, Exception):
                w.errors += 1
                await conn.close()
                await asyncio.sleep(1)
                continue
            out.append((time.perf_counter() - t0) * 1000)
            if status == 200:
                etag = conn.seen.get("etag")
                _seen(w, data, lags, time.time())
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))
    finally:
        await conn.close()


async def run(port: int, pid: int, mode: str, watchers: int, seconds: float, ramp: float) -> dict:
    stop = asyncio.Event()
    ws = [Watcher() for _ in range(watchers)]
    lags: list[float] = []
    polls: list[float] = []
    tasks = []
    if mode == "sse":
        path = f"/api/v1/projects/{pid}/auction/events"
        for i, w in enumerate(ws):
            tasks.append(asyncio.create_task(_sse(port, path, w, lags, stop)))
            if i % 50 == 49:
                await asyncio.sleep(ramp / max(1, watchers / 50))
    else:
        path = f"/api/v1/projects/{pid}/auction"
        tasks = [asyncio.create_task(_poll(port, path, w, lags, stop, polls, i / watchers))
                 for i, w in enumerate(ws)]
    await asyncio.sleep(seconds)
    # the final seq, read after the bidders stopped; then a grace period for the last events
    conn = Conn(port, None)
    final = 0
    for _ in range(3):
        await asyncio.sleep(1.5)
        with contextlib.suppress(Exception):
            status, data = await conn.request("GET", f"/api/v1/projects/{pid}/auction")
            if status == 200:
                final = json.loads(data)["bid_count"]
    await conn.close()
    await asyncio.sleep(1.5)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    connected = [w for w in ws if w.first is not None]
    tail = sum(max(0, final - w.last) for w in connected)
    lags.sort()
    polls.sort()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"mode": mode, "watchers": watchers, "connected": len(connected), "final_seq": final,
            "events": sum(w.events for w in ws), "lost": sum(w.lost for w in connected) + tail,
            "errors": sum(w.errors for w in ws), "lag_p50_ms": percentile(lags, 50),
            "lag_p99_ms": percentile(lags, 99), "lag_max_ms": lags[-1] if lags else 0.0, "lag_samples": len(lags),
            "poll_p99_ms": percentile(polls, 99), "polls": len(polls),
            "client_cpu_s": ru.ru_utime + ru.ru_stime}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--project", type=int, required=True)
    ap.add_argument("--mode", choices=("sse", "poll"), required=True)
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--ramp", type=float, default=3.0)
    args = ap.parse_args()
    if not 1 <= args.watchers <= 2000 or not 0 < args.seconds <= 120:
        ap.error("watchers 1–2000, seconds 0–120")
    coro = run(args.port, args.project, args.mode, args.watchers, args.seconds, args.ramp)
    try:
        import uvloop

        res = uvloop.run(coro)
    except ImportError:
        res = asyncio.run(coro)
    with open(args.out, "w") as fh:
        json.dump(res, fh)


if __name__ == "__main__":
    main()

"""Out-of-process load generator for `make bench`: bids (hot or spread) or page reads, to 127.0.0.1 only.

    python -m bench.load SEED.json OUT.json --port 5180 --mode hot|spread|get|readbid|room|room304 --clients 32
                         --seconds 25

readbid: on the hot auction, each client reads the room (anonymous GET …/auction) before each bid; room / room304:
anonymous GET …/auction of the hot room, without / with If-None-Match (its current ETag) — the read cost.

Each client owns one bidder token and one HTTP/1.1 connection (re-opened when the server closes it) and
loops: pick an auction (the hot one, or one of all at random), bid the price it last saw plus 1–3
increments; a refusal carries the auction's current price (docs/api.md errors, extended), and only a refusal without
it makes the client re-read the auction (GET …/auction). Only the bid POSTs are timed.
The client is a minimal asyncio HTTP/1.1 client rather than httpx: httpx costs ~5× the CPU per request,
and on a 2-core machine every client cycle is taken from the server being measured.
Loops are bounded in time (--seconds) and count (--max-requests per client).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

HOST = "127.0.0.1"


class HTTPError(Exception):
    pass


class Conn:
    """One keep-alive connection; reconnects when the server closed it (gunicorn's sync worker always does)."""

    def __init__(self, port: int, token: str | None) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", *, auth: bool = True,
                      headers: dict[str, str] | None = None, want: tuple[str, ...] = ()) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept: */*\r\n"
        if self.token and auth:
            head += f"Authorization: Bearer {self.token}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        self.seen: dict[str, str] = {}
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        try:
            line = await self.reader.readline()
            if not line:
                raise HTTPError("connection closed before the status line")
            status = int(line.split(b" ", 2)[1])
            length, close, chunked = None, False, False
            while True:
                h = await self.reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                if want and name.decode() in want:
                    self.seen[name.decode()] = value.strip().decode()
            if chunked:
                data = b""
                while True:
                    size = int((await self.reader.readline()).strip().split(b";")[0], 16)
                    if size == 0:
                        await self.reader.readline()
                        break
                    data += await self.reader.readexactly(size + 2)
                    data = data[:-2]
            elif length is not None:
                data = await self.reader.readexactly(length)
            else:
                data, close = await self.reader.read(), True
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, data


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    other: int = 0
    reads: int = 0
    codes: Counter = field(default_factory=Counter)
    accepted_bids: list[tuple[int, int, str, int]] = field(default_factory=list)  # (project, seq, amount, bidder)


async def _bidder(port: int, bidder: dict, auctions: list[dict], deadline: float, out: Outcome,
                  max_requests: int, read_first: bool = False) -> None:
    conn = Conn(port, bidder["token"])
    known: dict[int, Decimal | None] = {a["id"]: None for a in auctions}
    sent = 0
    retry: dict | None = None
    try:
        while time.monotonic() < deadline and sent < max_requests:
            # after a refusal the bidder re-reads the room and tries the same auction again (at most twice)
            a = retry or random.choice(auctions)
            retry = None
            pid, inc, start = a["id"], Decimal(a["increment"]), Decimal(a["start_price"])
            if read_first:  # a watcher who bids: read the public room (anonymous, as the room page), then bid
                try:
                    status, data = await asyncio.wait_for(
                        conn.request("GET", f"/api/v1/projects/{pid}/auction", auth=False), 10)
                    out.reads += 1
                    if status == 200 and json.loads(data).get("current_price"):
                        known[pid] = Decimal(json.loads(data)["current_price"])
                except (TimeoutError, OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
                    out.transport_errors += 1
                    await conn.close()
                    continue
            price = known[pid]
            amount = start if price is None else price + inc * random.choice((1, 1, 2, 3))
            body = json.dumps({"amount": format(amount, "f")}).encode()
            sent += 1
            t0 = time.perf_counter()
            try:
                status, data = await asyncio.wait_for(conn.request("POST", f"/api/v1/projects/{pid}/bids", body), 10)
            except (TimeoutError, OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
                out.transport_errors += 1
                await conn.close()
                await asyncio.sleep(0.01)
                continue
            out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            if status == 201:
                res = json.loads(data)
                out.accepted += 1
                out.accepted_bids.append((pid, res["seq"], res["amount"], bidder["id"]))
                known[pid] = Decimal(res["current_price"])
                continue
            if status >= 500:
                out.server_errors += 1
                continue
            if status != 409:
                out.other += 1
                out.codes[f"{status}"] += 1
                continue
            out.refused += 1
            try:
                err = json.loads(data)["error"]
                code = err["code"]
                out.codes[code] += 1
                if "current_price" in err:  # an open auction's refusal carries the room's current price
                    if err["current_price"]:
                        known[pid] = Decimal(err["current_price"])
                else:  # otherwise the bidder re-reads the room
                    status, data = await asyncio.wait_for(
                        conn.request("GET", f"/api/v1/projects/{pid}/auction?since=999999999"), 10)
                    out.reads += 1
                    if status == 200 and json.loads(data).get("current_price"):
                        known[pid] = Decimal(json.loads(data)["current_price"])
                if code == "bid_too_low" and len(auctions) > 1 and a.get("_tries", 0) < 2:
                    retry = dict(a, _tries=a.get("_tries", 0) + 1)
            except (TimeoutError, OSError, HTTPError, asyncio.IncompleteReadError, ValueError, KeyError):
                out.transport_errors += 1
                await conn.close()
    finally:
        await conn.close()


async def _reader(port: int, paths: list[str], deadline: float, out: Outcome, max_requests: int,
                  etag: str | None = None) -> None:
    conn = Conn(port, None)
    sent = 0
    headers = {"If-None-Match": etag} if etag else None
    try:
        while time.monotonic() < deadline and sent < max_requests:
            sent += 1
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.request("GET", random.choice(paths), headers=headers), 10)
            except (TimeoutError, OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
                out.transport_errors += 1
                await conn.close()
                continue
            out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            if status in (200, 304):
                out.accepted += 1
                out.codes[f"{status}"] += 1
            elif status >= 500:
                out.server_errors += 1
            else:
                out.other += 1
                out.codes[f"{status}"] += 1
    finally:
        await conn.close()


async def run_load(port: int, seed: dict, mode: str, clients: int, seconds: float, max_requests: int) -> dict:
    out = Outcome()
    deadline = time.monotonic() + seconds
    auctions = seed["auctions"][:1] if mode in ("hot", "readbid") else seed["auctions"]
    bidders = seed["bidders"]
    t0 = time.perf_counter()
    if mode == "get":
        paths = ["/projects", "/projects?page=2", "/projects?status=bidding"]
        tasks = [_reader(port, paths, deadline, out, max_requests) for _ in range(clients)]
    elif mode in ("room", "room304"):  # anonymous reads of the hot room, without / with its current ETag
        path = f"/api/v1/projects/{seed['auctions'][0]['id']}/auction"
        etag = None
        if mode == "room304":
            probe = Conn(port, None)
            await probe.request("GET", path, want=("etag",))
            etag = probe.seen.get("etag")
            await probe.close()
        tasks = [_reader(port, [path], deadline, out, max_requests, etag) for _ in range(clients)]
    else:
        tasks = [_bidder(port, bidders[i % len(bidders)], auctions, deadline, out, max_requests,
                         mode == "readbid") for i in range(clients)]
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    lat = sorted(out.latencies_ms)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "mode": mode, "clients": clients, "seconds": elapsed, "requests": len(lat),
        "rps": len(lat) / elapsed, "accepted_rps": out.accepted / elapsed,
        "accepted": out.accepted, "refused": out.refused, "server_errors": out.server_errors,
        "transport_errors": out.transport_errors, "other": out.other, "reads": out.reads,
        "codes": dict(out.codes),
        "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
        "max_ms": lat[-1] if lat else 0.0,
        "client_cpu_s": ru.ru_utime + ru.ru_stime,
        "accepted_bids": out.accepted_bids,
    }


def percentile(s: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not s:
        return 0.0
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seed")
    ap.add_argument("out")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=("hot", "spread", "get", "readbid", "room", "room304"), required=True)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--max-requests", type=int, default=200000)
    args = ap.parse_args()
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 120:
        ap.error("clients must be 1–256 and seconds 0–120")
    with open(args.seed) as fh:
        seed = json.load(fh)
    coro = run_load(args.port, seed, args.mode, args.clients, args.seconds, args.max_requests)
    try:  # uvloop when installed (the dev extra): about half the client CPU of the default loop on 2 cores
        import uvloop

        res = uvloop.run(coro)
    except ImportError:
        res = asyncio.run(coro)
    with open(args.out, "w") as fh:
        json.dump(res, fh)


if __name__ == "__main__":
    main()

"""Out-of-process bid load generator (asyncio + httpx) for `make bench`.

Each client owns one bidder token and loops: pick an auction (one hot auction, or spread over many), bid the
price it last saw plus one increment, and on a refusal re-read the auction. Latency is measured per request.
Loops are bounded in count and time and talk only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

import httpx


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0
    failed: int = 0
    accepted_seqs: list[tuple[int, int, str]] = field(default_factory=list)  # (project, seq, amount)


async def _client(base: str, token: str, auctions: list[dict], deadline: float, out: Outcome,
                  max_requests: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    known: dict[int, Decimal | None] = {a["id"]: None for a in auctions}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=10.0) as http:
        sent = 0
        while time.monotonic() < deadline and sent < max_requests:
            a = random.choice(auctions)
            pid, inc, start = a["id"], Decimal(a["increment"]), Decimal(a["start_price"])
            price = known[pid]
            amount = start if price is None else price + inc * random.choice((1, 1, 1, 2))
            t0 = time.perf_counter()
            try:
                r = await http.post(f"/api/v1/projects/{pid}/bids", json={"amount": format(amount, "f")})
            except httpx.HTTPError:
                out.failed += 1
                continue
            out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            sent += 1
            if r.status_code == 201:
                body = r.json()
                out.accepted += 1
                out.accepted_seqs.append((pid, body["seq"], body["amount"]))
                known[pid] = Decimal(body["current_price"])
            elif r.status_code >= 500:
                out.failed += 1
            else:
                out.refused += 1
                state = await http.get(f"/api/v1/projects/{pid}/auction?since=999999999")
                if state.status_code == 200 and state.json().get("current_price"):
                    known[pid] = Decimal(state.json()["current_price"])


async def run_load(base: str, tokens: list[str], auctions: list[dict], clients: int, seconds: float,
                   max_requests_per_client: int = 100000) -> tuple[Outcome, float]:
    out = Outcome()
    deadline = time.monotonic() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(base, tokens[i % len(tokens)], auctions, deadline, out,
                                   max_requests_per_client) for i in range(clients)))
    return out, time.perf_counter() - t0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[k]

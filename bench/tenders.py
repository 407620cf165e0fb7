"""`python -m bench.tenders` (also run by `make bench`): one lot with 300 sealed bids opened at once, on a real server.

    python -m bench.tenders [--db postgres|sqlite] [--clients 32] [--bids 300] [--experts 7] [--workers N]
                            [--port 5190] [--out bench/results-tenders.json]

1. the database: `tradehall_bench_tenders` on PostgreSQL (dropped and created; BENCH_PG as for bench.run), or with
   `--db sqlite` a file in a temp dir; `flask db upgrade`, `flask keys init` into a temp TRADING_KEYS_DIR;
2. seed (a child process, `--seed`, with its own frozen clock), all through the API (the Flask test client), so every
   row and audit entry is the real flow's: a staff member, a tenderee, 300 bidders with their organisations and 7
   experts; a one-lot tender (scoring, a 7-member committee) created, submitted and approved 21 days "ago"; each
   bidder registers, its cash deposit is confirmed and it puts its sealed bid (tenders.client: PBKDF2-SHA256 at
   100 000 iterations → AES-256-GCM, client side, as the browser does) an hour before the deadline, which is the
   real time at which the seeding started; one API token per person (temp dir, deleted at the end);
3. gunicorn (TRADING_ENV=production, RATELIMIT_ENABLED=0; 3 sync workers on PostgreSQL, 4 on SQLite) and one
   scheduler on 127.0.0.1 (bench.run.Servers): the real clock is now inside the decryption window;
4. decrypt: N client threads (32) released together send the 300 keys (POST /api/v1/lots/{id}/bid/decrypt, one
   HTTP connection per request, as the sync workers close them): decrypt requests/s over the wall time from the
   release to the last answer, p50/p99/max latency, non-200 answers, CPU per request of the workers and of
   PostgreSQL; the last decrypt reveals the lot (the opening record of 300 rows, its hash, the audit entry) inside
   its request. The API is read back: lot opened, 300 bids decrypted, 300 rows in the record;
5. ranking: the committee draw, each of the 7 experts PUTs a 300-bid score sheet, 6 submit, and the last submit is
   timed: it checks the sheets, ranks 300 bids × 7 sheets and freezes the ranking (ms, over HTTP); plus the pure
   ranking (tenders.rules.rank) on the same numbers, median of 20 runs.
Printed with the machine, the time and the load average, and written to --out (gitignored). Nothing is asserted;
every loop is bounded in count and time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "tradehall_bench_tenders"
PASSWORD = "bench-Passw0rd!"
HOST = "127.0.0.1"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def _org(i: int) -> str:
    return f"投标人{i:03d}建设有限公司"


def _points(i: int) -> dict[str, str]:
    return {"tech": str(20 + (i * 7) % 30), "biz": str(5 + (i * 3) % 15)}


# ------------------------------------------------------------------ 2. the seed (child process, frozen clock)

def seed(out: Path, n_bids: int, n_experts: int) -> None:
    """The tender, its 300 sealed bids and the tokens, through the API of an in-process app on DATABASE_URL."""
    from tenders import pool
    from tenders.client import encrypt_bid
    from trading import clock, create_app
    from trading.accounts.credit import make_uscc
    from trading.accounts.services import create_org, create_user, issue_token
    from trading.extensions import db

    started = time.perf_counter()
    deadline = datetime.now(UTC).replace(microsecond=0)
    t0 = deadline - timedelta(days=21, hours=1)
    clock.freeze(t0)
    # nobody logs in with a password (tokens are minted), so the hash is cheap; the tokens outlive the frozen weeks
    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TRADING_TOKEN_TTL_SECONDS": 60 * 86400})
    client = app.test_client()
    tokens: dict[str, str] = {}
    with app.app_context():
        for name, role, org_name, kind, code in (("staff", "staff", "交易中心", "center", 1),
                                                 ("owner", "collective", "某镇人民政府", "village_collective", 2)):
            u = create_user(name, PASSWORD, role, org=create_org(org_name, kind, make_uscc(code)))
            tokens[name] = issue_token(u)[0]
        for i in range(n_bids):
            u = create_user(f"b{i:03d}", PASSWORD, "bidder", org=create_org(_org(i), "company", make_uscc(1000 + i)))
            tokens[u.username] = issue_token(u)[0]
        for i in range(n_experts):
            u = create_user(f"e{i}", PASSWORD, "expert", org=create_org(f"专家单位{i}", "company", make_uscc(5000 + i)))
            pool.add_profile(u, "road", "bench")
            tokens[u.username] = issue_token(u)[0]
        db.session.commit()

    def call(method: str, path: str, user: str, body=None):
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
        if r.status_code >= 300:
            raise SystemExit(f"seed: {method} {path} → {r.status_code} {r.get_data(as_text=True)[:300]}")
        return r.get_json()

    tender = call("POST", "/api/v1/tenders", "owner", {
        "kind": "construction", "title": "压测标段（300家投标）", "location": "某镇", "description": "bench",
        "method": "open", "evaluation": "scoring", "announce_start": clock.isoformat(t0),
        "bid_deadline": clock.isoformat(deadline),
        "lots": [{"name": "一标段", "budget": "10000000.00", "security_amount": "20000.00", "speciality": "road",
                  "committee_size": n_experts, "price_points": "30",
                  "criteria": [{"code": "tech", "name": "技术", "max_points": "50"},
                               {"code": "biz", "name": "商务", "max_points": "20"}]}]})
    call("POST", f"/api/v1/tenders/{tender['id']}/submit", "owner")
    lot = call("POST", f"/api/v1/tenders/{tender['id']}/approve", "staff")["lots"][0]["id"]
    clock.freeze(deadline - timedelta(hours=1))
    bidders = []
    for i in range(n_bids):
        name = f"b{i:03d}"
        reg = call("POST", f"/api/v1/lots/{lot}/registrations", name, {"security": {"type": "deposit"}})
        call("POST", f"/api/v1/registrations/{reg['id']}/confirm-deposit", "staff")
        body, key = encrypt_bid(lot, name, f"口令{i}", f"{9000000 + i * 1000}.00", iterations=100000)
        call("PUT", f"/api/v1/lots/{lot}/bid", name, body)
        bidders.append({"name": name, "org": _org(i), "key": key, "token": tokens[name]})
    clock.freeze(None)
    out.write_text(json.dumps({
        "lot": lot, "tender": tender["id"], "deadline": deadline.isoformat(), "bidders": bidders,
        "staff": tokens["staff"], "experts": {f"e{i}": tokens[f"e{i}"] for i in range(n_experts)},
        "seconds": time.perf_counter() - started}))


# ------------------------------------------------------------------ HTTP to the real server

def request(port: int, method: str, path: str, token: str | None = None, body=None,
            timeout: float = 120) -> tuple[int, dict | None, float]:
    """One request on its own connection → (status, JSON body, seconds)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Accept": "application/json", "Host": f"{HOST}:{port}"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    t = time.perf_counter()
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        status = r.status
    finally:
        conn.close()
    dt = time.perf_counter() - t
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, dt


def ok(port: int, method: str, path: str, token: str | None = None, body=None) -> tuple[dict, float]:
    status, parsed, dt = request(port, method, path, token, body)
    if status >= 300:
        raise SystemExit(f"{method} {path} → {status} {json.dumps(parsed, ensure_ascii=False)[:300]}")
    return parsed or {}, dt


def decrypt_all(port: int, lot: int, bidders: list[dict], clients: int) -> dict:
    """`clients` threads, released together, take the bidders off one queue and send their keys."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    order = list(bidders)
    random.Random(14).shuffle(order)
    for b in order:
        jobs.put(b)
    barrier = threading.Barrier(clients + 1)
    results: list[tuple[int, float, float, str | None]] = []
    lock = threading.Lock()

    def client() -> None:
        barrier.wait()
        for _ in range(len(bidders)):
            try:
                b = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                status, body, dt = request(port, "POST", f"/api/v1/lots/{lot}/bid/decrypt", b["token"],
                                           {"key": b["key"]})
                code = (body or {}).get("error", {}).get("code") if status != 200 else None
            except OSError as exc:
                status, dt, code = -1, 0.0, type(exc).__name__
            with lock:
                results.append((status, dt, time.perf_counter(), code))

    threads = [threading.Thread(target=client, name=f"decrypt-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    latencies = [dt for status, dt, _end, _code in results if status == 200]
    wall = (max(end for _s, _dt, end, _c in results) - start) if results else 0.0
    errors: dict[str, int] = {}
    for status, _dt, _end, code in results:
        if status != 200:
            errors[f"{status} {code}"] = errors.get(f"{status} {code}", 0) + 1
    return {"requests": len(results), "ok": len(latencies), "errors": errors, "wall_s": wall,
            "rps": len(results) / wall if wall else 0.0, "p50_ms": statistics.median(latencies) * 1000
            if latencies else 0.0, "p99_ms": _pct(latencies, 0.99) * 1000, "max_ms": max(latencies, default=0) * 1000}


# ------------------------------------------------------------------ the machine

def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines()
                      if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "kernel": platform.release()}


def pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


# ------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--clients", type=int, default=32, help="concurrent decrypting clients (threads)")
    ap.add_argument("--bids", type=int, default=300)
    ap.add_argument("--experts", type=int, default=7, help="committee size (odd, ≥ 5)")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn sync workers: 3 on PostgreSQL, 4 on SQLite")
    ap.add_argument("--port", type=int, default=5190)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-tenders.json"))
    ap.add_argument("--seed", help=argparse.SUPPRESS)  # the child process: write the seed to this file
    args = ap.parse_args()
    if args.seed:
        seed(Path(args.seed), args.bids, args.experts)
        return
    if not 5180 <= args.port <= 5198 or not 1 <= args.clients <= 128 or not 3 <= args.bids <= 1000 \
            or args.experts < 5 or args.experts % 2 == 0:
        ap.error("port 5180–5198, 1–128 clients, 3–1000 bids, an odd committee of at least 5")
    workers = args.workers or (4 if args.db == "sqlite" else 3)

    from bench.run import BIN, PG, Servers, log, postgres_cpu_seconds, recreate, run

    started_at = datetime.now(UTC)
    load_start = os.getloadavg()
    log(f"tenders: load average at the start {load_start} (other engineers' test suites share the cores)")
    tmp = Path(tempfile.mkdtemp(prefix="tradehall-bench-tenders-"))
    db_url = (f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite"
              else f"{PG.replace('postgresql://', 'postgresql+psycopg://')}/{DB}")
    env = dict(os.environ, DATABASE_URL=db_url, TRADING_ENV="production", SECRET_KEY=secrets.token_hex(32),
               TRADING_INSTANCE=str(tmp / "instance"), TRADING_KEYS_DIR=str(tmp / "keys"), RATELIMIT_ENABLED="0",
               TRADING_PUBLIC_URL=f"http://{HOST}:{args.port}", PYTHONPATH=str(ROOT))
    env.pop("PGDATABASE", None)
    servers = None
    out: dict = {"db": args.db, "bids": args.bids, "experts": args.experts, "clients": args.clients,
                 "workers": workers, "machine": machine(), "started_at": started_at.isoformat(timespec="seconds")}
    try:
        if args.db == "postgres":
            recreate(DB)
            out["postgres"] = pg_version(f"{PG}/{DB}")
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        run(flask + ["db", "upgrade"], env, timeout=120)
        run(flask + ["keys", "init"], env, timeout=60)
        log(f"seeding {args.bids} registrations and sealed bids through the API ({db_url.split('@')[-1]})")
        seed_path = tmp / "seed.json"
        run([sys.executable, "-m", "bench.tenders", "--seed", str(seed_path), "--bids", str(args.bids),
             "--experts", str(args.experts)], env, timeout=1500)
        s = json.loads(seed_path.read_text())
        lot = s["lot"]
        log(f"seeded in {s['seconds']:.1f} s; lot {lot}, deadline {s['deadline']}")

        servers = Servers(env, args.port, workers, "sync", 1, tmp, name="gunicorn-tenders")
        servers.start()
        for _ in range(workers * 4):  # every worker imports and connects before the clock starts
            ok(args.port, "GET", f"/api/v1/lots/{lot}")
        status = ok(args.port, "GET", f"/api/v1/lots/{lot}")[0]["status"]
        log(f"gunicorn -w {workers} (sync) and one scheduler up on {HOST}:{args.port}; lot {lot} is {status}; "
            f"{args.clients} clients decrypt {args.bids} bids at once (load average {os.getloadavg()[0]:.2f})")

        cpu0, pg0 = servers.cpu_seconds(), postgres_cpu_seconds()
        d = decrypt_all(args.port, lot, s["bidders"], args.clients)
        n = max(1, d["requests"])
        d["server_cpu_ms_per_req"] = (servers.cpu_seconds() - cpu0) * 1000 / n
        d["postgres_cpu_ms_per_req"] = (postgres_cpu_seconds() - pg0) * 1000 / n if args.db == "postgres" else None
        out["decrypt"] = d
        log(f"decrypt: {d['ok']}/{d['requests']} answered 200 in {d['wall_s']:.2f} s = {d['rps']:.1f} req/s; "
            f"p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms, max {d['max_ms']:.1f} ms; errors {d['errors']}; "
            f"CPU per request: workers {d['server_cpu_ms_per_req']:.2f} ms"
            + (f", PostgreSQL {d['postgres_cpu_ms_per_req']:.2f} ms" if d["postgres_cpu_ms_per_req"] is not None
               else ""))

        lot_json = ok(args.port, "GET", f"/api/v1/lots/{lot}")[0]
        opening = ok(args.port, "GET", f"/api/v1/lots/{lot}/opening")[0]
        decrypted = sum(1 for b in opening.get("bids", []) if b.get("decrypted"))
        rows = len((opening.get("record") or {}).get("bids", []))
        out["opened"] = {"status": lot_json["status"], "decrypted": decrypted, "record_rows": rows,
                         "record_sha256": opening.get("record_sha256")}
        log(f"read back: lot {lot_json['status']}, {decrypted} bids decrypted, opening record {rows} rows, "
            f"sha256 {str(opening.get('record_sha256'))[:16]}…")

        members, draw_s = ok(args.port, "POST", f"/api/v1/lots/{lot}/committee", s["staff"])
        names = [m["username"] for m in members["members"]]
        sheets = {"bids": [{"bidder_org": b["org"], "points": _points(int(b["name"][1:]))} for b in s["bidders"]]}
        puts = [ok(args.port, "PUT", f"/api/v1/lots/{lot}/scores", s["experts"][m], sheets)[1] for m in names]
        for m in names[:-1]:
            ok(args.port, "POST", f"/api/v1/lots/{lot}/scores/submit", s["experts"][m])
        last, last_s = ok(args.port, "POST", f"/api/v1/lots/{lot}/scores/submit", s["experts"][names[-1]])
        ev, ev_s = ok(args.port, "GET", f"/api/v1/lots/{lot}/evaluation", s["staff"])
        out["evaluation"] = {"committee_draw_ms": draw_s * 1000, "put_sheet_ms_median": statistics.median(puts) * 1000,
                             "last_submit_ms": last_s * 1000, "lot_status": last.get("lot_status"),
                             "ranking_rows": len(ev.get("ranking", [])), "get_evaluation_ms": ev_s * 1000}
        log(f"evaluation: committee draw {_ms(draw_s)}; a {args.bids}-bid score sheet PUT median "
            f"{_ms(statistics.median(puts))}; the last submit (checks the sheets, ranks {args.bids} bids × "
            f"{len(names)} sheets, freezes the ranking, audit) {_ms(last_s)} → lot {last.get('lot_status')}; "
            f"GET …/evaluation ({len(ev.get('ranking', []))} rows) {_ms(ev_s)}")
    finally:
        if servers is not None:
            servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # the tokens, keys and the SQLite file

    from tenders import rules

    scored = [rules.Scored(i, Decimal(9000000 + i * 1000), rules.mean_points(
        [{k: Decimal(v) for k, v in _points(i).items()}] * args.experts)) for i in range(args.bids)]
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        rules.rank(scored, "scoring", Decimal(30))
        runs.append(time.perf_counter() - t)
    out["pure_rank_ms_median"] = statistics.median(runs) * 1000
    log(f"ranking (pure tenders.rules.rank, {args.bids} bids, means of {args.experts} sheets): median "
        f"{_ms(statistics.median(runs))} over 20 runs")
    out["load_average_end"] = os.getloadavg()
    out["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    d, e = out["decrypt"], out["evaluation"]
    m = out["machine"]
    print(f"\ntenders ({args.db}{' ' + out['postgres'] if 'postgres' in out else ''}; {m['cpus']} × {m['cpu']}, "
          f"{m['memory']}; {started_at:%Y-%m-%d %H:%M} UTC; load average {load_start[0]:.2f} → "
          f"{out['load_average_end'][0]:.2f})")
    print(f"  decrypt_rps_{args.clients}         {d['rps']:10.1f} req/s  ({d['ok']}/{d['requests']} ok, "
          f"wall {d['wall_s']:.2f} s)")
    print(f"  decrypt_p50_ms_{args.clients}      {d['p50_ms']:10.1f} ms")
    print(f"  decrypt_p99_ms_{args.clients}      {d['p99_ms']:10.1f} ms")
    print(f"  opened                  {out['opened']['status']:>10}  ({out['opened']['decrypted']} decrypted, "
          f"{out['opened']['record_rows']} record rows)")
    print(f"  last_submit_rank_ms     {e['last_submit_ms']:10.1f} ms  ({args.bids} bids × {args.experts} sheets, "
          "over HTTP)")
    print(f"  pure_rank_ms            {out['pure_rank_ms_median']:10.2f} ms")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

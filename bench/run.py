"""`make bench`: the production shape under load, PostgreSQL's own ceiling, an audit, certificates/s.

    python -m bench.run [--quick] [--clients 8,32,64] [--seconds 25] [--pg-seconds 12] [--workers 4]
                        [--worker-class sync|gthread] [--threads 1] [--port 5180]

1. drops and creates the database tradehall_bench, migrates it, makes signing keys in a temp dir, seeds
   100 running auctions × 64 qualified bidders (bench/seed.py) and 800 awarded projects past publicity;
2. pgbench on a copy of it (tradehall_bench_pg): the bid transaction's statements (bench/pgbench_bid.sql),
   one hot auction and spread over the 100, at each client count → pg_tps_*;
3. gunicorn (TRADING_ENV=production, RATELIMIT_ENABLED=0) and one scheduler on 127.0.0.1; the load generator
   (bench/load.py) in its own process: spread and hot at each client count, then the /projects page;
4. stops the servers and audits the database (bench/check.py): lost_bids, invalid_accepted, consistency;
5. certificates/s (bench/certs.py);
6. writes bench/results.json and prints the table. Nothing here is asserted: the figures are read.
Every loop is bounded in time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "tradehall_bench"
PG_COPY = "tradehall_bench_pg"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def admin(*sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        for s in sql:
            conn.execute(s)


def recreate(name: str, template: str | None = None) -> None:
    assert name.startswith("tradehall_bench")
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
          f"DROP DATABASE IF EXISTS {name}",
          f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))


def run(cmd: list[str], env: dict, timeout: float, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, env=env, cwd=ROOT, timeout=timeout, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return res


# ------------------------------------------------------------------ pgbench: the database's own ceiling

def pgbench(seed: dict, clients: list[int], seconds: float, env: dict, repeats: int) -> dict[str, dict]:
    """Each (mode, clients) phase `repeats` times, the phases interleaved (hot, spread, hot, …) so that a slow
    stretch of the shared machine hits both modes; → {"hot_32": {"median", "min", "max", "runs"}}."""
    ids = [a["id"] for a in seed["auctions"]]
    uids = seed["bidder_ids"]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert uids == list(range(uids[0], uids[0] + len(uids)))
    recreate(PG_COPY, template=DB)
    runs: dict[str, list[float]] = {}
    try:
        for rep in range(repeats):
            for c in clients:
                for mode in ("hot", "spread"):
                    n = 1 if mode == "hot" else len(ids)
                    cmd = ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared", "-c", str(c),
                           "-j", str(min(c, 2)), "-T", str(int(seconds)), "-D", f"plo={ids[0]}", "-D", f"pn={n}",
                           "-D", f"ulo={uids[0]}", "-D", f"un={len(uids)}", "-f", str(BENCH / "pgbench_bid.sql"),
                           PG_COPY]
                    res = run(cmd, env, timeout=seconds + 60)
                    m = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding)", res.stdout)
                    lat = re.search(r"latency average = ([\d.]+) ms", res.stdout)
                    failed = re.search(r"number of failed transactions: (\d+)", res.stdout)
                    tps = float(m.group(1)) if m else 0.0
                    runs.setdefault(f"{mode}_{c}", []).append(tps)
                    log(f"pgbench {mode:6} c={c:3} run {rep + 1}/{repeats}: {tps:8.1f} tps, latency avg "
                        f"{lat.group(1) if lat else '?'} ms, failed {failed.group(1) if failed else '?'} "
                        f"(load average {os.getloadavg()[0]:.2f})")
    finally:
        admin(f"DROP DATABASE IF EXISTS {PG_COPY}")
    out = {k: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v} for k, v in runs.items()}
    for k, v in out.items():
        log(f"pgbench {k}: median {v['median']:.1f} tps, range {v['min']:.1f}–{v['max']:.1f}")
    return out


# ------------------------------------------------------------------ the servers

class Servers:
    def __init__(self, env: dict, port: int, workers: int, worker_class: str, threads: int, tmp: Path,
                 scheduler: bool = True, name: str = "gunicorn", extra: tuple[str, ...] = ()):
        self.env, self.port, self.tmp, self.scheduler = env, port, tmp, scheduler
        self.cmd = [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(workers), "-k", worker_class,
                    "--threads", str(threads), "--backlog", "2048", "--timeout", "60", "--keep-alive", "5",
                    *extra, "--error-logfile", str(tmp / f"{name}.log"), "wsgi:app"]
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        self.procs.append(subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL, start_new_session=True))
        if self.scheduler:
            with open(self.tmp / "scheduler.log", "w") as fh:
                self.procs.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "scheduler"], cwd=ROOT,
                                                   env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                                   start_new_session=True))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/openapi.json", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start; see its log")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)  # its own session: only the group this script started
                p.wait(timeout=5)
        self.procs = []

    def cpu_seconds(self) -> float:
        """CPU time of the gunicorn master's workers (utime + stime) and of the scheduler, from /proc."""
        if not self.procs:
            return 0.0
        master = self.procs[0].pid
        try:
            kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            kids = []
        return sum(proc_cpu_seconds(pid) for pid in kids + [str(p.pid) for p in self.procs])


def proc_cpu_seconds(pid: str, *, comm: str | None = None) -> float:
    """utime + stime of one process from /proc/PID/stat (0 when it is gone, or not named `comm`)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if comm is not None and f"({comm})" not in stat:
            return 0.0
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server's processes (backends, WAL writer…); the pooled backends of the workers
    live through a whole phase, so the difference over a phase is its cost."""
    return sum(proc_cpu_seconds(p.name, comm="postgres") for p in Path("/proc").iterdir() if p.name.isdigit())


def load(seed_path: Path, out: Path, port: int, mode: str, clients: int, seconds: float, env: dict) -> dict:
    run([sys.executable, "-m", "bench.load", str(seed_path), str(out), "--port", str(port), "--mode", mode,
         "--clients", str(clients), "--seconds", str(seconds)], env, timeout=seconds + 60)
    with open(out) as fh:
        return json.load(fh)


def watched(seed_path: Path, tmp: Path, bid_port: int, watch_port: int, mode: str, watchers: int, seconds: float,
            env: dict) -> tuple[dict, dict]:
    """`watchers` SSE streams (or ETag pollers) on the hot auction while 32 clients bid on it for `seconds`."""
    pid = json.loads(seed_path.read_text())["auctions"][0]["id"]
    wout, lout = tmp / f"watch_{mode}.json", tmp / f"watch_{mode}_bids.json"
    ramp = 4.0
    w = subprocess.Popen([sys.executable, "-m", "bench.watch", str(wout), "--port", str(watch_port), "--project",
                          str(pid), "--mode", mode, "--watchers", str(watchers), "--seconds", str(seconds + ramp),
                          "--ramp", str(ramp)], cwd=ROOT, env=env, start_new_session=True)
    try:
        time.sleep(ramp)  # the watchers connect first
        bids = load(seed_path, lout, bid_port, "hot", 32, seconds, env)
        w.wait(timeout=seconds + 90)
    finally:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait(timeout=5)
    return json.loads(wout.read_text()), bids


# ------------------------------------------------------------------ the report

UNITS = {"rps": "req/s", "ms": "ms", "tps": "tps"}


def table(results: list[dict]) -> str:
    w = max(len(r["name"]) for r in results)
    lines = [f"{'name':<{w}}  {'value':>12}  unit", "-" * (w + 22)]
    for r in results:
        v = r["value"]
        s = f"{v:12.1f}" if isinstance(v, float) else f"{v:12}"
        lines.append(f"{r['name']:<{w}}  {s}  {r['unit']}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (a few seconds per phase)")
    ap.add_argument("--clients", default="8,32,64")
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--pg-seconds", type=float, default=15)
    ap.add_argument("--pg-repeats", type=int, default=3, help="runs of each pgbench phase (median and range)")
    ap.add_argument("--db", choices=("postgres", "sqlite"), default="postgres",
                    help="sqlite: the embedded default (a file in a temp dir, 4 workers, no pgbench)")
    ap.add_argument("--watchers", type=int, default=1000, help="SSE streams on the hot auction (0: skip)")
    ap.add_argument("--pollers", type=int, default=300, help="ETag pollers on the hot auction (0: skip)")
    ap.add_argument("--watch-seconds", type=float, default=30)
    ap.add_argument("--room-seconds", type=float, default=8)
    ap.add_argument("--cert-seconds", type=float, default=20)
    # 3 sync workers on this 2-core machine: with the bid path down to ~2 ms of CPU, a 4th worker only adds
    # context switches (A/B figures in bench/README.md)
    ap.add_argument("--workers", type=int, default=None, help="3 on PostgreSQL, 4 on SQLite")
    ap.add_argument("--worker-class", default="sync")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bidders", type=int, default=64)
    ap.add_argument("--port", type=int, default=5180)
    ap.add_argument("--skip-pg", action="store_true", help="no pgbench phase")
    ap.add_argument("--modes", default="spread,hot", help="bid load modes to run (spread,hot)")
    ap.add_argument("--out", default=str(BENCH / "results.json"))
    args = ap.parse_args()
    if args.workers is None:
        args.workers = 4 if args.db == "sqlite" else 3
    if args.db == "sqlite":
        args.skip_pg = True
    if args.quick:
        args.seconds, args.pg_seconds, args.cert_seconds, args.pg_repeats = 4, 3, 4, 1
        args.watch_seconds, args.room_seconds = 6, 3
    clients = [int(c) for c in args.clients.split(",")]
    if not 5180 <= args.port <= 5198 or any(not 1 <= c <= 128 for c in clients) or args.seconds > 60:
        ap.error("port 5180–5199, 1–128 clients, at most 60 s per phase")

    t_start = time.monotonic()
    log(f"load average at the start: {os.getloadavg()} (other engineers' test suites share the 2 cores)")
    tmp = Path(tempfile.mkdtemp(prefix="tradehall-bench-"))
    seed_path = tmp / "seed.json"
    db_url = (f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite"
              else f"{PG.replace('postgresql://', 'postgresql+psycopg://')}/{DB}")
    env = dict(os.environ, DATABASE_URL=db_url,
               TRADING_ENV="production", SECRET_KEY=secrets.token_hex(32), TRADING_INSTANCE=str(tmp / "instance"),
               TRADING_KEYS_DIR=str(tmp / "keys"), RATELIMIT_ENABLED="0",
               TRADING_PUBLIC_URL=f"http://127.0.0.1:{args.port}", PYTHONPATH=str(ROOT))
    env.pop("PGDATABASE", None)
    results: list[dict] = []

    def put(name: str, value, unit: str) -> None:
        results.append({"name": name, "value": round(value, 1) if isinstance(value, float) else value,
                        "unit": unit})

    servers = None
    try:
        log(f"database {db_url}: recreate, migrate, keys, seed (load average {os.getloadavg()[0]:.2f})")
        if args.db == "postgres":
            recreate(DB)
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        run(flask + ["db", "upgrade"], env, timeout=120)
        run(flask + ["keys", "init"], env, timeout=60)
        awarded = 60 if args.quick else 1000
        run([sys.executable, "-m", "bench.seed", str(seed_path), "--auctions", "100", "--bidders",
             str(args.bidders), "--awarded", str(awarded)], env, timeout=300)
        seed = json.loads(seed_path.read_text())
        log(f"seeded {len(seed['auctions'])} auctions × {len(seed['bidders'])} bidders, "
            f"{len(seed['awarded'])} awarded; audit chain ok: {seed['audit_ok_after_seed']}")

        pgr = {} if args.skip_pg else pgbench(seed, clients, args.pg_seconds, env, args.pg_repeats)
        pg = {k: v["median"] for k, v in pgr.items()}

        servers = Servers(env, args.port, args.workers, args.worker_class, args.threads, tmp)
        servers.start()
        log(f"gunicorn -w {args.workers} -k {args.worker_class} --threads {args.threads} on 127.0.0.1:{args.port}"
            " and one scheduler are up; warming up")
        load(seed_path, tmp / "warm.json", args.port, "spread", 8, 2 if args.quick else 4, env)
        accepted: list = json.loads((tmp / "warm.json").read_text())["accepted_bids"]
        runs: dict[str, dict] = {}
        for mode in args.modes.split(","):
            for c in clients:
                cpu0, pg0 = servers.cpu_seconds(), postgres_cpu_seconds()
                r = load(seed_path, tmp / f"{mode}_{c}.json", args.port, mode, c, args.seconds, env)
                n = max(1, r["requests"] + r["reads"])
                r["server_cpu_ms_per_req"] = (servers.cpu_seconds() - cpu0) * 1000 / n
                r["postgres_cpu_ms_per_req"] = (postgres_cpu_seconds() - pg0) * 1000 / n
                r["client_cpu_ms_per_req"] = r["client_cpu_s"] * 1000 / n
                accepted += r.pop("accepted_bids")
                runs[f"{mode}_{c}"] = r
                log(f"{mode:6} c={c:3}: {r['rps']:7.1f} bids/s ({r['accepted_rps']:6.1f} accepted/s), "
                    f"p50 {r['p50_ms']:6.1f} p95 {r['p95_ms']:6.1f} p99 {r['p99_ms']:6.1f} ms; "
                    f"201 {r['accepted']} 409 {r['refused']} 5xx {r['server_errors']} "
                    f"transport {r['transport_errors']} other {r['other']} {r['codes']}; client CPU "
                    f"{r['client_cpu_s']:.1f}s; CPU per request: workers {r['server_cpu_ms_per_req']:.2f} ms, "
                    f"PostgreSQL {r['postgres_cpu_ms_per_req']:.2f} ms, load generator {r['client_cpu_ms_per_req']:.2f} ms")
        page = load(seed_path, tmp / "page.json", args.port, "get", 16, min(args.seconds, 15), env)
        log(f"GET /projects c=16: {page['rps']:.1f} req/s, p50 {page['p50_ms']:.1f} p99 {page['p99_ms']:.1f} ms, "
            f"5xx {page['server_errors']}")
        rooms: dict[str, dict] = {}
        for mode in ("room", "room304"):
            cpu0 = servers.cpu_seconds()
            r = load(seed_path, tmp / f"{mode}.json", args.port, mode, 16, args.room_seconds, env)
            r["server_cpu_ms_per_req"] = (servers.cpu_seconds() - cpu0) * 1000 / max(1, r["requests"])
            rooms[mode] = r
            log(f"{mode:7} c= 16: {r['rps']:7.1f} req/s, p99 {r['p99_ms']:.1f} ms, {r['codes']}, server CPU per "
                f"request {r['server_cpu_ms_per_req']:.2f} ms (the scheduler's share included)")
        cpu0 = servers.cpu_seconds()
        rb = load(seed_path, tmp / "readbid.json", args.port, "readbid", 32, args.seconds, env)
        accepted += rb.pop("accepted_bids")
        rb["server_cpu_ms_per_req"] = (servers.cpu_seconds() - cpu0) * 1000 / max(1, rb["requests"] + rb["reads"])
        rb["total_rps"] = (rb["requests"] + rb["reads"]) / rb["seconds"]
        log(f"readbid c= 32 (hot; read the room, then bid): {rb['total_rps']:.1f} req/s ({rb['rps']:.1f} bids/s, "
            f"{rb['accepted_rps']:.1f} accepted/s), bid p99 {rb['p99_ms']:.1f} ms, 5xx {rb['server_errors']}")
        watch: dict[str, tuple[dict, dict]] = {}
        if args.watchers:
            streams = Servers(env, args.port + 1, 1, "gthread", args.watchers + 100, tmp, scheduler=False,
                              name="streams", extra=("--worker-connections", str(args.watchers + 200)))
            streams.start()
            try:
                cpu0 = streams.cpu_seconds()
                watch["sse"] = watched(seed_path, tmp, args.port, args.port + 1, "sse", args.watchers,
                                       args.watch_seconds, env)
                watch["sse"][0]["streams_cpu_s"] = streams.cpu_seconds() - cpu0
            finally:
                streams.stop()
        if args.pollers:
            watch["poll"] = watched(seed_path, tmp, args.port, args.port, "poll", args.pollers, args.watch_seconds,
                                    env)
        for mode, (wr, br) in watch.items():
            accepted += br.pop("accepted_bids")
            log(f"watchers {mode}: {wr['connected']}/{wr['watchers']} connected, lag p50 {wr['lag_p50_ms']:.1f} "
                f"p99 {wr['lag_p99_ms']:.1f} max {wr['lag_max_ms']:.1f} ms over {wr['lag_samples']} receipts, lost "
                f"{wr['lost']}, errors {wr['errors']}, events {wr['events']}; bids: {br['rps']:.1f}/s, p99 "
                f"{br['p99_ms']:.1f} ms, 5xx {br['server_errors']}; watcher client CPU {wr['client_cpu_s']:.1f} s"
                + (f", streams process CPU {wr['streams_cpu_s']:.1f} s" if "streams_cpu_s" in wr else ""))
        servers.stop()
        servers = None

        (tmp / "accepted.json").write_text(json.dumps(accepted))
        run([sys.executable, "-m", "bench.check", str(seed_path), str(tmp / "accepted.json"),
             str(tmp / "check.json")], env, timeout=300)
        check = json.loads((tmp / "check.json").read_text())
        log(f"audit: {check}")

        run([sys.executable, "-m", "bench.certs", str(seed_path), str(tmp / "certs.json"), "--seconds",
             str(args.cert_seconds)], env, timeout=args.cert_seconds + 120)
        certs = json.loads((tmp / "certs.json").read_text())
        log(f"certificates: {certs}")

        # the figures the issue names first, then everything measured
        c32 = 32 if 32 in clients else clients[len(clients) // 2]
        if f"hot_{c32}" in runs and f"spread_{c32}" in runs:
            put("bid_rps_hot_32", runs[f"hot_{c32}"]["rps"], "bids/s")
            put("bid_rps_spread_32", runs[f"spread_{c32}"]["rps"], "bids/s")
            put("bid_p99_ms_32", max(runs[f"hot_{c32}"]["p99_ms"], runs[f"spread_{c32}"]["p99_ms"]), "ms")
        if pg and f"hot_{c32}" in runs:
            put("pg_limit_tps_hot", pg[f"hot_{c32}"], "tps")
            put("pg_limit_tps_spread", pg[f"spread_{c32}"], "tps")
            put("hot_fraction_of_pg", runs[f"hot_{c32}"]["rps"] / pg[f"hot_{c32}"] if pg[f"hot_{c32}"] else 0.0,
                "ratio")
        if "room" in rooms:
            put("room_read_cpu_ms", rooms["room"]["server_cpu_ms_per_req"], "ms")
            put("room_304_cpu_ms", rooms["room304"]["server_cpu_ms_per_req"], "ms")
            put("room_read_rps_16", rooms["room"]["rps"], "req/s")
            put("room_304_rps_16", rooms["room304"]["rps"], "req/s")
        put("readbid_rps_hot_32", rb["total_rps"], "req/s")
        put("readbid_bid_rps_hot_32", rb["rps"], "bids/s")
        put("readbid_accepted_rps_hot_32", rb["accepted_rps"], "bids/s")
        put("readbid_bid_p99_ms_hot_32", rb["p99_ms"], "ms")
        put("readbid_5xx_hot_32", rb["server_errors"], "responses")
        for mode, (wr, br) in watch.items():
            n = args.watchers if mode == "sse" else args.pollers
            put(f"watch_{mode}_{n}_connected", wr["connected"], "clients")
            put(f"watch_{mode}_{n}_lag_p50_ms", wr["lag_p50_ms"], "ms")
            put(f"watch_{mode}_{n}_lag_p99_ms", wr["lag_p99_ms"], "ms")
            put(f"watch_{mode}_{n}_lost", wr["lost"], "bids")
            put(f"watch_{mode}_{n}_errors", wr["errors"], "clients")
            put(f"watch_{mode}_{n}_bid_p99_ms", br["p99_ms"], "ms")
            put(f"watch_{mode}_{n}_bid_rps", br["rps"], "bids/s")
            if mode == "poll":
                put(f"watch_{mode}_{n}_poll_p99_ms", wr["poll_p99_ms"], "ms")
        if pg:
            put("pg_spread_over_hot", pg[f"spread_{c32}"] / pg[f"hot_{c32}"] if pg.get(f"hot_{c32}") else 0.0,
                "ratio")
        put("invalid_accepted", check["invalid_accepted"], "bids")
        put("lost_bids", check["lost_bids"], "bids")
        put("certs_per_s", certs["certs_per_s"], "certificates/s")
        put("inconsistent_auctions", check["inconsistent_auctions"], "auctions")
        put("unaudited_bids", check["unaudited_bids"], "bids")
        put("audit_chain_ok", check["audit_chain_ok"], "bool")
        put("stored_bids", check["stored_bids"], "bids")
        put("client_201s", check["client_201s"], "responses")
        put("page_rps_projects_16", page["rps"], "req/s")
        put("page_p99_ms_projects_16", page["p99_ms"], "ms")
        put("page_5xx_projects_16", page["server_errors"], "responses")
        for mode in args.modes.split(","):
            for c in clients:
                r = runs[f"{mode}_{c}"]
                put(f"bid_rps_{mode}_{c}", r["rps"], "bids/s")
                put(f"bid_accepted_rps_{mode}_{c}", r["accepted_rps"], "bids/s")
                put(f"bid_p50_ms_{mode}_{c}", r["p50_ms"], "ms")
                put(f"bid_p95_ms_{mode}_{c}", r["p95_ms"], "ms")
                put(f"bid_p99_ms_{mode}_{c}", r["p99_ms"], "ms")
                put(f"bid_201_{mode}_{c}", r["accepted"], "responses")
                put(f"bid_409_{mode}_{c}", r["refused"], "responses")
                put(f"bid_failed_{mode}_{c}", r["server_errors"] + r["transport_errors"], "responses")
                put(f"server_cpu_ms_per_req_{mode}_{c}", r["server_cpu_ms_per_req"], "ms")
                put(f"postgres_cpu_ms_per_req_{mode}_{c}", r["postgres_cpu_ms_per_req"], "ms")
                put(f"client_cpu_ms_per_req_{mode}_{c}", r["client_cpu_ms_per_req"], "ms")
        for key, v in pgr.items():
            put(f"pg_tps_{key}", v["median"], "tps")
            put(f"pg_tps_{key}_min", v["min"], "tps")
            put(f"pg_tps_{key}_max", v["max"], "tps")
        put("load_average_1m_at_end", os.getloadavg()[0], "load")
        put("bench_seconds", time.monotonic() - t_start, "s")
        meta = {"db": args.db, "pg_repeats": args.pg_repeats, "quick": args.quick, "workers": args.workers, "worker_class": args.worker_class,
                "threads": args.threads, "seconds_per_phase": args.seconds, "pg_seconds": args.pg_seconds,
                "clients": clients, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        Path(args.out).write_text(json.dumps({"results": results, "meta": meta}, indent=1, ensure_ascii=False))
        print()
        print(table(results))
        print(f"\nwritten to {args.out}")
    finally:
        if servers is not None:
            servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # the bidders' tokens and the signing keys


if __name__ == "__main__":
    main()

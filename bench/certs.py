"""Certificates issued per second: certificates.services.issue_certificate in a loop, one commit each.

    python -m bench.certs SEED.json OUT.json --seconds 20   (DATABASE_URL and TRADING_KEYS_DIR set)

Each issue is the real one: lock, check, number, freeze the facts, Ed25519-sign them, build the PDF, PAdES-sign
it, store, audit, settle the winner's deposit. Bounded by the seeded awarded projects and by --seconds.
Two warm-up issues (font and key loading) are not timed. `cpu_ms_per_cert` is this process's CPU time
(time.process_time) per issue: on a shared machine it is steadier than the wall-clock rate.
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import func, select

from certificates.models import Certificate
from certificates.services import issue_certificate
from trading import create_app
from trading.accounts.models import User
from trading.extensions import db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seed")
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    with open(args.seed) as fh:
        seed = json.load(fh)
    ids = list(seed["awarded"])
    app = create_app()
    with app.app_context():
        staff = db.session.execute(select(User).where(User.username == seed["staff"])).scalar_one()
        staff_id = staff.id
        for pid in ids[:2]:
            issue_certificate(staff, pid)
            db.session.commit()
        ids = ids[2:]
        n, sizes = 0, 0
        t0, c0 = time.perf_counter(), time.process_time()
        deadline = time.monotonic() + args.seconds
        for pid in ids:
            if time.monotonic() >= deadline:
                break
            staff = db.session.get(User, staff_id)
            cert = issue_certificate(staff, pid)
            sizes += len(cert.pdf)
            db.session.commit()
            n += 1
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        stored = db.session.execute(select(func.count()).select_from(Certificate)).scalar_one()
    out = {"issued": n, "seconds": elapsed, "certs_per_s": n / elapsed if elapsed else 0.0,
           "cpu_ms_per_cert": cpu / n * 1000 if n else 0.0, "wall_ms_per_cert": elapsed / n * 1000 if n else 0.0,
           "avg_pdf_kb": sizes / n / 1024 if n else 0.0, "stored": stored, "exhausted": n == len(ids)}
    with open(args.out, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()

"""`flask scheduler`: APScheduler runs one sweep each second until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from trading import jobs

log = logging.getLogger("tradehall.scheduler")


def run(app: Flask, interval: float = 1.0) -> None:
    stop = threading.Event()

    def tick() -> None:
        with app.app_context():
            done = jobs.sweep()
        moved = {k: v for k, v in done.items() if v}
        if moved:
            log.info("sweep: %s", moved)

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=interval, id="sweep", max_instances=1, coalesce=True)

    def _stop(signum, _frame):
        log.info("scheduler stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    log.info("scheduler started: jobs %s", [n for n, _ in jobs.JOBS])
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        log.info("scheduler stopped")

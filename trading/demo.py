"""`flask --app wsgi demo --dataset NAME`: load demonstration data (the portal's own demo set lands here later)."""

from __future__ import annotations

from trading import datasets


def load(dataset: str | None) -> None:
    if dataset == "luzhai-2025h1":
        datasets.load_luzhai_2025h1()

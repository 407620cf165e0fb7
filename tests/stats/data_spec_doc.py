"""Reads the field tables of docs/data-spec.md, so tests can compare what the page documents with what the code
emits (tests/stats/test_data_spec_doc.py, tests/tenders/test_interop_doc.py)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-spec.md"


def table(heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first table after the heading line that starts with `heading`."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("# ").startswith(heading))
    rows: list[list[str]] = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert len(rows) > 2, f"no table under {heading!r}"
    return rows[2:]  # without the header and its separator


def fields(heading: str) -> list[str]:
    """The first column of the table: field names."""
    return [r[0].strip("`") for r in table(heading)]


def fields_of_event(heading: str, event: str) -> set[str]:
    """A push table (field | events | source): the fields of one event ("all" = every event)."""
    out = set()
    for name, events, *_ in table(heading):
        if events == "all" or event in re.findall(r"`(\w+)`", events):
            out.add(name)
    return out


def events_of(heading: str) -> set[str]:
    found: set[str] = set()
    for _name, events, *_ in table(heading):
        found |= set(re.findall(r"`(\w+)`", events))
    return found


def documented_paths(heading: str, column: int) -> set[str]:
    """An OCDS table (path | auctions | tenders): the paths whose `column` is not "—"."""
    return {r[0] for r in table(heading) if r[column] != "—"}


def paths(obj: dict, prefix: str = "") -> set[str]:
    """Every key path of a JSON object: nested objects with ".", arrays of objects with "[]."."""
    out: set[str] = set()
    for key, value in obj.items():
        path = f"{prefix}{key}"
        out.add(path)
        if isinstance(value, dict):
            out |= paths(value, path + ".")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for v in value:
                out |= paths(v, path + "[].")
    return out


AUCTION_PUSH = "Push messages: auctions and listings"
TENDER_PUSH = "Push messages: tenders"
OCDS = "OCDS"

"""Registries through which packages feed the interoperability exports (OCDS, the national data sets).

The exports live in trading.stats (the top layer); a feature package below it (tenders, when it lands) cannot
import trading.stats, so it registers its builders here, in the core, from its init_app:

    from trading import interop
    interop.register_ocds_source("tenders", tender_releases, extensions=[LOTS_EXTENSION_URL])
    interop.register_spec_rows("construction", construction_rows)

* an **OCDS source** is ``fn(start, end) -> Iterable[dict]``: the OCDS 1.1 releases of the contracting
  processes published or awarded in the UTC instants ``[start, end)``; each release complete in itself (its
  own ``parties``), with an ``ocid`` built from ``ocid_prefix()`` (trading.stats.ocds.prefix) so packages
  share one prefix. ``extensions`` are the extension.json URLs its releases use (listed in the package).
* a **spec-row source** is ``fn(start, end) -> Iterable[dict]``: rows of one national data set (dataset key
  of trading.stats.dataspec.DATASETS: construction, procurement, state_land, rural), every key one of
  that data set's columns (the unified transaction code under "统一交易标识码"); missing keys are empty.

Nothing here imports a package; the lists are filled at app creation and only read afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

RowFn = Callable[[datetime, datetime], Iterable[dict]]

DEFAULT_OCDS_PREFIX = "ocds-thall01-"
# the OCDS extensions the releases use (a package lists those its releases use)
LOTS_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json"
BID_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def ocid_prefix() -> str:
    """The OCDS ocid prefix every source shares (config TRADING_OCDS_PREFIX)."""
    from flask import current_app

    return current_app.config.get("TRADING_OCDS_PREFIX", DEFAULT_OCDS_PREFIX)


def mod37_2(text: str) -> str:
    """ISO 7064 MOD 37-2 (GB/T 17710) check character over digits and capital letters."""
    p = 0
    for ch in text:
        p = ((p + ALPHABET.index(ch)) * 2) % 37
    return ALPHABET[(38 - p) % 37]


def unified_code(credit_code: str, day: str, serial: int) -> str:
    """统一交易标识码: the center's 18-character 统一社会信用代码, the 8-digit date the project was announced
    (Beijing), a 6-digit serial and one MOD 37-2 check character: 33 characters. Projects use their id as the
    serial; tenders use 900000 + id (so a tender and a project announced on the same day never share one)."""
    body = f"{credit_code.upper()}{day}{serial % 1_000_000:06d}"
    return body + mod37_2(body)


TENDER_SERIAL_BASE = 900000  # a tender's serial is 900000 + its id; a project's is its id


def transaction_code(announced_at: datetime | None, serial: int) -> str | None:
    """The 统一交易标识码 of a project (serial = its id) or a tender (serial = TENDER_SERIAL_BASE + its id).

    The one function that computes it: the data-set exports, the open-data rural deals and every push message
    (trading.stats and tenders) call it, so a deal carries the same code everywhere. None while
    TRADING_CENTER_CREDIT_CODE is not an 18-character code, or before the announcement (a code that cannot be
    traced to the center is worse than none; docs/data-spec.md)."""
    from flask import current_app

    from trading.clock import to_beijing

    credit = (current_app.config.get("TRADING_CENTER_CREDIT_CODE") or "").strip()
    if len(credit) != 18 or announced_at is None:
        return None
    return unified_code(credit, to_beijing(announced_at).strftime("%Y%m%d"), serial)


@dataclass
class OcdsSource:
    name: str
    releases: RowFn
    extensions: list[str] = field(default_factory=list)


OCDS_SOURCES: dict[str, OcdsSource] = {}
SPEC_ROWS: dict[str, dict[str, RowFn]] = {}


def register_ocds_source(name: str, releases: RowFn, extensions: Iterable[str] = ()) -> None:
    OCDS_SOURCES[name] = OcdsSource(name, releases, list(extensions))


def register_spec_rows(dataset: str, source: str, rows: RowFn) -> None:
    """Rows of national data set `dataset` from `source` (a package name; registering again replaces)."""
    SPEC_ROWS.setdefault(dataset, {})[source] = rows

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

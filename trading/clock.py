"""The one clock. Storage is tz-aware UTC; display is Asia/Shanghai. Tests freeze it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """The server's current instant, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("frozen time must be timezone-aware")
    _frozen = at.astimezone(UTC) if at else None


def advance(seconds: float) -> datetime:
    global _frozen
    base = _frozen or datetime.now(UTC)
    _frozen = base + timedelta(seconds=seconds)
    return _frozen


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    prev = _frozen
    freeze(at)
    try:
        yield
    finally:
        freeze(prev)


def ensure_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)


def to_beijing(value: datetime) -> datetime:
    return ensure_aware(value).astimezone(BEIJING)


def isoformat(value: datetime | None) -> str | None:
    """RFC 3339 in Beijing time with offset; keeps fractional seconds where stored. An instant stored before the
    input bounds existed that Beijing time cannot express (late on 9999-12-31) is given exactly, in UTC."""
    if value is None:
        return None
    try:
        return to_beijing(value).isoformat()
    except OverflowError:
        return ensure_aware(value).isoformat()


def display(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    try:
        return to_beijing(value).strftime(fmt)
    except OverflowError:  # as isoformat: exact, in UTC
        return ensure_aware(value).strftime(fmt) + " UTC"


# The instants the platform accepts from anyone (API bodies, guarantee documents, forms, query strings): far enough
# from year 1 and 9999 that converting to Beijing time, adding a publicity period or a refund delay never overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "时间须在 2000-01-01 至 2100-01-01（UTC）之间"
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE_MESSAGE = "日期须在 2000-01-01 至 2099-12-31 之间"


def check_range(value: datetime) -> datetime:
    """`value` (tz-aware) as UTC if it lies in [EARLIEST, LATEST), else ValueError with a Chinese message."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError(RANGE_MESSAGE) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(RANGE_MESSAGE)
    return utc


def check_date_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


def parse_rfc3339(raw: str) -> datetime:
    """Parse an RFC 3339 timestamp; an offset is required (naive times are ambiguous) and the instant must lie
    between EARLIEST and LATEST."""
    if not isinstance(raw, str):
        raise ValueError("时间必须是带时区的 RFC 3339 字符串")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("时间格式无效，应为 RFC 3339，例如 2026-05-01T09:00:00+08:00") from exc
    if value.tzinfo is None or "T" not in text.upper():
        raise ValueError("时间必须包含日期、时间和时区偏移，例如 2026-05-01T09:00:00+08:00")
    return check_range(value)


def from_beijing_local(value: datetime) -> datetime:
    """A naive wall-clock time typed into a form in Beijing, as UTC (ValueError outside EARLIEST…LATEST)."""
    return check_range(value.replace(tzinfo=BEIJING))

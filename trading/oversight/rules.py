"""Pure rules of oversight: time limits (in working days where the law counts them), the yellow/red cards.

Working days come from the `chinese-calendar` package (PRC public holidays and the adjusted weekend working
days, published by the State Council each year). For a year the package has no data for yet, Monday–Friday is
assumed and `calendar_known` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
YELLOW_SHARE = 0.8  # a yellow card at 80 % of the limit, red once it has passed


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str  # "wd" working days | "d" calendar days | "h" hours

    def label(self) -> str:
        return f"{self.amount}{ {'wd': '个工作日', 'd': '日', 'h': '小时'}[self.unit]}"


class LimitError(ValueError):
    pass


def parse_limit(raw: str) -> Limit:
    """"5wd" (working days), "5d" (calendar days), "24h" (hours)."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*(wd|d|h)\s*", raw or "")
    if not m or int(m.group(1)) <= 0:
        raise LimitError(f"时限格式应为 数字+单位（wd 工作日、d 自然日、h 小时），当前为 {raw!r}")
    return Limit(int(m.group(1)), m.group(2))


def calendar_known(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for yet: Monday–Friday
        return day.weekday() < 5


def add_working_days(start: datetime, n: int) -> datetime:
    """The same time of day on the n-th working day after `start` (Beijing); a start on a rest day counts
    from the next working day's start of business (00:00)."""
    local = start.astimezone(BEIJING)
    day = local.date()
    at = local.timetz()
    if not is_workday(day):
        at = local.replace(hour=0, minute=0, second=0, microsecond=0).timetz()
    count = 0
    while count < n:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return datetime.combine(day, at).astimezone(start.tzinfo)


def due_at(start: datetime, limit: Limit) -> datetime:
    if limit.unit == "wd":
        return add_working_days(start, limit.amount)
    if limit.unit == "d":
        return start + timedelta(days=limit.amount)
    return start + timedelta(hours=limit.amount)


def card(start: datetime, due: datetime, at: datetime) -> str:
    """none → yellow at 80 % of the span → red once due has passed."""
    if at > due:
        return "red"
    if at >= start + (due - start) * YELLOW_SHARE:
        return "yellow"
    return "none"

"""Pure certificate rules."""

from datetime import UTC, datetime

import pytest

from certificates import rules


def test_numbers():
    assert rules.numbers(False, 2026, 1, "鹿农交鉴", "鹿公交确") == ("NC-2026-C0001", "鹿农交鉴〔2026〕0001号")
    assert rules.numbers(True, 2027, 12345, "鹿农交鉴", "鹿公交确") == ("GG-2027-C12345", "鹿公交确〔2027〕12345号")


@pytest.mark.parametrize(("phone", "ok"), [("13912345678", True), ("19912345678", True), ("12912345678", False),
                                           ("1391234567", False), ("139123456789", False), ("+8613912345678", False),
                                           ("", False), ("1391234567a", False)])
def test_valid_mobile(phone, ok):
    assert rules.valid_mobile(phone) is ok


def test_canonical_is_sorted_compact_utf8():
    assert rules.canonical({"b": "鉴", "a": 1}) == '{"a":1,"b":"鉴"}'.encode()


def test_publicity_windows():
    t = datetime(2026, 5, 1, tzinfo=UTC)
    later = datetime(2026, 5, 6, tzinfo=UTC)
    assert not rules.publicity_over(t, later) and rules.publicity_over(later, later)
    assert not rules.publicity_over(t, None)
    assert rules.in_publicity(t, t, later) and not rules.in_publicity(later, t, later)
    assert not rules.in_publicity(t, None, later)


def test_money_formatting_in_rows():
    assert rules._num("1086000.00") == "1,086,000.00"
    assert rules._money("199215.00") == "199,215.00元" and rules._money(None) == "—"
    assert rules._pct("0.1250") == "12.50%"

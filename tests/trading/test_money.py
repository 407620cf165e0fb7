from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading.money import MoneyError, big, capital, parse_amount, percent, rate, yuan


@pytest.mark.parametrize(("raw", "expected"), [
    ("12345.60", Decimal("12345.60")), ("1", Decimal("1.00")), (5000, Decimal("5000.00")),
    (Decimal("0.01"), Decimal("0.01")), (" 7.5 ", Decimal("7.50")),
])
def test_parse_amount_accepts_plain_decimals(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["0", "0.00", "-1", "NaN", "Infinity", "1e3", "1E3", "1.234", "", "abc",
                                 None, True, 1.5, Decimal("NaN"), Decimal("1E+3"), [], "１２", "+5"])
def test_parse_amount_rejects_zero_negative_nan_exponent_and_extra_decimals(raw):
    with pytest.raises(MoneyError):
        parse_amount(raw)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2))
def test_parse_amount_round_trips_every_two_decimal_amount(value):
    assert parse_amount(format(value, "f")) == value


def test_formats_like_the_work_reports():
    assert yuan(Decimal("12345.6")) == "12,345.60元"
    assert big(Decimal("282000000")) == "2.82亿元"
    assert big(Decimal("5815700")) == "581.57万元"
    assert big(Decimal("4652900")) == "465.29万元"
    assert big(Decimal("860")) == "860.00元"
    assert percent(Decimal("0.2050")) == "20.50%"


def test_rates_round_half_up_to_four_places():
    assert rate(Decimal("1"), Decimal("3")) == Decimal("0.3333")
    assert rate(Decimal("0.00005"), Decimal("1")) == Decimal("0.0001")
    assert rate(Decimal("1"), Decimal("0")) is None


@pytest.mark.parametrize(("amount", "text"), [
    ("850", "捌佰伍拾元整"), ("800", "捌佰元整"), ("10005", "壹万零伍元整"), ("100000", "壹拾万元整"),
    ("1000000.5", "壹佰万元伍角整"), ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"), ("0.05", "伍分"),
    ("101000", "壹拾万壹仟元整"), ("100010", "壹拾万零壹拾元整"), ("4652900", "肆佰陆拾伍万贰仟玖佰元整"),
    ("282000000", "贰亿捌仟贰佰万元整"), ("200000001", "贰亿零壹元整"), ("1.07", "壹元零柒分"),
])
def test_capital_numerals(amount, text):
    assert capital(Decimal(amount)) == text

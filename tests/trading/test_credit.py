import pytest

from trading.accounts.credit import is_valid_resident_id, is_valid_uscc, make_resident_id, make_uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_known_credit_codes_pass_their_check_digit(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", ""])
def test_credit_code_with_wrong_check_digit_or_shape_fails(code):
    assert not is_valid_uscc(code)


def test_resident_id_check_digit():
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")


def test_generated_codes_are_valid():
    for i in range(50):
        assert is_valid_uscc(make_uscc(i))
        assert is_valid_resident_id(make_resident_id(i))

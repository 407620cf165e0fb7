"""Issue 12 (minor): usernames are ASCII letters, digits and `_ . -` (2-32 characters, starting with a letter or a
digit) on every path that creates an account: the service, the self-registration page, the staff page, the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trading.errors import Conflict, Invalid
from trading.models import User

BAD = [
    "<b>boss</b>",          # markup
    "ali\u200bce",          # zero-width space
    "ali\u200dce",          # zero-width joiner
    "\u0430lice",           # Cyrillic а looking like a Latin a
    "ａｌｉｃｅ",            # full-width letters
    "张三",                  # Chinese: names belong in the display name
    "a",                     # too short
    "a" * 33,                # too long
    "al ice",
    "-alice",                # must start with a letter or a digit
    "alice\u202e",           # bidi override
]
GOOD = ["s1", "coop-longtian", "lz_center", "bank-gxrcb", "a.b-c_d", "A" * 32]


@pytest.mark.parametrize("name", BAD)
def test_the_service_refuses_names_outside_the_character_set(db, name):
    from trading.accounts import create_user

    with pytest.raises(Invalid) as exc:
        create_user(name, PASSWORD, "bidder")
    assert "用户名" in exc.value.message and "字母" in exc.value.message
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


@pytest.mark.parametrize("name", GOOD)
def test_ordinary_names_pass(db, name):
    from trading.accounts import create_user

    assert create_user(name, PASSWORD, "bidder").username == name
    db.session.rollback()


def test_every_demo_username_passes():
    from trading.accounts import username_error
    from trading.dataset_luzhai import PUBLIC_OWNERS, RURAL_OWNERS, RURAL_WINNERS, SUPPLIERS
    from trading.demo import BIDDERS

    names = ["center", "center2", "village1", "bank-gxrcb", "lz_center", "bench-owner", "bench-staff",
             *(u for u, *_ in BIDDERS), *(u for u, _ in PUBLIC_OWNERS.values()), *(u for u, _ in SUPPLIERS),
             *(u for u, _ in RURAL_OWNERS), *(u for u, *_ in RURAL_WINNERS)]
    assert [n for n in names if username_error(n)] == []


def test_names_differing_only_in_case_are_the_same_name(db):
    from trading.accounts import create_user

    create_user("alice", PASSWORD, "bidder")
    with pytest.raises(Conflict):
        create_user("Alice", PASSWORD, "bidder")
    db.session.rollback()


def test_the_registration_page_refuses_a_zero_width_name(client, app):
    from trading.credit import make_uscc
    from trading.extensions import db as _db

    r = client.post("/register", data={
        "username": "ali\u200bce", "password": PASSWORD, "password2": PASSWORD, "display_name": "张三",
        "phone": "13907720001", "org_name": "某某合作社", "org_kind": "cooperative", "credit_code": make_uscc(77)})
    assert r.status_code == 200
    assert "用户名只能包含" in r.get_data(as_text=True)
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
        _db.session.remove()


def test_the_cli_refuses_markup_in_a_username(runner, app):
    from trading.extensions import db as _db

    r = runner.invoke(args=["users", "create", "<script>", "--role", "staff", "--password", PASSWORD])
    assert r.exit_code != 0 and "用户名只能包含" in r.output
    r = runner.invoke(args=["users", "create", "center9", "--role", "staff", "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert _db.session.execute(select(User.username)).scalars().all() == ["center9"]
        _db.session.remove()

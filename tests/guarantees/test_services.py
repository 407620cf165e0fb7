"""verify_and_attach, deposits and the lifecycle hooks the auctions package calls."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from auctions.models import Registration
from guarantees import intake, services
from guarantees.models import Claim, Deposit, Guarantee
from trading import clock
from trading.errors import Conflict, Invalid
from trading.extensions import db as _db
from trading.models import AuditEntry

from .conftest import sign


def _receive(app, body):
    with app.app_context():
        g = intake.receive(body)
        _db.session.commit()
        no = g.guarantee_no
        _db.session.remove()
    return no


def _attach(app, no, rid):
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        g = services.verify_and_attach(guarantee_no=no, registration=reg, actor="bidder")
        _db.session.commit()
        status = g.status
        _db.session.remove()
    return status


@pytest.fixture
def bidder(factory):
    return factory.user("bidder", "coop1")[1]


def test_a_valid_guarantee_attaches_to_the_registration_and_is_audited(app, setup, bank, bidder):
    no = _receive(app, sign(setup.document(bidder), bank["key"]))
    rid = setup.registration(bidder)
    assert _attach(app, no, rid) == "attached"
    with app.app_context():
        g = services.find_guarantee(no)
        assert g.registration_id == rid
        assert services.security_ready(_db.session.get(Registration, rid))
        assert _db.session.execute(select(AuditEntry).where(AuditEntry.action == "guarantee.attach")).scalar_one()


@pytest.mark.parametrize(("over", "code"), [
    ({"applicant": "someone-else"}, "applicant_mismatch"),
    ({"project_code": "NC-2099-9999"}, "project_mismatch"),
    ({"amount": "4999.99"}, "amount_insufficient"),
    ("late_start", "validity_gap"),
    ("early_end", "validity_gap"),
])
def test_a_foreign_short_or_under_amount_guarantee_never_secures_a_registration(app, setup, bank, bidder, over,
                                                                               code):
    with app.app_context():
        p = setup.project()
        start, end = p.bidding_start, p.bidding_end
        _db.session.remove()
    from tests.conftest import iso
    if over == "late_start":
        over = {"valid_from": iso(start + timedelta(seconds=1)), "issued_at": iso(clock.now())}
    elif over == "early_end":
        over = {"valid_until": iso(end - timedelta(seconds=1))}
    no = _receive(app, sign(setup.document(bidder, **over), bank["key"]))
    rid = setup.registration(bidder)
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        with pytest.raises(Invalid) as exc:
            services.verify_and_attach(guarantee_no=no, registration=reg, actor="bidder")
    assert exc.value.code == code
    assert exc.value.status == 422
    with app.app_context():
        assert services.find_guarantee(no).status == "issued"


def test_an_unknown_number_is_guarantee_not_found(app, setup, bidder):
    rid = setup.registration(bidder)
    with pytest.raises(Invalid) as exc, app.app_context():
        services.verify_and_attach(guarantee_no="NOPE-1", registration=_db.session.get(Registration, rid),
                                   actor="x")
    assert exc.value.code == "guarantee_not_found"


def test_a_guarantee_attached_elsewhere_is_in_use(app, setup, factory, bank, bidder):
    no = _receive(app, sign(setup.document(bidder), bank["key"]))
    rid = setup.registration(bidder)
    _attach(app, no, rid)
    # a second project with the same code is impossible, so re-use on another registration of the same project
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        reg.status = "withdrawn"
        services.release_security(reg, "bidder", "撤回报名")
        _db.session.commit()
    other = factory.user("bidder", "coop2")[1]
    rid2 = setup.registration(other)
    with pytest.raises(Invalid) as exc, app.app_context():
        services.check_guarantee(no, bidder=bidder, project=setup.project(), registration_id=rid2)
    assert exc.value.code == "guarantee_in_use"


def test_attaching_twice_to_the_same_registration_is_harmless(app, setup, bank, bidder):
    no = _receive(app, sign(setup.document(bidder), bank["key"]))
    rid = setup.registration(bidder)
    assert _attach(app, no, rid) == "attached"
    assert _attach(app, no, rid) == "attached"


def test_an_expired_guarantee_is_a_validity_gap(app, setup, bank, bidder):
    no = _receive(app, sign(setup.document(bidder), bank["key"]))
    with app.app_context():
        _db.session.execute(select(Guarantee).where(Guarantee.guarantee_no == no)).scalar_one().status = "expired"
        _db.session.commit()
    rid = setup.registration(bidder)
    with pytest.raises(Invalid) as exc, app.app_context():
        services.verify_and_attach(guarantee_no=no, registration=_db.session.get(Registration, rid), actor="x")
    assert exc.value.code == "validity_gap"


def test_deposit_ledger_awaiting_received_then_refund_due_at_release(app, setup, bidder):
    rid = setup.registration(bidder, "deposit")
    with app.app_context():
        reg = _db.session.get(Registration, rid)
        dep = services.open_deposit(reg, "coop1")
        assert dep.status == "awaiting"
        assert dep.amount == Decimal("5000.00")
        assert services.open_deposit(reg, "coop1").id == dep.id
        assert not services.security_ready(reg)
        services.confirm_deposit(reg, "staff1")
        assert services.security_ready(reg)
        with pytest.raises(Conflict) as exc:
            services.confirm_deposit(reg, "staff1")
        assert exc.value.code == "deposit_not_awaiting"
        services.release_security(reg, "staff1", "资格审核未通过")
        assert dep.refund_due_at is not None
        assert not services.security_ready(reg)
        services.mark_refunded(dep.id, "finance")
        assert dep.status == "refunded"
        with pytest.raises(Conflict):
            services.mark_refunded(dep.id, "finance")
        _db.session.commit()


def test_confirm_without_a_deposit_is_deposit_not_awaiting(app, setup, bidder):
    rid = setup.registration(bidder, "deposit")
    with pytest.raises(Conflict) as exc, app.app_context():
        services.confirm_deposit(_db.session.get(Registration, rid), "staff1")
    assert exc.value.code == "deposit_not_awaiting"


def _two_bidders(app, setup, factory, bank):
    a, b, c = "coopA", "coopB", "coopC"
    for u in (a, b, c):
        factory.user("bidder", u)
    ga = _receive(app, sign(setup.document(a), bank["key"]))
    gb = _receive(app, sign(setup.document(b), bank["key"]))
    ra, rb, rc = setup.registration(a), setup.registration(b), setup.registration(c, "deposit")
    _attach(app, ga, ra)
    _attach(app, gb, rb)
    with app.app_context():
        reg = _db.session.get(Registration, rc)
        services.open_deposit(reg, c)
        services.confirm_deposit(reg, "staff1")
        _db.session.commit()
    return (ga, ra), (gb, rb), rc


def test_at_the_close_every_guarantee_but_the_winners_is_released_and_losers_deposits_fall_due(
        app, setup, factory, bank):
    (ga, ra), (gb, rb), rc = _two_bidders(app, setup, factory, bank)
    with app.app_context():
        for _ in range(2):  # idempotent
            services.on_project_closed(setup.project(), _db.session.get(Registration, ra), "scheduler")
            _db.session.commit()
        assert services.find_guarantee(ga).status == "attached"
        assert services.find_guarantee(gb).status == "released"
        dep = _db.session.execute(select(Deposit).where(Deposit.registration_id == rc)).scalar_one()
        assert dep.status == "received"
        assert dep.refund_due_at is not None
        n = _db.session.execute(select(AuditEntry).where(AuditEntry.action.in_(
            ["guarantee.release", "deposit.refund_due"]))).scalars().all()
        assert len(n) == 2
        services.on_deal_completed(_db.session.get(Registration, ra), "staff1")
        assert services.find_guarantee(ga).status == "released"


def test_a_defaulting_winner_gets_a_claim_on_its_guarantee_or_loses_its_deposit(app, setup, factory, bank):
    (ga, ra), _, rc = _two_bidders(app, setup, factory, bank)
    with app.app_context():
        services.on_winner_default(_db.session.get(Registration, ra), "拒绝签约", "staff1")
        services.on_winner_default(_db.session.get(Registration, rc), "拒绝签约", "staff1")
        _db.session.commit()
        g = services.find_guarantee(ga)
        assert g.status == "claimed"
        claim = _db.session.execute(select(Claim)).scalar_one()
        assert claim.status == "filed"
        assert claim.amount == Decimal("5000.00")
        dep = _db.session.execute(select(Deposit).where(Deposit.registration_id == rc)).scalar_one()
        assert dep.status == "forfeited"


def test_a_winners_deposit_is_applied_to_the_price_on_completion(app, setup, factory, bank):
    _, _, rc = _two_bidders(app, setup, factory, bank)
    with app.app_context():
        reg = _db.session.get(Registration, rc)
        services.on_project_closed(setup.project(), reg, "scheduler")
        services.on_deal_completed(reg, "staff1")
        dep = _db.session.execute(select(Deposit).where(Deposit.registration_id == rc)).scalar_one()
        assert dep.status == "applied"
        assert dep.refund_due_at is None


def test_guarantee_figures_count_amount_share_and_capital_freed(app, setup, factory, bank):
    _two_bidders(app, setup, factory, bank)
    with app.app_context():
        t = clock.now()
        f = services.guarantee_figures(t - timedelta(days=1), t + timedelta(days=1))
        assert f == {"count": 2, "amount": Decimal("10000.00"), "registrations": 3,
                     "guaranteed_registrations": 2, "guarantee_share": Decimal("0.6667"),
                     "capital_freed": Decimal("10000.00")}
        empty = services.guarantee_figures(t + timedelta(days=1), t + timedelta(days=2))
        assert empty["count"] == 0
        assert empty["amount"] == Decimal("0.00")
        assert empty["guarantee_share"] == Decimal("0.0000")


def test_a_bidder_who_withdrew_and_registers_again_takes_back_its_guarantee_and_its_deposit(
        app, setup, factory, bank):
    """The registrations package reuses a withdrawn registration row when the bidder comes back."""
    a, b = "coopA", "coopB"
    factory.user("bidder", a)
    factory.user("bidder", b)
    no = _receive(app, sign(setup.document(a), bank["key"]))
    ra, rb = setup.registration(a), setup.registration(b, "deposit")
    _attach(app, no, ra)
    with app.app_context():
        reg_b = _db.session.get(Registration, rb)
        services.open_deposit(reg_b, b)
        services.confirm_deposit(reg_b, "staff1")
        for rid in (ra, rb):
            reg = _db.session.get(Registration, rid)
            reg.status = "withdrawn"
            services.release_security(reg, "bidder", "竞买人撤回报名")
        _db.session.commit()
        assert services.find_guarantee(no).status == "released"
        # back again: the same registration row, pending
        for rid in (ra, rb):
            _db.session.get(Registration, rid).status = "pending"
        _db.session.commit()
    assert _attach(app, no, ra) == "attached"
    with app.app_context():
        reg_b = _db.session.get(Registration, rb)
        dep = services.open_deposit(reg_b, b)
        assert dep.refund_due_at is None
        assert services.security_ready(reg_b)
        assert services.security_ready(_db.session.get(Registration, ra))
        # once refunded, coming back means paying again
        services.release_security(reg_b, "bidder", "再次撤回")
        services.mark_refunded(dep.id, "finance")
        again = services.open_deposit(reg_b, b)
        assert again.id != dep.id
        assert again.status == "awaiting"
        _db.session.commit()


def test_a_released_guarantee_cannot_move_to_another_registration(app, setup, factory, bank):
    factory.user("bidder", "coopA")
    no = _receive(app, sign(setup.document("coopA"), bank["key"]))
    ra = setup.registration("coopA")
    _attach(app, no, ra)
    with app.app_context():
        services.release_security(_db.session.get(Registration, ra), "staff1", "资格审核未通过")
        _db.session.commit()
        with pytest.raises(Invalid) as exc:
            services.check_guarantee(no, bidder="coopA", project=setup.project(), registration_id=ra + 100)
        assert exc.value.code == "guarantee_in_use"


def test_a_bidder_promoted_by_next_best_award_has_its_released_guarantee_held_again(app, setup, factory, bank):
    (ga, ra), (gb, rb), rc = _two_bidders(app, setup, factory, bank)
    with app.app_context():
        services.on_project_closed(setup.project(), _db.session.get(Registration, ra), "scheduler")
        _db.session.commit()
        assert services.find_guarantee(gb).status == "released"
        assert services.hold_for_award(_db.session.get(Registration, rb), "staff1") is True
        _db.session.commit()
        assert services.find_guarantee(gb).status == "attached"
        assert services.hold_for_award(_db.session.get(Registration, rc), "staff1") is True
        _db.session.commit()
        dep = _db.session.execute(select(Deposit).where(Deposit.registration_id == rc)).scalar_one()
        assert dep.status == "received" and dep.refund_due_at is None


def test_nothing_is_held_once_the_deposit_was_paid_back(app, setup, factory, bank):
    (ga, ra), _, rc = _two_bidders(app, setup, factory, bank)
    with app.app_context():
        services.on_project_closed(setup.project(), _db.session.get(Registration, ra), "scheduler")
        _db.session.commit()
        dep = _db.session.execute(select(Deposit).where(Deposit.registration_id == rc)).scalar_one()
        services.mark_refunded(dep.id, "staff1")
        _db.session.commit()
        assert services.hold_for_award(_db.session.get(Registration, rc), "staff1") is False

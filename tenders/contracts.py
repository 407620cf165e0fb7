"""合同签订: the contract signed with an awarded lot's winner, recorded once by staff or the lot's tenderee.

Recording it (one transaction, under the lot's row lock):

* a `tender_contracts` row (signed date, amount — by default the award price —, optional contract number) and the
  audit entry `lot.contract` on the tender's chain;
* the winner's bid security ends: its guarantee is released and a received cash deposit falls due for refund,
  through the same guarantees service that releases the other bidders' securities at the award
  (`guarantees.services.release_security`; 《招标投标法实施条例》第五十七条: deposits are returned within 5 days
  of signing — the `deposit_refund` deadline counts from here). An auction's certificate path applies the
  winner's cash deposit to the price (`on_deal_completed`); a tender's deposit is refunded, so not that one;
* the push outbox gets a `contract` message (tenders/push.py) and the lot's OCDS release its `contracts` entry
  (tenders/opendata.py).

A winner whose contract is recorded can no longer default (`refuse_after_contract`, called by
evaluation.winner_default). `POST /api/v1/lots/{lot_id}/contract` (staff, the tenderee) and the form on the
result page (`templates/tenders/_contract.html`) call `record`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask import Blueprint, Flask, abort, flash, redirect, request, url_for
from sqlalchemy import select

from auctions.models import Registration
from guarantees import services as sec
from tenders import push, services
from tenders.models import Lot, LotContract, TenderBid
from tenders.serialize import org_name
from tenders.states import LOT_LABELS, LotStatus
from trading import audit
from trading.accounts.guard import page_user, require_user, roles_required
from trading.accounts.models import Role, User
from trading.apiutil import commit_json, json_body
from trading.clock import check_date_range, isoformat, now, to_beijing
from trading.errors import Conflict, DomainError, Forbidden, Invalid
from trading.extensions import db
from trading.money import MoneyError, parse_amount, to_str
from trading.openapi import doc

MAX_NUMBER = 64
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def contract_of(lot: Lot) -> LotContract | None:
    return db.session.execute(select(LotContract).where(LotContract.lot_id == lot.id)).scalar_one_or_none()


def contract_json(lot: Lot) -> dict | None:
    """The lot's contract in its result JSON (`contract`), null until recorded."""
    c = contract_of(lot)
    if c is None:
        return None
    return {"number": c.number, "signed_on": c.signed_on.isoformat(), "amount": to_str(c.amount),
            "recorded_at": isoformat(c.recorded_at), "recorded_by": c.recorded_by}


def may_record(user: User | None, lot: Lot) -> bool:
    """Staff, or the lot's tenderee."""
    return user is not None and (user.role == Role.STAFF or user.id == lot.tender.owner_id)


def award_day(lot: Lot) -> date:
    assert lot.awarded_at is not None
    return to_beijing(lot.awarded_at).date()


def today() -> date:
    return to_beijing(now()).date()


def _parse(lot: Lot, body: object) -> tuple[date, Decimal, str | None]:
    """All bad fields at once: 422 validation_error (invalid_amount when the amount is the only one)."""
    if not isinstance(body, dict):
        raise Invalid("请求体必须是 JSON 对象", fields={"body": "必须是 JSON 对象"})
    errors: dict[str, str] = {}
    signed: date | None = None
    raw = body.get("signed_on")
    if not isinstance(raw, str) or not _DATE.match(raw.strip()):
        errors["signed_on"] = "请填写合同签订日期，格式 YYYY-MM-DD"
    else:
        try:
            signed = check_date_range(date.fromisoformat(raw.strip()))
        except ValueError as exc:
            errors["signed_on"] = str(exc) if "日期" in str(exc) else "日期无效"
    if signed is not None and signed < award_day(lot):
        errors["signed_on"] = f"合同签订日期不能早于中标日期（{award_day(lot).isoformat()}）"
    elif signed is not None and signed > today():
        errors["signed_on"] = f"合同签订日期不能晚于今天（{today().isoformat()}，北京时间）"
    amount = lot.award_price
    raw_amount = body.get("amount")
    if raw_amount is not None and raw_amount != "":
        try:
            amount = parse_amount(raw_amount, field="合同金额")
        except MoneyError as exc:
            errors["amount"] = str(exc)
    number = body.get("number")
    if number is not None and not isinstance(number, str):
        errors["number"] = "合同编号须为文字"
    number = number.strip() if isinstance(number, str) else ""
    if len(number) > MAX_NUMBER:
        errors["number"] = f"合同编号不超过{MAX_NUMBER}个字符"
    if errors:
        code = "invalid_amount" if set(errors) == {"amount"} else "validation_error"
        raise Invalid("；".join(errors.values()), code=code, fields=errors)
    assert signed is not None
    assert amount is not None
    return signed, amount, number or None


def record(actor: User, lot_id: int, body: object) -> LotContract:
    """Record the signed contract of an awarded lot (staff or its tenderee; once): 403 forbidden, 409 invalid_state
    (not awarded), 409 contract_exists, 422 for a bad field — nothing written on any of them."""
    lot = services.locked_lot(lot_id)
    if not may_record(actor, lot):
        raise Forbidden("只有该标段的招标人或交易中心工作人员可以登记合同", code="forbidden")
    if contract_of(lot) is not None:
        raise Conflict("该标段的合同已登记，不能重复登记", code="contract_exists")
    status = services.lot_status(lot)
    if status != LotStatus.AWARDED or lot.winner_bid_id is None:
        raise Conflict(f"标段当前状态为“{LOT_LABELS.get(status, status)}”，确定中标人后才能登记合同",
                       code="invalid_state")
    signed, amount, number = _parse(lot, body)
    bid = db.session.get(TenderBid, lot.winner_bid_id)
    assert bid is not None
    reg = db.session.get(Registration, bid.registration_id)
    assert reg is not None
    c = LotContract(lot_id=lot.id, bid_id=bid.id, number=number, signed_on=signed, amount=amount,
                    recorded_by=actor.username, recorded_at=now())
    db.session.add(c)
    db.session.flush()
    audit.record("lot.contract", f"lot:{lot.id}", {"bid": bid.id, "number": number, "signed_on": signed.isoformat(),
                                                   "amount": amount, "award_price": lot.award_price},
                 actor.username)
    sec.release_security(reg, actor.username, f"{lot.tender.code} 第{lot.no}标段合同已于 {signed.isoformat()} 签订，"
                                              "中标人投标保证金依法释放或退还（《招标投标法实施条例》第五十七条）")
    push.contract(lot, org_name(bid.bidder), c)
    return c


def refuse_after_contract(lot: Lot) -> None:
    """A winner who signed cannot default (its security is already released): 409 invalid_state."""
    if contract_of(lot) is not None:
        raise Conflict("该标段的合同已签订，不能再按中标人违约处理", code="invalid_state")


# ------------------------------------------------------------------ API

api_bp = Blueprint("tender_contracts_api", __name__, url_prefix="/api/v1")


@api_bp.post("/lots/<int:lot_id>/contract")
@roles_required(Role.STAFF, Role.COLLECTIVE)
@doc("登记合同签订（招标人或工作人员；中标人投标保证金随之释放或退还）", status=201, tag="tenders")
def record_contract(lot_id: int):
    from tenders.api import _lot_result

    user = require_user()
    services.require_view(services.get_lot(lot_id).tender, user)
    record(user, lot_id, json_body())
    return commit_json(_lot_result(services.get_lot(lot_id)), 201)


# ------------------------------------------------------------------ the result page's form

bp = Blueprint("tender_contracts", __name__, url_prefix="/tenders")


@bp.post("/lots/<int:lot_id>/contract")
def record_page(lot_id: int):
    user = page_user(Role.STAFF, Role.COLLECTIVE)
    back = url_for("tenders.result", lot_id=lot_id) + "#contract"
    try:
        services.require_view(services.get_lot(lot_id).tender, user)
        record(user, lot_id, {k: request.form.get(k, "") for k in ("signed_on", "amount", "number")})
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        flash(err.message, "danger")
        return redirect(back)
    flash("合同已登记：中标人的投标保证金已释放（保函）或转入待退还（现金）。", "success")
    return redirect(back)


def contract_panel(lot: Lot, user: User | None) -> dict:
    """What templates/tenders/_contract.html shows on the result page of an awarded lot."""
    contract = contract_of(lot)
    can = contract is None and may_record(user, lot) and lot.awarded_at is not None
    return {"contract": contract, "can_record": can,
            "award_day": award_day(lot).isoformat() if lot.awarded_at else "", "today": today().isoformat(),
            "default_amount": to_str(lot.award_price) or ""}


def _template_helpers() -> dict:
    from flask_login import current_user

    def panel(lot: Lot) -> dict:
        user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
        return contract_panel(lot, user)

    return {"contract_panel": panel}


def init_app(app: Flask) -> None:
    from trading.extensions import csrf

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)

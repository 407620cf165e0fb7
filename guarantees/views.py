"""Pages: the bidder's guarantees, the guarantor portal, the staff views of guarantees and deposits."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from auctions.models import Registration
from guarantees import claims, intake, queries, services
from guarantees.models import Deposit, Guarantor
from guarantees.states import CLAIM_LABELS, DEPOSIT_LABELS, GUARANTEE_LABELS, DepositStatus, GuaranteeStatus
from trading.accounts.guard import roles_page
from trading.accounts.models import Role
from trading.apiutil import page_number
from trading.extensions import db
from trading.templating import Pagination

bp = Blueprint("guarantees", __name__)
PER_PAGE = 20


def _page() -> int:
    return page_number()


def _status_arg(allowed) -> str | None:
    status = request.args.get("status") or None
    return status if status in {s.value for s in allowed} else None


@bp.app_template_filter("guarantee_label")
def guarantee_label(status: str) -> str:
    return GUARANTEE_LABELS.get(status, status)  # type: ignore[call-overload]


@bp.app_template_filter("guarantee_status")
def guarantee_status(g) -> str:
    return services.status_of(g)


@bp.app_template_filter("claim_label")
def claim_label(status: str) -> str:
    return CLAIM_LABELS.get(status, status)  # type: ignore[call-overload]


@bp.app_template_filter("deposit_label")
def deposit_label(status: str) -> str:
    return DEPOSIT_LABELS.get(status, status)  # type: ignore[call-overload]


@bp.get("/guarantees/mine")
@roles_page(Role.BIDDER)
def mine():
    page = _page()
    rows, total = queries.list_guarantees(current_user, status=_status_arg(GuaranteeStatus), page=page,
                                          per_page=PER_PAGE)
    deposits = db.session.execute(
        select(Deposit).join(Registration, Registration.id == Deposit.registration_id)
        .where(Registration.bidder_id == current_user.id).order_by(Deposit.opened_at.desc())).scalars().all()
    return render_template("guarantees/mine.html", rows=rows, deposits=deposits,
                           pagination=Pagination(page, PER_PAGE, total), statuses=GUARANTEE_LABELS)


@bp.get("/guarantees/view/<no>")
@roles_page(Role.BIDDER, Role.GUARANTOR, Role.STAFF)
def detail(no: str):
    g = services.get_guarantee(no)
    if not services.can_view(g, current_user):
        abort(403)
    return render_template("guarantees/detail.html", g=g, statuses=GUARANTEE_LABELS)


@bp.post("/guarantees/view/<no>/claim")
@roles_page(Role.STAFF)
def file_claim(no: str):
    claims.file_claim(services.get_guarantee(no), request.form.get("reason", ""), current_user.username)
    db.session.commit()
    flash("已提出索赔，等待担保机构赔付", "success")
    return redirect(url_for(".detail", no=no))


@bp.post("/guarantees/view/<no>/repudiate")
@roles_page(Role.GUARANTOR)
def repudiate(no: str):
    services.repudiate(no, request.form.get("reason", ""), current_user)
    db.session.commit()
    flash("已否认该保函，交易中心确认后该保函作废", "warning")
    return redirect(url_for(".detail", no=no))


@bp.post("/guarantees/view/<no>/forged")
@roles_page(Role.STAFF)
def confirm_forged(no: str):
    services.confirm_forged(no, request.form.get("reason", ""), current_user.username)
    db.session.commit()
    flash("已确认该保函系伪造：保函作废，所担保的报名已驳回，并已生成待确认的失信记录", "warning")
    return redirect(url_for(".detail", no=no))


@bp.get("/guarantor")
@roles_page(Role.GUARANTOR)
def portal():
    page = _page()
    status = _status_arg(GuaranteeStatus)
    rows, total = queries.list_guarantees(current_user, status=status, q=request.args.get("q") or None,
                                          page=page, per_page=PER_PAGE)
    filed, _ = queries.list_claims(current_user, status="filed", per_page=100)
    decided, _ = queries.list_claims(current_user, per_page=20)
    guarantor = db.session.execute(select(Guarantor).where(Guarantor.org_id == current_user.org_id)
                                   ).scalar_one_or_none()
    return render_template("guarantees/portal.html", rows=rows, claims=filed, guarantor=guarantor,
                           decided=[c for c in decided if c.status != "filed"],
                           pagination=Pagination(page, PER_PAGE, total), statuses=GUARANTEE_LABELS, status=status)


@bp.post("/guarantor/claims/<int:claim_id>/pay")
@roles_page(Role.GUARANTOR)
def pay_claim(claim_id: int):
    claims.pay_claim(claim_id, current_user)
    db.session.commit()
    flash("已确认赔付", "success")
    return redirect(url_for(".portal"))


@bp.post("/guarantor/claims/<int:claim_id>/reject")
@roles_page(Role.GUARANTOR)
def reject_claim(claim_id: int):
    claims.reject_claim(claim_id, current_user, request.form.get("reason", ""))
    db.session.commit()
    flash("已拒付并记录异议理由", "warning")
    return redirect(url_for(".portal"))


@bp.get("/staff/guarantees")
@roles_page(Role.STAFF)
def staff_list():
    page = _page()
    status = _status_arg(GuaranteeStatus)
    issuer = request.args.get("issuer") or None
    rows, total = queries.list_guarantees(current_user, status=status, q=request.args.get("q") or None,
                                          issuer=issuer, page=page, per_page=PER_PAGE)
    guarantors = db.session.execute(select(Guarantor).order_by(Guarantor.code)).scalars().all()
    recent, _ = queries.list_claims(current_user, per_page=10)
    return render_template("guarantees/staff_list.html", rows=rows, guarantors=guarantors, claims=recent,
                           pagination=Pagination(page, PER_PAGE, total), statuses=GUARANTEE_LABELS,
                           status=status, issuer=issuer)


@bp.post("/staff/guarantors")
@roles_page(Role.STAFF)
def register_guarantor():
    f = request.form
    g = intake.register_guarantor(f.get("code", ""), f.get("name", ""), f.get("public_key_pem", ""),
                                  actor=current_user.username)
    label = g.keys[0].algorithm_label
    db.session.commit()
    flash(f"已登记担保机构 {g.code}（公钥算法：{label}）", "success")
    return redirect(url_for(".staff_list"))


@bp.get("/staff/deposits")
@roles_page(Role.STAFF)
def deposits():
    page = _page()
    tab = request.args.get("tab", "due")
    if tab not in ("due", "refunded", "all"):
        tab = "due"
    status = "refunded" if tab == "refunded" else (_status_arg(DepositStatus) if tab == "all" else None)
    rows, total = queries.list_deposits(status=status, due=tab == "due", page=page, per_page=PER_PAGE)
    return render_template("guarantees/deposits.html", rows=rows, tab=tab, status=status,
                           totals=queries.deposit_totals(), pagination=Pagination(page, PER_PAGE, total),
                           statuses=DEPOSIT_LABELS)


@bp.post("/staff/deposits/<int:deposit_id>/refund")
@roles_page(Role.STAFF)
def refund(deposit_id: int):
    services.mark_refunded(deposit_id, current_user.username)
    db.session.commit()
    flash("已登记退还", "success")
    return redirect(url_for(".deposits"))

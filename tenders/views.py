"""Pages of tendering (招标投标): the public list and detail, the tenderee's and staff's forms and actions, the
bidder's registration and browser-encrypted bid, the opening hall, the expert workspace, publicity and award,
and the signed papers. Every write calls the same service as the API and commits here; a refusal rolls back and
shows its Chinese message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from urllib.parse import urlparse

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from tenders import bidding, evaluation, forms, papers, serialize, services
from tenders.models import CommitteeMember, Lot, Tender, TenderBid
from tenders.states import BID_LABELS, FAILURE_REASONS, LOT_LABELS, TENDER_LABELS
from trading.accounts.guard import has_role
from trading.accounts.models import Role
from trading.apiutil import json_body, jsonify, page_number
from trading.clock import isoformat, now
from trading.errors import DomainError
from trading.extensions import db
from trading.money import to_str
from trading.templating import Pagination

bp = Blueprint("tenders", __name__, url_prefix="/tenders")
STAFF_READ = (Role.STAFF, Role.SUPERVISOR)
EVALUATION_READERS = (Role.STAFF, Role.COLLECTIVE, Role.EXPERT, Role.BIDDER, Role.SUPERVISOR)
KIND_LABELS = {"construction": "工程建设", "procurement": "政府采购"}
METHOD_LABELS = {"open": "公开招标", "invited": "邀请招标"}
EVALUATION_LABELS = {"scoring": "综合评分法", "lowest_price": "最低投标价法"}
SECURITY_LABELS = {"guarantee": "电子保函", "deposit": "现金保证金"}
PER_PAGE = 10


def _user():
    return current_user._get_current_object() if current_user and current_user.is_authenticated else None


def _role(*roles: str):
    user = _user()
    if not has_role(user, *roles):  # the one role rule (a supervisor reads where staff may)
        abort(403)
    return user


def _domain(fn: Callable) -> Callable:
    """A service refusal on a page: roll back, flash its Chinese message, back to where the user came from."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as err:
            db.session.rollback()
            if err.status == 404:
                abort(404)
            flash(err.message, "danger")
            return redirect(_back(kwargs))
    return wrapper


def _back(kwargs: dict) -> str:
    if "lot_id" in kwargs:
        lot = db.session.get(Lot, kwargs["lot_id"])
        if lot is not None:
            return url_for("tenders.detail", tender_id=lot.tender_id) + f"#lot-{lot.id}"
    if "tender_id" in kwargs:
        return url_for("tenders.detail", tender_id=kwargs["tender_id"])
    return url_for("tenders.index")


def _reason(prefix: str, missing: str) -> str | None:
    """The reason a step's form posted (ReasonForm with `prefix`), stripped; None after flashing `missing`."""
    form = forms.ReasonForm(request.form, prefix=prefix)
    if not form.validate():
        flash(missing, "danger")
        return None
    return form.reason.data.strip()


def _visible_tender(tender_id: int) -> Tender:
    try:
        tender = services.get_tender(tender_id)
        services.require_view(tender, _user())
    except DomainError:
        abort(404)
    return tender


def _visible_lot(lot_id: int) -> Lot:
    try:
        lot = services.get_lot(lot_id)
        services.require_view(lot.tender, _user())
    except DomainError:
        abort(404)
    return lot


def _is_owner(user, tender: Tender) -> bool:
    return user is not None and user.id == tender.owner_id


def _json_error(err: DomainError):
    db.session.rollback()
    return jsonify(err.to_json(), err.status)


@bp.app_context_processor
def _labels() -> dict:
    return {"tender_labels": TENDER_LABELS, "lot_labels": LOT_LABELS, "bid_labels": BID_LABELS,
            "failure_labels": FAILURE_REASONS, "kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS,
            "evaluation_labels": EVALUATION_LABELS, "security_labels": SECURITY_LABELS}


# ------------------------------------------------------------------ public

@bp.get("/")
def index():
    page = page_number()
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    status = request.args.get("status") if request.args.get("status") in ("announced", "withdrawn") else None
    q = (request.args.get("q") or "").strip()[:100] or None
    rows, total = services.list_tenders(kind=kind, q=q, status=status, page=page, per_page=PER_PAGE)
    return render_template("tenders/index.html", rows=rows, pager=Pagination(page, PER_PAGE, total),
                           kind=kind, status=status, q=q or "", lot_status=services.lot_status)


@bp.get("/<int:tender_id>")
def detail(tender_id: int):
    tender = _visible_tender(tender_id)
    user = _user()
    manage = user is not None and (_is_owner(user, tender) or user.role == Role.STAFF)
    my_regs = {}
    if user is not None and user.role == Role.BIDDER:
        for lot in tender.lots:
            my_regs[lot.id] = bidding.lot_registration(lot.id, user.id)
    questions = services.questions_of(tender) if services.can_read_questions(tender, user) else None
    can_ask = (services.is_registered_bidder(tender, user) and tender.status == "announced"
               and now() < tender.bid_deadline)
    return render_template("tenders/detail.html", tender=tender, user=user, manage=manage,
                           questions=questions, can_ask=can_ask, question_form=forms.QuestionForm(),
                           lots=[(lot, services.lot_status(lot)) for lot in tender.lots], my_regs=my_regs,
                           documents=services.documents_of(tender), clarifications=services.clarifications_of(tender),
                           doc_form=forms.DocumentForm(), clar_form=forms.ClarificationForm(),
                           reject_form=forms.ReasonForm(prefix="reject"))


@bp.get("/papers/<number>")
def paper(number: str):
    try:
        found = papers.get_paper(number)
    except DomainError:
        abort(404)
    lot = services.get_lot(found.lot_id)
    if found.kind == "evaluation_report" and not evaluation.can_see_evaluation(_user(), lot):
        abort(404)
    return render_template("tenders/paper.html", paper=papers.paper_json(found), lot=lot)


# ------------------------------------------------------------------ tenderee and staff: the tender

@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    user = _role(Role.COLLECTIVE, Role.STAFF)
    form = forms.TenderForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_form():
        try:
            tender = services.create_tender(user, form.body(staff=user.role == Role.STAFF))
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form.apply_errors(err)
        else:
            flash(f"招标项目 {tender.code} 已保存为草稿，请上传招标文件后提交审核。", "success")
            return redirect(url_for("tenders.detail", tender_id=tender.id))
    return render_template("tenders/new.html", form=form)


@bp.get("/my")
@login_required
def mine():
    user = _role(Role.COLLECTIVE, Role.STAFF, Role.SUPERVISOR)
    page = page_number()
    if user.role == Role.COLLECTIVE:
        rows, total = services.list_tenders(owner=user, page=page, per_page=PER_PAGE)
    else:  # the center sees every tender, drafts included
        stmt = select(Tender).order_by(Tender.id.desc())
        total = db.session.execute(select(func.count()).select_from(Tender)).scalar_one()
        rows = list(db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).scalars())
    return render_template("tenders/mine.html", rows=rows, pager=Pagination(page, PER_PAGE, total),
                           lot_status=services.lot_status)


@bp.post("/<int:tender_id>/submit")
@login_required
@_domain
def submit(tender_id: int):
    user = _role(Role.COLLECTIVE)
    tender = services.submit(user, services.get_tender(tender_id))
    db.session.commit()
    flash(f"{tender.code} 已提交审核。", "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id))


@bp.post("/<int:tender_id>/approve")
@login_required
@_domain
def approve(tender_id: int):
    user = _role(Role.STAFF)
    tender = services.approve(user, services.get_tender(tender_id))
    db.session.commit()
    flash(f"{tender.code} 已审核通过并发布招标公告。", "success")
    came_from = urlparse(request.referrer or "").path
    return redirect(came_from if came_from == url_for("staff.review") else url_for("tenders.detail",
                                                                                    tender_id=tender_id))


@bp.post("/<int:tender_id>/reject")
@login_required
@_domain
def reject(tender_id: int):
    user = _role(Role.STAFF)
    reason = _reason("reject", "请填写退回原因（不超过2000字）")
    if reason is None:
        return redirect(url_for("tenders.detail", tender_id=tender_id))
    services.reject(user, services.get_tender(tender_id), reason)
    db.session.commit()
    flash("已退回招标人修改。", "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id))


@bp.post("/<int:tender_id>/documents")
@login_required
@_domain
def upload(tender_id: int):
    user = _role(Role.COLLECTIVE, Role.STAFF)
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    request.max_content_length = services.MAX_DOCUMENT_BYTES + 256 * 1024
    form = forms.DocumentForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请选择 PDF 文件", "danger")
        return redirect(url_for("tenders.detail", tender_id=tender_id) + "#documents")
    data = form.file.data.read(services.MAX_DOCUMENT_BYTES + 1)
    doc = services.add_document(user, tender, title=form.title.data, filename=form.file.data.filename or "",
                                data=data)
    db.session.commit()
    flash(f"招标文件已发布，SHA-256：{doc.sha256}", "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#documents")


@bp.post("/<int:tender_id>/clarifications")
@login_required
@_domain
def clarify(tender_id: int):
    user = _role(Role.COLLECTIVE, Role.STAFF)
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    form = forms.ClarificationForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
        return redirect(url_for("tenders.detail", tender_id=tender_id) + "#clarifications")
    try:
        answers = [int(a) for a in request.form.getlist("answers")] or None
    except ValueError:
        answers = None
    services.add_clarification(user, tender, form.text.data, form.deadline_iso(), answers)
    db.session.commit()
    flash("澄清/修改已发布，已通知全部报名投标人。" + ("所选问题已答复。" if answers else ""), "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#clarifications")


@bp.post("/<int:tender_id>/questions")
@login_required
@_domain
def ask(tender_id: int):
    user = _role(Role.BIDDER)
    tender = services.get_tender(tender_id)
    services.require_view(tender, user)
    form = forms.QuestionForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
        return redirect(url_for("tenders.detail", tender_id=tender_id) + "#questions")
    services.ask_question(user, tender, form.text.data)
    db.session.commit()
    flash("问题已提交（匿名），招标人将以澄清形式答复。", "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#questions")


# ------------------------------------------------------------------ bidder: registration and the sealed bid

@bp.route("/lots/<int:lot_id>/register", methods=["GET", "POST"])
@login_required
def register(lot_id: int):
    user = _role(Role.BIDDER)
    lot = _visible_lot(lot_id)
    form = forms.RegisterForm()
    if form.validate_on_submit():
        security = {"type": form.security_type.data}
        if form.security_type.data == "guarantee":
            security["guarantee_no"] = form.guarantee_no.data.strip()
        try:
            reg = bidding.register(user, lot_id, security, ip=request.remote_addr)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            flash(f"报名成功，投标人编号 {reg.bidder_no}。" + (
                "保函已核验，可以递交投标文件。" if form.security_type.data == "guarantee"
                else "请按公告缴纳投标保证金，工作人员确认到账后即可递交投标文件。"), "success")
            return redirect(url_for("tenders.bid", lot_id=lot_id))
    return render_template("tenders/register.html", lot=lot, form=form, status=services.lot_status(lot),
                           reg=bidding.lot_registration(lot.id, user.id))


@bp.get("/my-bids")
@login_required
def my_bids():
    from auctions.models import Registration
    from tenders.models import LotRegistration

    user = _role(Role.BIDDER)
    rows = db.session.execute(select(Registration, LotRegistration.lot_id).join(
        LotRegistration, LotRegistration.registration_id == Registration.id).where(
        LotRegistration.bidder_id == user.id).order_by(Registration.id.desc())).all()
    items = []
    for reg, lot_id in rows:
        lot = db.session.get(Lot, lot_id)
        items.append((reg, lot, services.lot_status(lot), _bid_row(lot_id, user.id)))
    return render_template("tenders/my_bids.html", items=items)


def _bid_row(lot_id: int, user_id: int) -> TenderBid | None:
    return db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot_id, TenderBid.bidder_id == user_id)
                              .order_by(TenderBid.id.desc())).scalars().first()


@bp.get("/lots/<int:lot_id>/bid")
@login_required
def bid(lot_id: int):
    from guarantees.services import security_ready

    user = _role(Role.BIDDER)
    lot = _visible_lot(lot_id)
    reg = bidding.lot_registration(lot.id, user.id)
    if reg is None:
        flash("请先报名该标段", "warning")
        return redirect(url_for("tenders.register", lot_id=lot_id))
    return render_template("tenders/bid.html", lot=lot, reg=reg, ready=security_ready(reg),
                           status=services.lot_status(lot), my_bid=_bid_row(lot.id, user.id),
                           aad=f"{lot.id}:{user.username}")


@bp.post("/lots/<int:lot_id>/bid")
@login_required
def put_bid(lot_id: int):
    """The bid page's JSON (CSRF header): the envelope the browser sealed, exactly the API's PUT body."""
    user = _user()
    if user is None or user.role != Role.BIDDER:
        return jsonify({"error": {"code": "forbidden", "message": "只有投标人可以递交投标文件"}}, 403)
    try:
        row = bidding.put_bid(user, lot_id, json_body())
        out = serialize.bid_receipt_json(row)
        db.session.commit()
    except DomainError as err:
        return _json_error(err)
    return jsonify(out)


@bp.post("/lots/<int:lot_id>/bid/withdraw")
@login_required
@_domain
def withdraw_bid(lot_id: int):
    user = _role(Role.BIDDER)
    bidding.withdraw_bid(user, lot_id)
    db.session.commit()
    flash("投标文件已撤回；截止前仍可重新递交。", "success")
    return redirect(url_for("tenders.bid", lot_id=lot_id))


# ------------------------------------------------------------------ the opening hall

def _hall_allowed(user, lot: Lot) -> bool:
    if services.prices_public(lot):
        return True
    return user is not None and (user.role in STAFF_READ or user.id == lot.tender.owner_id
                                 or bidding.lot_registration(lot.id, user.id) is not None)


@bp.get("/lots/<int:lot_id>/opening")
def opening(lot_id: int):
    user = _user()
    lot = _visible_lot(lot_id)
    if not _hall_allowed(user, lot):
        if user is None:
            return redirect(url_for("auth.login", next=request.path))
        abort(403)
    mine = _bid_row(lot.id, user.id) if user is not None and user.role == Role.BIDDER else None
    return render_template("tenders/opening.html", lot=lot, status=services.lot_status(lot), my_bid=mine,
                           record=lot.opening_record, record_sha256=lot.opening_record_sha256,
                           record_rows=[{**b, "decrypted_dt": datetime.fromisoformat(b["decrypted_at"])
                                         if b.get("decrypted_at") else None}
                                        for b in (lot.opening_record or {}).get("bids", [])],
                           deadline=lot.tender.bid_deadline)


@bp.post("/lots/<int:lot_id>/decrypt")
@login_required
def decrypt(lot_id: int):
    """The hall's decrypt (CSRF header): the key the browser derived from the passphrase."""
    user = _user()
    if user is None or user.role != Role.BIDDER:
        return jsonify({"error": {"code": "forbidden", "message": "只有投标人可以解密本人的投标文件"}}, 403)
    try:
        body = json_body()
        row = bidding.decrypt(user, lot_id, body.get("key") if isinstance(body, dict) else None)
        out = {"price": to_str(row.price), "decrypted_at": isoformat(row.decrypted_at)}
        db.session.commit()
    except DomainError as err:
        return _json_error(err)
    return jsonify(out)


# ------------------------------------------------------------------ staff: committee, publicity, award

def _staff_lot_action(lot_id: int, action: Callable, done: str, anchor: str = "result"):
    user = _role(Role.STAFF)
    action(user)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(f"tenders.{anchor}", lot_id=lot_id))


@bp.post("/lots/<int:lot_id>/committee")
@login_required
@_domain
def draw(lot_id: int):
    return _staff_lot_action(lot_id, lambda u: evaluation.draw_committee(u, lot_id),
                             "评标委员会已随机抽取，抽取种子和专家库已记入审计日志。", "evaluation_page")


@bp.post("/lots/<int:lot_id>/publicize")
@login_required
@_domain
def publicize(lot_id: int):
    return _staff_lot_action(lot_id, lambda u: evaluation.publicize(u, lot_id), "中标候选人公示已发布。")


@bp.post("/lots/<int:lot_id>/award")
@login_required
@_domain
def award(lot_id: int):
    return _staff_lot_action(lot_id, lambda u: evaluation.award(u, lot_id), "已确定中标人并签发中标通知书。")


@bp.post("/lots/<int:lot_id>/winner-default")
@login_required
@_domain
def winner_default(lot_id: int):
    _role(Role.STAFF)
    reason = _reason("default", "请填写中标人违约的事实（不超过2000字）")
    if reason is None:
        return redirect(url_for("tenders.result", lot_id=lot_id))
    raw = (request.form.get("registration_id") or "").strip()
    named = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None  # the winner the page showed
    return _staff_lot_action(lot_id, lambda u: evaluation.winner_default(u, lot_id, reason, named),
                             "已按中标人违约处理：递补下一中标候选人并向其保函索赔。")


# ------------------------------------------------------------------ experts

@bp.get("/expert")
@login_required
def expert():
    user = _role(Role.EXPERT)
    rows = db.session.execute(select(CommitteeMember).where(CommitteeMember.user_id == user.id)
                              .order_by(CommitteeMember.id.desc())).scalars().all()
    items = [(m, services.get_lot(m.lot_id)) for m in rows]
    return render_template("tenders/expert.html", items=[(m, lot, services.lot_status(lot)) for m, lot in items])


@bp.route("/lots/<int:lot_id>/score", methods=["GET", "POST"])
@login_required
def score(lot_id: int):
    user = _role(Role.EXPERT)
    lot = services.get_lot(lot_id)
    if not evaluation.is_member(user, lot):
        abort(403)
    member = evaluation.membership(user, lot)
    sheet_form = forms.ScoreForm(lot, evaluation.valid_bids(lot), evaluation.sheets_of(member), serialize.org_name)
    errors: dict[str, str] = {}
    if request.method == "POST":
        sheet_form.read(request.form)
        action = request.form.get("action")
        try:
            evaluation.put_scores(user, lot_id, sheet_form.body())
            if action == "submit":
                evaluation.submit_scores(user, lot_id)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            errors = dict(err.fields or {})
            flash("评分有误，请修正标红的项目后再保存" if errors else err.message, "danger")
        else:
            flash("评分已提交（最终）。" if action == "submit" else "草稿已保存。", "success")
            return redirect(url_for("tenders.score", lot_id=lot_id))
        member = evaluation.membership(user, services.get_lot(lot_id))
    return render_template("tenders/score.html", lot=lot, member=member, sheet=sheet_form, errors=errors,
                           status=services.lot_status(lot))


@bp.get("/lots/<int:lot_id>/evaluation")
@login_required
def evaluation_page(lot_id: int):
    user = _role(*EVALUATION_READERS)
    lot = _visible_lot(lot_id)
    if not evaluation.can_see_evaluation(user, lot):
        abort(403)
    members = evaluation.members_of(lot)
    done = lot.evaluated_at is not None
    return render_template("tenders/evaluation.html", lot=lot, status=services.lot_status(lot), members=members,
                           done=done, ranking=evaluation.ranking_rows(lot) if done else [],
                           sheets=evaluation.member_sheets(lot) if done else [],
                           report=papers.latest(lot, "evaluation_report"))


@bp.get("/lots/<int:lot_id>/report.pdf")
@login_required
def report(lot_id: int):
    user = _role(*EVALUATION_READERS)
    lot = _visible_lot(lot_id)
    if not evaluation.can_see_evaluation(user, lot):
        abort(403)
    try:
        found = evaluation.evaluation_report(user.username, lot_id)
        number = found.number
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("tenders.evaluation_page", lot_id=lot_id))
    return redirect(url_for("tenders_api.paper_pdf", number=number))


# ------------------------------------------------------------------ publicity, objections, award notice

@bp.get("/lots/<int:lot_id>/result")
def result(lot_id: int):
    user = _user()
    lot = _visible_lot(lot_id)
    status = services.lot_status(lot)
    staff = user is not None and user.role in STAFF_READ
    if lot.publicity_starts_at is None and not staff and not _is_owner(user, lot.tender):
        flash("该标段尚未进行中标候选人公示", "warning")
        return redirect(url_for("tenders.detail", tender_id=lot.tender_id) + f"#lot-{lot.id}")
    objections = []
    if staff:
        from certificates.models import Objection
        from tenders.models import LotObjection

        objections = list(db.session.execute(select(Objection).join(
            LotObjection, LotObjection.objection_id == Objection.id).where(LotObjection.lot_id == lot.id)
            .order_by(Objection.id)).scalars())
    reg = bidding.lot_registration(lot.id, user.id) if user is not None and user.role == Role.BIDDER else None
    notice = papers.latest(lot, "award_notice") if status == "awarded" else None
    winner = db.session.get(TenderBid, lot.winner_bid_id) if lot.winner_bid_id and status == "awarded" else None
    in_publicity = (status == "publicity" and lot.publicity_ends_at is not None and now() < lot.publicity_ends_at)
    return render_template("tenders/result.html", lot=lot, status=status, candidates=evaluation.candidates_rows(lot),
                           staff=user is not None and user.role == Role.STAFF, objections=objections,
                           reg=reg, notice=notice, winner=serialize.org_name(winner.bidder) if winner else None,
                           in_publicity=in_publicity, objection_form=forms.ReasonForm(prefix="objection"),
                           default_form=forms.ReasonForm(prefix="default"),
                           winner_registration=winner.registration_id if winner else None,
                           open_count=len(evaluation.open_objections(lot)))


@bp.post("/lots/<int:lot_id>/objections")
@login_required
@_domain
def objection(lot_id: int):
    user = _role(Role.BIDDER)
    reason = _reason("objection", "请填写异议的事实和理由（不超过2000字）")
    if reason is None:
        return redirect(url_for("tenders.result", lot_id=lot_id))
    evaluation.lodge_objection(user, lot_id, reason)
    db.session.commit()
    flash("异议已提交，中心将在规定时间内答复；处理完毕前不会确定中标人。", "success")
    return redirect(url_for("tenders.result", lot_id=lot_id))


# ------------------------------------------------------------------ the expert pool (staff; the supervisor reads)

pool_bp = Blueprint("experts", __name__, url_prefix="/staff/experts")
POOL_STATES = {"available": "可抽取", "suspended": "已暂停"}


@pool_bp.route("", methods=["GET", "POST"])
@login_required
def pool_page():
    from tenders import pool

    user = _role(Role.STAFF, Role.SUPERVISOR) if request.method == "GET" else _role(Role.STAFF)
    form = forms.ExpertForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            profile = pool.create_expert(user.username, username=form.username.data.strip(),
                                         password=form.password.data, display_name=form.display_name.data,
                                         organisation=form.organisation.data, speciality=form.speciality.data,
                                         phone=form.phone.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            for name, msg in (err.fields or {}).items():
                if name in form:
                    form[name].errors = [msg]
            if not err.fields:
                form.username.errors = [err.message]
        else:
            flash(f"已将 {profile.user.display_name}（{profile.user.username}）加入评标专家库。", "success")
            return redirect(url_for("experts.pool_page"))
    if request.method == "POST":
        flash("请修正下列标红的字段后再提交。", "danger")
    page = page_number()
    q = (request.args.get("q") or "").strip()[:100] or None
    speciality = (request.args.get("speciality") or "").strip()[:32] or None
    state = request.args.get("state") if request.args.get("state") in POOL_STATES else None
    rows, total = pool.search(q=q, speciality=speciality, state=state, page=page, per_page=20)
    status = 422 if request.method == "POST" else 200
    return render_template("tenders/experts.html", rows=rows, pager=Pagination(page, 20, total), form=form,
                           reason=forms.ReasonForm(prefix="suspend"), counts=pool.speciality_counts(),
                           q=q or "", speciality=speciality or "", state=state or "", states=POOL_STATES), status


@pool_bp.post("/<username>/suspend")
@login_required
def pool_suspend(username: str):
    from tenders import pool

    user = _role(Role.STAFF)
    reason = _reason("suspend", "请填写暂停的原因（不超过2000字）")
    if reason is None:
        return redirect(url_for("experts.pool_page"))
    return _pool_step(lambda: pool.suspend(user.username, username, reason),
                      f"已暂停专家 {username}：此后的抽取不会再抽到。")


@pool_bp.post("/<username>/resume")
@login_required
def pool_resume(username: str):
    from tenders import pool

    user = _role(Role.STAFF)
    return _pool_step(lambda: pool.resume(user.username, username), f"已恢复专家 {username}，可再被抽取。")


def _pool_step(step: Callable, done: str):
    """A pool change: commit and say `done`, or roll back and say why (an unknown expert is a 404)."""
    try:
        step()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            abort(404)
        flash(err.message, "danger")
    else:
        flash(done, "success")
    return redirect(url_for("experts.pool_page"))


# ------------------------------------------------------------------ hooks for the lower packages

def nav(user) -> list[tuple[str, str, dict]]:
    if user is None:
        return [("招标项目", "tenders.index", {})]
    if user.role == Role.COLLECTIVE:
        return [("我的招标", "tenders.mine", {})]
    if user.role in STAFF_READ:
        return [("招标项目管理", "tenders.mine", {}), ("评标专家库", "experts.pool_page", {})]
    if user.role == Role.EXPERT:
        return [("专家评标", "tenders.expert", {})]
    if user.role == Role.BIDDER:
        return [("我的投标", "tenders.my_bids", {})]
    return []


def lot_of_objection(obj, **_kw) -> dict | None:
    """The staff objection desk's heading for an objection without a project (a tender lot's)."""
    from tenders.models import LotObjection

    link = db.session.execute(select(LotObjection).where(LotObjection.objection_id == obj.id)).scalar_one_or_none()
    if link is None:
        return None
    lot = db.session.get(Lot, link.lot_id)
    if lot is None:
        return None
    return {"code": f"{lot.tender.code} 第{lot.no}标段", "title": f"{lot.tender.title} · {lot.name}",
            "url": url_for("tenders.result", lot_id=lot.id)}


def when(value: datetime | None) -> str:
    return isoformat(value) or ""


def init_app(app: Flask) -> None:
    from trading import navigation

    app.register_blueprint(bp)
    app.register_blueprint(pool_bp)
    navigation.register(nav)

"""The committee draw, score sheets, ranking, candidates' publicity, objections, award and winner default.
Services flush and audit; callers commit. Every step runs under the lot's row lock."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from auctions.models import Registration
from certificates.models import Objection, ObjectionStatus
from guarantees import services as sec
from tenders import papers, push, rules
from tenders.bidding import bids_of, lot_registration, registrations_of, release_all
from tenders.models import CommitteeMember, ExpertProfile, Lot, LotObjection, ScoreSheet, TenderBid
from tenders.serialize import org_name
from tenders.services import locked_lot, notify, setting
from tenders.states import BidStatus, LotStatus, lot_next
from trading import audit
from trading.accounts.models import Role, User
from trading.clock import display, now
from trading.errors import Conflict, Forbidden, Invalid, NotFound
from trading.extensions import db
from trading.money import to_str

L = LotStatus


def _require_status(lot: Lot, *allowed: str, code: str = "invalid_state", msg: str | None = None) -> None:
    if lot.status not in allowed:
        from tenders.states import LOT_LABELS

        raise Conflict(msg or f"标段当前状态为“{LOT_LABELS.get(lot.status, lot.status)}”，不能执行该操作", code=code)


def valid_bids(lot: Lot) -> list[TenderBid]:
    """Decrypted, within budget: the bids the committee evaluates."""
    return [b for b in bids_of(lot) if b.status == BidStatus.DECRYPTED and b.rejection in (None, "committee")]


# ------------------------------------------------------------------ the committee

def members_of(lot: Lot) -> list[CommitteeMember]:
    return list(db.session.execute(select(CommitteeMember).where(CommitteeMember.lot_id == lot.id)
                                   .order_by(CommitteeMember.id)).scalars())


def expert_pool(speciality: str) -> list[rules.Expert]:
    rows = db.session.execute(select(User.username, User.org_id).join(
        ExpertProfile, ExpertProfile.user_id == User.id).where(
        ExpertProfile.speciality == speciality, ExpertProfile.suspended_at.is_(None), User.active.is_(True),
        User.role == Role.EXPERT)).all()
    return [rules.Expert(r.username, r.org_id) for r in rows]


def excluded_orgs(lot: Lot) -> set[int]:
    """回避: the tenderee's and every bidder's organisation."""
    orgs = {lot.tender.owner.org_id}
    orgs |= {reg.bidder.org_id for reg in registrations_of(lot)}
    return {o for o in orgs if o is not None}


def draw_committee(actor: User, lot_id: int, seed: str | None = None) -> tuple[list[CommitteeMember], dict]:
    """Staff draw `committee_size` experts of the lot's speciality at random, avoiding the tenderee's and the
    bidders' organisations; the seed, the pool and the avoided organisations go into the audit log so anyone can
    re-run rules.draw_committee. A second draw → 409 committee_exists; too few → 409 not_enough_experts."""
    from tenders.bidding import advance

    lot = locked_lot(lot_id)
    advance(lot, actor.username)
    if members_of(lot):
        raise Conflict("该标段已抽取评标委员会，不能重复抽取", code="committee_exists")
    _require_status(lot, L.OPENED, msg="只有已开标的标段可以抽取评标委员会")
    pool = expert_pool(lot.speciality)
    avoid = excluded_orgs(lot)
    seed = seed or secrets.token_hex(16)
    try:
        chosen = rules.draw_committee(pool, avoid, lot.committee_size, seed)
    except rules.NotEnoughExperts as exc:
        raise Conflict(str(exc), code="not_enough_experts") from None
    users = {u.username: u for u in db.session.execute(
        select(User).where(User.username.in_([e.username for e in chosen]))).scalars()}
    members = []
    for e in chosen:
        m = CommitteeMember(lot_id=lot.id, user_id=users[e.username].id)
        db.session.add(m)
        members.append(m)
    lot.status, lot.draw_seed = lot_next(lot.status, "draw"), seed
    db.session.flush()
    draw = {"seed": seed, "pool_size": len(pool), "pool": sorted(e.username for e in pool),
            "pool_orgs": {e.username: e.org_id for e in pool}, "excluded_orgs": sorted(avoid),
            "size": lot.committee_size, "speciality": lot.speciality,
            "members": [e.username for e in chosen],
            "method": "eligible = pool without excluded_orgs, sorted by username; random.Random(seed).sample"}
    audit.record("lot.committee_draw", f"lot:{lot.id}", draw, actor.username)
    notify([m.user_id for m in members], "committee_assigned", f"您被抽取为 {lot.tender.code} 第{lot.no}标段评标专家",
           lot.name, lot.tender_id)
    return members, draw


def membership(actor: User, lot: Lot) -> CommitteeMember:
    m = db.session.execute(select(CommitteeMember).where(CommitteeMember.lot_id == lot.id,
                                                         CommitteeMember.user_id == actor.id)).scalar_one_or_none()
    if m is None:
        raise Forbidden("您不是该标段评标委员会成员", code="not_member")
    return m


def is_member(user: User | None, lot: Lot) -> bool:
    return user is not None and db.session.execute(select(CommitteeMember.id).where(
        CommitteeMember.lot_id == lot.id, CommitteeMember.user_id == user.id)).first() is not None


# ------------------------------------------------------------------ score sheets

def _bids_by_org(lot: Lot) -> dict[str, TenderBid]:
    return {org_name(b.bidder): b for b in valid_bids(lot)}


def put_scores(actor: User, lot_id: int, body: object) -> list[ScoreSheet]:
    """A member's draft sheets: points within 0…max per criterion, or a reject with its reason. Final once
    submitted (409 already_submitted)."""
    lot = locked_lot(lot_id)
    member = membership(actor, lot)
    if member.submitted_at is not None:
        raise Conflict("您已提交评分，不能再修改", code="already_submitted")
    _require_status(lot, L.EVALUATING)
    items = body.get("bids") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise Invalid("bids 须为列表", fields={"bids": "须为列表"})
    by_org = _bids_by_org(lot)
    errors: dict[str, str] = {}
    parsed: list[tuple[TenderBid, dict[str, Decimal], bool, str | None]] = []
    for i, item in enumerate(items):
        key = f"bids[{i}]"
        if not isinstance(item, dict) or item.get("bidder_org") not in by_org:
            errors[f"{key}.bidder_org"] = "没有这家投标人的有效投标"
            continue
        reject = item.get("reject", False) is True
        reason = item.get("reject_reason")
        reason = reason.strip() if isinstance(reason, str) else ""
        if reject and not reason:
            errors[f"{key}.reject_reason"] = "否决投标须写明理由"
        try:
            points = rules.check_points(item.get("points") or {}, lot.criteria or [])
        except rules.FieldErrors as exc:
            errors.update({f"{key}.{k}": v for k, v in exc.fields.items()})
            continue
        parsed.append((by_org[item["bidder_org"]], points, reject, reason or None))
    if errors:
        raise Invalid("以下评分有误：" + "、".join(errors), fields=errors)
    existing = {s.bid_id: s for s in sheets_of(member)}
    t = now()
    for bid, points, reject, reason in parsed:
        sheet = existing.get(bid.id)
        if sheet is None:
            sheet = ScoreSheet(lot_id=lot.id, member_id=member.id, bid_id=bid.id)
            db.session.add(sheet)
            existing[bid.id] = sheet
        sheet.points = {k: format(v, "f") for k, v in points.items()}
        sheet.reject, sheet.reject_reason, sheet.updated_at = reject, reason, t
    db.session.flush()
    return list(existing.values())


def sheets_of(member: CommitteeMember) -> list[ScoreSheet]:
    return list(db.session.execute(select(ScoreSheet).where(ScoreSheet.member_id == member.id)
                                   .order_by(ScoreSheet.bid_id)).scalars())


def submit_scores(actor: User, lot_id: int) -> CommitteeMember:
    """Final submit: a complete sheet for every valid bid. When the last member submits the lot is evaluated."""
    lot = locked_lot(lot_id)
    member = membership(actor, lot)
    if member.submitted_at is not None:
        raise Conflict("您已提交评分，不能重复提交", code="already_submitted")
    _require_status(lot, L.EVALUATING)
    sheets = {s.bid_id: s for s in sheets_of(member)}
    codes = {c["code"] for c in lot.criteria or []}
    missing = [org_name(b.bidder) for b in valid_bids(lot)
               if b.id not in sheets or (not sheets[b.id].reject and set(sheets[b.id].points) != codes)]
    if missing:
        raise Invalid("以下投标人的评分尚未完成：" + "、".join(missing), code="scores_incomplete",
                      fields={"bids": "评分未完成：" + "、".join(missing)})
    member.submitted_at = now()
    db.session.flush()
    audit.record("lot.scores_submit", f"lot:{lot.id}", {
        "member": actor.username,
        "sheets": {str(s.bid_id): {"points": s.points, "reject": s.reject} for s in sheets.values()}},
        actor.username)
    if all(m.submitted_at is not None for m in members_of(lot)):
        _evaluate(lot, actor.username)
    return member


def _evaluate(lot: Lot, actor: str) -> None:
    """All sheets in: majority rejects are out; the rest ranked per docs/api.md; the ranking is frozen."""
    members = members_of(lot)
    sheets = list(db.session.execute(select(ScoreSheet).where(ScoreSheet.lot_id == lot.id)).scalars())
    scored: list[rules.Scored] = []
    for bid in valid_bids(lot):
        mine = [s for s in sheets if s.bid_id == bid.id]
        if rules.rejected_by_majority((s.reject for s in mine), len(members)):
            bid.rejection = "committee"
            continue
        totals = [{k: Decimal(v) for k, v in s.points.items()} for s in mine if not s.reject]
        scored.append(rules.Scored(bid.id, bid.price or Decimal(0), rules.mean_points(totals)))
    ranked = rules.rank(scored, lot.tender.evaluation, lot.price_points)
    lot.ranking = [{"rank": r.rank, "bid_id": r.key, "price": to_str(r.price),
                    "price_score": to_str(r.price_score), "points": to_str(r.points), "total": to_str(r.total)}
                   for r in ranked]
    lot.evaluated_at = now()
    if not ranked:
        lot.status, lot.failure_reason = lot_next(lot.status, "fail"), "all_rejected"
        release_all(lot, actor, f"所有投标均被否决，标段流标（{lot.tender.code} 第{lot.no}标段）")
    else:
        lot.status = lot_next(lot.status, "evaluate")
    db.session.flush()
    audit.record("lot.evaluated", f"lot:{lot.id}", {"ranking": lot.ranking, "status": lot.status}, actor)
    if lot.failure_reason:
        push.failure(lot)


def ranking_rows(lot: Lot) -> list[dict]:
    bids = {b.id: b for b in bids_of(lot)}
    return [{**{k: v for k, v in row.items() if k != "bid_id"}, "bidder_org": org_name(bids[row["bid_id"]].bidder)}
            for row in lot.ranking or []]


def member_sheets(lot: Lot) -> list[dict]:
    """Each member's sheets — shown only once every member has submitted."""
    bids = {b.id: b for b in bids_of(lot)}
    out = []
    for m in members_of(lot):
        out.append({"username": m.user.username, "name": m.user.display_name or m.user.username,
                    "organisation": org_name(m.user), "submitted_at": m.submitted_at.isoformat() if m.submitted_at
                    else None,
                    "sheets": [{"bidder_org": org_name(bids[s.bid_id].bidder), "points": s.points,
                                "total": to_str(sum((Decimal(v) for v in s.points.values()), Decimal(0))),
                                "reject": s.reject, "reject_reason": s.reject_reason}
                               for s in sheets_of(m) if s.bid_id in bids]})
    return out


def can_see_evaluation(user: User | None, lot: Lot) -> bool:
    if user is None:
        return False
    if user.role in (Role.STAFF, Role.SUPERVISOR) or user.id == lot.tender.owner_id or is_member(user, lot):
        return True
    return lot.publicity_starts_at is not None and lot_registration(lot.id, user.id) is not None


def evaluation_report(actor: str, lot_id: int):
    """The signed 评标报告, built once (on first request) after the evaluation."""
    lot = locked_lot(lot_id)
    if lot.evaluated_at is None:
        raise Conflict("评标尚未完成", code="not_evaluated")
    found = papers.latest(lot, "evaluation_report")
    if found is not None:
        return found
    rows = [("招标项目", f"{lot.tender.code} {lot.tender.title}"), ("标段", f"第{lot.no}标段 {lot.name}"),
            ("评标办法", "综合评分法" if lot.tender.evaluation == "scoring" else "经评审的最低投标价法"),
            ("预算金额", f"{to_str(lot.budget)} 元"),
            ("评标委员会", "、".join(f"{m['name']}（{m['organisation']}）" for m in member_sheets(lot)))]
    for m in member_sheets(lot):
        rows.append((f"{m['name']} 评分", "；".join(
            f"{s['bidder_org']}：{'否决（' + (s['reject_reason'] or '') + '）' if s['reject'] else s['total']}"
            for s in m["sheets"])))
    for r in ranking_rows(lot):
        rows.append((f"第{r['rank']}名", f"{r['bidder_org']}：报价 {r['price']} 元；价格分 {r['price_score'] or '—'}；"
                                        f"评分 {r['points'] or '—'}；总分 {r['total'] or '—'}"))
    for b in bids_of(lot):
        if b.rejection == "committee":
            rows.append(("否决投标", org_name(b.bidder)))
    statement = "评标委员会依法对本标段有效投标进行评审，推荐中标候选人如上；本报告经交易中心电子签章。"
    return papers.issue(lot, "evaluation_report", rows, statement, actor,
                        extra={"ranking": ranking_rows(lot), "committee": member_sheets(lot),
                               "failure_reason": lot.failure_reason})


# ------------------------------------------------------------------ publicity, objections, award

def publicize(actor: User, lot_id: int) -> Lot:
    """evaluated → publicity: the first three of the ranking are the candidates (中标候选人公示)."""
    lot = locked_lot(lot_id)
    _require_status(lot, L.EVALUATED)
    lot.candidates = [row["bid_id"] for row in (lot.ranking or [])[:3]]
    t = now()
    lot.status, lot.publicity_starts_at = lot_next(lot.status, "publicize"), t
    lot.publicity_ends_at = t + timedelta(seconds=setting("TRADING_CANDIDATE_PUBLICITY_SECONDS"))
    db.session.flush()
    audit.record("lot.publicize", f"lot:{lot.id}", {"candidates": lot.candidates,
                                                    "ends_at": lot.publicity_ends_at.isoformat()}, actor.username)
    push.candidates(lot, _candidate_rows(lot))
    return lot


def _candidate_rows(lot: Lot) -> list[dict]:
    rows = []
    for rank, bid_id in enumerate(lot.candidates or [], start=1):
        bid = db.session.get(TenderBid, bid_id)
        assert bid is not None
        rows.append({"排序": rank, "投标人": org_name(bid.bidder), "投标报价": to_str(bid.price)})
    return rows


def candidates_rows(lot: Lot) -> list[dict]:
    rows = {r["bid_id"]: r for r in lot.ranking or []}
    bids = {b.id: b for b in bids_of(lot)}
    return [{"order": i + 1, "bidder_org": org_name(bids[bid_id].bidder), "price": rows[bid_id]["price"],
             "total": rows[bid_id]["total"]} for i, bid_id in enumerate(lot.candidates or []) if bid_id in rows]


def open_objections(lot: Lot) -> list[Objection]:
    return list(db.session.execute(select(Objection).join(LotObjection, LotObjection.objection_id == Objection.id)
                                   .where(LotObjection.lot_id == lot.id, Objection.status == ObjectionStatus.OPEN)
                                   .order_by(Objection.id)).scalars())


def lodge_objection(actor: User, lot_id: int, reason: object) -> Objection:
    """A registered bidder of the lot objects during the candidates' publicity (objections of certificates)."""
    lot = locked_lot(lot_id)
    reg = lot_registration(lot.id, actor.id)
    if reg is None:
        raise Forbidden("只有该标段的投标人可以对中标候选人提出异议", code="not_registered")
    if lot.status != L.PUBLICITY or lot.publicity_ends_at is None or now() >= lot.publicity_ends_at:
        raise Conflict("该标段不在中标候选人公示期内", code="publicity_closed")
    text = reason.strip() if isinstance(reason, str) else ""
    if len(text) < 5 or len(text) > 4000:
        raise Invalid("请写明异议的事实和理由（5至4000字）", fields={"reason": "5至4000字"})
    if any(o.user_id == actor.id for o in open_objections(lot)):
        raise Conflict("您对该标段已有一件待处理的异议", code="objection_exists")
    obj = Objection(project_id=None, user_id=actor.id, registration_id=reg.id, name=org_name(actor)[:100],
                    phone=(actor.phone or "")[:20], grounds=text, status=ObjectionStatus.OPEN, created_at=now())
    db.session.add(obj)
    db.session.flush()
    db.session.add(LotObjection(objection_id=obj.id, lot_id=lot.id))
    db.session.flush()
    audit.record("lot.objection", f"lot:{lot.id}", {"objection": obj.id}, actor.username)
    return obj


def on_objection_resolved(obj: Objection, *, actor: User, reason: str, upheld: bool, **_kw) -> None:
    """certificates.signals.objection_resolved: upheld → the first candidate is struck and the next moves up."""
    link = db.session.get(LotObjection, obj.id)
    if link is None:
        return
    lot = locked_lot(link.lot_id)
    data: dict = {"objection": obj.id, "reason": reason, "upheld": upheld}
    if upheld:
        if lot.status != L.PUBLICITY or not lot.candidates:
            raise Conflict("该标段已不在公示期，异议不能再改变中标候选人", code="invalid_state")
        struck = lot.candidates[0]
        lot.candidates = list(lot.candidates[1:])
        data["struck"] = struck
        if not lot.candidates:
            lot.status, lot.failure_reason = lot_next(lot.status, "fail"), "all_rejected"
            release_all(lot, actor.username, "中标候选人均被取消，标段流标")
    db.session.flush()
    audit.record("lot.objection_uphold" if upheld else "lot.objection_dismiss", f"lot:{lot.id}", data,
                 actor.username)
    if upheld and not lot.candidates:
        push.failure(lot)


def _winner_reg(lot: Lot, bid_id: int) -> Registration:
    bid = db.session.get(TenderBid, bid_id)
    if bid is None:
        raise NotFound("投标不存在", code="not_found")
    reg = db.session.get(Registration, bid.registration_id)
    assert reg is not None
    return reg


def _award_to(lot: Lot, bid_id: int, actor: str) -> None:
    bid = db.session.get(TenderBid, bid_id)
    assert bid is not None
    assert bid.price is not None
    lot.winner_bid_id, lot.award_price, lot.awarded_at = bid.id, bid.price, now()
    reg = _winner_reg(lot, bid_id)
    sec.hold_for_award(reg, actor)
    release_all(lot, actor, f"{lot.tender.code} 第{lot.no}标段已确定中标人，未中标投标人的保证金释放", keep=reg)
    savings = lot.budget - bid.price
    rows = [("招标项目", f"{lot.tender.code} {lot.tender.title}"), ("标段", f"第{lot.no}标段 {lot.name}"),
            ("招标人", org_name(lot.tender.owner)), ("中标人", org_name(bid.bidder)),
            ("中标价", f"{to_str(bid.price)} 元"), ("预算金额", f"{to_str(lot.budget)} 元"),
            ("节约资金", f"{to_str(savings)} 元"), ("中标候选人公示", f"{display(lot.publicity_starts_at)} 至 "
                                                    f"{display(lot.publicity_ends_at)}（北京时间）"
                                                    if lot.publicity_ends_at else "—")]
    statement = "经评标委员会评审并公示，确定你单位为本标段中标人。请在收到本通知书之日起30日内与招标人签订合同。"
    papers.issue(lot, "award_notice", rows, statement, actor,
                 extra={"winner": org_name(bid.bidder), "price": to_str(bid.price), "budget": to_str(lot.budget),
                        "savings": to_str(savings)})
    push.award(lot, org_name(bid.bidder))
    notify([bid.bidder_id], "award_notice", f"中标通知：{lot.tender.code} 第{lot.no}标段",
           f"你单位为 {lot.tender.title} 第{lot.no}标段 {lot.name} 的中标人，中标价 {to_str(bid.price)} 元；"
           "中标通知书已签发，请在30日内与招标人签订合同。", lot.tender_id)


def award(actor: User, lot_id: int) -> Lot:
    """publicity over, no open objection → awarded to the first candidate, with a signed 中标通知书; the other
    securities are released."""
    lot = locked_lot(lot_id)
    _require_status(lot, L.PUBLICITY)
    if lot.publicity_ends_at is None or now() < lot.publicity_ends_at:
        raise Conflict("中标候选人公示期尚未结束，不能确定中标人", code="publicity_not_over")
    if open_objections(lot):
        raise Conflict("该标段有待处理的异议，须先处理异议", code="objection_pending")
    if not lot.candidates:
        raise Conflict("该标段没有中标候选人", code="invalid_state")
    lot.status = lot_next(lot.status, "award")
    _award_to(lot, lot.candidates[0], actor.username)
    db.session.flush()
    audit.record("lot.award", f"lot:{lot.id}", {"bid": lot.winner_bid_id, "price": lot.award_price},
                 actor.username)
    return lot


def winner_default(actor: User, lot_id: int, reason: object, registration_id: int | None = None) -> Lot:
    """The winner refused to sign: a claim on its guarantee (or its deposit forfeited), its notice revoked, and the
    next candidate awarded (递补) — or the lot fails when none is left.

    `registration_id` names the registration declared in default (the page always sends it; API clients should):
    under the lot's row lock, a request naming a registration already declared in default — a repeat, or a
    concurrent twin that waited for the lock — answers the lot as it now stands and files nothing; one naming
    another bidder is refused (409 not_winner). Without the name the current winner is meant."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid("请填写中标人违约的事实", fields={"reason": "必填项"})
    lot = locked_lot(lot_id)
    if registration_id is not None:
        named = db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot.id,
                                                           TenderBid.registration_id == registration_id)
                                   ).scalar_one_or_none()
        reg = db.session.get(Registration, registration_id) if named is not None else None
        if named is None or reg is None:
            raise NotFound("该标段没有这条投标登记", code="not_found")
        if reg.annulled_at is not None:
            return lot  # already declared in default: the first result stands
        if lot.status != L.AWARDED or lot.winner_bid_id != named.id:
            _require_status(lot, L.AWARDED)
            raise Conflict("该投标人不是本标段当前的中标人", code="not_winner")
    _require_status(lot, L.AWARDED)
    from tenders.contracts import refuse_after_contract  # the contract is signed: no default any more

    refuse_after_contract(lot)
    assert lot.winner_bid_id is not None
    defaulter = _winner_reg(lot, lot.winner_bid_id)
    defaulter.annulled_at = now()
    sec.on_winner_default(defaulter, f"中标人违约：{text}", actor.username)
    notice = papers.latest(lot, "award_notice")
    if notice is not None and notice.status == "valid":
        papers.revoke(notice, f"中标人违约：{text}", actor.username)
    remaining = [b for b in (lot.candidates or []) if b != lot.winner_bid_id]
    lot.candidates = remaining
    data: dict = {"defaulter": lot.winner_bid_id, "reason": text}
    if remaining:
        lot.status = lot_next(lot.status, "reaward")
        _award_to(lot, remaining[0], actor.username)
        data["next"] = remaining[0]
    else:
        lot.status, lot.failure_reason = lot_next(lot.status, "fail"), "all_rejected"
        lot.winner_bid_id = lot.award_price = None
    db.session.flush()
    audit.record("lot.winner_default", f"lot:{lot.id}", data, actor.username)
    from tenders.signals import lot_winner_defaulted  # oversight: a draft credit entry against the defaulter

    lot_winner_defaulted.send(None, lot=lot, registration=defaulter, reason=text, actor=actor.username)
    if lot.status == L.FAILED:
        push.failure(lot)
    return lot

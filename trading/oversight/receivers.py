"""Notices for the events of the packages below (their signals): each receiver writes the notice inside the
sender's transaction (trading.accounts.notifications.notify), so the notice exists exactly when the event does."""

from __future__ import annotations

from sqlalchemy import select

from auctions import signals as auction_signals
from auctions.models import Registration, RegistrationStatus
from guarantees import signals as guarantee_signals
from guarantees.models import Guarantor
from tenders import signals as tender_signals
from trading.accounts.credit_list import open_draft
from trading.accounts.models import Role, User
from trading.accounts.notifications import notify, notify_org, notify_role, notify_throttled
from trading.clock import BEIJING
from trading.extensions import db
from trading.money import to_str
from trading.projects import signals as project_signals
from trading.projects.models import Project


def _qualified(_sender, *, registration, actor) -> None:
    p = registration.project
    notify(registration.bidder_id, "registration_qualified", f"报名审核通过：{p.title}",
           f"您对项目 {p.code}「{p.title}」的报名已通过资格审核，竞买号 {registration.bidder_no}。"
           f"竞价开始时间：{p.bidding_start.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）。",
           ref=f"project:{p.id}")


def _rejected(_sender, *, registration, actor, reason) -> None:
    p = registration.project
    notify(registration.bidder_id, "registration_rejected", f"报名未通过：{p.title}",
           f"您对项目 {p.code}「{p.title}」的报名未通过资格审核。原因：{reason}", ref=f"project:{p.id}")


def _bid_placed(_sender, *, project_id, bidder_id, previous_leader_id, amount, ends_at) -> None:
    if previous_leader_id is None or previous_leader_id == bidder_id:
        return
    row = db.session.execute(select(Project.code, Project.title).where(Project.id == project_id)).one()
    notify_throttled(previous_leader_id, "outbid", f"您的出价已被超越：{row.title}",
                     f"项目 {row.code} 当前最高报价 {to_str(amount)} 元，竞价截止 "
                     f"{ends_at.astimezone(BEIJING):%H:%M:%S}（北京时间，可能因延时而延长）。",
                     ref=f"project:{project_id}")


def _closed(_sender, *, project, winner, actor) -> None:
    regs = db.session.execute(select(Registration).where(
        Registration.project_id == project.id, Registration.status == RegistrationStatus.QUALIFIED)).scalars().all()
    for reg in regs:
        if winner is not None and reg.id == winner.id:
            notify(reg.bidder_id, "auction_won", f"竞得通知：{project.title}",
                   f"您以 {to_str(project.final_price)} 元竞得项目 {project.code}「{project.title}」，"
                   "请在公示期满后按通知签订合同。", ref=f"project:{project.id}",
                   dedupe_key=f"closed:{project.id}")
        else:
            notify(reg.bidder_id, "auction_lost", f"未竞得：{project.title}",
                   f"项目 {project.code}「{project.title}」竞价已结束，您未竞得；保证金将按规定退还。",
                   ref=f"project:{project.id}", dedupe_key=f"closed:{project.id}")


def _deal_completed(_sender, *, project, actor) -> None:
    for uid in {project.owner_id, project.winner_id} - {None}:
        notify(uid, "certificate_issued", f"交易鉴证书已出具：{project.title}",
               f"项目 {project.code}「{project.title}」的交易鉴证书已出具，可在项目页下载并核验。",
               ref=f"project:{project.id}")


def _refund_due(_sender, *, deposit, reason, actor) -> None:
    notify_role(Role.STAFF, "refund_due", f"保证金待退还：{to_str(deposit.amount)} 元",
                f"保证金 #{deposit.id}（报名 #{deposit.registration_id}）应予退还：{reason}。"
                "依《招标投标法实施条例》第五十七条，应在五日内退还。", ref=f"deposit:{deposit.id}")


def _claim_filed(_sender, *, claim, guarantee, actor) -> None:
    org_id = db.session.execute(select(Guarantor.org_id).where(Guarantor.id == guarantee.guarantor_id)).scalar()
    if org_id is not None:
        notify_org(org_id, "claim_filed", f"保函索赔：{guarantee.guarantee_no}",
                   f"交易中心就保函 {guarantee.guarantee_no}（项目 {guarantee.project_code}）提出索赔 "
                   f"{to_str(claim.amount)} 元。理由：{claim.reason}", ref=f"claim:{claim.id}")


def _winner_defaulted(_sender, *, registration, reason, actor) -> None:
    """A winner's default opens a draft credit entry for staff to confirm."""
    bidder = db.session.get(User, registration.bidder_id)
    if bidder is not None and bidder.org_id is not None:
        p = registration.project
        e = open_draft(bidder.org_id, cause="winner_default", evidence=f"项目 {p.code} 成交人违约：{reason}",
                       project_code=p.code, actor=actor, source="winner_default")
        if e is not None:
            notify_role(Role.STAFF, "credit_draft", f"待确认信用记录：{bidder.name}",
                        f"项目 {p.code} 成交人违约，已生成待确认的失信记录，请在“信用管理”中确认。",
                        ref=f"credit:{e.id}")


def _lot_winner_defaulted(_sender, *, lot, registration, reason, actor) -> None:
    """A tender lot's winner refused to sign: a draft credit entry linked to the tender code, as for an auction."""
    bidder = db.session.get(User, registration.bidder_id)
    if bidder is None or bidder.org_id is None:
        return
    code = lot.tender.code
    e = open_draft(bidder.org_id, cause="winner_default",
                   evidence=f"招标项目 {code} 第{lot.no}标段 中标人违约：{reason}", project_code=code, actor=actor,
                   source="winner_default")
    if e is not None:
        notify_role(Role.STAFF, "credit_draft", f"待确认信用记录：{bidder.name}",
                    f"招标项目 {code} 第{lot.no}标段中标人违约，已生成待确认的失信记录，请在“信用管理”中确认。",
                    ref=f"credit:{e.id}")


def _guarantee_forged(_sender, *, guarantee, registration, reason, actor) -> None:
    """A confirmed forged guarantee opens a draft credit entry against the applicant's organisation."""
    applicant = db.session.execute(select(User).where(User.username == guarantee.applicant)).scalar_one_or_none()
    if applicant is None or applicant.org_id is None:
        return
    no = guarantee.guarantee_no
    e = open_draft(applicant.org_id, cause="forged_guarantee",
                   evidence=f"保函 {no}（项目 {guarantee.project_code}）经出具机构否认、交易中心确认系伪造：{reason}",
                   project_code=guarantee.project_code, actor=actor, source="forged_guarantee")
    if e is not None:
        notify_role(Role.STAFF, "credit_draft", f"待确认信用记录：{applicant.name}",
                    f"保函 {no} 已确认系伪造，已生成待确认的失信记录，请在“信用管理”中确认。",
                    ref=f"credit:{e.id}")


def connect() -> None:
    auction_signals.winner_defaulted.connect(_winner_defaulted)
    tender_signals.lot_winner_defaulted.connect(_lot_winner_defaulted)
    auction_signals.registration_qualified.connect(_qualified)
    auction_signals.registration_rejected.connect(_rejected)
    auction_signals.bid_placed.connect(_bid_placed)
    auction_signals.project_closed.connect(_closed)
    project_signals.deal_completed.connect(_deal_completed)
    guarantee_signals.refund_due.connect(_refund_due)
    guarantee_signals.claim_filed.connect(_claim_filed)
    guarantee_signals.guarantee_forged.connect(_guarantee_forged)


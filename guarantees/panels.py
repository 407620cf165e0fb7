"""Project page panel: the bid security of a project (staff), or the bidder's own guarantees for it."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from auctions.models import Registration
from guarantees.models import Deposit, Guarantee
from guarantees.states import DepositStatus, GuaranteeStatus
from trading.accounts.models import Role
from trading.extensions import db
from trading.projects.visibility import is_published


def security_panel(project, user):
    if user is None or not getattr(user, "is_authenticated", False) or not is_published(project):
        return None
    if user.role == Role.STAFF:
        regs = select(Registration.id).where(Registration.project_id == project.id)
        guarantees = db.session.execute(
            select(Guarantee.status, func.count(Guarantee.id), func.sum(Guarantee.amount))
            .where(Guarantee.registration_id.in_(regs)).group_by(Guarantee.status)).all()
        deposits = db.session.execute(
            select(Deposit.status, func.count(Deposit.id), func.sum(Deposit.amount))
            .where(Deposit.registration_id.in_(regs)).group_by(Deposit.status)).all()
        due = db.session.execute(select(func.count(Deposit.id)).where(
            Deposit.registration_id.in_(regs), Deposit.status == DepositStatus.RECEIVED,
            Deposit.refund_due_at.is_not(None))).scalar_one()
        return render_template("guarantees/_panel.html", project=project, staff=True, guarantees=guarantees,
                               deposits=deposits, due=due)
    if user.role == Role.BIDDER:
        mine = db.session.execute(select(Guarantee).where(Guarantee.applicant == user.username,
                                                          Guarantee.project_code == project.code)
                                  .order_by(Guarantee.received_at.desc())).scalars().all()
        if not mine:
            return None
        return render_template("guarantees/_panel.html", project=project, staff=False, mine=mine,
                               usable=GuaranteeStatus.ISSUED)
    return None

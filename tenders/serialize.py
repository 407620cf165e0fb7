"""JSON shapes of docs/api.md's "Tenders" section (the pages may reuse them)."""

from __future__ import annotations

from decimal import Decimal

from flask import url_for

from tenders.models import Clarification, Lot, Tender, TenderBid, TenderDocument, TenderNotice
from tenders.services import lot_status
from tenders.states import FAILURE_REASONS, LOT_LABELS, TENDER_LABELS
from trading.accounts.guard import has_role
from trading.accounts.models import Role, User
from trading.clock import isoformat, now
from trading.money import rate_str, to_str


def org_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.org.name if user.org is not None else (user.display_name or user.username)


def _points(value) -> str:
    return format(Decimal(str(value)).quantize(Decimal("0.01")), "f")


def lot_json(lot: Lot) -> dict:
    status = lot_status(lot)
    out = {"id": lot.id, "no": lot.no, "name": lot.name, "budget": to_str(lot.budget),
           "security_amount": to_str(lot.security_amount), "speciality": lot.speciality,
           "committee_size": lot.committee_size, "price_points": _points(lot.price_points),
           "criteria": [{**c, "max_points": _points(c["max_points"])} for c in lot.criteria or []],
           "status": status, "status_label": LOT_LABELS.get(status, status),
           "failure_reason": lot.failure_reason if status == "failed" else None,
           "bid_deadline": isoformat(lot.tender.bid_deadline), "decrypt_ends_at": isoformat(lot.decrypt_ends_at),
           "publicity_ends_at": isoformat(lot.publicity_ends_at), "awarded_at": isoformat(lot.awarded_at)}
    if status == "failed" and lot.failure_reason is None:
        out["failure_reason"] = "fewer_than_three"  # the clock implies it before the scheduler records it
    if out["failure_reason"]:
        out["failure_label"] = FAILURE_REASONS.get(out["failure_reason"], out["failure_reason"])
    if lot.award_price is not None and status == "awarded":
        savings = lot.budget - lot.award_price
        out.update(award_price=to_str(lot.award_price), savings=to_str(savings),
                   savings_rate=rate_str(savings / lot.budget) if lot.budget else None)
    return out


def tender_json(tender: Tender, viewer: User | None = None) -> dict:
    private = viewer is not None and (viewer.id == tender.owner_id or has_role(viewer, Role.STAFF))  # + supervisor
    out = {"id": tender.id, "code": tender.code, "kind": tender.kind, "title": tender.title,
           "location": tender.location, "description": tender.description, "method": tender.method,
           "evaluation": tender.evaluation, "announce_start": isoformat(tender.announce_start),
           "bid_deadline": isoformat(tender.bid_deadline), "status": tender.status,
           "status_label": TENDER_LABELS.get(tender.status, tender.status),
           "owner": {"username": tender.owner.username, "name": org_name(tender.owner)},
           "lots": [lot_json(lot) for lot in tender.lots], "server_time": isoformat(now()),
           "submitted_at": isoformat(tender.submitted_at), "approved_at": isoformat(tender.approved_at)}
    if private:
        out.update(reject_reason=tender.reject_reason, withdraw_reason=tender.withdraw_reason,
                   invited=[u.username for u in tender.invited])
    elif tender.method == "invited":
        out["invited_count"] = len(tender.invited)
    return out


def document_json(doc: TenderDocument) -> dict:
    return {"id": doc.id, "title": doc.title, "filename": doc.filename, "size": doc.size, "sha256": doc.sha256,
            "published_at": isoformat(doc.published_at),
            "url": url_for("tenders_api.download_document", tender_id=doc.tender_id, document_id=doc.id)}


def clarification_json(c: Clarification) -> dict:
    return {"id": c.id, "text": c.text, "published_at": isoformat(c.published_at),
            "old_deadline": isoformat(c.old_deadline), "bid_deadline": isoformat(c.new_deadline or c.old_deadline),
            "deadline_moved": c.new_deadline is not None}


def question_json(q) -> dict:
    """No asker: questions are anonymous."""
    return {"id": q.id, "text": q.text, "asked_at": isoformat(q.asked_at), "status": q.status,
            "answered_by": q.answered_by, "answered_at": isoformat(q.answered_at) if q.answered_at else None}


def bid_receipt_json(bid: TenderBid) -> dict:
    return {"receipt": bid.receipt, "submitted_at": isoformat(bid.submitted_at), "status": bid.status,
            "revision": bid.revision}


def notice_json(n: TenderNotice) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "tender_id": n.tender_id,
            "created_at": isoformat(n.created_at), "read": n.read_at is not None}

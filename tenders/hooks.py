"""Receivers for the hooks lower packages expose: the staff review queue and registration describers."""

from __future__ import annotations

from flask import url_for

from tenders import services
from tenders.serialize import org_name


def review_items() -> list[dict]:
    return [{"kind_label": "招标项目（工程建设）" if t.kind == "construction" else "招标项目（政府采购）",
             "code": t.code, "title": t.title, "owner": f"{org_name(t.owner)}（{t.owner.username}）",
             "submitted_at": t.submitted_at, "approve_url": url_for("tenders.approve", tender_id=t.id),
             "reject_url": url_for("tenders.detail", tender_id=t.id) + "#review",
             "detail_url": url_for("tenders.detail", tender_id=t.id),
             "tender_id": t.id} for t in services.pending_review()]


def describe_registration(reg) -> dict | None:
    from tenders.bidding import lot_of_registration

    lot = lot_of_registration(reg)
    if lot is None:
        return None
    return {"code": lot.tender.code, "title": f"{lot.tender.title} 第{lot.no}标段 {lot.name}", "lot_id": lot.id,
            "tender_id": lot.tender_id}

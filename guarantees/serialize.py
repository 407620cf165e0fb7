"""JSON views of guarantors, guarantees, claims and deposits."""

from __future__ import annotations

import json

from auctions import subjects
from guarantees.models import Claim, Deposit, Guarantee, Guarantor, GuarantorKey
from guarantees.services import status_of
from guarantees.states import CLAIM_LABELS, DEPOSIT_LABELS, GUARANTEE_LABELS
from trading.clock import isoformat
from trading.money import to_str


def key_json(k: GuarantorKey) -> dict:
    return {"id": k.id, "algorithm": k.algorithm, "algorithm_label": k.algorithm_label, "fingerprint": k.fingerprint, "public_key_pem": k.public_key_pem,
            "valid_from": isoformat(k.valid_from), "valid_until": isoformat(k.valid_until)}


def guarantor_json(g: Guarantor) -> dict:
    return {"id": g.id, "code": g.code, "name": g.name, "created_at": isoformat(g.created_at),
            "keys": [key_json(k) for k in g.keys]}


def claim_json(c: Claim) -> dict:
    return {"id": c.id, "status": c.status, "status_label": CLAIM_LABELS.get(c.status, c.status),
            "guarantee_no": c.guarantee.guarantee_no, "amount": to_str(c.amount), "reason": c.reason,
            "filed_by": c.filed_by, "filed_at": isoformat(c.filed_at), "decided_by": c.decided_by,
            "decided_at": isoformat(c.decided_at), "decision_note": c.decision_note}


def guarantee_json(g: Guarantee, *, full: bool = True) -> dict:
    reg = g.registration
    status = status_of(g)
    out = {
        "guarantee_no": g.guarantee_no, "status": status, "status_label": GUARANTEE_LABELS.get(status, status),
        "issuer": g.guarantor.code, "issuer_name": g.guarantor.name, "type": g.type, "applicant": g.applicant,
        "beneficiary": g.beneficiary, "project_code": g.project_code, "amount": to_str(g.amount),
        "currency": g.currency, "valid_from": isoformat(g.valid_from), "valid_until": isoformat(g.valid_until),
        "issued_at": isoformat(g.issued_at), "received_at": isoformat(g.received_at),
        "attached_at": isoformat(g.attached_at), "registration_id": g.registration_id,
        "project_id": reg.project_id if reg is not None else None,
        "closed_at": isoformat(g.closed_at), "close_reason": g.close_reason,
        "repudiated_at": isoformat(g.repudiated_at), "repudiated_by": g.repudiated_by,
        "repudiation_reason": g.repudiation_reason,
    }
    if full:
        out.update({"sha256": g.sha256, "signature": g.signature, "key_id": g.key_id,
                    "algorithm": g.key.algorithm, "algorithm_label": g.key.algorithm_label, "document": json.loads(g.document),
                    "claims": [claim_json(c) for c in g.claims]})
    return out


def deposit_json(d: Deposit) -> dict:
    reg = d.registration
    return {"id": d.id, "registration_id": d.registration_id, "project_id": reg.project_id,
            "project_code": subjects.describe(reg)["code"], "bidder": reg.bidder.username, "bidder_name": reg.bidder.name,
            "amount": to_str(d.amount), "status": d.status, "status_label": DEPOSIT_LABELS.get(d.status, d.status),
            "refund_due": d.status == "received" and d.refund_due_at is not None,
            "opened_at": isoformat(d.opened_at), "received_at": isoformat(d.received_at),
            "refund_due_at": isoformat(d.refund_due_at), "refund_reason": d.refund_reason,
            "settled_at": isoformat(d.settled_at), "settled_by": d.settled_by}

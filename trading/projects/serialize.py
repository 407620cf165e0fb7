"""JSON views of projects, shared by the API and the pages' polling."""

from __future__ import annotations

from trading.accounts.models import User
from trading.clock import isoformat, now
from trading.money import to_str
from trading.projects.models import Project
from trading.projects.rules import KIND_LABELS
from trading.projects.services import effective_status
from trading.projects.states import STATUS_LABELS
from trading.projects.visibility import can_see_private


def project_json(project: Project, viewer: User | None = None) -> dict:
    status = effective_status(project)
    out = {
        "id": project.id,
        "code": project.code,
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "kind": project.kind,
        "kind_label": KIND_LABELS.get(project.kind, project.kind),
        "title": project.title,
        "location": project.location,
        "town": project.town,
        "description": project.description,
        "method": project.method,
        "direction": project.direction,
        "price_unit": project.price_unit,
        "area_mu": to_str(project.area_mu),
        "term_years": project.term_years,
        "start_price": to_str(project.start_price),
        "budget": to_str(project.budget),
        "increment": to_str(project.increment),
        "deposit": to_str(project.deposit),
        "extension_seconds": project.extension_seconds,
        "max_extensions": project.max_extensions,
        "announce_start": isoformat(project.announce_start),
        "registration_end": isoformat(project.registration_end),
        "bidding_start": isoformat(project.bidding_start),
        "bidding_end": isoformat(project.bidding_end),
        "ends_at": isoformat(project.ends_at or project.bidding_end),
        "owner": project.owner.name if project.owner else None,
        "relisted_from": project.relisted_from_id,
        "created_at": isoformat(project.created_at),
        "server_time": isoformat(now()),
    }
    if project.reject_reason:
        out["reject_reason"] = project.reject_reason
    if project.withdraw_reason:
        out["withdraw_reason"] = project.withdraw_reason
    if can_see_private(project, viewer):
        out["reserve_price"] = to_str(project.reserve_price)
        out["priority_holders"] = [u.username for u in project.priority_holders]
        out["owner_username"] = project.owner.username
    return out

"""Requests issued inside an outer app context (as `flask demo` does) each authenticate their own token."""

from __future__ import annotations


def test_each_request_in_one_app_context_uses_its_own_bearer_token(hall, app, api):
    pid = hall.project()
    hall.bidder("alice")
    alice = api.token("alice")
    staff = api.token(hall.staff)
    with app.app_context():
        client = app.test_client()
        r = client.get("/api/v1/me/registrations", headers={"Authorization": f"Bearer {staff}"})
        assert r.status_code == 403
        r = client.post(f"/api/v1/projects/{pid}/registrations", json={"security": {"type": "deposit"}},
                        headers={"Authorization": f"Bearer {alice}"})
        assert r.status_code == 201, r.get_json()

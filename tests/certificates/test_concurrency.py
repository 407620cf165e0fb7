"""Two staff members issue at the same instant: exactly one certificate, one number; the other gets 409."""

from __future__ import annotations

import threading

from sqlalchemy import func, select


def test_concurrent_issue_yields_one_certificate(issuable, api, app):
    from certificates.models import Certificate
    from trading.extensions import db

    token = api.token(issuable["staff"])
    url = f"/api/v1/projects/{issuable['id']}/certificate"
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict]] = []

    def worker():
        client = app.test_client()
        barrier.wait()
        r = client.post(url, headers={"Authorization": f"Bearer {token}"})
        results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(code for code, _ in results)
    assert codes == [201, 409], results
    assert [b for c, b in results if c == 409][0]["error"]["code"] == "certificate_exists"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Certificate)).scalar_one() == 1
        db.session.remove()

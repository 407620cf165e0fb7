"""Collusion signals (串标/围标): the pure detector, and the block on the staff qualification page."""

from __future__ import annotations

from auctions.collusion import RegInfo, find_signals, mask_phone, normalise_phone


def _kinds(signals):
    return sorted((s.kind, s.bidder_nos) for s in signals)


def test_no_signal_among_independent_bidders():
    regs = [RegInfo(1, 10, "100001", "10.0.0.1", "UA-a", ("13800000001",)),
            RegInfo(2, 11, "100002", "10.0.0.2", "UA-a", ("13800000002",))]
    assert find_signals(regs, {10: {1, 2, 3}, 11: {1, 4, 5}}) == []


def test_same_ip_and_same_device_are_told_apart():
    regs = [RegInfo(1, 10, "100003", "10.0.0.9", "Mozilla/5.0 X"),
            RegInfo(2, 11, "100001", "10.0.0.9", "Mozilla/5.0 X"),
            RegInfo(3, 12, "100002", "10.0.0.9", "curl/8"),
            RegInfo(4, 13, "100004", "10.0.0.7", "curl/8")]
    got = _kinds(find_signals(regs))
    assert got == [("same_device", ("100001", "100003")), ("same_ip", ("100001", "100002", "100003"))]


def test_same_phone_across_person_and_organisation_formats():
    regs = [RegInfo(1, 10, "100001", None, None, ("+86 138-0013-8000",)),
            RegInfo(2, 11, "100002", None, None, ("0771-1234567", "13800138000")),
            RegInfo(3, 12, "100003", None, None, ())]
    (sig,) = find_signals(regs)
    assert sig.kind == "same_phone" and sig.bidder_nos == ("100001", "100002")
    assert sig.evidence == "138****8000"  # staff see a masked number
    assert normalise_phone("+86 13800138000") == "13800138000" and normalise_phone("123") is None
    assert mask_phone("13800138000") == "138****8000"


def test_one_bidder_is_never_flagged_with_itself():
    regs = [RegInfo(1, 10, "100001", "10.0.0.1", "UA", ("13800000001",))]
    assert find_signals(regs, {10: {1, 2, 3, 4}}) == []


def test_always_together_needs_three_shared_projects_and_no_solo_appearance():
    regs = [RegInfo(1, 10, "100001"), RegInfo(2, 11, "100002"), RegInfo(3, 12, "100003")]
    history = {10: {1, 2, 3}, 11: {1, 2, 3, 7}, 12: {1, 2, 8, 9}}
    (sig,) = find_signals(regs, history)
    assert sig.kind == "always_together" and sig.bidder_nos == ("100001", "100002") and "3" in sig.evidence
    # two shared projects are not enough
    assert find_signals(regs, {10: {1, 2}, 11: {1, 2}}) == []
    # both appear elsewhere without each other: not "always"
    assert find_signals(regs, {10: {1, 2, 3, 5}, 11: {1, 2, 3, 6}}) == []


def _register(api, pid, name, ua, ip="127.0.0.1"):
    r = api.client.post(f"/api/v1/projects/{pid}/registrations", json={"security": {"type": "deposit"}},
                        headers={"Authorization": f"Bearer {api.token(name)}", "User-Agent": ua},
                        environ_base={"REMOTE_ADDR": ip})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_staff_qualification_page_shows_the_signals(hall, api, app, factory):
    from trading.accounts.services import create_user
    from trading.extensions import db

    pids = [hall.project() for _ in range(3)]
    with app.app_context():
        for name in ("twin_a", "twin_b"):
            create_user(name, "passw0rd-test", "bidder", phone="13912345678")
        db.session.commit()
    hall.bidder("loner")
    first = {}
    for pid in pids:
        a = _register(api, pid, "twin_a", "Mozilla/5.0 Same", ip="10.1.1.1")
        b = _register(api, pid, "twin_b", "Mozilla/5.0 Same", ip="10.1.1.1")
        first.setdefault("a", a), first.setdefault("b", b)
    a, b = first["a"], first["b"]
    lone = _register(api, pids[0], "loner", "Other/1.0", ip="10.2.2.2")
    c = app.test_client()
    assert c.post("/login", data={"username": hall.staff, "password": "passw0rd-test"}).status_code == 302
    html = c.get(f"/staff/auctions/projects/{pids[0]}/registrations").get_data(as_text=True)
    assert "串标/围标风险提示" in html
    for label in ("同一IP地址报名", "同一设备报名", "联系电话相同", "多次共同报名"):
        assert label in html, label
    assert "139****5678" in html and "13912345678" not in html
    section = html.split("串标/围标风险提示", 1)[1].split("</section>", 1)[0]
    assert a["bidder_no"] in section and b["bidder_no"] in section and lone["bidder_no"] not in section
    # bidders never see it: the page is staff-only
    bc = app.test_client()
    bc.post("/login", data={"username": "loner", "password": "passw0rd-test"})
    assert bc.get(f"/staff/auctions/projects/{pids[0]}/registrations").status_code == 403


def test_clean_project_says_nothing_found(hall, api, app):
    pid = hall.project()
    hall.bidder("solo1")
    hall.bidder("solo2")
    _register(api, pid, "solo1", "UA-1", ip="10.0.0.1")
    _register(api, pid, "solo2", "UA-2", ip="10.0.0.2")
    c = app.test_client()
    c.post("/login", data={"username": hall.staff, "password": "passw0rd-test"})
    html = c.get(f"/staff/auctions/projects/{pid}/registrations").get_data(as_text=True)
    assert "未发现同一IP" in html

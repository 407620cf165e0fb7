"""Every URL rule of the app × every role: nobody gets a 5xx, and each role gets only what ACCESS allows.

The table below is the access policy. Each row is (method, pattern, roles): a pattern ending in "*" is a
prefix (so a package's new /staff/... page is covered at once), any other pattern must equal the rule.
A rule that no row covers fails the test: add a row for it.

The supervisor (行政监督) may GET whatever staff may GET and write nothing staff-only: `effective_roles` adds it to
every GET row that names staff, so each staff page and read endpoint is checked for it, and each staff write
must answer it 403. The expert (评标专家, tendering) sees only what every signed-in user sees.
"""

from __future__ import annotations

import tempfile

import pytest

from tests.conftest import PASSWORD

ROLES = ("anonymous", "bidder", "collective", "staff", "guarantor", "supervisor", "expert")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"anonymous"}
STAFF = frozenset({"staff"})
COLLECTIVE = frozenset({"collective"})
LISTERS = frozenset({"collective", "staff"})
BIDDER = frozenset({"bidder"})
GUARANTOR = frozenset({"guarantor"})
GUARANTEE_READERS = frozenset({"bidder", "guarantor", "staff"})  # applicant, issuer's users, staff
EXPERT = frozenset({"expert"})
TENDER_PARTIES = frozenset({"bidder", "collective", "staff", "expert"})  # each further limited to its own lots

ACCESS: list[tuple[str, str, frozenset[str]]] = [
    # pages
    ("GET", "/static/*", PUBLIC),
    ("GET", "/", PUBLIC),
    ("GET", "/projects", PUBLIC),
    ("GET", "/projects/<int:project_id>", PUBLIC),
    ("*", "/login", PUBLIC),
    ("POST", "/logout", PUBLIC),
    ("*", "/register", PUBLIC),
    ("*", "/password", SIGNED_IN),
    ("*", "/my/*", COLLECTIVE),
    ("*", "/staff/*", STAFF),
    ("*", "/me/*", SIGNED_IN),  # one's own inbox and notification channels
    ("GET", "/credit", PUBLIC),
    # JSON API (docs/api.md)
    ("POST", "/api/v1/auth/token", PUBLIC),
    ("POST", "/api/v1/auth/revoke", SIGNED_IN),
    ("GET", "/api/v1/projects", PUBLIC),
    ("POST", "/api/v1/projects", LISTERS),
    ("GET", "/api/v1/projects/<int:project_id>", PUBLIC),
    ("PUT", "/api/v1/projects/<int:project_id>", LISTERS),
    ("POST", "/api/v1/projects/<int:project_id>/submit", COLLECTIVE),  # the owner only
    ("POST", "/api/v1/projects/<int:project_id>/approve", STAFF),
    ("POST", "/api/v1/projects/<int:project_id>/reject", STAFF),
    ("POST", "/api/v1/projects/<int:project_id>/withdraw", LISTERS),
    ("POST", "/api/v1/projects/<int:project_id>/relist", LISTERS),
    ("GET", "/api/v1/audit/verify", STAFF),
    ("GET", "/api/v1/openapi.json", PUBLIC),
    # credit list, notifications
    ("GET", "/api/v1/credit", PUBLIC),
    ("POST", "/api/v1/credit", STAFF),
    ("POST", "/api/v1/credit/<int:entry_id>/confirm", STAFF),
    ("POST", "/api/v1/credit/<int:entry_id>/repair", STAFF),
    ("GET", "/api/v1/me/notifications", SIGNED_IN),
    ("GET", "/api/v1/deadlines", STAFF),
    ("POST", "/api/v1/projects/<int:project_id>/rating", frozenset({"bidder", "collective"})),  # parties of the deal
    ("POST", "/api/v1/lots/<int:lot_id>/rating", frozenset({"bidder", "collective"})),  # parties of the award
    ("POST", "/api/v1/ratings/<int:rating_id>/answer", STAFF),
    ("POST", "/me/ratings/projects/<int:project_id>", frozenset({"bidder", "collective"})),
    ("POST", "/me/ratings/lots/<int:lot_id>", frozenset({"bidder", "collective"})),  # parties of the award
    ("POST", "/api/v1/me/notifications/<int:notification_id>/read", SIGNED_IN),
    # auctions: registrations, bidding, results (the /staff/auctions/* pages fall under "/staff/*")
    ("GET", "/auctions/projects/<int:project_id>/room", PUBLIC),
    ("GET", "/auctions/projects/<int:project_id>/result", PUBLIC),
    ("GET", "/auctions/capital", PUBLIC),
    ("*", "/auctions/projects/<int:project_id>/register", BIDDER),
    ("GET", "/auctions/my", BIDDER),
    ("POST", "/auctions/registrations/<int:registration_id>/withdraw", BIDDER),
    ("POST", "/auctions/projects/<int:project_id>/bid", BIDDER),
    ("POST", "/api/v1/projects/<int:project_id>/registrations", BIDDER),
    ("GET", "/api/v1/projects/<int:project_id>/registrations", STAFF),  # and the owner once closed
    ("GET", "/api/v1/me/registrations", BIDDER),
    ("GET", "/api/v1/registrations/<int:registration_id>", frozenset({"bidder", "staff"})),
    ("POST", "/api/v1/registrations/<int:registration_id>/approve", STAFF),
    ("POST", "/api/v1/registrations/<int:registration_id>/reject", STAFF),
    ("POST", "/api/v1/registrations/<int:registration_id>/confirm-deposit", STAFF),
    ("POST", "/api/v1/registrations/<int:registration_id>/withdraw", BIDDER),
    ("POST", "/api/v1/projects/<int:project_id>/bids", BIDDER),
    ("GET", "/api/v1/projects/<int:project_id>/auction", PUBLIC),
    ("GET", "/api/v1/projects/<int:project_id>/auction/events", PUBLIC),
    ("GET", "/api/v1/projects/<int:project_id>/bids", PUBLIC),
    ("GET", "/api/v1/projects/<int:project_id>/result", PUBLIC),
    ("POST", "/api/v1/projects/<int:project_id>/winner-default", STAFF),
    # guarantees (the /staff/guarantees and /staff/deposits pages fall under "/staff/*")
    ("POST", "/api/v1/guarantees", PUBLIC),  # the signature authenticates
    ("GET", "/api/v1/guarantees", GUARANTEE_READERS),
    ("GET", "/api/v1/guarantees/<no>", GUARANTEE_READERS),
    ("GET", "/api/v1/guarantees/<no>/check", BIDDER),
    ("POST", "/api/v1/guarantees/<no>/claims", STAFF),
    ("POST", "/api/v1/guarantees/<no>/repudiate", GUARANTOR),  # the issuer's users only (tests/guarantees)
    ("POST", "/api/v1/guarantees/<no>/confirm-forged", STAFF),
    ("GET", "/api/v1/guarantors", STAFF),
    ("POST", "/api/v1/guarantors", STAFF),
    ("GET", "/api/v1/guarantors/<code>", frozenset({"staff", "guarantor"})),  # a guarantor reads its own
    ("POST", "/api/v1/guarantors/<code>/keys", STAFF),
    ("POST", "/api/v1/guarantors/<code>/keys/<int:key_id>/retire", STAFF),
    ("GET", "/api/v1/claims", frozenset({"staff", "guarantor"})),
    ("POST", "/api/v1/claims/<int:claim_id>/pay", GUARANTOR),
    ("POST", "/api/v1/claims/<int:claim_id>/reject", GUARANTOR),
    ("GET", "/api/v1/deposits", STAFF),
    ("POST", "/api/v1/deposits/<int:deposit_id>/refund", STAFF),
    ("GET", "/guarantees/mine", BIDDER),
    ("GET", "/guarantees/view/<no>", GUARANTEE_READERS),
    ("POST", "/guarantees/view/<no>/claim", STAFF),
    ("POST", "/guarantees/view/<no>/repudiate", GUARANTOR),
    ("POST", "/guarantees/view/<no>/forged", STAFF),
    ("GET", "/guarantor", GUARANTOR),
    ("POST", "/guarantor/claims/*", GUARANTOR),
    # certificates: publicity, objections, issue, verification
    ("GET", "/api/v1/projects/<int:project_id>/publicity", PUBLIC),
    ("POST", "/api/v1/projects/<int:project_id>/objections", PUBLIC),
    ("GET", "/api/v1/projects/<int:project_id>/objections", STAFF),
    ("POST", "/api/v1/objections/<int:objection_id>/dismiss", STAFF),
    ("POST", "/api/v1/objections/<int:objection_id>/uphold", STAFF),
    ("POST", "/api/v1/projects/<int:project_id>/certificate", STAFF),
    ("GET", "/api/v1/certificates", STAFF),
    ("GET", "/api/v1/certificates/signing-keys", PUBLIC),
    ("GET", "/api/v1/certificates/<certno:number>", PUBLIC),
    ("GET", "/api/v1/certificates/<certno:number>/pdf", PUBLIC),
    ("POST", "/api/v1/certificates/<certno:number>/revoke", STAFF),
    ("POST", "/api/v1/certificates/verify", PUBLIC),
    ("*", "/certificates/*", PUBLIC),
    ("GET", "/projects/<int:project_id>/publicity", PUBLIC),
    ("POST", "/projects/<int:project_id>/objections", PUBLIC),
    # statistics, reports, exports, open data
    ("GET", "/api/v1/stats", PUBLIC),
    ("GET", "/api/v1/stats/breakdown", PUBLIC),
    ("GET", "/api/v1/ocds/releases", PUBLIC),
    ("GET", "/api/v1/open-data/rural-deals", PUBLIC),
    ("GET", "/api/v1/open-data/spec/<dataset>", PUBLIC),
    ("GET", "/open-data", PUBLIC),
    ("GET", "/open-data/ocds-bulk.json", PUBLIC),
    ("GET", "/open-data/spec/<dataset>.csv", PUBLIC),
    ("GET", "/stats", PUBLIC),
    ("GET", "/stats/deals", PUBLIC),
    ("GET", "/stats/export/<dataset>.<fmt>", PUBLIC),  # registrations and guarantees: staff (tests/stats)
    ("GET", "/stats/report", STAFF),
    ("GET", "/stats/report.<fmt>", STAFF),
    # tenders (docs/api.md "Tenders"); ownership, registration and membership are checked in tests/tenders
    ("POST", "/api/v1/tenders", LISTERS),
    ("GET", "/api/v1/tenders", PUBLIC),
    ("GET", "/api/v1/tenders/<int:tender_id>", PUBLIC),
    ("POST", "/api/v1/tenders/<int:tender_id>/submit", COLLECTIVE),
    ("POST", "/api/v1/tenders/<int:tender_id>/approve", STAFF),
    ("POST", "/api/v1/tenders/<int:tender_id>/reject", STAFF),
    ("POST", "/api/v1/tenders/<int:tender_id>/withdraw", LISTERS),
    ("POST", "/api/v1/tenders/<int:tender_id>/documents", LISTERS),
    ("GET", "/api/v1/tenders/<int:tender_id>/documents", PUBLIC),
    ("GET", "/api/v1/tenders/<int:tender_id>/documents/<int:document_id>", PUBLIC),
    ("POST", "/api/v1/tenders/<int:tender_id>/clarifications", LISTERS),
    ("GET", "/api/v1/tenders/<int:tender_id>/clarifications", PUBLIC),
    ("POST", "/api/v1/tenders/<int:tender_id>/questions", BIDDER),
    ("GET", "/api/v1/tenders/<int:tender_id>/questions", frozenset({"bidder", "collective", "staff"})),
    ("GET", "/api/v1/lots/<int:lot_id>", PUBLIC),
    ("POST", "/api/v1/lots/<int:lot_id>/registrations", BIDDER),
    ("GET", "/api/v1/lots/<int:lot_id>/registrations", LISTERS),  # the tenderee after the deadline
    ("*", "/api/v1/lots/<int:lot_id>/bid", BIDDER),
    ("POST", "/api/v1/lots/<int:lot_id>/bid/decrypt", BIDDER),
    ("GET", "/api/v1/lots/<int:lot_id>/opening", PUBLIC),  # before the reveal: its bidders, tenderee, staff
    ("POST", "/api/v1/lots/<int:lot_id>/committee", STAFF),
    ("GET", "/api/v1/lots/<int:lot_id>/committee", frozenset({"staff", "collective", "expert"})),
    ("*", "/api/v1/lots/<int:lot_id>/scores", EXPERT),
    ("POST", "/api/v1/lots/<int:lot_id>/scores/submit", EXPERT),
    ("GET", "/api/v1/lots/<int:lot_id>/evaluation", TENDER_PARTIES),
    ("GET", "/api/v1/lots/<int:lot_id>/evaluation/report.pdf", TENDER_PARTIES),
    ("POST", "/api/v1/lots/<int:lot_id>/publicize", STAFF),
    ("POST", "/api/v1/lots/<int:lot_id>/objections", BIDDER),
    ("GET", "/api/v1/lots/<int:lot_id>/objections", STAFF),
    ("POST", "/api/v1/lots/<int:lot_id>/award", STAFF),
    ("POST", "/api/v1/lots/<int:lot_id>/contract", LISTERS),  # staff and the lot's tenderee (合同签订)
    ("POST", "/api/v1/lots/<int:lot_id>/winner-default", STAFF),
    ("GET", "/api/v1/tender-papers/<number>", PUBLIC),
    ("GET", "/api/v1/tender-papers/<number>/pdf", PUBLIC),
    ("GET", "/api/v1/me/tender-notices", SIGNED_IN),
    ("GET", "/api/v1/experts", STAFF),
    ("POST", "/api/v1/experts/<username>/suspend", STAFF),
    ("POST", "/api/v1/experts/<username>/resume", STAFF),
    # tender pages (tenders/views.py); ownership, registration and membership are checked in tests/tenders
    ("GET", "/tenders/", PUBLIC),
    ("GET", "/tenders/<int:tender_id>", PUBLIC),
    ("GET", "/tenders/papers/<number>", PUBLIC),
    ("*", "/tenders/new", LISTERS),
    ("GET", "/tenders/my", LISTERS),
    ("POST", "/tenders/<int:tender_id>/questions", BIDDER),
    ("POST", "/tenders/<int:tender_id>/submit", COLLECTIVE),
    ("POST", "/tenders/<int:tender_id>/approve", STAFF),
    ("POST", "/tenders/<int:tender_id>/reject", STAFF),
    ("POST", "/tenders/<int:tender_id>/documents", LISTERS),
    ("POST", "/tenders/<int:tender_id>/clarifications", LISTERS),
    ("*", "/tenders/lots/<int:lot_id>/register", BIDDER),
    ("*", "/tenders/lots/<int:lot_id>/bid", BIDDER),
    ("POST", "/tenders/lots/<int:lot_id>/bid/withdraw", BIDDER),
    ("GET", "/tenders/lots/<int:lot_id>/opening", PUBLIC),  # before the reveal: its bidders, tenderee, staff
    ("POST", "/tenders/lots/<int:lot_id>/decrypt", BIDDER),
    ("POST", "/tenders/lots/<int:lot_id>/committee", STAFF),
    ("POST", "/tenders/lots/<int:lot_id>/publicize", STAFF),
    ("POST", "/tenders/lots/<int:lot_id>/award", STAFF),
    ("POST", "/tenders/lots/<int:lot_id>/contract", LISTERS),  # staff and the lot's tenderee (合同签订)
    ("POST", "/tenders/lots/<int:lot_id>/winner-default", STAFF),
    ("GET", "/tenders/expert", EXPERT),
    ("GET", "/tenders/my-bids", BIDDER),
    ("*", "/tenders/lots/<int:lot_id>/score", EXPERT),
    ("GET", "/tenders/lots/<int:lot_id>/evaluation", TENDER_PARTIES),
    ("GET", "/tenders/lots/<int:lot_id>/report.pdf", TENDER_PARTIES),
    ("GET", "/tenders/lots/<int:lot_id>/result", PUBLIC),
    ("POST", "/tenders/lots/<int:lot_id>/objections", BIDDER),
]


def effective_roles(method: str, roles: frozenset[str]) -> frozenset[str]:
    """The supervisor reads what staff read (GET), and writes nothing staff-only."""
    return roles | {"supervisor"} if method == "GET" and "staff" in roles else roles


def allowed_roles(method: str, rule: str) -> frozenset[str] | None:
    best: tuple[int, frozenset[str]] | None = None
    for m, pattern, roles in ACCESS:
        if m not in ("*", method):
            continue
        if pattern.endswith("*") and rule.startswith(pattern[:-1]):
            score = len(pattern)
        elif pattern == rule:
            score = 10_000  # an exact row beats any prefix
        else:
            continue
        if best is None or score > best[0]:
            best = (score, roles)
    return effective_roles(method, best[1]) if best else None


def _rules() -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of the app, read from a throwaway instance at collection time."""
    from trading import create_app

    with tempfile.TemporaryDirectory(prefix="tradehall-perm-") as d:
        app = create_app({"SECRET_KEY": "collect-only", "INSTANCE_PATH": d, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        out = []
        for rule in app.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, rule.rule, rule.endpoint))
    return sorted(set(out), key=lambda r: (r[1], r[0]))


CASES = [(m, r, e, role) for m, r, e in _rules() for role in ROLES]


@pytest.fixture
def world(factory, api):
    """One user per role and an announced project owned by the collective."""
    ids = {role: factory.user(role, role)[0] for role in ROLES if role != "anonymous"}
    r = api.post("/api/v1/projects", factory.project_body(), user="collective")
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert api.post(f"/api/v1/projects/{pid}/submit", user="collective").status_code == 200
    assert api.post(f"/api/v1/projects/{pid}/approve", user="staff").status_code == 200
    api.tokens.clear()
    from certificates import keys

    with factory.app.app_context():
        if not keys.available():  # the center's keys exist on any real install (make serve runs keys init)
            keys.init_keys(factory.app.config["TRADING_CENTER_NAME"])
    return {"project_id": pid, "user_id": ids["bidder"]}


def _url(app, endpoint: str, rule_text: str, method: str, world: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == rule_text)
    values: dict = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if type(converter).__name__ in ("IntegerConverter", "NumberConverter"):
            values[name] = world.get(name, 1)
        elif name == "filename":
            values[name] = "css/app.css"
        else:
            values[name] = "X-0000"
    adapter = app.url_map.bind("localhost")
    return adapter.build(endpoint, values, method=method)


@pytest.mark.parametrize(("method", "rule", "endpoint", "role"), CASES,
                         ids=[f"{m} {r} {role}" for m, r, _e, role in CASES])
def test_every_url_answers_each_role_as_the_access_table_says(app, client, api, world, method, rule, endpoint, role):
    roles = allowed_roles(method, rule)
    assert roles is not None, (
        f"{method} {rule} ({endpoint}) is not in tests/test_permissions.py ACCESS: add a row saying which roles "
        f"may use it")
    url = _url(app, endpoint, rule, method, world)
    is_api = rule.startswith("/api/")
    headers = {}
    if role != "anonymous":
        if is_api:
            headers["Authorization"] = f"Bearer {api.token(role, PASSWORD)}"
        else:
            with client.session_transaction() as session:
                session["_user_id"] = str(world_user_id(app, role))
                session["_fresh"] = True
    kwargs: dict = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json" if is_api else "data"] = {}
    r = client.open(url, method=method, buffered=False, **kwargs)
    if r.mimetype != "text/event-stream":  # a stream never ends by itself: its status and headers are the answer
        r.get_data()
    r.close()  # a static file response holds the file open until closed

    assert r.status_code < 500, f"{method} {url} as {role}: {r.status_code}"
    location = r.headers.get("Location", "")
    to_login = r.status_code == 302 and "/login" in location
    if role in roles:
        if is_api:
            assert r.status_code not in (401, 403), f"{method} {url} as {role} (allowed): {r.get_json()}"
        else:
            assert r.status_code != 403 and not to_login, f"{method} {url} as {role} (allowed): {r.status_code}"
        return
    if is_api:
        body = r.get_json(silent=True) or {}
        expected = 401 if role == "anonymous" else 403
        assert r.status_code == expected, f"{method} {url} as {role}: {r.status_code} {body}"
        assert body.get("error", {}).get("code"), f"{method} {url} as {role}: not a JSON error envelope"
    elif role == "anonymous":
        assert to_login or r.status_code in (401, 403), f"{method} {url} anonymous: {r.status_code} {location}"
    else:
        assert r.status_code == 403 or to_login, f"{method} {url} as {role}: {r.status_code} {location}"


def world_user_id(app, role: str) -> int:
    from sqlalchemy import select

    from trading.accounts.models import User
    from trading.extensions import db

    with app.app_context():
        try:
            return db.session.execute(select(User.id).where(User.username == role)).scalar_one()
        finally:
            db.session.remove()

"""schemathesis against /api/v1/openapi.json, in-process through the Flask WSGI app (bounded examples).

Every operation is called with generated (schema-valid) data as staff, as a bidder and anonymously; the checks:
no 5xx, documented status codes, documented content types, responses matching their schemas. The hypothesis loop
is driven by hand (schemathesis' pytest plugin for fixtures does not run under pytest 9 here).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Api  # noqa: E402


@schemathesis.serializer("application/pdf")
def _pdf(ctx, value) -> bytes:
    """/certificates/verify takes an uploaded PDF: send the generated value as raw bytes."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else b"%PDF-1.4\n"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(__import__("os").environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))


@pytest.fixture
def tokens(app, announced, factory):
    from certificates import keys

    with app.app_context():  # a configured center has its signing keys (else signing-keys answers 503)
        keys.init_keys(app.config["TRADING_CENTER_NAME"])
    api = Api(app.test_client())
    factory.user("bidder", "st_bidder")
    return {"staff": api.token(announced["staff"]), "bidder": api.token("st_bidder"), "anon": None}


def test_api_conforms_to_its_openapi_document(app, tokens):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 30

    def runner(op):
        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            for who in ("staff", "bidder", "anon"):
                headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
                case.call_and_validate(headers=headers, checks=CHECKS)
        return run

    for op in operations:
        try:
            runner(op)()
        except BaseException as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup: collect, report all)
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures[f"{op.method.upper()} {op.path}"] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())

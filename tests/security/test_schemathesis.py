"""schemathesis against /api/v1/openapi.json, in-process through the Flask WSGI app (bounded examples).

Every operation is called with generated data as staff, as a bidder and anonymously, in the fuzzing phase (schema-
valid data) and the coverage phase (boundary values, schema-violating values, methods the path does not take,
malformed and unsupported content types), under every built-in check — what `st run --checks all` runs: no 5xx,
documented status codes, content types and headers, responses matching their schemas, schema-violating requests
rejected, 405 with an `Allow` header that lists exactly the documented methods, and the auth/resource checks.

One check is left out: `positive_data_acceptance` (schema-valid data must be accepted) cannot hold for rules a JSON
schema does not express — an Ed25519 signature over the guarantee document, the order of the four windows, `from`
not after `to`, a non-empty PDF — which answer 422 by design (API.md). The hypothesis loop is driven by hand
(schemathesis' pytest plugin for fixtures does not run under pytest 9 here).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import CHECKS as REGISTRY  # noqa: E402
from schemathesis.checks import load_all_checks  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from tests.conftest import Api  # noqa: E402


@schemathesis.serializer("application/pdf")
def _pdf(ctx, value) -> bytes:
    """/certificates/verify takes an uploaded PDF: send the generated value as raw bytes."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else b"%PDF-1.4\n"


load_all_checks()
CHECKS = [c for c in REGISTRY.get_all() if c.__name__ != "positive_data_acceptance"]  # why: the docstring
COVERAGE_MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
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

    def coverage(op):
        """The CLI's coverage phase: boundary values and the request-shape probes (methods the path does not take,
        malformed or unsupported content types) that the fuzzing phase never sends."""
        config = schema.config.generation_for(operation=op)
        for case in schema.iter_coverage_cases(op, generation_modes=COVERAGE_MODES, generation_config=config):
            for who in ("staff", "anon"):
                headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
                case.call_and_validate(headers=headers, checks=CHECKS)

    for op in operations:
        for phase, run in (("fuzzing", runner(op)), ("coverage", lambda op=op: coverage(op))):
            try:
                run()
            except BaseException as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup: collect, report all)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures[f"{op.method.upper()} {op.path} ({phase})"] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())

"""OCDS validation by the standard's own review library (libcoveocds), offline.

libcoveocds reads the schema from a ZIP of the standard repository; by default it downloads it. Here the ZIP is
built in memory from the vendored OCDS 1.1.4 schema (tests/stats/ocds_standard/README.md) and every HTTP request
is refused while the library runs, so a test can never pass or fail because of the network.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from unittest import mock

HERE = Path(__file__).parent / "ocds_standard" / "1__1__4"
TAG = "1__1__4"


def _closed_codelists(node, out: dict) -> dict:
    """{codelist.csv: codes} for every closed codelist, from the `enum` beside it in the release schema."""
    if isinstance(node, dict):
        if isinstance(node.get("codelist"), str) and node.get("openCodelist") is False:
            enum = node.get("enum") or node.get("items", {}).get("enum") or []
            out[node["codelist"]] = [c for c in enum if c is not None]
        for v in node.values():
            _closed_codelists(v, out)
    elif isinstance(node, list):
        for v in node:
            _closed_codelists(v, out)
    return out


def _standard_zip() -> bytes:
    release = json.loads((HERE / "release-schema.json").read_text())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"standard-{TAG}/", "")
        for f in sorted(HERE.glob("*.json")):
            z.write(f, f"standard-{TAG}/standard/schema/{f.name}")
        for name, codes in sorted(_closed_codelists(release, {}).items()):
            z.writestr(f"standard-{TAG}/standard/schema/codelists/{name}", "Code\n" + "".join(f"{c}\n" for c in codes))
        # Only record packages (versioned releases) use this schema; libcoveocds loads it regardless.
        z.writestr(f"standard-{TAG}/standard/schema/versioned-release-validation-schema.json",
                   '{"$schema": "http://json-schema.org/draft-04/schema#"}')
    return buf.getvalue()


class NetworkRefused(AssertionError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkRefused(f"libcoveocds tried the network: {args[1:2]}")


def review(package: dict) -> dict:
    """libcoveocds's API context for the package (validation_errors, additional_fields, ...).

    Only the core standard is vendored: the package's `extensions` (the lots extension of tenders, the bid
    extension of tenders' and auctions' release-level `bids`) are left out of the review, since libcoveocds would
    download them; their fields (tender.lots, relatedLots, bids) are then checked as additional fields, and
    everything of the core schema is still validated."""
    package = {k: v for k, v in package.items() if k != "extensions"}
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = _standard_zip()
    config.config["schema_version_choices"] = {
        "1.1": ("1.1", "https://standard.open-contracting.org/1.1/en/", TAG)}
    with mock.patch("requests.Session.request", _refuse), mock.patch("requests.request", _refuse):
        return ocds_json_output(json_data=package, lib_cove_ocds_config=config)


def errors(package: dict) -> list[str]:
    """The schema validation errors libcoveocds reports, as readable lines (empty means valid)."""
    ctx = review(package)
    out = []
    for e in ctx.get("validation_errors", []):
        paths = [v.get("path") for v in e.get("values", [])][:3]
        out.append(f"{e.get('type')}: {e.get('field') or ''} {e.get('description')} {paths}")
    # libcove reports a code outside a closed codelist apart from the schema errors; cove shows it as an error
    for path, info in (ctx.get("additional_closed_codelist_values") or {}).items():
        out.append(f"closed codelist {info.get('codelist')}: {path} = {info.get('values')}")
    if ctx.get("json_deref_error"):
        out.append(f"json_deref_error: {ctx['json_deref_error']}")
    return out

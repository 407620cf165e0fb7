"""Validation rules written from the OCDS 1.1 release-package and release schemas and codelists.

Offline by design (no schema download at test time). Returns a list of problems; empty means valid.
"""

from __future__ import annotations

import re
from datetime import datetime

RELEASE_TAG = {"planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate", "tenderCancellation",
               "award", "awardUpdate", "awardCancellation", "contract", "contractUpdate", "contractAmendment",
               "implementation", "implementationUpdate", "contractTermination", "compiled"}
INITIATION_TYPE = {"tender"}
TENDER_STATUS = {"planning", "planned", "active", "cancelled", "unsuccessful", "complete", "withdrawn"}
AWARD_STATUS = {"pending", "active", "cancelled", "unsuccessful"}
CONTRACT_STATUS = {"pending", "active", "cancelled", "terminated"}
METHOD = {"open", "selective", "limited", "direct"}
CATEGORY = {"goods", "works", "services"}
PARTY_ROLE = {"buyer", "procuringEntity", "supplier", "tenderer", "funder", "enquirer", "payer", "payee",
              "reviewBody", "interestedParty"}
CURRENCY = re.compile(r"^[A-Z]{3}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _date(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, str) or not RFC3339.match(value):
        problems.append(f"{where}: not an RFC 3339 date-time: {value!r}")
        return
    datetime.fromisoformat(value.replace("Z", "+00:00"))


def _value(v, where: str, problems: list[str]) -> None:
    if not isinstance(v, dict):
        problems.append(f"{where}: Value must be an object")
        return
    amount = v.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        problems.append(f"{where}.amount: must be a JSON number, got {amount!r}")
    if not isinstance(v.get("currency"), str) or not CURRENCY.match(v["currency"]):
        problems.append(f"{where}.currency: must be an ISO 4217 code")


def _code(value, codes: set[str], where: str, problems: list[str]) -> None:
    if value not in codes:
        problems.append(f"{where}: {value!r} is not in the codelist")


def validate_release(rel: dict, prefix: str, problems: list[str], i: int) -> None:
    w = f"releases[{i}]"
    for key in ("ocid", "id", "date", "tag", "initiationType"):
        if key not in rel:
            problems.append(f"{w}: missing required {key}")
    if not str(rel.get("ocid", "")).startswith(prefix):
        problems.append(f"{w}.ocid: does not start with the prefix {prefix}")
    if not isinstance(rel.get("id"), str) or not rel.get("id"):
        problems.append(f"{w}.id: must be a non-empty string")
    _date(rel.get("date"), f"{w}.date", problems)
    tags = rel.get("tag")
    if not isinstance(tags, list) or not tags:
        problems.append(f"{w}.tag: must be a non-empty array")
    else:
        for t in tags:
            _code(t, RELEASE_TAG, f"{w}.tag", problems)
    _code(rel.get("initiationType"), INITIATION_TYPE, f"{w}.initiationType", problems)
    party_ids = set()
    for j, party in enumerate(rel.get("parties", [])):
        party_ids.add(party.get("id"))
        for role in party.get("roles", []):
            _code(role, PARTY_ROLE, f"{w}.parties[{j}].roles", problems)
    if "buyer" in rel and rel["buyer"].get("id") not in party_ids:
        problems.append(f"{w}.buyer: id not among parties")
    tender = rel.get("tender")
    if tender is not None:
        if "id" not in tender:
            problems.append(f"{w}.tender: missing required id")
        _code(tender.get("status"), TENDER_STATUS, f"{w}.tender.status", problems)
        _code(tender.get("procurementMethod"), METHOD, f"{w}.tender.procurementMethod", problems)
        if "mainProcurementCategory" in tender:
            _code(tender["mainProcurementCategory"], CATEGORY, f"{w}.tender.mainProcurementCategory", problems)
        if "value" in tender:
            _value(tender["value"], f"{w}.tender.value", problems)
        n = tender.get("numberOfTenderers")
        if n is not None and (not isinstance(n, int) or n < 0):
            problems.append(f"{w}.tender.numberOfTenderers: must be a non-negative integer")
        for key in ("startDate", "endDate"):
            if key in tender.get("tenderPeriod", {}):
                _date(tender["tenderPeriod"][key], f"{w}.tender.tenderPeriod.{key}", problems)
    award_ids = set()
    for j, award in enumerate(rel.get("awards", [])):
        if "id" not in award:
            problems.append(f"{w}.awards[{j}]: missing required id")
        award_ids.add(award.get("id"))
        _code(award.get("status"), AWARD_STATUS, f"{w}.awards[{j}].status", problems)
        _date(award.get("date"), f"{w}.awards[{j}].date", problems)
        _value(award.get("value"), f"{w}.awards[{j}].value", problems)
        for s in award.get("suppliers", []):
            if s.get("id") not in party_ids:
                problems.append(f"{w}.awards[{j}].suppliers: {s.get('id')} not among parties")
    for j, contract in enumerate(rel.get("contracts", [])):
        for key in ("id", "awardID"):
            if key not in contract:
                problems.append(f"{w}.contracts[{j}]: missing required {key}")
        if contract.get("awardID") not in award_ids:
            problems.append(f"{w}.contracts[{j}].awardID: no such award")
        _code(contract.get("status"), CONTRACT_STATUS, f"{w}.contracts[{j}].status", problems)
        _value(contract.get("value"), f"{w}.contracts[{j}].value", problems)
        if "dateSigned" in contract:
            _date(contract["dateSigned"], f"{w}.contracts[{j}].dateSigned", problems)


def validate_package(pkg: dict, prefix: str) -> list[str]:
    problems: list[str] = []
    for key in ("uri", "publisher", "publishedDate", "releases", "version"):
        if key not in pkg:
            problems.append(f"package: missing required {key}")
    if pkg.get("version") != "1.1":
        problems.append("package.version: must be \"1.1\"")
    if not isinstance(pkg.get("publisher"), dict) or not pkg["publisher"].get("name"):
        problems.append("package.publisher.name: required")
    _date(pkg.get("publishedDate"), "package.publishedDate", problems)
    if not str(pkg.get("uri", "")).startswith(("http://", "https://")):
        problems.append("package.uri: must be a URI")
    ids = set()
    for i, rel in enumerate(pkg.get("releases", [])):
        validate_release(rel, prefix, problems, i)
        if (rel.get("ocid"), rel.get("id")) in ids:
            problems.append(f"releases[{i}]: duplicate ocid/id")
        ids.add((rel.get("ocid"), rel.get("id")))
    return problems

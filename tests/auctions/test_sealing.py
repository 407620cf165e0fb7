"""Sealed amounts: AES-GCM with a key outside the database (file 0600 or TRADING_SEALED_KEY)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidTag

from auctions import sealing


def test_roundtrip_and_binding_to_project_and_bidder(ctx):
    token = sealing.seal(Decimal("950.00"), 1, 2)
    assert "950" not in token
    assert sealing.unseal(token, 1, 2) == Decimal("950.00")
    with pytest.raises(InvalidTag):
        sealing.unseal(token, 1, 3)  # copied to another bidder: does not open
    assert sealing.seal(Decimal("950.00"), 1, 2) != token  # fresh nonce each time


def test_key_from_environment_overrides_the_file(ctx, monkeypatch):
    token = sealing.seal(Decimal("1.00"), 1, 1)
    monkeypatch.setenv("TRADING_SEALED_KEY", "11" * 32)
    with pytest.raises(InvalidTag):
        sealing.unseal(token, 1, 1)
    assert sealing.unseal(sealing.seal(Decimal("2.50"), 1, 1), 1, 1) == Decimal("2.50")
    monkeypatch.setenv("TRADING_SEALED_KEY", "short")
    with pytest.raises(sealing.SealedKeyError):
        sealing.load_key()


def test_openapi_lists_the_auction_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for p in ("/api/v1/projects/{project_id}/registrations", "/api/v1/registrations/{registration_id}/approve",
              "/api/v1/registrations/{registration_id}/confirm-deposit", "/api/v1/projects/{project_id}/bids",
              "/api/v1/projects/{project_id}/auction", "/api/v1/projects/{project_id}/result"):
        assert p in paths

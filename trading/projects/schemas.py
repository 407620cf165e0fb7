"""Project kinds and the API bodies of the projects package."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trading.schemas import Area, Body, Instant, Int, Money, MoneyOrZero

RURAL_KINDS = ("rural_land", "rural_construction_land", "rural_asset", "rural_forest", "rural_other")
PUBLIC_KINDS = ("procurement", "construction", "state_asset", "land_use")
KIND_VALUES = RURAL_KINDS + PUBLIC_KINDS
Kind = Literal["rural_land", "rural_construction_land", "rural_asset", "rural_forest", "rural_other",
               "procurement", "construction", "state_asset", "land_use"]


class ProjectIn(Body):
    kind: Kind
    title: str = Field(min_length=2, max_length=200)
    location: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=20000)
    method: Literal["auction", "sealed"] = "auction"
    direction: Literal["ascending", "descending"] = "ascending"
    price_unit: Literal["total", "per_mu_year"] = "total"
    area_mu: Area | None = None
    term_years: Int | None = Field(default=None, ge=1, le=99)
    start_price: Money
    reserve_price: Money | None = None
    budget: Money | None = None
    increment: Money
    deposit: MoneyOrZero = Decimal("0.00")
    extension_seconds: Int | None = Field(default=None, ge=0, le=86400)
    max_extensions: Int | None = Field(default=None, ge=0, le=10000)
    announce_start: Instant
    registration_end: Instant
    bidding_start: Instant
    bidding_end: Instant
    priority_holders: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list)
    owner: str | None = Field(default=None, description="staff only: list on behalf of this collective user")
    town: str | None = Field(default=None, max_length=64)


class ProjectOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    code: str
    status: str
    kind: str
    title: str
    location: str
    method: str
    direction: str
    price_unit: str
    start_price: str
    increment: str
    deposit: str
    announce_start: str
    registration_end: str
    bidding_start: str
    bidding_end: str
    server_time: str

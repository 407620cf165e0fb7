"""API bodies of the accounts package."""

from __future__ import annotations

from pydantic import BaseModel, Field

from trading.schemas import Body


class TokenIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    token: str
    role: str
    expires_at: str

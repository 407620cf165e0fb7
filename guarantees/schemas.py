"""API bodies and answers for guarantees; openapi.json is built from these models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trading.schemas import Body, Instant


class GuarantorIn(Body):
    code: str = Field(min_length=1, max_length=32, description="签发机构代码（保函文件的 issuer）")
    name: str = Field(min_length=1, max_length=200)
    public_key_pem: str = Field(min_length=1, max_length=4000, description="Ed25519、ECDSA P-256 或国密 SM2 公钥（PEM）")
    key_valid_from: Instant | None = None


class KeyIn(Body):
    public_key_pem: str = Field(min_length=1, max_length=4000)
    valid_from: Instant | None = Field(default=None, description="密钥自何时起可签发保函（以平台收到保函的时间为准，默认不限）")
    valid_until: Instant | None = Field(default=None, description="密钥自何时起不再签发（以平台收到保函的时间为准，默认不限）")


class RetireIn(Body):
    valid_until: Instant


class GuaranteeIn(BaseModel):
    """The signed document, parsed exactly as sent (JSON numbers as Decimal)."""

    document: dict[str, Any]
    signature: str = Field(description="Base64 签名，对 canonical(document) 计算")


class GuaranteeCreated(BaseModel):
    guarantee_no: str
    status: str


class GuaranteeOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    guarantee_no: str
    status: str
    issuer: str
    applicant: str
    project_code: str
    amount: str
    valid_from: str
    valid_until: str
    issued_at: str


class ClaimOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    status: str
    guarantee_no: str
    amount: str


class CheckOut(BaseModel):
    ok: bool
    code: str | None = None
    message: str | None = None

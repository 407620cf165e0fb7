"""Typed domain errors. Services raise them; the API maps them to docs/api.md codes, pages to flashes."""

from __future__ import annotations


class DomainError(Exception):
    status = 409
    code = "invalid_state"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields
        self.extra: dict | None = None  # more members of the error object (docs/api.md: extend, never break)

    def to_json(self) -> dict:
        err: dict = {"code": self.code, "message": self.message}
        if self.fields:
            err["fields"] = self.fields
        if self.extra:
            err.update({k: v for k, v in self.extra.items() if k not in err})
        return {"error": err}


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "not_authenticated"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"

"""The one error tree of lognet, grouped by what the caller should do next.

Every error carries a stable ``code`` (e.g. ``NETWORK_NAME_IN_USE``), a human message and, for input
problems, field-level details. The API maps the classes to HTTP statuses in a single table
(``lognet.api.errors``); the CLI maps them to exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field (``field`` is a dotted path such as ``ranges.0.from``)."""

    field: str
    message: str


@dataclass
class LognetError(Exception):
    """Base of every error lognet raises on purpose."""

    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(LognetError):
    """The request itself is wrong: fix the input and send it again (HTTP 400)."""


class NotFound(LognetError):
    """A referenced object does not exist (HTTP 404)."""


class Conflict(LognetError):
    """The request is well-formed but breaks a rule given the current state (HTTP 409)."""


class Busy(Conflict):
    """Another operation holds the object; retry later (HTTP 409, e.g. ``HOST_BUSY``)."""


class AuthenticationFailed(LognetError):
    """No or bad credentials (HTTP 401)."""


class PermissionDenied(LognetError):
    """Authenticated but not allowed (HTTP 403)."""


class HostFailure(LognetError):
    """The host could not apply a change (it was rolled back); the request was valid (HTTP 502)."""


def invalid(code: str, message: str, field_name: str | None = None) -> InvalidInput:
    """Shorthand for a single-field validation error."""
    errors = [FieldError(field_name, message)] if field_name else []
    return InvalidInput(code, message, errors)


def not_found(kind: str, ref: object) -> NotFound:
    """A ``<KIND>_NOT_FOUND`` error for a reference that matched nothing."""
    return NotFound(f"{kind.upper()}_NOT_FOUND", f"{kind.replace('_', ' ')} {ref!r} does not exist",
                    details={"kind": kind, "ref": str(ref)})

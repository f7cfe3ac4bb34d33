"""The one table from error classes to HTTP statuses, and the problem+json body (RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from lognet.domain.errors import (
    AuthenticationFailed,
    Busy,
    Conflict,
    HostFailure,
    InvalidInput,
    LognetError,
    NotFound,
    PermissionDenied,
)

#: Most specific class first.
STATUS: list[tuple[type[LognetError], int, str]] = [
    (InvalidInput, 400, "Invalid input"),
    (AuthenticationFailed, 401, "Authentication required"),
    (PermissionDenied, 403, "Forbidden"),
    (NotFound, 404, "Not found"),
    (Busy, 409, "Busy"),
    (Conflict, 409, "Conflict"),
    (HostFailure, 502, "Host failure"),
]


def status_of(exc: LognetError) -> tuple[int, str]:
    for cls, status, title in STATUS:
        if isinstance(exc, cls):
            return status, title
    return 500, "Error"


def problem(status: int, title: str, code: str, detail: str, errors: list[dict[str, str]] | None = None,
            extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "status": status, "title": title, "code": code,
                            "detail": detail, "errors": errors or []}
    if extra:
        body["details"] = extra
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


async def lognet_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LognetError)
    status, title = status_of(exc)
    return problem(status, title, exc.code, exc.message,
                   [{"field": e.field, "message": e.message} for e in exc.errors], exc.details or None)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        errors.append({"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(400, "Invalid input", "INVALID_INPUT", detail, errors)


async def internal_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected: a 500 problem without internals (the server log has the traceback)."""
    import logging

    logging.getLogger("lognet.api").exception("unhandled error", exc_info=exc)
    return problem(500, "Internal error", "INTERNAL_ERROR", "the engine hit an unexpected error; see its log")

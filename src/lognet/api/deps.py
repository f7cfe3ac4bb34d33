"""Request plumbing shared by the routers: the engine, the caller, lists and job responses."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, func, select

from lognet.adapters import orm
from lognet.domain.errors import AuthenticationFailed, invalid
from lognet.service import jobs
from lognet.service.app import Lognet
from lognet.service.auth import authenticate
from lognet.service.uow import Actor, UnitOfWork, lookup

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def engine(request: Request) -> Lognet:
    app: Lognet = request.app.state.lognet
    return app


def actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("AUTHENTICATION_REQUIRED",
                                   "send Authorization: Bearer <token> (POST /api/v1/auth/token)")
    return authenticate(engine(request), token.strip())


App = Annotated[Lognet, Depends(engine)]
Caller = Annotated[Actor, Depends(actor)]


class Filter:
    """A list filter: a column, optionally resolving the value as a reference (id or name) to ``model``."""

    def __init__(self, column: Any = None, model: type[orm.Base] | None = None, kind: str = "",
                 boolean: bool = False, where: Any = None) -> None:
        self.column, self.model, self.kind, self.boolean, self.where = column, model, kind, boolean, where

    def clause(self, uow: UnitOfWork, value: str) -> ColumnElement[bool]:
        if self.where is not None:
            return self.where(uow, value)  # type: ignore[no-any-return]
        if self.model is not None:
            value = lookup(uow.session, self.model, value, self.kind).id  # type: ignore[attr-defined]
        if self.boolean:
            return self.column.is_(value.lower() in ("1", "true", "yes"))  # type: ignore[no-any-return]
        if _is_integer(self.column):
            if value.lower() in ("null", "none", ""):
                return self.column.is_(None)  # type: ignore[no-any-return]
            try:
                return self.column == int(value)  # type: ignore[no-any-return]
            except ValueError:
                raise invalid("FILTER_INVALID", f"{value!r} is not an integer", str(self.column.key)) from None
        return self.column == value  # type: ignore[no-any-return]


def _is_integer(column: Any) -> bool:
    try:
        return bool(column.type.python_type is int)
    except (AttributeError, NotImplementedError):
        return False


def page_params(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", DEFAULT_LIMIT))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise invalid("PAGINATION_INVALID", "limit and offset must be integers", "limit") from None
    if limit < 0 or offset < 0:
        raise invalid("PAGINATION_INVALID", "limit and offset must not be negative", "limit")
    return (MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)), offset


def list_response(app: Lognet, request: Request, model: type[orm.Base], filters: dict[str, Filter],
                  view: Any, base: list[ColumnElement[bool]] | None = None, order: Any = None) -> dict[str, Any]:
    """NetBox-style list envelope ``{count, next, previous, results}`` with field filters."""
    limit, offset = page_params(request)
    known = set(filters) | {"limit", "offset", "wait"}
    unknown = [k for k in request.query_params if k not in known]
    if unknown:
        raise invalid("UNKNOWN_FILTER", f"unknown filter {unknown[0]!r}; known: {', '.join(sorted(filters))}",
                      unknown[0])
    with UnitOfWork(app.db, write=False) as uow:
        clauses = list(base or [])
        for key, flt in filters.items():
            values = request.query_params.getlist(key)
            if values:
                from sqlalchemy import or_
                clauses.append(or_(*[flt.clause(uow, v) for v in values]))
        query = select(model).where(*clauses)
        count = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        # Order by name then id so that pages are stable even where names repeat (across data centers).
        keys = [order] if order is not None else [model.name, model.id]  # type: ignore[attr-defined]
        rows = uow.session.scalars(query.order_by(*keys).limit(limit).offset(offset)).all()
        results = [view(uow, row) for row in rows]
    return {"count": count, "next": _link(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _link(request, limit, max(offset - limit, 0)) if offset > 0 else None, "results": results}


def _link(request: Request, limit: int, offset: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    params += [("limit", str(limit)), ("offset", str(offset))]
    return f"{request.url.path}?{urlencode(params)}"


def job_response(app: Lognet, job: dict[str, Any], wait: bool) -> JSONResponse:
    """202 with the job (and its Location); with ``wait`` the finished job."""
    if wait:
        job = jobs.wait_job(app, job["id"])
    status = 202 if job["status"] in ("pending", "running") else 200
    return JSONResponse(job, status_code=status, headers={"Location": f"/api/v1/jobs/{job['id']}"})

"""Names and descriptions of top-level objects (data centers, clusters, MAC pools, templates, VMs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.domain.errors import Conflict, FieldError
from lognet.domain.values import check_description, check_name
from lognet.service.uow import UnitOfWork


def check_name_free(uow: UnitOfWork, model: Any, name: str, code: str, exclude: str | None = None) -> None:
    """``code`` (409) when another ``model`` row is called ``name``."""
    other = uow.session.scalar(select(model.id).filter_by(name=name))
    if other is not None and other != exclude:
        raise Conflict(code, f"the name {name!r} is already used", [FieldError("name", "already used")])


def edit_name_description(uow: UnitOfWork, row: orm.Base, body: dict[str, Any], code: str) -> None:
    """Apply ``name`` (checked, unique among its kind) and ``description`` from a PATCH body."""
    if "name" in body:
        name = check_name(body["name"])
        check_name_free(uow, type(row), name, code, row.id)  # type: ignore[attr-defined]
        row.name = name  # type: ignore[attr-defined]
    if "description" in body:
        row.description = check_description(body["description"])  # type: ignore[attr-defined]

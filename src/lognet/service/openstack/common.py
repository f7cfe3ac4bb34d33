"""Helpers shared by the Neutron services: visibility, ownership, timestamps, attribute checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, type_coerce

from lognet.adapters import orm
from lognet.adapters.orm_openstack import OsNetwork
from lognet.domain.errors import NotFound, PermissionDenied, invalid
from lognet.service.openstack.identity import Context
from lognet.service.uow import UnitOfWork


def ts(value: datetime | str | None) -> str | None:
    """%Y-%m-%dT%H:%M:%SZ of a datetime, or of a timestamp as SQLite stores it (``raw`` columns of long lists)."""
    if not value:
        return None
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}Z"
    return value.isoformat(timespec="seconds")[:19] + "Z"


def raw(column: Any) -> Any:
    """A timestamp column fetched without conversion (SQLite: its text; other drivers convert natively)."""
    return type_coerce(column, String).label(column.key)


def check_keys(kind: str, body: dict[str, Any], allowed: set[str], ignored: frozenset[str] = frozenset()) -> None:
    if not isinstance(body, dict):
        raise invalid("BAD_REQUEST", f"{kind} must be an object", kind)
    unknown = sorted(set(body) - allowed - ignored)
    if unknown:
        raise invalid("UNRECOGNIZED_ATTRIBUTE", f"Unrecognized attribute(s) '{', '.join(unknown)}'", unknown[0])


def check_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid("BAD_REQUEST", f"Invalid input for {key}. Reason: '{value}' is not a valid boolean value.", key)
    return value


def check_tags(body: dict[str, Any]) -> list[str]:
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in tags):
        raise invalid("BAD_REQUEST", "tags must be a list of strings", "tags")
    return sorted(set(tags))


def owner_project(ctx: Context, body: dict[str, Any]) -> str:
    """The project a new resource belongs to: the caller's, or (admin only) the one given."""
    given = [str(body[k]) for k in ("project_id", "tenant_id") if body.get(k)]
    if len(set(given)) > 1:
        raise invalid("BAD_REQUEST", "project_id and tenant_id do not match", "project_id")
    if given and given[0] != ctx.project_id:
        if not ctx.is_admin:
            raise PermissionDenied("POLICY_NOT_AUTHORIZED", "only admins create resources for other projects")
        return given[0]
    return ctx.project_id


def can_see(ctx: Context, project_id: str, shared: bool = False, datacenter_id: str | None = None) -> bool:
    if ctx.is_admin or project_id == ctx.project_id:
        return True
    return shared and (datacenter_id is None or datacenter_id == ctx.datacenter_id)


def check_owner(ctx: Context, project_id: str, what: str) -> None:
    if not (ctx.is_admin or project_id == ctx.project_id):
        raise PermissionDenied("POLICY_NOT_AUTHORIZED", f"{what} belongs to another project")


# Built once: the lookup of every port create and network delete (no statement construction per call).
_NETWORK_BY_ID = select(orm.Network, OsNetwork).join(OsNetwork, OsNetwork.network_id == orm.Network.id,
                                                     isouter=True).filter(orm.Network.id == bindparam("net_id"))


def visible_network(uow: UnitOfWork, ctx: Context, net_id: object, admin_pid: str,
                    write: bool = False) -> tuple[orm.Network, OsNetwork | None]:
    """A network the caller may see (NETWORK_NOT_FOUND otherwise) and, with ``write``, change."""
    found = uow.session.execute(_NETWORK_BY_ID, {"net_id": net_id}).first() if isinstance(net_id, str) else None
    net, ext = found if found is not None else (None, None)
    project = ext.project_id if ext else admin_pid
    if net is None or not can_see(ctx, project, bool(ext and ext.shared), net.datacenter_id):
        raise NotFound("NETWORK_NOT_FOUND", f"Network {net_id} could not be found.")
    if write:
        check_owner(ctx, project, f"network {net.id}")
    return net, ext

"""Neutron networks over lognet networks (``lognet.service.networks``).

``provider:segmentation_id`` is the lognet VLAN, ``mtu`` the lognet MTU, ``name``/``description`` the lognet
ones; the OpenStack-only attributes (project, shared, admin_state_up, physical network, tags) live in
``os_networks``. A network is created in the data center of its project.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, or_, select

from lognet.adapters import orm
from lognet.adapters.orm_openstack import OsNetwork, OsProject, OsSubnet
from lognet.domain.errors import Conflict, PermissionDenied, invalid
from lognet.domain.values import effective_mtu
from lognet.service import networks as lognet_networks
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.openstack.common import check_bool, check_keys, check_tags, owner_project, raw, ts, visible_network
from lognet.service.openstack.identity import Context, admin_project_id
from lognet.service.uow import UnitOfWork

CREATE = {"name", "description", "admin_state_up", "shared", "mtu", "provider:network_type",
          "provider:physical_network", "provider:segmentation_id", "project_id", "tenant_id",
          "port_security_enabled", "router:external", "tags"}
UPDATE = CREATE - {"project_id", "tenant_id"}
IGNORED = frozenset({"availability_zone_hints", "is_default", "qos_policy_id", "dns_domain", "vlan_transparent",
                     "segments", "id"})
TYPES = ("vlan", "flat")


def view(net: orm.Network, ext: OsNetwork | None, subnets: list[str], admin_pid: str) -> dict[str, Any]:
    row = (net.id, net.name, net.description, net.mtu, net.vlan, net.revision, net.created_at, net.updated_at,
           net.datacenter_id, net.vm_network) + ((ext.network_id, ext.project_id, ext.admin_state_up, ext.shared,
                                                  ext.port_security_enabled, ext.router_external,
                                                  ext.physical_network, ext.tags) if ext else (None,) * 8)
    return _row_view(row, subnets, admin_pid)


def _provider(body: dict[str, Any], current_vlan: int | None = None) -> dict[str, Any]:
    """provider:* → lognet ``vlan`` (only the keys present)."""
    kind = body.get("provider:network_type")
    seg = body.get("provider:segmentation_id", current_vlan if kind is None else None)
    if kind is None and "provider:segmentation_id" not in body:
        return {}
    if kind is None:
        kind = "vlan" if seg is not None else "flat"
    if kind not in TYPES:
        raise invalid("BAD_REQUEST", f"Invalid input for operation: network_type value '{kind}' not supported "
                      f"(lognet networks are {' or '.join(TYPES)}).", "provider:network_type")
    if kind == "flat":
        if seg is not None:
            raise invalid("BAD_REQUEST", "Invalid input for operation: segmentation_id specified for flat network.",
                          "provider:segmentation_id")
        return {"vlan": None}
    if isinstance(seg, str) and seg.isdigit():
        seg = int(seg)
    if isinstance(seg, bool) or not isinstance(seg, int) or not 1 <= seg <= 4094:
        raise invalid("BAD_REQUEST", f"Invalid input for operation: segmentation_id {seg!r} out of range (1 through "
                      "4094).", "provider:segmentation_id")
    return {"vlan": seg}


def _lognet_body(body: dict[str, Any], net: orm.Network | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in body or net is None:
        name = body.get("name")
        out["name"] = name if isinstance(name, str) and name.strip() else f"network-{secrets.token_hex(4)}"
    if "description" in body:
        out["description"] = body["description"]
    if "mtu" in body:
        out["mtu"] = body["mtu"] or 0
    out.update(_provider(body, net.vlan if net else None))
    return out


def _apply_ext(ctx: Context, ext: OsNetwork, body: dict[str, Any]) -> None:
    if "shared" in body:
        shared = check_bool(body, "shared", False)
        if shared != ext.shared and not ctx.is_admin:
            raise PermissionDenied("POLICY_NOT_AUTHORIZED", "only admins change shared")
        ext.shared = shared
    if "admin_state_up" in body:
        ext.admin_state_up = check_bool(body, "admin_state_up", True)
    if "port_security_enabled" in body:
        ext.port_security_enabled = check_bool(body, "port_security_enabled", True)
    if "router:external" in body:
        ext.router_external = check_bool(body, "router:external", False)
    if "provider:physical_network" in body:
        ext.physical_network = body["provider:physical_network"] or None
    if "tags" in body:
        ext.tags = check_tags(body)


def create(app: Lognet, ctx: Context, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create one or more networks atomically."""
    require_admin(ctx.actor)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        made = []
        for body in bodies:
            check_keys("network", body, CREATE, IGNORED)
            project = owner_project(ctx, body)
            dc_id = ctx.datacenter_id
            if project != ctx.project_id:
                row = uow.session.get(OsProject, project)
                if row is not None:
                    dc_id = row.datacenter_id
            net = lognet_networks.new_network(uow, dc_id, _lognet_body(body))
            ext = OsNetwork(network_id=net.id, project_id=project, shared=False, admin_state_up=True,
                            port_security_enabled=True, router_external=False, physical_network=None, tags=[])
            _apply_ext(ctx, ext, body)
            # Core, like the network row (a hot path); ``ext`` only feeds the view.
            uow.session.execute(_EXT_INSERT, {c: getattr(ext, c) for c in _EXT_COLUMNS})
            made.append((net, ext))
        uow.commit()
        return [view(net, ext, [], admin_pid) for net, ext in made]


_EXT_INSERT = insert(orm.table(OsNetwork))
_EXT_COLUMNS = tuple(c.key for c in orm.table(OsNetwork).columns)


def update(app: Lognet, ctx: Context, net_id: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx.actor)
    check_keys("network", body, UPDATE, IGNORED)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        net, ext = visible_network(uow, ctx, net_id, admin_pid, write=True)
        if ext is None:
            ext = OsNetwork(network_id=net.id, project_id=admin_pid, shared=False, admin_state_up=True,
                            port_security_enabled=True, router_external=False, tags=[])
            uow.add(ext)
        host_visible = lognet_networks.change_network(uow, net, _lognet_body(body, net))
        _apply_ext(ctx, ext, body)
        uow.session.flush()
        uow.commit()
        out = view(net, ext, _subnet_ids(uow, [net.id]).get(net.id, []), admin_pid)
    if host_visible:  # VLAN/MTU changes reach the hosts carrying the network, as through the native API
        lognet_networks.propagate(app, ctx.actor, out["id"])
    return out


def delete(app: Lognet, ctx: Context, net_id: str) -> None:
    """Delete a network with its subnets; NETWORK_IN_USE while ports (vNICs) use it."""
    require_admin(ctx.actor)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        net, _ext = visible_network(uow, ctx, net_id, admin_pid, write=True)
        try:
            lognet_networks.delete_network(uow, net)  # checks, once, that no vNIC (port) uses it
        except Conflict as exc:
            if exc.code != "NETWORK_IN_USE":
                raise
            raise Conflict("NETWORK_IN_USE", f"Unable to complete operation on network {net.id}. There are one or "
                           "more ports still in use on the network.") from None
        uow.commit()


def _subnet_ids(uow: UnitOfWork, net_ids: list[str] | None) -> dict[str, list[str]]:
    query = select(OsSubnet.network_id, OsSubnet.id).order_by(OsSubnet.created_at, OsSubnet.id)
    if net_ids is not None:
        query = query.filter(OsSubnet.network_id.in_(net_ids))
    out: dict[str, list[str]] = defaultdict(list)
    for nid, sid in uow.session.execute(query):
        out[nid].append(sid)
    return out


def get(app: Lognet, ctx: Context, net_id: str) -> dict[str, Any]:
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, write=False) as uow:
        net, ext = visible_network(uow, ctx, net_id, admin_pid)
        return view(net, ext, _subnet_ids(uow, [net.id]).get(net.id, []), admin_pid)


def listing(app: Lognet, ctx: Context, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every network the caller sees (optionally only ``ids``), oldest first."""
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, write=False) as uow:
        query = select(*LIST_COLUMNS).join(OsNetwork, OsNetwork.network_id == orm.Network.id, isouter=True)
        if ids:
            query = query.filter(orm.Network.id.in_(ids))
        if not ctx.is_admin:
            mine = OsNetwork.project_id == ctx.project_id
            if ctx.project_id == admin_pid:
                mine = or_(mine, OsNetwork.network_id.is_(None))
            query = query.filter(or_(mine, (OsNetwork.shared.is_(True)) &
                                     (orm.Network.datacenter_id == ctx.datacenter_id)))
        rows = uow.session.execute(query.order_by(orm.Network.created_at, orm.Network.id)).all()
        subnets = _subnet_ids(uow, None if len(rows) > 200 else [r[0] for r in rows])
        return [_row_view(row, subnets.get(row[0], []), admin_pid) for row in rows]


LIST_COLUMNS = (orm.Network.id, orm.Network.name, orm.Network.description, orm.Network.mtu, orm.Network.vlan,
                orm.Network.revision, raw(orm.Network.created_at), raw(orm.Network.updated_at),
                orm.Network.datacenter_id, orm.Network.vm_network, OsNetwork.network_id, OsNetwork.project_id,
                OsNetwork.admin_state_up, OsNetwork.shared, OsNetwork.port_security_enabled,
                OsNetwork.router_external, OsNetwork.physical_network, OsNetwork.tags)


def _row_view(row: Any, subnets: list[str], admin_pid: str) -> dict[str, Any]:
    """``view`` of a ``LIST_COLUMNS`` row (no ORM objects: lists are long)."""
    (nid, name, description, mtu, vlan, revision, created, updated, dc_id, vm_network, ext_id, project, up, shared,
     psec, external, physnet, tags) = row
    has_ext = ext_id is not None
    project = project if has_ext else admin_pid
    up = up if has_ext else True
    return {
        "id": nid, "name": name, "description": description, "admin_state_up": up,
        "status": "ACTIVE" if up else "DOWN", "subnets": subnets, "shared": bool(has_ext and shared),
        "mtu": effective_mtu(mtu), "port_security_enabled": psec if has_ext else True,
        "router:external": bool(has_ext and external),
        "provider:network_type": "vlan" if vlan is not None else "flat",
        "provider:physical_network": (physnet if has_ext else None) or "physnet1",
        "provider:segmentation_id": vlan, "project_id": project, "tenant_id": project,
        "tags": list(tags) if has_ext else [], "revision_number": revision,
        "created_at": ts(created), "updated_at": ts(updated),
        "availability_zone_hints": [], "availability_zones": [], "ipv4_address_scope": None,
        "ipv6_address_scope": None, "is_default": False, "l2_adjacency": True,
        "lognet:datacenter": dc_id, "lognet:vm_network": vm_network,
    }

"""Neutron ports over lognet vNICs (``lognet.service.vnics``).

A port whose ``device_id`` is a VM id *is* that VM's vNIC; a port without one is a reserved vNIC (``vm_id``
NULL) with a MAC from the pool of a cluster its network is attached to. Binding ``device_id`` to a running VM
hot-plugs the vNIC (Quantum's Put_Attachment); clearing it or deleting the port unplugs it first
(Delete_Attachment). lognet's rules apply: the MAC pool and its uniqueness, the network attached to the
VM's cluster and carried by its host, unplug before a MAC or interface change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, insert, or_, select

from lognet.adapters import orm
from lognet.adapters.orm_openstack import OsIpAllocation, OsPort
from lognet.domain.errors import Conflict, NotFound, invalid
from lognet.domain.values import normalize_mac
from lognet.service import macs
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.hosts import agent_call
from lognet.service.openstack import subnets
from lognet.service.openstack.common import (
    check_bool,
    check_keys,
    check_owner,
    check_tags,
    owner_project,
    raw,
    ts,
    visible_network,
)
from lognet.service.openstack.identity import Context, admin_project_id
from lognet.service.uow import UnitOfWork
from lognet.service.vms import vnic_spec
from lognet.service.vnics import check_on_host, running_host, vm_network

CREATE = {"network_id", "name", "description", "admin_state_up", "mac_address", "fixed_ips", "device_id",
          "device_owner", "project_id", "tenant_id", "binding:host_id", "binding:vnic_type", "binding:profile",
          "security_groups", "port_security_enabled", "tags"}
UPDATE = CREATE - {"network_id", "project_id", "tenant_id"}
IGNORED = frozenset({"allowed_address_pairs", "extra_dhcp_opts", "dns_name", "qos_policy_id", "id",
                     "propagate_uplink_status", "numa_affinity_policy", "hints"})
VNIC_NAME = re.compile(r"^[0-9A-Za-z._-]{1,50}$")
VM_OWNER = "compute:lognet"

COLUMNS = (orm.Vnic.id, orm.Vnic.name, orm.Vnic.mac, orm.Vnic.network_id, orm.Vnic.linked, orm.Vnic.plugged,
           orm.Vnic.vm_id, raw(orm.Vnic.created_at), OsPort.project_id, OsPort.name, OsPort.description,
           OsPort.device_id, OsPort.device_owner, OsPort.port_security_enabled, OsPort.tags, OsPort.revision,
           raw(OsPort.updated_at), orm.Vm.status, orm.Vm.host_id)


_WIDTH = len(COLUMNS)


def _query() -> Any:
    return (select(*COLUMNS).join(OsPort, OsPort.vnic_id == orm.Vnic.id, isouter=True)
            .join(orm.Vm, orm.Vm.id == orm.Vnic.vm_id, isouter=True).filter(orm.Vnic.template_id.is_(None)))


def _views(uow: UnitOfWork, rows: list[Any], admin_pid: str,
           ips: dict[str, list[dict[str, str]]] | None = None) -> list[dict[str, Any]]:
    """Port dicts of ``_query`` rows; ``ips``: their fixed IPs, when known (else fetched)."""
    host_ids = {r[18] for r in rows if r[18] is not None and r[6] is not None}
    hosts = dict(uow.session.execute(select(orm.Host.id, orm.Host.name).filter(orm.Host.id.in_(host_ids))).all()) \
        if host_ids else {}
    if ips is None:
        ips = subnets.fixed_ips(uow, [r[0] for r in rows]) if rows else {}
    out = []
    for (vid, vname, mac, net_id, linked, plugged, vm_id, created, project, pname, descr, device, owner, psec,
         tags, revision, updated, vm_status, host_id) in rows:
        active = vm_id is not None and vm_status == "up" and plugged
        host = hosts.get(host_id, "") if active else ""
        out.append({
            "id": vid, "name": pname if project is not None else vname, "network_id": net_id,
            "mac_address": mac, "admin_state_up": linked, "status": "ACTIVE" if active and linked else "DOWN",
            "device_id": vm_id or device or "", "device_owner": owner if project is not None else
            (VM_OWNER if vm_id else ""), "fixed_ips": ips.get(vid, []),
            "project_id": project or admin_pid, "tenant_id": project or admin_pid,
            "description": descr or "", "security_groups": [], "port_security_enabled": True if psec is None else psec,
            "binding:host_id": host, "binding:vif_type": "bridge" if active else "unbound",
            "binding:vnic_type": "normal", "binding:vif_details": {}, "binding:profile": {},
            "allowed_address_pairs": [], "extra_dhcp_opts": [], "tags": list(tags or []),
            "revision_number": revision or 1, "created_at": ts(created), "updated_at": ts(updated or created),
            "lognet:plugged": plugged,
        })
    return out


def _visibility(ctx: Context, admin_pid: str) -> ColumnElement[bool] | None:
    if ctx.is_admin:
        return None
    mine: ColumnElement[bool] = OsPort.project_id == ctx.project_id
    if ctx.project_id == admin_pid:
        mine = or_(mine, OsPort.vnic_id.is_(None))
    return mine


def listing(app: Lognet, ctx: Context, prefilter: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Ports the caller sees, oldest first; ``prefilter`` narrows by id, network_id or device_id in SQL."""
    admin_pid = admin_project_id(app)
    query = _query()
    vis = _visibility(ctx, admin_pid)
    if vis is not None:
        query = query.filter(vis)
    if prefilter.get("id"):
        query = query.filter(orm.Vnic.id.in_(prefilter["id"]))
    if prefilter.get("network_id"):
        query = query.filter(orm.Vnic.network_id.in_(prefilter["network_id"]))
    if prefilter.get("device_id"):
        query = query.filter(or_(orm.Vnic.vm_id.in_(prefilter["device_id"]),
                                 OsPort.device_id.in_(prefilter["device_id"])))
    # The fixed IPs come in the same query (one row per address; a port without any has one row of NULLs).
    query = query.add_columns(OsIpAllocation.subnet_id, OsIpAllocation.ip_address) \
        .join(OsIpAllocation, OsIpAllocation.vnic_id == orm.Vnic.id, isouter=True)
    rows: list[Any] = []
    ips: dict[str, list[dict[str, str]]] = defaultdict(list)
    with UnitOfWork(app.db, write=False) as uow:
        for row in uow.session.execute(query.order_by(orm.Vnic.created_at, orm.Vnic.id)):
            if not rows or rows[-1][0] != row[0]:
                rows.append(row[:_WIDTH])
            if row[_WIDTH] is not None:
                ips[row[0]].append({"subnet_id": row[_WIDTH], "ip_address": row[_WIDTH + 1]})
        return _views(uow, rows, admin_pid, ips)


def _one(uow: UnitOfWork, ctx: Context, port_id: str, admin_pid: str) -> dict[str, Any]:
    query = _query().filter(orm.Vnic.id == port_id)
    vis = _visibility(ctx, admin_pid)
    if vis is not None:
        query = query.filter(vis)
    rows = uow.session.execute(query).all()
    if not rows:
        raise NotFound("PORT_NOT_FOUND", f"Port {port_id} could not be found.")
    return _views(uow, list(rows), admin_pid)[0]


def get(app: Lognet, ctx: Context, port_id: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return _one(uow, ctx, port_id, admin_project_id(app))


def _vm_of(uow: UnitOfWork, device_id: object) -> orm.Vm | None:
    if not isinstance(device_id, str) or not device_id:
        return None
    return uow.session.get(orm.Vm, device_id, with_for_update=True)


def _vnic_name(uow: UnitOfWork, name: str, port_id: str, vm_id: str | None) -> str:
    fallback = f"port-{port_id[:8]}"
    if not VNIC_NAME.match(name or ""):
        return fallback
    if vm_id and uow.session.scalar(select(orm.Vnic.id).filter_by(vm_id=vm_id, name=name)) not in (None, port_id):
        return fallback
    return name


def _pool_for_network(uow: UnitOfWork, net: orm.Network) -> orm.MacPool:
    """The MAC pool (locked) of the first cluster (by name) the network is attached to, else of its data
    center's first cluster; one query."""
    pool = uow.session.scalar(_POOL_OF_NETWORK, {"net_id": net.id, "dc_id": net.datacenter_id})
    if pool is None:
        raise Conflict("NO_CLUSTER_FOR_NETWORK", f"data center of network {net.name} has no cluster (no MAC pool)")
    return pool


_POOL_OF_NETWORK = (
    select(orm.MacPool).join(orm.Cluster, orm.Cluster.mac_pool_id == orm.MacPool.id)
    .join(orm.NetworkCluster, and_(orm.NetworkCluster.cluster_id == orm.Cluster.id,
                                   orm.NetworkCluster.network_id == bindparam("net_id")), isouter=True)
    .filter(or_(orm.NetworkCluster.network_id.is_not(None), orm.Cluster.datacenter_id == bindparam("dc_id")))
    .order_by(orm.NetworkCluster.network_id.is_(None), orm.Cluster.name).limit(1).with_for_update(of=orm.MacPool))


def _bind(app: Lognet, uow: UnitOfWork, nic: orm.Vnic, vm: orm.Vm, ext: OsPort) -> None:
    """Make the reserved vNIC a vNIC of ``vm`` (Put_Attachment): hot-plugged when the VM runs."""
    vm_network(uow, nic.network_id, vm.cluster_id)  # attached to the VM's cluster, a VM network
    pool = macs.pool_for_cluster(uow, vm.cluster_id)
    if nic.mac_pool_id != pool.id and nic.mac:
        nic.mac, nic.mac_pool_id = macs.claim(uow, pool, nic.mac, nic.id), pool.id
    nic.name = _vnic_name(uow, ext.name, nic.id, vm.id)
    nic.vm_id, nic.plugged = vm.id, True
    ext.device_id = ""
    host = running_host(uow, vm)
    if host is not None:
        net = uow.session.get(orm.Network, nic.network_id)
        check_on_host(host, net)
        uow.session.flush()
        spec = vnic_spec(uow, nic)
        agent_call(lambda: app.agents.client(host).hotplug(vm.id, spec))
    uow.event("port.bind", nic, f"VM {vm.name}")


def _unbind(app: Lognet, uow: UnitOfWork, nic: orm.Vnic) -> None:
    """Detach the vNIC from its VM (Delete_Attachment): unplugged first when the VM runs."""
    vm = uow.session.get(orm.Vm, nic.vm_id) if nic.vm_id else None
    if vm is None:
        return
    host = running_host(uow, vm)
    if host is not None and nic.plugged:
        vm_id, nic_id = vm.id, nic.id
        agent_call(lambda: app.agents.client(host).unplug(vm_id, nic_id))
    nic.vm_id, nic.plugged = None, False
    uow.event("port.unbind", nic, f"VM {vm.name}")


def _set_device(app: Lognet, uow: UnitOfWork, nic: orm.Vnic, ext: OsPort, device_id: object) -> None:
    device = str(device_id or "")
    vm = _vm_of(uow, device)
    if vm is not None and vm.id == nic.vm_id:
        return
    _unbind(app, uow, nic)
    if vm is not None:
        _bind(app, uow, nic, vm, ext)
    else:
        ext.device_id = device


def _set_linked(app: Lognet, uow: UnitOfWork, nic: orm.Vnic, linked: bool) -> None:
    if linked == nic.linked:
        return
    nic.linked = linked
    vm = uow.session.get(orm.Vm, nic.vm_id) if nic.vm_id else None
    host = running_host(uow, vm) if vm is not None else None
    if vm is not None and host is not None and nic.plugged:
        spec = vnic_spec(uow, nic)
        vm_id = vm.id
        agent_call(lambda: app.agents.client(host).update_nic(vm_id, nic.id, spec["linked"], spec["network"]))


def _new(app: Lognet, uow: UnitOfWork, ctx: Context, body: dict[str, Any],
         admin_pid: str) -> tuple[orm.Vnic, OsPort, list[dict[str, str]]]:
    check_keys("port", body, CREATE, IGNORED)
    if not body.get("network_id"):
        raise invalid("BAD_REQUEST", "Invalid input for network_id. Reason: network_id is required.", "network_id")
    net, _ext = visible_network(uow, ctx, body["network_id"], admin_pid)
    project = owner_project(ctx, body)
    vm = _vm_of(uow, body.get("device_id"))
    pool = macs.pool_for_cluster(uow, vm.cluster_id) if vm is not None else _pool_for_network(uow, net)
    given = body.get("mac_address")
    mac = macs.claim(uow, pool, normalize_mac(given, "mac_address")) if given else macs.allocate(uow, pool)
    nic = orm.Vnic(id=orm.new_id(), vm_id=None, template_id=None, name="", interface="virtio", network_id=net.id,
                   linked=check_bool(body, "admin_state_up", True), plugged=False, mac=mac, mac_pool_id=pool.id,
                   created_at=orm.utcnow())
    nic.name = _vnic_name(uow, str(body.get("name") or ""), nic.id, None)
    ext = OsPort(vnic_id=nic.id, project_id=project, name=str(body.get("name") or ""),
                 description=str(body.get("description") or ""), device_id="",
                 device_owner=str(body.get("device_owner") or ""), tags=check_tags(body), revision=1,
                 port_security_enabled=check_bool(body, "port_security_enabled", True), updated_at=nic.created_at)
    # Core INSERTs (port creation is the hottest write of the Neutron API); ``nic`` and ``ext`` stay out of
    # the session and only feed the view, unless the port is bound below.
    uow.session.execute(_VNIC_INSERT, {c: getattr(nic, c) for c in _VNIC_COLUMNS})
    uow.session.execute(_PORT_INSERT, {c: getattr(ext, c) for c in _PORT_COLUMNS})
    ips = subnets.allocate(uow, net.id, nic.id, body.get("fixed_ips"))
    uow.event("port.add", nic, f"network {net.name}")
    if body.get("device_id"):
        nic, ext = uow.session.get_one(orm.Vnic, nic.id), uow.session.get_one(OsPort, nic.id)
        _set_device(app, uow, nic, ext, body["device_id"])
    return nic, ext, ips


_VNIC_INSERT = insert(orm.table(orm.Vnic))
_VNIC_COLUMNS = tuple(c.key for c in orm.table(orm.Vnic).columns)
_PORT_INSERT = insert(orm.table(OsPort))
_PORT_COLUMNS = tuple(c.key for c in orm.table(OsPort).columns)


def _row(uow: UnitOfWork, nic: orm.Vnic, ext: OsPort) -> tuple[Any, ...]:
    """The ``_query`` row of a port whose objects are at hand."""
    vm = uow.session.get(orm.Vm, nic.vm_id) if nic.vm_id else None
    return (nic.id, nic.name, nic.mac, nic.network_id, nic.linked, nic.plugged, nic.vm_id, nic.created_at,
            ext.project_id, ext.name, ext.description, ext.device_id, ext.device_owner, ext.port_security_enabled,
            ext.tags, ext.revision, ext.updated_at, vm.status if vm else None, vm.host_id if vm else None)


def create(app: Lognet, ctx: Context, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create one or more ports atomically."""
    require_admin(ctx.actor)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        made = [_new(app, uow, ctx, body, admin_pid) for body in bodies]
        uow.session.flush()
        rows = [_row(uow, nic, ext) for nic, ext, _ips in made]
        views = _views(uow, rows, admin_pid, {nic.id: ips for nic, _ext, ips in made})
        uow.commit()
        return views


def _editable(uow: UnitOfWork, ctx: Context, port_id: str, admin_pid: str) -> tuple[orm.Vnic, OsPort]:
    query = (select(orm.Vnic, OsPort).join(OsPort, OsPort.vnic_id == orm.Vnic.id, isouter=True)
             .filter(orm.Vnic.id == port_id, orm.Vnic.template_id.is_(None)).with_for_update(of=orm.Vnic))
    vis = _visibility(ctx, admin_pid)  # other projects' ports are 404
    if vis is not None:
        query = query.filter(vis)
    found = uow.session.execute(query).first()
    if found is None:
        raise NotFound("PORT_NOT_FOUND", f"Port {port_id} could not be found.")
    nic, ext = found
    if ext is None:  # a vNIC made through the native API: it joins the admin project
        ext = OsPort(vnic_id=nic.id, project_id=admin_pid, name=nic.name, description="", device_id="",
                     device_owner=VM_OWNER if nic.vm_id else "", tags=[], revision=1, port_security_enabled=True)
        uow.add(ext)
    check_owner(ctx, ext.project_id, f"port {nic.id}")
    return nic, ext


def update(app: Lognet, ctx: Context, port_id: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx.actor)
    check_keys("port", body, UPDATE, IGNORED)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        nic, ext = _editable(uow, ctx, port_id, admin_pid)
        if "name" in body:
            ext.name = str(body["name"] or "")
            nic.name = _vnic_name(uow, ext.name, nic.id, nic.vm_id) if VNIC_NAME.match(ext.name) else nic.name
        for key in ("description", "device_owner"):
            if key in body:
                setattr(ext, key, str(body[key] or ""))
        if "port_security_enabled" in body:
            ext.port_security_enabled = check_bool(body, "port_security_enabled", True)
        if "tags" in body:
            ext.tags = check_tags(body)
        if body.get("mac_address") not in (None, nic.mac):
            vm = uow.session.get(orm.Vm, nic.vm_id) if nic.vm_id else None
            if vm is not None and nic.plugged and running_host(uow, vm) is not None:
                raise Conflict("VNIC_PLUGGED", f"Port {nic.id} is plugged into running VM {vm.name}; unbind it to "
                               "change its MAC address")
            pool = uow.get(orm.MacPool, nic.mac_pool_id, "mac_pool", for_update=True)
            nic.mac = macs.claim(uow, pool, normalize_mac(body["mac_address"], "mac_address"), nic.id)
        if "fixed_ips" in body:
            subnets.release(uow, nic.id)
            uow.session.flush()
            subnets.allocate(uow, str(nic.network_id), nic.id, body["fixed_ips"] or [])
        if "device_id" in body:
            _set_device(app, uow, nic, ext, body["device_id"])
        if "admin_state_up" in body:
            _set_linked(app, uow, nic, check_bool(body, "admin_state_up", True))
        ext.revision += 1
        ext.updated_at = orm.utcnow()
        uow.event("port.update", nic)
        uow.session.flush()
        out = _one(uow, ctx, nic.id, admin_pid)
        uow.commit()
        return out


def delete(app: Lognet, ctx: Context, port_id: str) -> None:
    """Delete the port: unplugged from its running VM first, then removed (its MAC returns to the pool)."""
    require_admin(ctx.actor)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        nic, _ext = _editable(uow, ctx, port_id, admin_pid)
        _unbind(app, uow, nic)
        uow.session.delete(nic)
        uow.event("port.remove", nic)
        uow.commit()

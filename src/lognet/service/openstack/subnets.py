"""Neutron subnets and IP address management (fixed IPs of ports = vNICs)."""

from __future__ import annotations

import ipaddress
import socket
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, or_, select
from sqlalchemy import delete as sql_delete

from lognet.adapters import orm
from lognet.adapters.orm_openstack import OsIpAllocation, OsNetwork, OsSubnet
from lognet.domain.errors import Conflict, NotFound, invalid
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.openstack.common import (
    check_bool,
    check_keys,
    check_owner,
    check_tags,
    owner_project,
    ts,
    visible_network,
)
from lognet.service.openstack.identity import Context, admin_project_id
from lognet.service.uow import UnitOfWork

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
CREATE = {"network_id", "name", "description", "cidr", "ip_version", "gateway_ip", "allocation_pools",
          "dns_nameservers", "host_routes", "enable_dhcp", "project_id", "tenant_id", "ipv6_ra_mode",
          "ipv6_address_mode", "tags"}
UPDATE = {"name", "description", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp",
          "tags"}
IGNORED = frozenset({"subnetpool_id", "segment_id", "service_types", "use_default_subnetpool", "prefixlen", "id",
                     "dns_publish_fixed_ip"})


def view(s: OsSubnet) -> dict[str, Any]:
    return {"id": s.id, "network_id": s.network_id, "name": s.name, "description": s.description,
            "cidr": s.cidr, "ip_version": s.ip_version, "gateway_ip": s.gateway_ip,
            "allocation_pools": s.allocation_pools, "dns_nameservers": s.dns_nameservers,
            "host_routes": s.host_routes, "enable_dhcp": s.enable_dhcp,
            "ipv6_ra_mode": s.extra.get("ipv6_ra_mode"), "ipv6_address_mode": s.extra.get("ipv6_address_mode"),
            "project_id": s.project_id, "tenant_id": s.project_id, "tags": list(s.tags), "subnetpool_id": None,
            "segment_id": None, "service_types": [], "revision_number": s.revision,
            "created_at": ts(s.created_at), "updated_at": ts(s.updated_at)}


def _bad(message: str, field: str) -> Exception:
    return invalid("BAD_REQUEST", f"Invalid input for {field}. Reason: {message}", field)


def _cidr(body: dict[str, Any]) -> Net:
    try:
        net = ipaddress.ip_network(str(body.get("cidr")), strict=False)
    except ValueError:
        raise _bad(f"'{body.get('cidr')}' is not a valid IP subnet.", "cidr") from None
    version = body.get("ip_version", net.version)
    if version not in (4, 6) or version != net.version:
        raise _bad(f"ip_version {version!r} does not match cidr {net}.", "ip_version")
    if net.num_addresses < 4:
        raise _bad(f"cidr {net} is too small.", "cidr")
    return net


def _ip(value: object, cidr: Net, field: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        ip = ipaddress.ip_address(str(value))
    except ValueError:
        raise _bad(f"'{value}' is not a valid IP address.", field) from None
    if ip not in cidr:
        raise _bad(f"{ip} is not in subnet {cidr}.", field)
    return ip


def _pools(body: dict[str, Any], cidr: Net, gateway: str | None) -> list[dict[str, str]]:
    first, last = int(cidr.network_address) + 1, int(cidr.broadcast_address) - (1 if cidr.version == 4 else 0)
    if body.get("allocation_pools"):
        pools = []
        for p in body["allocation_pools"]:
            start, end = _ip(p.get("start"), cidr, "allocation_pools"), _ip(p.get("end"), cidr, "allocation_pools")
            if int(start) > int(end) or int(start) < first or int(end) > last:
                raise _bad(f"allocation pool {start}-{end} is not a valid range of {cidr}.", "allocation_pools")
            pools.append((int(start), int(end)))
        pools.sort()
        for a, b in zip(pools, pools[1:], strict=False):
            if b[0] <= a[1]:
                raise _bad("allocation pools overlap.", "allocation_pools")
        if gateway and any(s <= int(ipaddress.ip_address(gateway)) <= e for s, e in pools):
            raise Conflict("GATEWAY_CONFLICT", f"Gateway ip {gateway} conflicts with allocation pool")
    else:
        gw = int(ipaddress.ip_address(gateway)) if gateway else None
        pools = [(first, last)]
        if gw is not None and first <= gw <= last:
            pools = [(s, e) for s, e in ((first, gw - 1), (gw + 1, last)) if s <= e]
    addr = ipaddress.ip_address
    return [{"start": str(addr(s)), "end": str(addr(e))} for s, e in pools]


def _check_lists(body: dict[str, Any]) -> None:
    for key in ("dns_nameservers", "host_routes"):
        if key in body and not isinstance(body[key] or [], list):
            raise _bad(f"{key} must be a list.", key)


def _new(app: Lognet, uow: UnitOfWork, ctx: Context, body: dict[str, Any], admin_pid: str) -> OsSubnet:
    check_keys("subnet", body, CREATE, IGNORED)
    if not body.get("network_id"):
        raise _bad("network_id is required.", "network_id")
    net, _ext = visible_network(uow, ctx, body["network_id"], admin_pid)
    project = owner_project(ctx, body)
    cidr = _cidr(body)
    for other in uow.session.scalars(select(OsSubnet).filter_by(network_id=net.id)):
        if cidr.overlaps(ipaddress.ip_network(other.cidr)):
            raise invalid("SUBNET_OVERLAP", f"Invalid input for operation: Requested subnet with cidr: {cidr} for "
                          f"network: {net.id} overlaps with another subnet.", "cidr")
    if "gateway_ip" in body:
        gateway = str(_ip(body["gateway_ip"], cidr, "gateway_ip")) if body["gateway_ip"] else None
    else:
        gateway = str(cidr.network_address + 1)
    _check_lists(body)
    extra = {k: body[k] for k in ("ipv6_ra_mode", "ipv6_address_mode") if body.get(k)}
    sub = OsSubnet(network_id=net.id, project_id=project, name=str(body.get("name") or ""),
                   description=str(body.get("description") or ""), cidr=str(cidr), ip_version=cidr.version,
                   gateway_ip=gateway, allocation_pools=_pools(body, cidr, gateway),
                   dns_nameservers=list(body.get("dns_nameservers") or []),
                   host_routes=list(body.get("host_routes") or []), enable_dhcp=check_bool(body, "enable_dhcp", True),
                   extra=extra, tags=check_tags(body), revision=1)
    uow.add(sub)
    uow.session.flush()
    net.revision += 1
    return sub


def create(app: Lognet, ctx: Context, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    require_admin(ctx.actor)
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, ctx.actor) as uow:
        made = [_new(app, uow, ctx, b, admin_pid) for b in bodies]
        uow.commit()
        return [view(s) for s in made]


def _visible(uow: UnitOfWork, ctx: Context, sub_id: str, admin_pid: str, write: bool = False) -> OsSubnet:
    sub = uow.session.get(OsSubnet, sub_id)
    if sub is not None:
        try:
            visible_network(uow, ctx, sub.network_id, admin_pid)
        except NotFound:
            sub = None
    if sub is None:
        raise NotFound("SUBNET_NOT_FOUND", f"Subnet {sub_id} could not be found.")
    if write:
        check_owner(ctx, sub.project_id, f"subnet {sub.id}")
    return sub


def get(app: Lognet, ctx: Context, sub_id: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return view(_visible(uow, ctx, sub_id, admin_project_id(app)))


def update(app: Lognet, ctx: Context, sub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx.actor)
    check_keys("subnet", body, UPDATE, IGNORED)
    _check_lists(body)
    with UnitOfWork(app.db, ctx.actor) as uow:
        sub = _visible(uow, ctx, sub_id, admin_project_id(app), write=True)
        cidr = ipaddress.ip_network(sub.cidr)
        for key in ("name", "description"):
            if key in body:
                setattr(sub, key, str(body[key] or ""))
        if "gateway_ip" in body:
            sub.gateway_ip = str(_ip(body["gateway_ip"], cidr, "gateway_ip")) if body["gateway_ip"] else None
        if "allocation_pools" in body or "gateway_ip" in body:
            pools_body = body if "allocation_pools" in body else {"allocation_pools": sub.allocation_pools}
            sub.allocation_pools = _pools(pools_body, cidr, sub.gateway_ip)
        for key in ("dns_nameservers", "host_routes"):
            if key in body:
                setattr(sub, key, list(body[key] or []))
        if "enable_dhcp" in body:
            sub.enable_dhcp = check_bool(body, "enable_dhcp", True)
        if "tags" in body:
            sub.tags = check_tags(body)
        sub.revision += 1
        uow.session.flush()
        uow.commit()
        return view(sub)


def delete(app: Lognet, ctx: Context, sub_id: str) -> None:
    require_admin(ctx.actor)
    with UnitOfWork(app.db, ctx.actor) as uow:
        sub = _visible(uow, ctx, sub_id, admin_project_id(app), write=True)
        used = uow.session.scalar(select(func.count()).select_from(OsIpAllocation).filter_by(subnet_id=sub.id))
        if used:
            raise Conflict("SUBNET_IN_USE", f"Unable to complete operation on subnet {sub.id}: one or more ports "
                           "have an IP allocation from this subnet.")
        uow.session.delete(sub)
        uow.commit()


def listing(app: Lognet, ctx: Context, ids: list[str] | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(app.db, write=False) as uow:
        query = select(OsSubnet).join(orm.Network, orm.Network.id == OsSubnet.network_id).join(
            OsNetwork, OsNetwork.network_id == OsSubnet.network_id, isouter=True)
        if ids:
            query = query.filter(OsSubnet.id.in_(ids))
        if not ctx.is_admin:
            query = query.filter(or_(OsSubnet.project_id == ctx.project_id, (OsNetwork.shared.is_(True)) &
                                     (orm.Network.datacenter_id == ctx.datacenter_id)))
        rows = uow.session.scalars(query.order_by(OsSubnet.created_at, OsSubnet.id)).all()
        return [view(s) for s in rows]


# -- IP address management ------------------------------------------------------------------------
def allocate(uow: UnitOfWork, network_id: str, vnic_id: str,
             fixed_ips: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Give the port its fixed IPs: the requested ones, or one address of the network's first IPv4 subnet."""
    subnets = list(uow.session.scalars(_SUBNETS_OF_NETWORK, {"network_id": network_id}))
    if fixed_ips is None:
        auto = [s for s in subnets if s.ip_version == 4][:1] or subnets[:1]
        return [_take(uow, first, vnic_id, None) for first in auto]
    if not isinstance(fixed_ips, list):
        raise _bad("fixed_ips must be a list.", "fixed_ips")
    by_id = {s.id: s for s in subnets}
    sub: OsSubnet | None
    taken = []
    for item in fixed_ips:
        if not isinstance(item, dict):
            raise _bad("fixed_ips entries are objects.", "fixed_ips")
        sub = by_id.get(item.get("subnet_id") or "")
        if item.get("subnet_id") and sub is None:
            raise invalid("BAD_REQUEST", f"Invalid input for operation: subnet {item['subnet_id']} is not on network "
                          f"{network_id}.", "fixed_ips")
        ip = item.get("ip_address")
        if sub is None:
            if not ip:
                raise _bad("fixed_ips entries need subnet_id or ip_address.", "fixed_ips")
            sub = next((s for s in subnets if _contains(s, str(ip))), None)
            if sub is None:
                raise invalid("BAD_REQUEST", f"Invalid input for operation: IP address {ip} is not a valid IP for "
                              f"any subnet on network {network_id}.", "fixed_ips")
        taken.append(_take(uow, sub, vnic_id, str(ip) if ip else None))
    return taken


def _contains(sub: OsSubnet, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(sub.cidr)
    except ValueError:
        return False


def _ip_int(value: str) -> int:
    """The integer of a stored (canonical) address, without ``ipaddress`` objects."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6 if ":" in value else socket.AF_INET, value), "big")
    except OSError:
        return int(ipaddress.ip_address(value))


def _take(uow: UnitOfWork, sub: OsSubnet, vnic_id: str, ip: str | None) -> dict[str, str]:
    used = {_ip_int(a) for a in uow.session.scalars(_USED_ADDRESSES, {"subnet_id": sub.id})}
    if ip is not None:
        addr = _ip(ip, ipaddress.ip_network(sub.cidr), "fixed_ips")
        if int(addr) in used:
            raise Conflict("IP_IN_USE", f"Unable to complete operation for network {sub.network_id}. The IP address "
                           f"{addr} is in use.")
        _add_allocation(uow, sub.id, str(addr), vnic_id)
        return {"subnet_id": sub.id, "ip_address": str(addr)}
    for pool in sub.allocation_pools:
        start, end = _ip_int(pool["start"]), _ip_int(pool["end"])
        candidate = start
        while candidate <= end and candidate in used:
            candidate += 1
        if candidate <= end:
            addr_cls = ipaddress.IPv4Address if sub.ip_version == 4 else ipaddress.IPv6Address
            _add_allocation(uow, sub.id, str(addr_cls(candidate)), vnic_id)
            return {"subnet_id": sub.id, "ip_address": str(addr_cls(candidate))}
    raise Conflict("IP_EXHAUSTED", f"No more IP addresses available on network {sub.network_id} "
                   f"(subnet {sub.id}).")


def _add_allocation(uow: UnitOfWork, subnet_id: str, ip: str, vnic_id: str) -> None:
    # A Core INSERT: one per port create, nothing reads the row back as an object.
    uow.session.execute(_ALLOCATION_INSERT, {"subnet_id": subnet_id, "ip_address": ip, "vnic_id": vnic_id})


_ALLOCATION_INSERT = insert(orm.table(OsIpAllocation))
# Built once (port creation runs them every time).
_SUBNETS_OF_NETWORK = select(OsSubnet).filter(OsSubnet.network_id == bindparam("network_id")) \
    .order_by(OsSubnet.created_at, OsSubnet.id)
_USED_ADDRESSES = select(OsIpAllocation.ip_address).filter(OsIpAllocation.subnet_id == bindparam("subnet_id"))


def release(uow: UnitOfWork, vnic_id: str) -> None:
    uow.session.execute(sql_delete(OsIpAllocation).filter_by(vnic_id=vnic_id))


def fixed_ips(uow: UnitOfWork, vnic_ids: list[str] | Select[Any] | None) -> dict[str, list[dict[str, str]]]:
    """Fixed IPs by vNIC id, of the vNICs given (a list or a SELECT of ids), of all when None."""
    query = select(OsIpAllocation.vnic_id, OsIpAllocation.subnet_id, OsIpAllocation.ip_address)
    if vnic_ids is not None:
        query = query.filter(OsIpAllocation.vnic_id.in_(vnic_ids))
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for vid, sid, ip in uow.session.execute(query):
        out[vid].append({"subnet_id": sid, "ip_address": ip})
    return out

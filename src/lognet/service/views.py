"""Plain-dict views of stored objects, shared by the REST API, the CLI and the web console."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lognet.adapters import orm
from lognet.domain.values import effective_mtu

ROLES = ("management", "display", "migration", "default_route")


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands timestamps back without their zone)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def datacenter(dc: orm.DataCenter) -> dict[str, Any]:
    return {"id": dc.id, "name": dc.name, "description": dc.description, "created_at": timestamp(dc.created_at)}


def mac_pool(pool: orm.MacPool) -> dict[str, Any]:
    return {"id": pool.id, "name": pool.name, "description": pool.description,
            "allow_duplicates": pool.allow_duplicates, "default_pool": pool.default_pool, "ranges": pool.ranges}


def cluster(c: orm.Cluster) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "description": c.description, "datacenter": c.datacenter_id,
            "mac_pool": c.mac_pool_id, "created_at": timestamp(c.created_at)}


def network(n: orm.Network) -> dict[str, Any]:
    return {"id": n.id, "name": n.name, "description": n.description, "datacenter": n.datacenter_id,
            "vlan": n.vlan, "mtu": n.mtu, "effective_mtu": effective_mtu(n.mtu), "vm_network": n.vm_network,
            "stp": n.stp, "host_name": n.host_name, "revision": n.revision,
            "created_at": timestamp(n.created_at), "updated_at": timestamp(n.updated_at)}


def effective_roles(links: list[orm.NetworkCluster]) -> dict[str, dict[str, bool]]:
    """Roles per network id in one cluster; unheld display/migration/default-route fall back to management."""
    out = {link.network_id: {r: bool(getattr(link, r)) for r in ROLES} for link in links}
    mgmt = next((link.network_id for link in links if link.management), None)
    for role in ROLES[1:]:
        if mgmt and not any(flags[role] for flags in out.values()):
            out[mgmt][role] = True
    return out


def cluster_network(link: orm.NetworkCluster, net: orm.Network, roles: dict[str, bool],
                    status: str = "operational") -> dict[str, Any]:
    return {"id": net.id, "network": net.id, "name": net.name, "cluster": link.cluster_id,
            "required": link.required, **roles, "status": status, "vlan": net.vlan,
            "mtu": net.mtu, "vm_network": net.vm_network}


def template(t: orm.Template) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "description": t.description, "cluster": t.cluster_id,
            "created_at": timestamp(t.created_at)}


def vm(v: orm.Vm) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "description": v.description, "cluster": v.cluster_id,
            "template": v.template_id, "status": v.status, "host": v.host_id, "created_at": timestamp(v.created_at)}


def vnic(n: orm.Vnic, network_name: str | None = None) -> dict[str, Any]:
    out = {"id": n.id, "name": n.name, "mac": n.mac, "interface": n.interface, "network": n.network_id,
           "network_name": network_name, "linked": n.linked, "plugged": n.plugged,
           "created_at": timestamp(n.created_at)}
    if n.vm_id is not None:
        out["vm"] = n.vm_id
    if n.template_id is not None:
        out["template"] = n.template_id
    return out


def job(j: orm.Job) -> dict[str, Any]:
    return {"id": j.id, "kind": j.kind, "host": j.host_id, "status": j.status, "steps": j.steps,
            "error": j.error, "result": j.result, "user": j.username, "created_at": timestamp(j.created_at),
            "finished_at": timestamp(j.finished_at)}


def event(e: orm.Event) -> dict[str, Any]:
    return {"id": e.id, "time": timestamp(e.ts), "user": e.username, "action": e.action, "object_type": e.object_type,
            "object_id": e.object_id, "object_name": e.object_name, "result": e.result, "detail": e.detail}

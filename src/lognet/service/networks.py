"""Logical networks in a data center and their attachment to clusters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, insert, select

from lognet.adapters import orm
from lognet.domain.errors import Conflict, FieldError, invalid
from lognet.domain.values import check_description, check_mtu, check_network_name, check_vlan, host_name_for
from lognet.service import views
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.uow import Actor, UnitOfWork

NETWORK_FIELDS = ("name", "description", "vlan", "mtu", "vm_network", "stp", "datacenter")


def _check_flags(vm_network: bool, stp: bool) -> None:
    if stp and not vm_network:
        raise invalid("STP_ON_NON_VM_NETWORK", "STP can only be enabled on VM networks", "stp")


def _check_name_free(uow: UnitOfWork, dc_id: str, name: str, exclude: str | None = None) -> None:
    clash = (orm.Network.name == name) | (orm.Network.host_name == name)
    for other_id, other_name, other_host_name in uow.session.execute(select(
            orm.Network.id, orm.Network.name, orm.Network.host_name).filter(orm.Network.datacenter_id == dc_id, clash)):
        if other_id == exclude:
            continue
        if other_name == name:
            raise Conflict("NETWORK_NAME_IN_USE", f"data center already has a network named {name!r}",
                           [FieldError("name", "already used in this data center")])
        if other_host_name == name:
            raise Conflict("NETWORK_NAME_IN_USE", f"{name!r} is the host name of network {other_name}",
                           [FieldError("name", "used as a host name in this data center")])


def add_network(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """Create a logical network in a data center (default: "Default")."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        dc = uow.get(orm.DataCenter, body.get("datacenter") or "Default", "datacenter")
        net = new_network(uow, dc.id, body)
        uow.commit()
        return views.network(net)


def new_network(uow: UnitOfWork, dc_id: str, body: dict[str, Any]) -> orm.Network:
    """Validate and insert a network row in the caller's unit of work (not committed).

    The row goes in with one Core INSERT (network creation is a hot path of the Neutron API); the returned
    object carries every column but is not in the session: load it (``session.get``) to change it."""
    vm_network = bool(body.get("vm_network", True))
    stp = bool(body.get("stp", False))
    _check_flags(vm_network, stp)
    name = check_network_name(body.get("name"))
    _check_name_free(uow, dc_id, name)
    net_id, now = orm.new_id(), orm.utcnow()
    row = {"id": net_id, "datacenter_id": dc_id, "name": name,
           "description": check_description(body.get("description")), "vlan": check_vlan(body.get("vlan")),
           "mtu": check_mtu(body.get("mtu")), "vm_network": vm_network,
           "stp": stp, "host_name": host_name_for(name, net_id), "revision": 1, "created_at": now, "updated_at": now}
    uow.session.execute(_NETWORK_INSERT, row)
    net = orm.Network(**row)
    uow.event("network.add", net)
    return net


_NETWORK_INSERT = insert(orm.table(orm.Network))


def update_network(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a network. Renaming is refused while hosts or templates use it; VM→non-VM while vNICs do."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        net = uow.get(orm.Network, ref, "network", for_update=True)
        host_visible = change_network(uow, net, body)
        uow.commit()
        view = views.network(net)
    view["host_jobs"] = propagate(app, actor, net.id) if host_visible else []
    return view


def propagate(app: Lognet, actor: Actor, network_id: str) -> list[str]:
    """Push a changed network to every host carrying it (sync + commit, one job per host), as oVirt does."""
    from lognet.domain.errors import LognetError
    from lognet.service.setup import sync_all

    with UnitOfWork(app.db, write=False) as uow:
        host_ids = list(uow.session.scalars(select(orm.NetworkAttachment.host_id).filter_by(network_id=network_id)))
    jobs = []
    for host_id in host_ids:
        try:
            jobs.append(sync_all(app, actor, host_id, {})["id"])
        except LognetError as exc:  # a busy or unusable host stays out of sync; it shows as such
            with UnitOfWork(app.db, actor) as uow:
                host = uow.get(orm.Host, host_id, "host")
                uow.event("network.propagate", host, f"{exc.code}: {exc.message}", result="failure")
                uow.commit()
    return jobs


def change_network(uow: UnitOfWork, net: orm.Network, body: dict[str, Any]) -> bool:
    """Apply ``body`` to a network row in the caller's unit of work (not committed).

    Returns whether hosts see the change (VLAN, MTU or VM-network flag): then call :func:`propagate`
    after the commit."""
    if body.get("datacenter") not in (None, net.datacenter_id):
        dc = uow.get(orm.DataCenter, body["datacenter"], "datacenter")
        if dc.id != net.datacenter_id:
            raise invalid("DATACENTER_CANNOT_CHANGE", "a network cannot move to another data center",
                          "datacenter")
    vm_network = bool(body.get("vm_network", net.vm_network))
    stp = bool(body.get("stp", net.stp))
    _check_flags(vm_network, stp)
    name = check_network_name(body["name"]) if "name" in body else net.name
    vlan = check_vlan(body["vlan"]) if "vlan" in body else net.vlan
    mtu = check_mtu(body["mtu"]) if "mtu" in body else net.mtu
    if name != net.name:
        _check_name_free(uow, net.datacenter_id, name, net.id)
        _check_rename(uow, net)
    if net.vm_network and not vm_network:
        _check_unused(uow, net, "NETWORK_IN_USE", "cannot stop being a VM network")
    host_visible = (net.vlan, net.mtu, net.vm_network) != (vlan, mtu, vm_network)
    net.name, net.vlan, net.mtu, net.vm_network, net.stp = name, vlan, mtu, vm_network, stp
    if "description" in body:
        net.description = check_description(body["description"])
    net.host_name = host_name_for(name, net.id)
    net.revision += 1
    uow.event("network.update", net)
    return host_visible


def _check_rename(uow: UnitOfWork, net: orm.Network) -> None:
    hosts = uow.session.scalars(select(orm.Host.name).join(orm.NetworkAttachment,
                                orm.NetworkAttachment.host_id == orm.Host.id).filter(
                                orm.NetworkAttachment.network_id == net.id)).all()
    templates = uow.session.scalars(select(orm.Template.name).join(orm.Vnic, orm.Vnic.template_id == orm.Template.id)
                                    .filter(orm.Vnic.network_id == net.id)).all()
    if hosts or templates:
        users = ", ".join([f"host {h}" for h in hosts] + [f"template {t}" for t in templates])
        raise Conflict("NETWORK_RENAME_IN_USE", f"network {net.name} cannot be renamed while used by {users}",
                       [FieldError("name", "network in use")])


def vnic_users(uow: UnitOfWork, net: orm.Network, cluster_id: str | None = None) -> list[str]:
    """Names of VMs and templates whose vNICs use ``net`` (optionally only in one cluster)."""
    vm_q = select(orm.Vm.name).join(orm.Vnic, orm.Vnic.vm_id == orm.Vm.id).filter(orm.Vnic.network_id == net.id)
    t_q = select(orm.Template.name).join(orm.Vnic, orm.Vnic.template_id == orm.Template.id).filter(
        orm.Vnic.network_id == net.id)
    if cluster_id:
        vm_q = vm_q.filter(orm.Vm.cluster_id == cluster_id)
        t_q = t_q.filter(orm.Template.cluster_id == cluster_id)
    vms = sorted(set(uow.session.scalars(vm_q)))
    templates = sorted(set(uow.session.scalars(t_q)))
    return [f"VM {v}" for v in vms] + [f"template {t}" for t in templates]


def _check_unused(uow: UnitOfWork, net: orm.Network, code: str, what: str, cluster_id: str | None = None) -> None:
    users = vnic_users(uow, net, cluster_id)
    if users:
        raise Conflict(code, f"network {net.name} {what}: used by {', '.join(users)}", details={"used_by": users})


def remove_network(app: Lognet, actor: Actor, ref: str) -> None:
    """Remove a network: never the management network of a cluster, never while vNICs use it."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        net = uow.get(orm.Network, ref, "network", for_update=True)
        delete_network(uow, net)
        uow.commit()


def delete_network(uow: UnitOfWork, net: orm.Network) -> None:
    """The removal rules and the deletion, in the caller's unit of work (not committed)."""
    # One round trip on the usual path; the names for the error message only when a rule is broken.
    manages, used = uow.session.execute(select(
        exists().where(orm.NetworkCluster.network_id == net.id, orm.NetworkCluster.management.is_(True)),
        exists().where(orm.Vnic.network_id == net.id))).one()
    if manages:
        managed = uow.session.scalars(select(orm.Cluster.name).join(
            orm.NetworkCluster, orm.NetworkCluster.cluster_id == orm.Cluster.id).filter(
            orm.NetworkCluster.network_id == net.id, orm.NetworkCluster.management.is_(True))).all()
        raise Conflict("CANNOT_REMOVE_MANAGEMENT_NETWORK",
                       f"network {net.name} is the management network of cluster(s) {', '.join(managed)}")
    if used:
        _check_unused(uow, net, "NETWORK_IN_USE", "cannot be removed")
        ports = uow.session.scalar(select(func.count()).select_from(orm.Vnic).filter(
            orm.Vnic.network_id == net.id, orm.Vnic.vm_id.is_(None), orm.Vnic.template_id.is_(None)))
        if ports:
            raise Conflict("NETWORK_IN_USE", f"network {net.name} cannot be removed: {ports} unbound port(s) use it",
                           details={"used_by": [f"{ports} port(s)"]})
    # Hosts keep carrying it as an unmanaged network until someone removes it there.
    uow.session.execute(delete(orm.NetworkAttachment).filter_by(network_id=net.id))
    # Its cluster links and OpenStack rows go with it (ON DELETE CASCADE).
    uow.session.execute(delete(orm.Network).filter_by(id=net.id))
    uow.session.expunge(net)
    uow.event("network.remove", net)


# -- cluster attachment ---------------------------------------------------------------------------
def cluster_links(uow: UnitOfWork, cluster_id: str) -> list[orm.NetworkCluster]:
    return list(uow.session.scalars(select(orm.NetworkCluster).filter_by(cluster_id=cluster_id)))


def list_cluster_networks(app: Lognet, cluster_ref: str) -> list[dict[str, Any]]:
    with UnitOfWork(app.db, write=False) as uow:
        cluster = uow.get(orm.Cluster, cluster_ref, "cluster")
        return _cluster_network_views(uow, cluster.id)


def _cluster_network_views(uow: UnitOfWork, cluster_id: str, only: str | None = None) -> list[dict[str, Any]]:
    links = cluster_links(uow, cluster_id)
    roles = views.effective_roles(links)
    hosts = list(uow.session.scalars(select(orm.Host).filter_by(cluster_id=cluster_id)))
    out = []
    for link in links:
        if only and link.network_id != only:
            continue
        net = uow.session.get(orm.Network, link.network_id)
        assert net is not None
        out.append(views.cluster_network(link, net, roles[link.network_id], _status(link, net, hosts)))
    return sorted(out, key=lambda v: v["name"])


def _status(link: orm.NetworkCluster, net: orm.Network, hosts: list[orm.Host]) -> str:
    """Required networks are non-operational while an up host lacks them."""
    if not link.required:
        return "operational"
    for host in hosts:
        if host.status == "up" and net.host_name not in (host.reported or {}).get("networks", {}):
            return "non_operational"
    return "operational"


def _apply_roles(uow: UnitOfWork, link: orm.NetworkCluster, body: dict[str, Any]) -> None:
    links = cluster_links(uow, link.cluster_id)
    has_hosts = uow.session.scalar(select(orm.Host.id).filter_by(cluster_id=link.cluster_id).limit(1))
    if body.get("management") and not link.management and has_hosts:
        raise Conflict("MANAGEMENT_NETWORK_CANNOT_CHANGE",
                       "the management network can only move while the cluster has no hosts",
                       [FieldError("management", "cluster has hosts")])
    if body.get("management") is False and link.management:
        raise Conflict("MANAGEMENT_NETWORK_UNSET", "the management network moves by setting it on another network",
                       [FieldError("management", "cannot be cleared")])
    required = bool(body.get("required", link.required))
    if (body.get("management") or link.management) and not required:
        raise invalid("MANAGEMENT_NETWORK_REQUIRED", "the management network must be required", "required")
    link.required = required
    for role in views.ROLES:
        if role in body and body[role] is not None:
            if body[role]:
                for other in links:  # roles are exclusive within a cluster
                    if other.network_id != link.network_id:
                        setattr(other, role, False)
            setattr(link, role, bool(body[role]))


def attach_network(app: Lognet, actor: Actor, cluster_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Attach a network to a cluster (required by default) with optional roles."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        cluster = uow.get(orm.Cluster, cluster_ref, "cluster")
        net = uow.get(orm.Network, body.get("network"), "network")
        if net.datacenter_id != cluster.datacenter_id:
            raise Conflict("NETWORK_FROM_DIFFERENT_DATACENTER",
                           f"network {net.name} belongs to another data center than cluster {cluster.name}")
        if uow.session.get(orm.NetworkCluster, (cluster.id, net.id)) is not None:
            raise Conflict("NETWORK_ALREADY_IN_CLUSTER", f"network {net.name} is already attached to {cluster.name}")
        link = orm.NetworkCluster(cluster_id=cluster.id, network_id=net.id, required=True, management=False,
                                  display=False, migration=False, default_route=False)
        uow.add(link)
        _apply_roles(uow, link, body)
        if body.get("management"):
            for other in cluster_links(uow, cluster.id):
                if other.network_id != net.id:
                    other.management = False
            link.management = True
        _adopt_on_hosts(uow, cluster, net)
        uow.event("cluster.network.attach", net, f"cluster {cluster.name}")
        uow.session.flush()
        uow.commit()
        return _cluster_network_views(uow, cluster.id, net.id)[0]


def _adopt_on_hosts(uow: UnitOfWork, cluster: orm.Cluster, net: orm.Network) -> None:
    """Hosts of the cluster that already carry the network get it as a desired attachment (as in oVirt)."""
    for host in uow.session.scalars(select(orm.Host).filter_by(cluster_id=cluster.id)):
        state = (host.reported or {}).get("networks", {}).get(net.host_name)
        exists = uow.session.scalar(select(orm.NetworkAttachment.id).filter_by(host_id=host.id, network_id=net.id))
        if state and not exists:
            uow.add(attachment_from_report(host.id, net.id, state))


def attachment_from_report(host_id: str, network_id: str, state: dict[str, Any]) -> orm.NetworkAttachment:
    """A desired attachment that keeps a network as the host reports it (adopting what is already there)."""
    return orm.NetworkAttachment(host_id=host_id, network_id=network_id, nic=state.get("nic") or state.get("bond"),
                                 ipv4=state.get("ipv4") or {"boot_protocol": "none"},
                                 ipv6=state.get("ipv6") or {"boot_protocol": "none"})


def _cluster_link(uow: UnitOfWork, cluster_ref: str, net_ref: str) -> tuple[orm.Cluster, orm.Network,
                                                                          orm.NetworkCluster]:
    cluster = uow.get(orm.Cluster, cluster_ref, "cluster")
    net = uow.get(orm.Network, net_ref, "network", datacenter_id=cluster.datacenter_id)
    link = uow.session.get(orm.NetworkCluster, (cluster.id, net.id))
    if link is None:
        raise Conflict("NETWORK_NOT_IN_CLUSTER", f"network {net.name} is not attached to cluster {cluster.name}")
    return cluster, net, link


def update_cluster_network(app: Lognet, actor: Actor, cluster_ref: str, net_ref: str,
                           body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        cluster, net, link = _cluster_link(uow, cluster_ref, net_ref)
        _apply_roles(uow, link, body)
        if body.get("management") and not link.management:
            for other in cluster_links(uow, cluster.id):
                other.management = other.network_id == net.id
        uow.event("cluster.network.update", net, f"cluster {cluster.name}")
        uow.session.flush()
        uow.commit()
        return _cluster_network_views(uow, cluster.id, net.id)[0]


def detach_network(app: Lognet, actor: Actor, cluster_ref: str, net_ref: str) -> None:
    """Detach a network from a cluster: never the management one, never while the cluster's vNICs use it."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        cluster, net, link = _cluster_link(uow, cluster_ref, net_ref)
        if link.management:
            raise Conflict("CANNOT_DETACH_MANAGEMENT_NETWORK",
                           f"network {net.name} is the management network of cluster {cluster.name}")
        _check_unused(uow, net, "NETWORK_IN_USE", f"cannot be detached from cluster {cluster.name}", cluster.id)
        host_ids = select(orm.Host.id).filter_by(cluster_id=cluster.id)
        for att in uow.session.scalars(select(orm.NetworkAttachment).filter(
                orm.NetworkAttachment.network_id == net.id, orm.NetworkAttachment.host_id.in_(host_ids))):
            uow.session.delete(att)
        uow.session.delete(link)
        uow.event("cluster.network.detach", net, f"cluster {cluster.name}")
        uow.commit()

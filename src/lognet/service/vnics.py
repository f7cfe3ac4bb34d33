"""vNICs of templates and VMs: add, update, remove, and hot plug / unplug / link on running VMs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.domain.errors import Conflict, FieldError, not_found
from lognet.domain.values import check_interface, check_vnic_name, normalize_mac
from lognet.service import macs, views
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.hosts import agent_call
from lognet.service.uow import Actor, UnitOfWork, restore_row, row_state
from lognet.service.vms import vm_id_of, vnic_spec

VNIC_FIELDS = ("name", "mac", "interface", "network", "linked", "plugged")


def check_network_in_cluster(uow: UnitOfWork, net_ref: str, cluster_id: str) -> orm.Network:
    """The network, which must be attached to the cluster (NETWORK_NOT_IN_CLUSTER otherwise)."""
    cluster = uow.get(orm.Cluster, cluster_id, "cluster")
    net = uow.get(orm.Network, net_ref, "network", datacenter_id=cluster.datacenter_id)
    if uow.session.get(orm.NetworkCluster, (cluster.id, net.id)) is None:
        raise Conflict("NETWORK_NOT_IN_CLUSTER", f"network {net.name} is not attached to cluster {cluster.name}",
                       [FieldError("network", "attach it to the cluster first")])
    return net


def vm_network(uow: UnitOfWork, ref: object, cluster_id: str) -> orm.Network | None:
    """The network a vNIC may use (attached to the cluster, a VM network), or None for no network."""
    if ref in (None, ""):
        return None
    net = check_network_in_cluster(uow, str(ref), cluster_id)
    if not net.vm_network:
        raise Conflict("NOT_A_VM_NETWORK", f"network {net.name} is not a VM network",
                       [FieldError("network", "not a VM network")])
    return net


def _check_name_free(uow: UnitOfWork, owner: dict[str, str], name: str, exclude: str | None = None) -> None:
    row = uow.session.scalar(select(orm.Vnic).filter_by(name=name, **owner))
    if row is not None and row.id != exclude:
        raise Conflict("VNIC_NAME_IN_USE", f"a vNIC named {name!r} exists already", [FieldError("name", "in use")])


def _view(uow: UnitOfWork, nic: orm.Vnic) -> dict[str, Any]:
    net = uow.session.get(orm.Network, nic.network_id) if nic.network_id else None
    return views.vnic(nic, net.name if net else None)


def _find(uow: UnitOfWork, owner: dict[str, str], ref: str) -> orm.Vnic:
    nic = uow.session.scalar(select(orm.Vnic).filter_by(id=ref, **owner)) or \
        uow.session.scalar(select(orm.Vnic).filter_by(name=ref, **owner))
    if nic is None:
        raise not_found("vnic", ref)
    return nic


def list_vnics(app: Lognet, kind: str, ref: str) -> list[dict[str, Any]]:
    with UnitOfWork(app.db, write=False) as uow:
        owner = _owner(uow, kind, ref)[1]
        nics = uow.session.scalars(select(orm.Vnic).filter_by(**owner).order_by(orm.Vnic.name))
        return [_view(uow, n) for n in nics]


def get_vnic(app: Lognet, kind: str, ref: str, nic_ref: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return _view(uow, _find(uow, _owner(uow, kind, ref)[1], nic_ref))


def _owner(uow: UnitOfWork, kind: str, ref: str) -> tuple[orm.Vm | orm.Template, dict[str, str]]:
    if kind == "vm":
        vm = uow.get(orm.Vm, ref, "vm", for_update=True)
        return vm, {"vm_id": vm.id}
    tpl = uow.get(orm.Template, ref, "template")
    return tpl, {"template_id": tpl.id}


# -- templates ------------------------------------------------------------------------------------
def add_template_vnic(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """A template vNIC: no MAC (each VM made from the template gets its own)."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        tpl, owner = _owner(uow, "template", ref)
        name = check_vnic_name(body.get("name"))
        _check_name_free(uow, owner, name)
        net = vm_network(uow, body.get("network"), tpl.cluster_id)
        nic = orm.Vnic(template_id=tpl.id, name=name, interface=check_interface(body.get("interface")),
                       network_id=net.id if net else None, linked=bool(body.get("linked", True)),
                       plugged=bool(body.get("plugged", True)))
        uow.add(nic)
        uow.event("template.nic.add", nic, f"template {tpl.name}")
        uow.commit()
        return _view(uow, nic)


def update_template_vnic(app: Lognet, actor: Actor, ref: str, nic_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        tpl, owner = _owner(uow, "template", ref)
        nic = _find(uow, owner, nic_ref)
        if "name" in body:
            name = check_vnic_name(body["name"])
            _check_name_free(uow, owner, name, nic.id)
            nic.name = name
        if "interface" in body:
            nic.interface = check_interface(body["interface"])
        _edit_network_and_flags(uow, nic, body, tpl.cluster_id)
        uow.event("template.nic.update", nic, f"template {tpl.name}")
        uow.commit()
        return _view(uow, nic)


def remove_template_vnic(app: Lognet, actor: Actor, ref: str, nic_ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        tpl, owner = _owner(uow, "template", ref)
        nic = _find(uow, owner, nic_ref)
        uow.session.delete(nic)
        uow.event("template.nic.remove", nic, f"template {tpl.name}")
        uow.commit()


# -- VMs ------------------------------------------------------------------------------------------
def running_host(uow: UnitOfWork, vm: orm.Vm) -> orm.Host | None:
    """The host the VM runs on, or None when it is down."""
    return uow.session.get(orm.Host, vm.host_id) if vm.status == "up" and vm.host_id else None


def check_on_host(host: orm.Host, net: orm.Network | None) -> None:
    """Hot plug needs the vNIC's network on the VM's host (NETWORK_NOT_ON_HOST)."""
    if net is not None and net.host_name not in (host.reported or {}).get("networks", {}):
        raise Conflict("NETWORK_NOT_ON_HOST", f"network {net.name} is not on host {host.name}, where the VM runs",
                       [FieldError("network", "not on the VM's host")])


def add_vm_vnic(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """A VM vNIC with a MAC from the cluster's pool (or a given one); hot-plugged when the VM runs."""
    require_admin(actor)
    with app.vm_lock(vm_id_of(app, ref)), UnitOfWork(app.db, actor) as uow:
        vm, owner = _owner(uow, "vm", ref)
        assert isinstance(vm, orm.Vm)
        name = check_vnic_name(body.get("name"))
        _check_name_free(uow, owner, name)
        interface = check_interface(body.get("interface"))
        net = vm_network(uow, body.get("network"), vm.cluster_id)
        given = normalize_mac(body["mac"]) if body.get("mac") else None
        plugged = bool(body.get("plugged", True))
        host = running_host(uow, vm)
        if host is not None and plugged:
            check_on_host(host, net)
        pool = macs.pool_for_cluster(uow, vm.cluster_id)
        mac = macs.claim(uow, pool, given) if given else macs.allocate(uow, pool)
        nic = orm.Vnic(id=orm.new_id(), vm_id=vm.id, name=name, interface=interface, network_id=net.id if net else None,
                       linked=bool(body.get("linked", True)), plugged=plugged, mac=mac, mac_pool_id=pool.id)
        uow.add(nic)
        if host is not None and plugged:
            client, vm_id, spec = app.agents.client(host), vm.id, vnic_spec(uow, nic)
            uow.after_commit(partial(agent_call, partial(client.hotplug, vm_id, spec)),
                             undo=lambda u: restore_row(u, orm.Vnic, spec["id"], None))
        uow.event("vm.nic.add", nic, f"VM {vm.name}")
        uow.commit()
        return _view(uow, nic)


def update_vm_vnic(app: Lognet, actor: Actor, ref: str, nic_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Edit a vNIC; on a running VM: plug, unplug, link, unlink or rewire it live.

    MAC and interface type cannot change while the vNIC is plugged into a running VM (unplug first).
    """
    require_admin(actor)
    with app.vm_lock(vm_id_of(app, ref)), UnitOfWork(app.db, actor) as uow:
        vm, owner = _owner(uow, "vm", ref)
        assert isinstance(vm, orm.Vm)
        nic = _find(uow, owner, nic_ref)
        host = running_host(uow, vm)
        before = row_state(nic)
        _edit_fields(uow, vm, nic, body, live=host is not None and before["plugged"])
        if host is not None:
            _apply_live(app, uow, host, vm, nic, before)
        uow.event("vm.nic.update", nic, f"VM {vm.name}")
        uow.commit()
        return _view(uow, nic)


def _edit_fields(uow: UnitOfWork, vm: orm.Vm, nic: orm.Vnic, body: dict[str, Any], live: bool) -> None:
    if "name" in body and body["name"] != nic.name:
        name = check_vnic_name(body["name"])
        _check_name_free(uow, {"vm_id": vm.id}, name, nic.id)
        nic.name = name
    stays_plugged = live and body.get("plugged", True) is not False
    if body.get("interface") is not None and body["interface"] != nic.interface:
        if stays_plugged:
            raise Conflict("VNIC_PLUGGED", f"vNIC {nic.name} is plugged into running VM {vm.name}; unplug it to "
                           "change its interface type", [FieldError("interface", "unplug first")])
        nic.interface = check_interface(body["interface"])
    if body.get("mac") is not None:
        mac = normalize_mac(body["mac"])
        if mac != nic.mac:
            if stays_plugged:
                raise Conflict("VNIC_PLUGGED", f"vNIC {nic.name} is plugged into running VM {vm.name}; unplug it "
                               "to change its MAC", [FieldError("mac", "unplug first")])
            pool = macs.pool_for_cluster(uow, vm.cluster_id)
            nic.mac, nic.mac_pool_id = macs.claim(uow, pool, mac, nic.id), pool.id
    _edit_network_and_flags(uow, nic, body, vm.cluster_id)


def _edit_network_and_flags(uow: UnitOfWork, nic: orm.Vnic, body: dict[str, Any], cluster_id: str) -> None:
    if "network" in body:
        net = vm_network(uow, body["network"], cluster_id)
        nic.network_id = net.id if net else None
    for flag in ("linked", "plugged"):
        if body.get(flag) is not None:
            setattr(nic, flag, bool(body[flag]))


def _apply_live(app: Lognet, uow: UnitOfWork, host: orm.Host, vm: orm.Vm, nic: orm.Vnic,
                before: dict[str, Any]) -> None:
    """Plug, unplug or update the vNIC on the VM's host once the change is committed (undone if the host fails)."""
    client, vm_id, nic_id = app.agents.client(host), vm.id, nic.id
    net = uow.session.get(orm.Network, nic.network_id) if nic.network_id else None
    spec = vnic_spec(uow, nic)
    call: Callable[[], Any] | None = None
    if nic.plugged and not before["plugged"]:
        check_on_host(host, net)
        call = partial(client.hotplug, vm_id, spec)
    elif before["plugged"] and not nic.plugged:
        call = partial(client.unplug, vm_id, nic_id)
    elif nic.plugged and (nic.network_id != before["network_id"] or nic.linked != before["linked"]):
        check_on_host(host, net)
        call = partial(client.update_nic, vm_id, nic_id, spec["linked"], spec["network"])
    if call is not None:
        uow.after_commit(partial(agent_call, call), undo=lambda u: restore_row(u, orm.Vnic, nic_id, before))


def remove_vm_vnic(app: Lognet, actor: Actor, ref: str, nic_ref: str) -> None:
    """Remove a vNIC (its MAC returns to the pool); a plugged vNIC of a running VM must be unplugged first."""
    require_admin(actor)
    with app.vm_lock(vm_id_of(app, ref)), UnitOfWork(app.db, actor) as uow:
        vm, owner = _owner(uow, "vm", ref)
        assert isinstance(vm, orm.Vm)
        nic = _find(uow, owner, nic_ref)
        if vm.status != "down" and nic.plugged:
            raise Conflict("VNIC_PLUGGED", f"vNIC {nic.name} is plugged into running VM {vm.name}; unplug it first")
        uow.session.delete(nic)
        uow.event("vm.nic.remove", nic, f"VM {vm.name}")
        uow.commit()

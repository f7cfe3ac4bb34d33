"""Templates and VMs: create, remove, start, stop."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.domain.errors import Conflict
from lognet.domain.values import check_description, check_name
from lognet.protocol import VnicSpec
from lognet.service import macs, views
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.hosts import agent_call, agent_error
from lognet.service.naming import check_name_free, edit_name_description
from lognet.service.ports import AgentClient, AgentError
from lognet.service.uow import Actor, UnitOfWork, restore_row, row_state


# -- templates ------------------------------------------------------------------------------------
def add_template(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    name = check_name(body.get("name"))
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.Template, name, "TEMPLATE_NAME_IN_USE")
        cluster = uow.get(orm.Cluster, body.get("cluster") or "Default", "cluster")
        tpl = orm.Template(name=name, cluster_id=cluster.id, description=check_description(body.get("description")))
        uow.add(tpl)
        uow.event("template.add", tpl)
        uow.commit()
        return views.template(tpl)


def update_template(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        tpl = uow.get(orm.Template, ref, "template")
        edit_name_description(uow, tpl, body, "TEMPLATE_NAME_IN_USE")
        uow.event("template.update", tpl)
        uow.commit()
        return views.template(tpl)


def remove_template(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        tpl = uow.get(orm.Template, ref, "template")
        uow.session.delete(tpl)
        uow.event("template.remove", tpl)
        uow.commit()


# -- VMs ------------------------------------------------------------------------------------------
def add_vm(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A new (down) VM, empty or from a template whose vNICs it copies with fresh MACs."""
    require_admin(actor)
    name = check_name(body.get("name"))
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.Vm, name, "VM_NAME_IN_USE")
        tpl = uow.get(orm.Template, body["template"], "template") if body.get("template") else None
        cluster_ref = body.get("cluster") or (tpl.cluster_id if tpl else "Default")
        cluster = uow.get(orm.Cluster, cluster_ref, "cluster")
        if tpl is not None and tpl.cluster_id != cluster.id:
            other = uow.get(orm.Cluster, tpl.cluster_id, "cluster")
            if other.datacenter_id != cluster.datacenter_id:
                raise Conflict("TEMPLATE_FROM_OTHER_DATACENTER", "the template belongs to another data center")
        vm = orm.Vm(id=orm.new_id(), name=name, cluster_id=cluster.id, template_id=tpl.id if tpl else None,
                    description=check_description(body.get("description")), status="down")
        uow.add(vm)
        if tpl is not None:
            _copy_template_vnics(uow, tpl, vm)
        uow.event("vm.add", vm)
        uow.commit()
        return views.vm(vm)


def _copy_template_vnics(uow: UnitOfWork, tpl: orm.Template, vm: orm.Vm) -> None:
    from lognet.service.vnics import check_network_in_cluster

    pool = macs.pool_for_cluster(uow, vm.cluster_id)
    for nic in uow.session.scalars(select(orm.Vnic).filter_by(template_id=tpl.id).order_by(orm.Vnic.name)):
        if nic.network_id:
            check_network_in_cluster(uow, nic.network_id, vm.cluster_id)
        uow.add(orm.Vnic(vm_id=vm.id, name=nic.name, interface=nic.interface, network_id=nic.network_id,
                         linked=nic.linked, plugged=nic.plugged, mac=macs.allocate(uow, pool), mac_pool_id=pool.id))
        uow.session.flush()


def update_vm(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        vm = uow.get(orm.Vm, ref, "vm")
        edit_name_description(uow, vm, body, "VM_NAME_IN_USE")
        uow.event("vm.update", vm)
        uow.commit()
        return views.vm(vm)


def remove_vm(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        vm = uow.get(orm.Vm, ref, "vm")
        if vm.status != "down":
            raise Conflict("VM_IS_RUNNING", f"VM {vm.name} is running; stop it first")
        uow.session.delete(vm)
        uow.event("vm.remove", vm)
        uow.commit()


def vnic_spec(uow: UnitOfWork, nic: orm.Vnic) -> VnicSpec:
    net = uow.session.get(orm.Network, nic.network_id) if nic.network_id else None
    return {"id": nic.id, "name": nic.name, "mac": nic.mac or "", "network": net.host_name if net else None,
            "linked": nic.linked and net is not None}


def _pick_host(uow: UnitOfWork, vm: orm.Vm, needed: set[str], host_ref: str | None) -> orm.Host:
    candidates = ([uow.get(orm.Host, host_ref, "host")] if host_ref else
                  list(uow.session.scalars(select(orm.Host).filter_by(cluster_id=vm.cluster_id).order_by(orm.Host.name))))
    if host_ref:
        host = candidates[0]
        if host.cluster_id != vm.cluster_id:
            raise Conflict("HOST_NOT_IN_VM_CLUSTER", f"host {host.name} is not in the VM's cluster")
        if host.status != "up":
            raise Conflict("HOST_NOT_UP", f"host {host.name} is {host.status}")
        missing = needed - set((host.reported or {}).get("networks", {}))
        if missing:
            raise Conflict("NETWORK_NOT_ON_HOST", f"host {host.name} lacks network(s) {', '.join(sorted(missing))}",
                           details={"missing": sorted(missing)})
        return host
    for host in candidates:
        if host.status == "up" and needed <= set((host.reported or {}).get("networks", {})):
            return host
    raise Conflict("NO_HOST_FOR_VM", f"no up host of the cluster carries every network of VM {vm.name}: "
                   f"{', '.join(sorted(needed)) or '(none)'}", details={"networks": sorted(needed)})


def start_vm(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Start a VM on a host carrying the networks of its plugged vNICs (the given one, or the first fit)."""
    require_admin(actor)
    with app.vm_lock(vm_id_of(app, ref)), UnitOfWork(app.db, actor) as uow:
        vm = uow.get(orm.Vm, ref, "vm", for_update=True)
        if vm.status != "down":
            raise Conflict("VM_ALREADY_UP", f"VM {vm.name} is already running")
        query = select(orm.Vnic).filter_by(vm_id=vm.id, plugged=True).order_by(orm.Vnic.name)
        plugged = list(uow.session.scalars(query))
        specs = [vnic_spec(uow, nic) for nic in plugged]
        _check_vm_networks(uow, vm, plugged)
        host = _pick_host(uow, vm, {s["network"] for s in specs if s["network"]}, body.get("host"))
        before = row_state(vm)
        vm.status, vm.host_id = "up", host.id
        uow.after_commit(partial(agent_call, partial(app.agents.client(host).vm_start, vm.id, vm.name, specs)),
                         undo=partial(_put_back, vm.id, before))
        uow.event("vm.start", vm, f"on host {host.name}")
        uow.commit()
        return views.vm(vm)


def _check_vm_networks(uow: UnitOfWork, vm: orm.Vm, nics: list[orm.Vnic]) -> None:
    from lognet.service.vnics import check_network_in_cluster

    for nic in nics:
        if nic.network_id:
            net = check_network_in_cluster(uow, nic.network_id, vm.cluster_id)
            if not net.vm_network:
                raise Conflict("NOT_A_VM_NETWORK", f"vNIC {nic.name}: network {net.name} is not a VM network")


def stop_vm(app: Lognet, actor: Actor, ref: str) -> dict[str, Any]:
    require_admin(actor)
    with app.vm_lock(vm_id_of(app, ref)), UnitOfWork(app.db, actor) as uow:
        vm = uow.get(orm.Vm, ref, "vm", for_update=True)
        if vm.status == "down":
            raise Conflict("VM_ALREADY_DOWN", f"VM {vm.name} is not running")
        host = uow.session.get(orm.Host, vm.host_id) if vm.host_id else None
        if host is not None:
            uow.after_commit(partial(_stop_on_host, app.agents.client(host), vm.id),
                             undo=partial(_put_back, vm.id, row_state(vm)))
        vm.status, vm.host_id = "down", None
        uow.event("vm.stop", vm)
        uow.commit()
        return views.vm(vm)



def vm_id_of(app: Lognet, ref: str) -> str:
    """The id of the VM ``ref`` names (NotFound otherwise)."""
    with UnitOfWork(app.db, write=False) as uow:
        return uow.get(orm.Vm, ref, "vm").id


def _stop_on_host(client: AgentClient, vm_id: str) -> None:
    try:
        client.vm_stop(vm_id)
    except AgentError as exc:
        if exc.code != "VM_NOT_RUNNING":  # already gone: what we wanted
            raise agent_error(exc) from None


def _put_back(vm_id: str, state: dict[str, Any], uow: UnitOfWork) -> None:
    restore_row(uow, orm.Vm, vm_id, state)

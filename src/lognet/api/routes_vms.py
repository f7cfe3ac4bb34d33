"""Native API: templates, VMs and their vNICs; VM start and stop."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from lognet.adapters import orm
from lognet.api.deps import App, Caller, Filter, list_response
from lognet.api.schemas import TemplateBody, VmBody, VmStart, VnicBody
from lognet.service import views, vms, vnics
from lognet.service.uow import UnitOfWork

router = APIRouter()


def _items(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(results), "next": None, "previous": None, "results": results}


# -- templates ------------------------------------------------------------------------------------
@router.get("/templates", tags=["templates"])
def list_templates(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Template, {
        "name": Filter(orm.Template.name), "cluster": Filter(orm.Template.cluster_id, orm.Cluster, "cluster")},
        lambda uow, r: views.template(r))


@router.post("/templates", status_code=201, tags=["templates"])
def create_template(app: App, who: Caller, body: TemplateBody) -> dict[str, Any]:
    return vms.add_template(app, who, body.data())


@router.get("/templates/{ref}", tags=["templates"])
def get_template(app: App, who: Caller, ref: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return views.template(uow.get(orm.Template, ref, "template"))


@router.patch("/templates/{ref}", tags=["templates"])
def update_template(app: App, who: Caller, ref: str, body: TemplateBody) -> dict[str, Any]:
    return vms.update_template(app, who, ref, body.data())


@router.delete("/templates/{ref}", status_code=204, tags=["templates"])
def delete_template(app: App, who: Caller, ref: str) -> Response:
    vms.remove_template(app, who, ref)
    return Response(status_code=204)


@router.get("/templates/{ref}/nics", tags=["templates"])
def list_template_nics(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _items(vnics.list_vnics(app, "template", ref))


@router.post("/templates/{ref}/nics", status_code=201, tags=["templates"])
def create_template_nic(app: App, who: Caller, ref: str, body: VnicBody) -> dict[str, Any]:
    return vnics.add_template_vnic(app, who, ref, body.data())


@router.get("/templates/{ref}/nics/{nic}", tags=["templates"])
def get_template_nic(app: App, who: Caller, ref: str, nic: str) -> dict[str, Any]:
    return vnics.get_vnic(app, "template", ref, nic)


@router.patch("/templates/{ref}/nics/{nic}", tags=["templates"])
def update_template_nic(app: App, who: Caller, ref: str, nic: str, body: VnicBody) -> dict[str, Any]:
    return vnics.update_template_vnic(app, who, ref, nic, body.data())


@router.delete("/templates/{ref}/nics/{nic}", status_code=204, tags=["templates"])
def delete_template_nic(app: App, who: Caller, ref: str, nic: str) -> Response:
    vnics.remove_template_vnic(app, who, ref, nic)
    return Response(status_code=204)


# -- VMs ------------------------------------------------------------------------------------------
@router.get("/vms", tags=["vms"])
def list_vms(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Vm, {
        "name": Filter(orm.Vm.name), "status": Filter(orm.Vm.status),
        "cluster": Filter(orm.Vm.cluster_id, orm.Cluster, "cluster"),
        "host": Filter(orm.Vm.host_id, orm.Host, "host")}, lambda uow, r: views.vm(r))


@router.post("/vms", status_code=201, tags=["vms"])
def create_vm(app: App, who: Caller, body: VmBody) -> dict[str, Any]:
    """A new VM, empty or from a template (its vNICs are copied with fresh MACs)."""
    return vms.add_vm(app, who, body.data())


@router.get("/vms/{ref}", tags=["vms"])
def get_vm(app: App, who: Caller, ref: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return views.vm(uow.get(orm.Vm, ref, "vm"))


@router.patch("/vms/{ref}", tags=["vms"])
def update_vm(app: App, who: Caller, ref: str, body: VmBody) -> dict[str, Any]:
    return vms.update_vm(app, who, ref, body.data())


@router.delete("/vms/{ref}", status_code=204, tags=["vms"])
def delete_vm(app: App, who: Caller, ref: str) -> Response:
    vms.remove_vm(app, who, ref)
    return Response(status_code=204)


@router.post("/vms/{ref}/start", tags=["vms"])
def start_vm(app: App, who: Caller, ref: str, body: VmStart | None = None) -> dict[str, Any]:
    """Start the VM with every plugged vNIC, on the given host or the first that carries their networks."""
    return vms.start_vm(app, who, ref, body.data() if body else {})


@router.post("/vms/{ref}/stop", tags=["vms"])
def stop_vm(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return vms.stop_vm(app, who, ref)


@router.get("/vms/{ref}/nics", tags=["vms"])
def list_vm_nics(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _items(vnics.list_vnics(app, "vm", ref))


@router.post("/vms/{ref}/nics", status_code=201, tags=["vms"])
def create_vm_nic(app: App, who: Caller, ref: str, body: VnicBody) -> dict[str, Any]:
    """Add a vNIC; its MAC comes from the cluster's pool unless given. Hot-plugged on a running VM."""
    return vnics.add_vm_vnic(app, who, ref, body.data())


@router.get("/vms/{ref}/nics/{nic}", tags=["vms"])
def get_vm_nic(app: App, who: Caller, ref: str, nic: str) -> dict[str, Any]:
    return vnics.get_vnic(app, "vm", ref, nic)


@router.patch("/vms/{ref}/nics/{nic}", tags=["vms"])
def update_vm_nic(app: App, who: Caller, ref: str, nic: str, body: VnicBody) -> dict[str, Any]:
    """Edit a vNIC. ``plugged`` activates/deactivates it, ``linked`` links/unlinks it (live on a running VM)."""
    return vnics.update_vm_vnic(app, who, ref, nic, body.data())


@router.delete("/vms/{ref}/nics/{nic}", status_code=204, tags=["vms"])
def delete_vm_nic(app: App, who: Caller, ref: str, nic: str) -> Response:
    vnics.remove_vm_vnic(app, who, ref, nic)
    return Response(status_code=204)

"""Console pages for templates and VMs: their vNICs, hot-plug and link toggles, start and stop."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lognet.web.client import Api, ApiError
from lognet.web.render import checked, flash, form_data, guarded, html, int_param, page_links, shell

router = APIRouter()
PAGE = 25
KINDS = {"vms": "VM", "templates": "template"}


@router.get("/vms", response_class=HTMLResponse)
def vms_page(request: Request) -> HTMLResponse:
    return shell(request, "VMs & templates", "/ui/vms")


@router.get("/vms/{ref}", response_class=HTMLResponse)
def vm_page(request: Request, ref: str) -> HTMLResponse:
    return shell(request, "VM", f"/ui/vms/{ref}")


@router.get("/templates/{ref}", response_class=HTMLResponse)
def template_page(request: Request, ref: str) -> HTMLResponse:
    return shell(request, "Template", f"/ui/templates/{ref}")


@router.get("/ui/vms")
async def vm_list(request: Request) -> Response:
    async def work(api: Api) -> Response:
        offset = int_param(request, "offset")
        page = await api.get("/vms", limit=PAGE, offset=offset, status=request.query_params.get("status"))
        tpls = await api.get("/templates", limit=PAGE)
        hosts = {h["id"]: h["name"] for h in await api.all("/hosts")}
        clusters = await api.all("/clusters")
        return html(request, "fragments/vms.html", me=await api.me(), page=page, templates=tpls, host_names=hosts,
                    clusters=clusters, cluster_names={c["id"]: c["name"] for c in clusters},
                    links=page_links(request, page, PAGE, offset))
    return await guarded(request, work)


@router.post("/ui/{kind}/create")
async def create_owner(request: Request, kind: str) -> Response:
    data = await form_data(request)

    async def work(api: Api) -> Response:
        body = {"name": data.get("name", ""), "cluster": data.get("cluster") or None}
        if kind == "vms" and data.get("template"):
            body["template"] = data["template"]
        await api.post(f"/{_kind(kind)}", body)
        return flash(request, f"{KINDS[kind]} {body['name']} created")
    return await guarded(request, work)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ApiError(404, {"code": "NOT_FOUND", "detail": f"unknown kind {kind}"})
    return kind


@router.get("/ui/{kind}/{ref}")
async def owner(request: Request, kind: str, ref: str) -> Response:
    async def work(api: Api) -> Response:
        item = await api.get(f"/{_kind(kind)}/{ref}")
        nics = (await api.get(f"/{kind}/{ref}/nics"))["results"]
        cnets = (await api.get(f"/clusters/{item['cluster']}/networks"))["results"]
        host = await api.get(f"/hosts/{item['host']}") if item.get("host") else None
        edit = request.query_params.get("edit")
        return html(request, "fragments/vm.html", me=await api.me(), kind=kind, label=KINDS[kind], item=item,
                    nics=nics, networks=[n for n in cnets if n["vm_network"]], host=host, edit=edit,
                    form={"interface": "virtio", "linked": True, "plugged": True}, errors={}, problem=None)
    return await guarded(request, work)


def _vnic_body(data: dict[str, str], editing: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"name": data.get("name", ""), "interface": data.get("interface") or None,
                            "network": data.get("network") or None}
    if data.get("mac") or editing:
        body["mac"] = data.get("mac") or None
    if not editing:
        body["linked"] = checked(data, "linked")
        body["plugged"] = checked(data, "plugged")
    return {k: v for k, v in body.items() if v is not None or k == "network"}


@router.post("/ui/{kind}/{ref}/nics")
async def save_vnic(request: Request, kind: str, ref: str) -> Response:
    """Add (no nic id) or edit a vNIC; the API's messages come back at their fields."""
    data = await form_data(request)

    async def work(api: Api) -> Response:
        nic = data.get("nic_id")
        try:
            if nic:
                await api.patch(f"/{_kind(kind)}/{ref}/nics/{nic}", _vnic_body(data, True))
            else:
                await api.post(f"/{_kind(kind)}/{ref}/nics", _vnic_body(data, False))
        except ApiError as exc:
            if exc.status == 401:
                raise
            item = await api.get(f"/{kind}/{ref}")
            cnets = (await api.get(f"/clusters/{item['cluster']}/networks"))["results"]
            form = {**data, "linked": checked(data, "linked"), "plugged": checked(data, "plugged")}
            return html(request, "fragments/vnic_form.html", kind=kind, item=item, form=form,
                        errors=exc.field_errors(), problem=exc, networks=[n for n in cnets if n["vm_network"]],
                        nic_id=nic)
        return flash(request, f"vNIC {data.get('name', '')} saved")
    return await guarded(request, work)


@router.post("/ui/{kind}/{ref}/nics/{nic}/set")
async def toggle_vnic(request: Request, kind: str, ref: str, nic: str) -> Response:
    """Plug/unplug or link/unlink a vNIC (live on a running VM), or remove it."""
    data = await form_data(request)

    async def work(api: Api) -> Response:
        if data.get("action") == "remove":
            await api.delete(f"/{_kind(kind)}/{ref}/nics/{nic}")
            return flash(request, "vNIC removed")
        body = {k: data[k] in ("true", True) for k in ("plugged", "linked") if k in data}
        result = await api.patch(f"/{_kind(kind)}/{ref}/nics/{nic}", body)
        state = ", ".join(f"{k} {'on' if v else 'off'}" for k, v in body.items())
        return flash(request, f"vNIC {result['name']}: {state}")
    return await guarded(request, work)


@router.post("/ui/vms/{ref}/power")
async def power(request: Request, ref: str) -> Response:
    data = await form_data(request)

    async def work(api: Api) -> Response:
        if data.get("action") == "start":
            vm = await api.post(f"/vms/{ref}/start", {"host": data["host"]} if data.get("host") else {})
            return flash(request, f"VM {vm['name']} started")
        vm = await api.post(f"/vms/{ref}/stop")
        return flash(request, f"VM {vm['name']} stopped")
    return await guarded(request, work)


@router.post("/ui/{kind}/{ref}/delete")
async def delete_owner(request: Request, kind: str, ref: str) -> Response:
    async def work(api: Api) -> Response:
        await api.delete(f"/{_kind(kind)}/{ref}")
        return Response(status_code=200, headers={"HX-Redirect": "/vms"})
    return await guarded(request, work)

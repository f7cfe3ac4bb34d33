"""Console pages: login, overview, networks, clusters, hosts, events and jobs, data-center map."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lognet.web.client import Api, ApiError
from lognet.web.render import (
    checked,
    flash,
    form_data,
    guarded,
    html,
    int_param,
    opt_int,
    page_links,
    shell,
)

router = APIRouter()
PAGE = 25
ROLE_FIELDS = ("required", "management", "display", "migration", "default_route")


# -- shells ---------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return html(request, "login.html", title="Log in")


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    return shell(request, "Overview", "/ui/overview")


@router.get("/networks", response_class=HTMLResponse)
def networks_page(request: Request) -> HTMLResponse:
    return shell(request, "Networks", "/ui/networks")


@router.get("/clusters", response_class=HTMLResponse)
def clusters_page(request: Request) -> HTMLResponse:
    return shell(request, "Clusters", "/ui/clusters")


@router.get("/clusters/{ref}", response_class=HTMLResponse)
def cluster_page(request: Request, ref: str) -> HTMLResponse:
    return shell(request, "Cluster", f"/ui/clusters/{ref}")


@router.get("/hosts", response_class=HTMLResponse)
def hosts_page(request: Request) -> HTMLResponse:
    return shell(request, "Hosts", "/ui/hosts")


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request) -> HTMLResponse:
    return shell(request, "Events & jobs", "/ui/events")


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    return shell(request, "Job", f"/ui/jobs/{job_id}")


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> HTMLResponse:
    return shell(request, "Data-center map", "/ui/map")


# -- overview -------------------------------------------------------------------------------------
@router.get("/ui/overview")
async def overview(request: Request) -> Response:
    async def work(api: Api) -> Response:
        dcs = await api.get("/datacenters", limit=50)
        clusters = await api.get("/clusters", limit=50)
        hosts = await api.get("/hosts", limit=50)
        nets = await api.get("/networks", limit=1)
        running = (await api.get("/jobs", status="running", limit=20))["results"]
        running += (await api.get("/jobs", status="pending", limit=20))["results"]
        events = await api.get("/events", limit=12)
        names = {c["id"]: c["name"] for c in clusters["results"]}
        dc_names = {d["id"]: d["name"] for d in dcs["results"]}
        return html(request, "fragments/overview.html", me=await api.me(), dcs=dcs, clusters=clusters,
                    hosts=hosts, nets=nets, running=running, events=events["results"], cluster_names=names,
                    dc_names=dc_names)
    return await guarded(request, work)


# -- networks -------------------------------------------------------------------------------------
FILTERS = ("name", "datacenter", "cluster", "vlan", "vm_network")


def _network_body(data: dict[str, str]) -> dict[str, Any]:
    return {"name": data.get("name", ""), "description": data.get("description", ""),
            "vlan": opt_int(data.get("vlan")), "mtu": opt_int(data.get("mtu")) or 0,
            "vm_network": checked(data, "vm_network"), "stp": checked(data, "stp")}


async def _networks_context(request: Request, api: Api) -> dict[str, Any]:
    offset = int_param(request, "offset")
    filters = {k: request.query_params.get(k, "") for k in FILTERS}
    page = await api.get("/networks", limit=PAGE, offset=offset, **filters)
    dcs = await api.all("/datacenters")
    return {"me": await api.me(), "page": page, "filters": filters, "links": page_links(request, page, PAGE, offset),
            "dcs": dcs, "dc_names": {d["id"]: d["name"] for d in dcs}, "clusters": await api.all("/clusters"),
            "offset": offset}


@router.get("/ui/networks")
async def networks(request: Request) -> Response:
    async def work(api: Api) -> Response:
        try:
            ctx = await _networks_context(request, api)
        except ApiError as exc:
            if exc.status == 401:
                raise
            return flash(request, f"Filter refused: {exc.detail}", ok=False, error=exc)
        edit = request.query_params.get("edit")
        current = await api.get(f"/networks/{edit}") if edit else None
        return html(request, "fragments/networks.html", **ctx, form=current or {"vm_network": True}, errors={},
                    editing=current)
    return await guarded(request, work)


@router.post("/ui/networks/save")
async def save_network(request: Request) -> Response:
    """Create (no id) or update a network; the API's messages come back at their fields."""
    data = await form_data(request)

    async def work(api: Api) -> Response:
        body = _network_body(data)
        try:
            if data.get("id"):
                await api.patch(f"/networks/{data['id']}", body)
            else:
                body["datacenter"] = data.get("datacenter") or None
                await api.post("/networks", body)
        except ApiError as exc:
            if exc.status == 401:
                raise
            errors = exc.field_errors()
            form = {**data, "vm_network": checked(data, "vm_network"), "stp": checked(data, "stp")}
            return html(request, "fragments/network_form.html", me=await api.me(), form=form, errors=errors,
                        problem=exc, editing=data.get("id"), dcs=await api.all("/datacenters"))
        return html(request, "fragments/flash.html", headers={"HX-Trigger": "refresh"},
                    message=f"Network {body['name']} saved", ok=True, error=None)
    return await guarded(request, work)


@router.post("/ui/networks/{ref}/delete")
async def delete_network(request: Request, ref: str) -> Response:
    async def work(api: Api) -> Response:
        await api.delete(f"/networks/{ref}")
        return flash(request, "Network removed")
    return await guarded(request, work)


# -- clusters -------------------------------------------------------------------------------------
@router.get("/ui/clusters")
async def clusters(request: Request) -> Response:
    async def work(api: Api) -> Response:
        rows = await api.all("/clusters")
        dcs = {d["id"]: d["name"] for d in await api.all("/datacenters")}
        for row in rows:
            row["networks"] = (await api.get(f"/clusters/{row['id']}/networks"))["results"]
            row["hosts"] = (await api.get("/hosts", cluster=row["id"], limit=1))["count"]
        return html(request, "fragments/clusters.html", me=await api.me(), rows=rows, dc_names=dcs)
    return await guarded(request, work)


@router.get("/ui/clusters/{ref}")
async def cluster(request: Request, ref: str) -> Response:
    async def work(api: Api) -> Response:
        item = await api.get(f"/clusters/{ref}")
        attached = (await api.get(f"/clusters/{ref}/networks"))["results"]
        ids = {n["id"] for n in attached}
        available = [n for n in await api.all("/networks", datacenter=item["datacenter"]) if n["id"] not in ids]
        hosts = await api.get("/hosts", cluster=item["id"], limit=PAGE)
        return html(request, "fragments/cluster.html", me=await api.me(), cluster=item, attached=attached,
                    available=available, hosts=hosts)
    return await guarded(request, work)


@router.post("/ui/clusters/{ref}/networks")
async def attach_cluster_network(request: Request, ref: str) -> Response:
    data = await form_data(request)

    async def work(api: Api) -> Response:
        body: dict[str, Any] = {"network": data.get("network", "")}
        body.update({f: checked(data, f) for f in ROLE_FIELDS if f != "management"})
        await api.post(f"/clusters/{ref}/networks", body)
        return flash(request, "Network attached to the cluster")
    return await guarded(request, work)


@router.post("/ui/clusters/{ref}/networks/{net}")
async def update_cluster_network(request: Request, ref: str, net: str) -> Response:
    data = await form_data(request)

    async def work(api: Api) -> Response:
        if data.get("action") == "detach":
            await api.delete(f"/clusters/{ref}/networks/{net}")
            return flash(request, "Network detached from the cluster")
        await api.patch(f"/clusters/{ref}/networks/{net}", {f: checked(data, f) for f in ROLE_FIELDS})
        return flash(request, "Cluster network updated")
    return await guarded(request, work)


# -- hosts ----------------------------------------------------------------------------------------
@router.get("/ui/hosts")
async def hosts(request: Request) -> Response:
    async def work(api: Api) -> Response:
        offset = int_param(request, "offset")
        page = await api.get("/hosts", limit=PAGE, offset=offset, cluster=request.query_params.get("cluster"))
        names = {c["id"]: c["name"] for c in await api.all("/clusters")}
        return html(request, "fragments/hosts.html", me=await api.me(), page=page, cluster_names=names,
                    links=page_links(request, page, PAGE, offset))
    return await guarded(request, work)


# -- events and jobs ------------------------------------------------------------------------------
@router.get("/ui/events")
async def events(request: Request) -> Response:
    async def work(api: Api) -> Response:
        offset = int_param(request, "offset")
        jobs_offset = int_param(request, "jobs_offset")
        filters = {k: request.query_params.get(k, "") for k in ("action", "object_type", "result", "user")}
        page = await api.get("/events", limit=PAGE, offset=offset, **filters)
        job_page = await api.get("/jobs", limit=10, offset=jobs_offset,
                                 status=request.query_params.get("job_status"))
        host_names = {h["id"]: h["name"] for h in await api.all("/hosts")}
        return html(request, "fragments/events.html", me=await api.me(), page=page, filters=filters,
                    links=page_links(request, page, PAGE, offset), jobs=job_page, host_names=host_names,
                    jobs_offset=jobs_offset)
    return await guarded(request, work)


@router.get("/ui/jobs/{job_id}")
async def job(request: Request, job_id: str) -> Response:
    async def work(api: Api) -> Response:
        item = await api.get(f"/jobs/{job_id}")
        return html(request, "fragments/job_detail.html", me=await api.me(), job=item)
    return await guarded(request, work)


@router.get("/ui/jobs/{job_id}/progress")
async def job_progress(request: Request, job_id: str) -> Response:
    """A job's live progress; polls itself while it runs and announces its end to the page."""
    async def work(api: Api) -> Response:
        item = await api.get(f"/jobs/{job_id}")
        headers = {}
        if item["status"] not in ("pending", "running"):
            headers["HX-Trigger"] = json.dumps({"lognet-job-finished": {"status": item["status"]}})
        return html(request, "fragments/job.html", headers=headers, job=item)
    return await guarded(request, work)


# -- data-center map ------------------------------------------------------------------------------
MAP_NETS = 24
MAP_HOSTS = 30


@router.get("/ui/map")
async def dc_map(request: Request) -> Response:
    """Which networks every host of a cluster carries, and where a required network is missing."""
    async def work(api: Api) -> Response:
        all_clusters = await api.all("/clusters")
        if not all_clusters:
            return html(request, "fragments/map.html", me=await api.me(), clusters=[], cluster=None)
        ref = request.query_params.get("cluster") or all_clusters[0]["id"]
        item = next((c for c in all_clusters if ref in (c["id"], c["name"])), all_clusters[0])
        net_off, host_off = int_param(request, "net_offset"), int_param(request, "host_offset")
        cnets = sorted((await api.get(f"/clusters/{item['id']}/networks"))["results"],
                       key=lambda n: (not n["required"], not n["management"], n["name"]))
        shown = cnets[net_off:net_off + MAP_NETS]
        host_page = await api.get("/hosts", cluster=item["id"], limit=MAP_HOSTS, offset=host_off)
        grid = []
        for host in host_page["results"]:
            atts = {a["network"]: a for a in (await api.get(f"/hosts/{host['id']}/networkattachments"))["results"]}
            cells = []
            for net in shown:
                att = atts.get(net["id"])
                state = ("missing-required" if net["required"] else "absent") if att is None else \
                    ("carried" if att["in_sync"] else "out-of-sync")
                cells.append({"state": state, "nic": att["nic"] if att else "", "net": net["name"]})
            missing = [n["name"] for n in cnets if n["required"] and n["id"] not in atts]
            grid.append({"host": host, "cells": cells, "missing": missing})
        return html(request, "fragments/map.html", me=await api.me(), clusters=all_clusters, cluster=item,
                    nets=shown, total_nets=len(cnets), grid=grid, host_page=host_page, net_off=net_off,
                    host_off=host_off, step_nets=MAP_NETS, step_hosts=MAP_HOSTS)
    return await guarded(request, work)

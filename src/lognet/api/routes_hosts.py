"""Native API: hosts, their NICs and network attachments, setup networks, commit and refresh."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from lognet.adapters import orm
from lognet.api.deps import App, Caller, Filter, job_response, list_response
from lognet.api.schemas import (
    AttachmentCreate,
    AttachmentUpdate,
    BondCreate,
    HostCreate,
    HostUpdate,
    SetupNetworksBody,
    SetupOptions,
)
from lognet.service import hosts, setup
from lognet.service.hostfacts import desired_config, network_infos, sync_report
from lognet.service.uow import UnitOfWork

router = APIRouter(tags=["hosts"])


@router.get("/hosts")
def list_hosts(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Host, {
        "name": Filter(orm.Host.name), "status": Filter(orm.Host.status),
        "cluster": Filter(orm.Host.cluster_id, orm.Cluster, "cluster")},
        lambda uow, h: hosts.host_view(h, hosts.host_out_of_sync(uow, h)))


@router.post("/hosts", status_code=201)
def create_host(app: App, who: Caller, body: HostCreate) -> dict[str, Any]:
    """Add a host: ``agent_url`` of its agent, or ``simulated: {nics: N}``. The secret is shown once."""
    return hosts.add_host(app, who, body.data())


@router.get("/hosts/{ref}")
def get_host(app: App, who: Caller, ref: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        host = uow.get(orm.Host, ref, "host")
        return hosts.host_view(host, hosts.host_out_of_sync(uow, host))


@router.patch("/hosts/{ref}")
def update_host(app: App, who: Caller, ref: str, body: HostUpdate) -> dict[str, Any]:
    return hosts.update_host(app, who, ref, body.data())


@router.delete("/hosts/{ref}", status_code=204)
def delete_host(app: App, who: Caller, ref: str) -> Response:
    hosts.remove_host(app, who, ref)
    return Response(status_code=204)


@router.get("/hosts/{ref}/nics")
def list_host_nics(app: App, who: Caller, ref: str) -> dict[str, Any]:
    """The host's NICs and bonds as reported, with the networks each carries."""
    with UnitOfWork(app.db, write=False) as uow:
        host = uow.get(orm.Host, ref, "host")
        results = nic_views(host)
    return {"count": len(results), "next": None, "previous": None, "results": results}


def nic_views(host: orm.Host) -> list[dict[str, Any]]:
    reported = host.reported or {}
    carried: dict[str, list[str]] = {}
    for name, net in reported.get("networks", {}).items():
        carried.setdefault(net.get("nic") or net.get("bond") or "", []).append(name)
    master = {s: b["name"] for b in reported.get("bonds", []) for s in b["slaves"]}
    out = [{"name": n["name"], "kind": "nic", "mac": n.get("mac"), "mtu": n.get("mtu"), "speed": n.get("speed"),
            "link": n.get("link"), "bond": master.get(n["name"]), "networks": sorted(carried.get(n["name"], []))}
           for n in reported.get("nics", [])]
    out += [{"name": b["name"], "kind": "bond", "mode": b["mode"], "slaves": b["slaves"],
             "active_slave": b.get("active_slave"), "mtu": b.get("mtu"),
             "networks": sorted(carried.get(b["name"], []))} for b in reported.get("bonds", [])]
    return out


@router.get("/hosts/{ref}/networkattachments")
def list_attachments(app: App, who: Caller, ref: str) -> dict[str, Any]:
    results = attachment_views(app, ref)
    return {"count": len(results), "next": None, "previous": None, "results": results}


def attachment_views(app: Any, ref: str) -> list[dict[str, Any]]:
    with UnitOfWork(app.db, write=False) as uow:
        host = uow.get(orm.Host, ref, "host")
        cluster = uow.get(orm.Cluster, host.cluster_id, "cluster")
        config = desired_config(uow, host.id)
        nets = network_infos(uow, cluster)
        report = sync_report(config, nets, host.reported or {})
        return sorted(({"id": a.id, "host": host.id, "network": a.network_id, "network_name": nets[a.network_id].name,
                        "nic": a.nic, "ip_configuration": {"ipv4": a.ipv4, "ipv6": a.ipv6},
                        "in_sync": all(d["in_sync"] for d in report[a.id]),
                        "reported_configurations": report[a.id]}
                       for a in config.attachments.values()), key=lambda v: v["network_name"])


@router.get("/hosts/{ref}/networkattachments/{att}")
def get_attachment(app: App, who: Caller, ref: str, att: str) -> dict[str, Any]:
    for item in attachment_views(app, ref):
        if att in (item["id"], item["network_name"], item["network"]):
            return item
    from lognet.domain.errors import not_found
    raise not_found("attachment", att)


@router.post("/hosts/{ref}/networkattachments", status_code=202)
def create_attachment(app: App, who: Caller, ref: str, body: AttachmentCreate, wait: bool = False) -> JSONResponse:
    """Attach a network to a NIC or bond (a one-item setup networks)."""
    return _job_or_dry_run(app, setup.attach(app, who, ref, body.data()), wait)


@router.patch("/hosts/{ref}/networkattachments/{att}", status_code=202)
def update_attachment(app: App, who: Caller, ref: str, att: str, body: AttachmentUpdate,
                      wait: bool = False) -> JSONResponse:
    return _job_or_dry_run(app, setup.update_attachment(app, who, ref, att, body.data()), wait)


@router.delete("/hosts/{ref}/networkattachments/{att}", status_code=202)
def delete_attachment(app: App, who: Caller, ref: str, att: str, wait: bool = False) -> JSONResponse:
    return _job_or_dry_run(app, setup.detach(app, who, ref, att, {}), wait)


@router.post("/hosts/{ref}/bonds", status_code=202)
def create_bond(app: App, who: Caller, ref: str, body: BondCreate, wait: bool = False) -> JSONResponse:
    return _job_or_dry_run(app, setup.add_bond(app, who, ref, body.data()), wait)


@router.delete("/hosts/{ref}/bonds/{name}", status_code=202)
def delete_bond(app: App, who: Caller, ref: str, name: str, wait: bool = False) -> JSONResponse:
    return _job_or_dry_run(app, setup.remove_bond(app, who, ref, name, {}), wait)


def _job_or_dry_run(app: Any, result: dict[str, Any], wait: bool) -> JSONResponse:
    if result.get("dry_run"):
        return JSONResponse(result, status_code=200)
    return job_response(app, result, wait)


@router.post("/hosts/{ref}/setupnetworks", status_code=202)
def setup_networks(app: App, who: Caller, ref: str, body: SetupNetworksBody, wait: bool = False) -> JSONResponse:
    """Change the host's networking as one validated delta (oVirt's field names).

    Returns 202 with a job; ``dry_run`` returns the computed desired state and its diff (200);
    ``?wait=true`` returns the finished job.
    """
    return _job_or_dry_run(app, setup.setup_networks(app, who, ref, body.data()), wait)


@router.post("/hosts/{ref}/syncallnetworks", status_code=202)
def sync_all_networks(app: App, who: Caller, ref: str, body: SetupOptions | None = None,
                      wait: bool = False) -> JSONResponse:
    return _job_or_dry_run(app, setup.sync_all(app, who, ref, body.data() if body else {}), wait)


@router.post("/hosts/{ref}/commitnetconfig", status_code=202)
def commit_net_config(app: App, who: Caller, ref: str, wait: bool = False) -> JSONResponse:
    """Make the host's current network configuration survive a reboot."""
    return job_response(app, hosts.commit_host(app, who, ref), wait)


@router.post("/hosts/{ref}/refresh", status_code=202)
def refresh(app: App, who: Caller, ref: str, wait: bool = False) -> JSONResponse:
    return job_response(app, hosts.refresh_host(app, who, ref), wait)


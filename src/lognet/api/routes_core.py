"""Native API: auth, users, data centers, MAC pools, clusters, networks, cluster networks, events, jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from lognet.adapters import orm
from lognet.api.deps import App, Caller, Filter, list_response
from lognet.api.schemas import (
    ClusterBody,
    ClusterNetworkBody,
    DataCenterBody,
    Login,
    MacPoolBody,
    NetworkBody,
    UserCreate,
    UserUpdate,
)
from lognet.service import auth, jobs, networks, topology, views
from lognet.service.uow import UnitOfWork

router = APIRouter()
NO_CONTENT = Response(status_code=204)


def _get(app: Any, model: type[orm.Base], ref: str, kind: str, view: Any) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        return view(uow.get(model, ref, kind))  # type: ignore[no-any-return]


@router.post("/auth/token", tags=["auth"])
def login(app: App, body: Login) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    return auth.login(app, body.username, body.password)


@router.get("/auth/me", tags=["auth"])
def whoami(who: Caller) -> dict[str, Any]:
    return {"username": who.username, "role": who.role}


# -- users ----------------------------------------------------------------------------------------
@router.get("/users", tags=["users"])
def list_users(app: App, who: Caller, request: Request) -> dict[str, Any]:
    auth.require_admin(who)
    return list_response(app, request, orm.User, {"username": Filter(orm.User.username),
                                                   "role": Filter(orm.User.role)},
                         lambda uow, u: auth.user_view(u), order=orm.User.username)


@router.post("/users", status_code=201, tags=["users"])
def create_user(app: App, who: Caller, body: UserCreate) -> dict[str, Any]:
    return auth.add_user(app, who, body.username, body.password, body.role)


@router.patch("/users/{ref}", tags=["users"])
def update_user(app: App, who: Caller, ref: str, body: UserUpdate) -> dict[str, Any]:
    return auth.update_user(app, who, ref, body.data())


@router.delete("/users/{ref}", status_code=204, tags=["users"])
def delete_user(app: App, who: Caller, ref: str) -> Response:
    auth.remove_user(app, who, ref)
    return NO_CONTENT


# -- data centers ---------------------------------------------------------------------------------
@router.get("/datacenters", tags=["datacenters"])
def list_datacenters(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.DataCenter, {"name": Filter(orm.DataCenter.name)},
                         lambda uow, r: views.datacenter(r))


@router.post("/datacenters", status_code=201, tags=["datacenters"])
def create_datacenter(app: App, who: Caller, body: DataCenterBody) -> dict[str, Any]:
    return topology.add_datacenter(app, who, body.data())


@router.get("/datacenters/{ref}", tags=["datacenters"])
def get_datacenter(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _get(app, orm.DataCenter, ref, "datacenter", views.datacenter)


@router.patch("/datacenters/{ref}", tags=["datacenters"])
def update_datacenter(app: App, who: Caller, ref: str, body: DataCenterBody) -> dict[str, Any]:
    return topology.update_datacenter(app, who, ref, body.data())


@router.delete("/datacenters/{ref}", status_code=204, tags=["datacenters"])
def delete_datacenter(app: App, who: Caller, ref: str) -> Response:
    topology.remove_datacenter(app, who, ref)
    return NO_CONTENT


# -- MAC pools ------------------------------------------------------------------------------------
@router.get("/macpools", tags=["macpools"])
def list_mac_pools(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.MacPool, {"name": Filter(orm.MacPool.name)},
                         lambda uow, r: views.mac_pool(r))


@router.post("/macpools", status_code=201, tags=["macpools"])
def create_mac_pool(app: App, who: Caller, body: MacPoolBody) -> dict[str, Any]:
    return topology.add_mac_pool(app, who, body.data())


@router.get("/macpools/{ref}", tags=["macpools"])
def get_mac_pool(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _get(app, orm.MacPool, ref, "mac_pool", views.mac_pool)


@router.patch("/macpools/{ref}", tags=["macpools"])
def update_mac_pool(app: App, who: Caller, ref: str, body: MacPoolBody) -> dict[str, Any]:
    return topology.update_mac_pool(app, who, ref, body.data())


@router.delete("/macpools/{ref}", status_code=204, tags=["macpools"])
def delete_mac_pool(app: App, who: Caller, ref: str) -> Response:
    topology.remove_mac_pool(app, who, ref)
    return NO_CONTENT


# -- clusters -------------------------------------------------------------------------------------
@router.get("/clusters", tags=["clusters"])
def list_clusters(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Cluster, {
        "name": Filter(orm.Cluster.name),
        "datacenter": Filter(orm.Cluster.datacenter_id, orm.DataCenter, "datacenter")},
        lambda uow, r: views.cluster(r))


@router.post("/clusters", status_code=201, tags=["clusters"])
def create_cluster(app: App, who: Caller, body: ClusterBody) -> dict[str, Any]:
    return topology.add_cluster(app, who, body.data())


@router.get("/clusters/{ref}", tags=["clusters"])
def get_cluster(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _get(app, orm.Cluster, ref, "cluster", views.cluster)


@router.patch("/clusters/{ref}", tags=["clusters"])
def update_cluster(app: App, who: Caller, ref: str, body: ClusterBody) -> dict[str, Any]:
    return topology.update_cluster(app, who, ref, body.data())


@router.delete("/clusters/{ref}", status_code=204, tags=["clusters"])
def delete_cluster(app: App, who: Caller, ref: str) -> Response:
    topology.remove_cluster(app, who, ref)
    return NO_CONTENT


@router.get("/clusters/{ref}/networks", tags=["clusters"])
def list_cluster_networks(app: App, who: Caller, ref: str) -> dict[str, Any]:
    results = networks.list_cluster_networks(app, ref)
    return {"count": len(results), "next": None, "previous": None, "results": results}


@router.post("/clusters/{ref}/networks", status_code=201, tags=["clusters"])
def attach_cluster_network(app: App, who: Caller, ref: str, body: ClusterNetworkBody) -> dict[str, Any]:
    """Attach a network to the cluster (required by default), optionally with roles."""
    return networks.attach_network(app, who, ref, body.data())


@router.get("/clusters/{ref}/networks/{net}", tags=["clusters"])
def get_cluster_network(app: App, who: Caller, ref: str, net: str) -> dict[str, Any]:
    for item in networks.list_cluster_networks(app, ref):
        if net in (item["id"], item["name"]):
            return item
    from lognet.domain.errors import not_found
    raise not_found("cluster_network", net)


@router.patch("/clusters/{ref}/networks/{net}", tags=["clusters"])
def update_cluster_network(app: App, who: Caller, ref: str, net: str, body: ClusterNetworkBody) -> dict[str, Any]:
    return networks.update_cluster_network(app, who, ref, net, body.data())


@router.delete("/clusters/{ref}/networks/{net}", status_code=204, tags=["clusters"])
def detach_cluster_network(app: App, who: Caller, ref: str, net: str) -> Response:
    networks.detach_network(app, who, ref, net)
    return NO_CONTENT


# -- networks -------------------------------------------------------------------------------------
def _network_filters() -> dict[str, Filter]:
    return {"name": Filter(orm.Network.name), "vlan": Filter(orm.Network.vlan),
            "datacenter": Filter(orm.Network.datacenter_id, orm.DataCenter, "datacenter"),
            "vm_network": Filter(orm.Network.vm_network, boolean=True),
            "cluster": Filter(where=_in_cluster)}


def _in_cluster(uow: UnitOfWork, ref: str) -> Any:
    cluster = uow.get(orm.Cluster, ref, "cluster")
    return orm.Network.id.in_(select(orm.NetworkCluster.network_id).filter_by(cluster_id=cluster.id))


@router.get("/networks", tags=["networks"])
def list_networks(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Network, _network_filters(), lambda uow, r: views.network(r))


@router.post("/networks", status_code=201, tags=["networks"])
def create_network(app: App, who: Caller, body: NetworkBody) -> dict[str, Any]:
    return networks.add_network(app, who, body.data())


@router.get("/networks/{ref}", tags=["networks"])
def get_network(app: App, who: Caller, ref: str) -> dict[str, Any]:
    return _get(app, orm.Network, ref, "network", views.network)


@router.patch("/networks/{ref}", tags=["networks"])
def update_network(app: App, who: Caller, ref: str, body: NetworkBody) -> dict[str, Any]:
    return networks.update_network(app, who, ref, body.data())


@router.delete("/networks/{ref}", status_code=204, tags=["networks"])
def delete_network(app: App, who: Caller, ref: str) -> Response:
    networks.remove_network(app, who, ref)
    return NO_CONTENT


# -- jobs and events ------------------------------------------------------------------------------
@router.get("/jobs", tags=["jobs"])
def list_jobs(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Job, {
        "status": Filter(orm.Job.status), "kind": Filter(orm.Job.kind),
        "host": Filter(orm.Job.host_id, orm.Host, "host")}, lambda uow, r: views.job(r),
        order=orm.Job.created_at.desc())


@router.get("/jobs/{job_id}", tags=["jobs"])
def get_job(app: App, who: Caller, job_id: str, wait: bool = False) -> dict[str, Any]:
    return jobs.wait_job(app, job_id) if wait else jobs.get_job(app, job_id)


@router.get("/events", tags=["events"])
def list_events(app: App, who: Caller, request: Request) -> dict[str, Any]:
    return list_response(app, request, orm.Event, {
        "user": Filter(orm.Event.username), "action": Filter(orm.Event.action),
        "object_type": Filter(orm.Event.object_type), "object_id": Filter(orm.Event.object_id),
        "result": Filter(orm.Event.result)}, lambda uow, r: views.event(r), order=orm.Event.id.desc())

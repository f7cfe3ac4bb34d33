"""Data centers, clusters and MAC pools: create, update, remove."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lognet.adapters import orm
from lognet.domain.errors import Conflict, FieldError, InvalidInput, invalid
from lognet.domain.values import check_description, check_name, mac_to_int, normalize_mac
from lognet.service import views
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.bootstrap import MANAGEMENT_NETWORK
from lognet.service.naming import check_name_free, edit_name_description
from lognet.service.uow import Actor, UnitOfWork

MAX_RANGE = 2**31 - 1


# -- data centers ---------------------------------------------------------------------------------
def add_datacenter(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A new data center, with its own management network ``mgmt``."""
    require_admin(actor)
    name = check_name(body.get("name"))
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.DataCenter, name, "DATACENTER_NAME_IN_USE")
        dc = orm.DataCenter(name=name, description=check_description(body.get("description")))
        uow.add(dc)
        uow.session.flush()
        uow.add(orm.Network(datacenter_id=dc.id, name=MANAGEMENT_NETWORK, description="Management network",
                            host_name=MANAGEMENT_NETWORK))
        uow.event("datacenter.add", dc)
        uow.commit()
        return views.datacenter(dc)


def update_datacenter(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        dc = uow.get(orm.DataCenter, ref, "datacenter")
        edit_name_description(uow, dc, body, "DATACENTER_NAME_IN_USE")
        uow.event("datacenter.update", dc)
        uow.commit()
        return views.datacenter(dc)


def remove_datacenter(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        dc = uow.get(orm.DataCenter, ref, "datacenter")
        clusters = uow.session.scalars(select(orm.Cluster.name).filter_by(datacenter_id=dc.id)).all()
        if clusters:
            raise Conflict("DATACENTER_NOT_EMPTY", f"data center {dc.name} still has clusters: {', '.join(clusters)}")
        for net in uow.session.scalars(select(orm.Network).filter_by(datacenter_id=dc.id)):
            uow.session.delete(net)
        uow.session.flush()  # the networks go first: they reference the data center
        uow.session.delete(dc)
        uow.event("datacenter.remove", dc)
        uow.commit()


# -- MAC pools ------------------------------------------------------------------------------------
def check_ranges(raw: object) -> list[dict[str, str]]:
    """At least one range of unicast MACs, from ≤ to, no overlaps inside the pool."""
    if not isinstance(raw, list) or not raw:
        raise invalid("MAC_POOL_RANGES_REQUIRED", "a MAC pool needs at least one range {from, to}", "ranges")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise invalid("MAC_RANGE_INVALID", "a range is an object {from, to}", f"ranges.{i}")
        start = normalize_mac(item.get("from"), f"ranges.{i}.from")
        end = normalize_mac(item.get("to"), f"ranges.{i}.to")
        if mac_to_int(start) > mac_to_int(end):
            raise invalid("MAC_RANGE_INVALID", f"range {start}–{end} ends before it starts", f"ranges.{i}")
        if mac_to_int(end) - mac_to_int(start) + 1 > MAX_RANGE:
            raise invalid("MAC_RANGE_TOO_LARGE", f"a range holds at most {MAX_RANGE} addresses", f"ranges.{i}")
        out.append({"from": start, "to": end})
    spans = sorted((mac_to_int(r["from"]), mac_to_int(r["to"])) for r in out)
    for (_, prev_end), (next_start, _) in zip(spans, spans[1:], strict=False):
        if next_start <= prev_end:
            raise invalid("MAC_POOL_RANGES_OVERLAP", "the ranges of a MAC pool must not overlap", "ranges")
    return out


def _check_other_pools(uow: UnitOfWork, ranges: list[dict[str, str]], exclude: str | None) -> None:
    mine = [(mac_to_int(r["from"]), mac_to_int(r["to"])) for r in ranges]
    for pool in uow.session.scalars(select(orm.MacPool)):
        if pool.id == exclude:
            continue
        for r in pool.ranges:
            lo, hi = mac_to_int(r["from"]), mac_to_int(r["to"])
            if any(start <= hi and lo <= end for start, end in mine):
                raise Conflict("MAC_POOL_OVERLAPS_OTHER_POOL", f"the ranges overlap those of MAC pool {pool.name}",
                               [FieldError("ranges", f"overlaps {pool.name}")])


def add_mac_pool(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    name = check_name(body.get("name"))
    if body.get("default_pool"):
        raise invalid("MAC_POOL_DEFAULT_FLAG", "only the built-in pool is the default pool", "default_pool")
    ranges = check_ranges(body.get("ranges"))
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.MacPool, name, "MAC_POOL_NAME_IN_USE")
        _check_other_pools(uow, ranges, None)
        pool = orm.MacPool(name=name, description=check_description(body.get("description")), ranges=ranges,
                           allow_duplicates=bool(body.get("allow_duplicates", False)))
        uow.add(pool)
        uow.event("macpool.add", pool)
        uow.commit()
        return views.mac_pool(pool)


def update_mac_pool(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        pool = uow.get(orm.MacPool, ref, "mac_pool", for_update=True)
        if "default_pool" in body and bool(body["default_pool"]) != pool.default_pool:
            raise invalid("MAC_POOL_DEFAULT_FLAG", "the default flag of a MAC pool cannot change", "default_pool")
        edit_name_description(uow, pool, body, "MAC_POOL_NAME_IN_USE")
        if "ranges" in body:
            pool.ranges = check_ranges(body["ranges"])
            _check_other_pools(uow, pool.ranges, pool.id)
        if "allow_duplicates" in body:
            allow = bool(body["allow_duplicates"])
            if not allow and pool.allow_duplicates and _has_duplicates(uow, pool.id):
                raise Conflict("MAC_POOL_HAS_DUPLICATES",
                               "the pool holds duplicate MACs; remove them before disallowing duplicates")
            pool.allow_duplicates = allow
        uow.event("macpool.update", pool)
        uow.commit()
        return views.mac_pool(pool)


def _has_duplicates(uow: UnitOfWork, pool_id: str) -> bool:
    query = (select(orm.Vnic.mac).filter_by(mac_pool_id=pool_id).group_by(orm.Vnic.mac)
             .having(func.count() > 1).limit(1))
    return uow.session.scalar(query) is not None


def remove_mac_pool(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        pool = uow.get(orm.MacPool, ref, "mac_pool")
        if pool.default_pool:
            raise Conflict("CANNOT_REMOVE_DEFAULT_MAC_POOL", "the default MAC pool cannot be removed")
        users = uow.session.scalars(select(orm.Cluster.name).filter_by(mac_pool_id=pool.id)).all()
        if users:
            raise Conflict("MAC_POOL_IN_USE", f"MAC pool {pool.name} is used by clusters: {', '.join(users)}",
                           details={"clusters": list(users)})
        uow.session.delete(pool)
        uow.event("macpool.remove", pool)
        uow.commit()


# -- clusters -------------------------------------------------------------------------------------
def add_cluster(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A new cluster; the data center's ``mgmt`` network (or ``management_network``) becomes its management."""
    require_admin(actor)
    name = check_name(body.get("name"))
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.Cluster, name, "CLUSTER_NAME_IN_USE")
        dc = uow.get(orm.DataCenter, body.get("datacenter") or "Default", "datacenter")
        pool = uow.get(orm.MacPool, body.get("mac_pool") or "Default", "mac_pool")
        mgmt_ref = body.get("management_network") or MANAGEMENT_NETWORK
        mgmt = uow.session.scalar(select(orm.Network).filter_by(datacenter_id=dc.id, name=mgmt_ref)) or \
            uow.session.scalar(select(orm.Network).filter_by(datacenter_id=dc.id, id=mgmt_ref))
        if mgmt is None:
            raise InvalidInput("NETWORK_NOT_FOUND", f"no network {mgmt_ref!r} in data center {dc.name} to manage "
                               "the cluster", [FieldError("management_network", "no such network")])
        cluster = orm.Cluster(name=name, description=check_description(body.get("description")),
                              datacenter_id=dc.id, mac_pool_id=pool.id)
        uow.add(cluster)
        uow.session.flush()
        uow.add(orm.NetworkCluster(cluster_id=cluster.id, network_id=mgmt.id, required=True, management=True))
        uow.event("cluster.add", cluster)
        uow.commit()
        return views.cluster(cluster)


def update_cluster(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        cluster = uow.get(orm.Cluster, ref, "cluster")
        if "datacenter" in body and body["datacenter"] not in (None, cluster.datacenter_id):
            dc = uow.get(orm.DataCenter, body["datacenter"], "datacenter")
            if dc.id != cluster.datacenter_id:
                raise invalid("DATACENTER_CANNOT_CHANGE", "a cluster cannot move to another data center",
                              "datacenter")
        edit_name_description(uow, cluster, body, "CLUSTER_NAME_IN_USE")
        if body.get("mac_pool"):
            cluster.mac_pool_id = uow.get(orm.MacPool, body["mac_pool"], "mac_pool").id
        uow.event("cluster.update", cluster)
        uow.commit()
        return views.cluster(cluster)


def remove_cluster(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        cluster = uow.get(orm.Cluster, ref, "cluster")
        for model, what in ((orm.Host, "hosts"), (orm.Vm, "VMs"), (orm.Template, "templates")):
            names = uow.session.scalars(select(model.name).filter_by(cluster_id=cluster.id)).all()
            if names:
                raise Conflict("CLUSTER_NOT_EMPTY", f"cluster {cluster.name} still has {what}: {', '.join(names)}")
        uow.session.delete(cluster)
        uow.event("cluster.remove", cluster)
        uow.commit()

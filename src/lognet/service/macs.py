"""MAC addresses from a cluster's pool: allocation, custom MACs and the duplicate rule.

Callers hold the pool row locked (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite) for
the whole transaction, so concurrent allocations never hand out the same address.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from lognet.adapters import orm
from lognet.domain.errors import Conflict, FieldError
from lognet.domain.values import int_to_mac, mac_to_int
from lognet.service.uow import UnitOfWork

_BATCH = 256


def pool_for_cluster(uow: UnitOfWork, cluster_id: str) -> orm.MacPool:
    """The cluster's MAC pool, locked (one query when ``cluster_id`` is an id)."""
    pool = uow.session.scalar(select(orm.MacPool).join(orm.Cluster, orm.Cluster.mac_pool_id == orm.MacPool.id)
                              .filter(orm.Cluster.id == cluster_id).with_for_update(of=orm.MacPool))
    if pool is not None:
        return pool
    cluster = uow.get(orm.Cluster, cluster_id, "cluster")
    return uow.get(orm.MacPool, cluster.mac_pool_id, "mac_pool", for_update=True)


def pool_size(pool: orm.MacPool) -> int:
    return sum(mac_to_int(r["to"]) - mac_to_int(r["from"]) + 1 for r in pool.ranges)


def _nth(pool: orm.MacPool, index: int) -> int:
    for r in pool.ranges:
        start, end = mac_to_int(r["from"]), mac_to_int(r["to"])
        if index <= end - start:
            return start + index
        index -= end - start + 1
    raise IndexError(index)


def mac_users(uow: UnitOfWork, pool_id: str, mac: str, exclude_vnic: str | None = None) -> list[str]:
    """Names of the VMs whose vNICs hold ``mac`` in this pool."""
    rows = uow.session.execute(select(orm.Vnic.id, orm.Vm.name).join(orm.Vm, orm.Vnic.vm_id == orm.Vm.id,
                                                                     isouter=True)
                               .filter(orm.Vnic.mac_pool_id == pool_id, orm.Vnic.mac == mac))
    return [name or "(unbound port)" for vnic_id, name in rows if vnic_id != exclude_vnic]


def claim(uow: UnitOfWork, pool: orm.MacPool, mac: str, exclude_vnic: str | None = None) -> str:
    """Register a user-given MAC; MAC_IN_USE unless the pool allows duplicates."""
    if not pool.allow_duplicates:
        users = mac_users(uow, pool.id, mac, exclude_vnic)
        if users:
            raise Conflict("MAC_IN_USE", f"MAC {mac} is already used by {', '.join(sorted(set(users)))}",
                           [FieldError("mac", "already in use")], {"used_by": sorted(set(users))})
    return mac


def allocate(uow: UnitOfWork, pool: orm.MacPool) -> str:
    """The next free MAC of the pool, round-robin from its cursor; MAC_POOL_EXHAUSTED when none is left."""
    size = pool_size(pool)
    offset, step = 0, 4  # usually the address at the cursor is free: look at a few first, then widen
    while offset < size:
        batch = [(pool.cursor + offset + i) % size for i in range(min(step, size - offset))]
        step = min(step * 4, _BATCH)
        candidates = {int_to_mac(_nth(pool, i)): i for i in batch}
        unicast = {mac: i for mac, i in candidates.items() if not int(mac[:2], 16) & 1}
        used = set(uow.session.scalars(_USED_MACS, {"pool_id": pool.id, "macs": list(unicast)}))
        for index in batch:
            mac = int_to_mac(_nth(pool, index))
            if mac in unicast and mac not in used:
                pool.cursor = (index + 1) % size
                return mac
        offset += len(batch)
    raise Conflict("MAC_POOL_EXHAUSTED", f"MAC pool {pool.name} has no free address left",
                   details={"pool": pool.name, "size": size})


# Built once: every vNIC and port creation runs it.
_USED_MACS = select(orm.Vnic.mac).filter(orm.Vnic.mac_pool_id == bindparam("pool_id"),
                                         orm.Vnic.mac.in_(bindparam("macs", expanding=True)))

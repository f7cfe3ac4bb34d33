"""First start: the admin account, data center, MAC pool, cluster and management network "Default"."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from lognet.adapters import orm
from lognet.domain.values import int_to_mac
from lognet.service.app import Lognet
from lognet.service.auth import hash_password
from lognet.service.uow import UnitOfWork

DEFAULT = "Default"
MANAGEMENT_NETWORK = "mgmt"


def random_pool_range() -> dict[str, str]:
    """A random locally administered unicast /16 block: 56:6f:XX:YY:00:00–56:6f:XX:YY:ff:ff."""
    base = (0x566F << 32) | (secrets.randbits(16) << 16)
    return {"from": int_to_mac(base), "to": int_to_mac(base | 0xFFFF)}


def bootstrap(app: Lognet) -> str | None:
    """Create what a first start needs; idempotent. Returns the admin password when it was generated."""
    generated = None
    with UnitOfWork(app.db) as uow:
        s = uow.session
        if s.scalar(select(orm.User).filter_by(username="admin")) is None:
            password = app.settings.admin_password
            if not password:
                password = generated = secrets.token_urlsafe(12)
            s.add(orm.User(username="admin", password_hash=hash_password(password), role="admin"))
        if s.scalar(select(orm.DataCenter).filter_by(name=DEFAULT)) is None:
            create_default_topology(uow)
        # Host locks do not survive a restart: the jobs that held them are gone.
        s.execute(update(orm.Host).where(orm.Host.busy_job_id.is_not(None)).values(busy_job_id=None))
        s.execute(update(orm.Job).where(orm.Job.status.in_(("pending", "running")))
                  .values(status="failed", error={"code": "ENGINE_RESTARTED",
                                                  "message": "the engine restarted while the job ran"}))
        uow.commit()
    return generated


def create_default_topology(uow: UnitOfWork) -> None:
    dc = orm.DataCenter(name=DEFAULT, description="The default data center")
    pool = orm.MacPool(name=DEFAULT, description="The default MAC pool", default_pool=True,
                       ranges=[random_pool_range()])
    uow.add(dc)
    uow.add(pool)
    uow.session.flush()
    cluster = orm.Cluster(name=DEFAULT, description="The default cluster", datacenter_id=dc.id,
                          mac_pool_id=pool.id)
    uow.add(cluster)
    net = orm.Network(datacenter_id=dc.id, name=MANAGEMENT_NETWORK, description="Management network",
                      vm_network=True, host_name=MANAGEMENT_NETWORK)
    uow.add(net)
    uow.session.flush()
    uow.add(orm.NetworkCluster(cluster_id=cluster.id, network_id=net.id, required=True, management=True))

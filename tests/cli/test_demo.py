"""``lognet serve --demo`` seeding: the demo content through the service layer, idempotent."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from lognet.adapters import orm
from lognet.cli.demo import HOSTS, seed_demo
from lognet.service import vnics
from lognet.service.app import Lognet, Settings
from lognet.service.hostfacts import desired_config
from lognet.service.uow import UnitOfWork


def _counts(app: Lognet) -> dict[str, int]:
    with UnitOfWork(app.db, write=False) as uow:
        return {m.__tablename__: uow.session.scalar(select(func.count()).select_from(m)) or 0
                for m in (orm.Host, orm.Network, orm.NetworkCluster, orm.Template, orm.Vm, orm.Vnic,
                          orm.NetworkAttachment, orm.HostBond)}


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    app = Lognet(Settings(database_url=url, admin_password="demo-pass", confirm_interval=0.02))
    try:
        app.start()
        assert seed_demo(app) is True
        first = _counts(app)
        assert first["hosts"] == 2 and first["vms"] == 2 and first["templates"] == 1
        assert first["host_bonds"] == 2 and first["networks"] >= 4
        with UnitOfWork(app.db, write=False) as uow:
            for name in HOSTS:
                host = uow.get(orm.Host, name, "host")
                assert host.simulated == {"nics": 4}
                config = desired_config(uow, host.id)
                by_nic = {uow.session.get(orm.Network, a.network_id).name: a.nic  # type: ignore[union-attr]
                          for a in config.attachments.values()}
                assert by_nic["mgmt"] == "eth0" and by_nic["prod"] == "bond0"
            vms = {v.name: v.status for v in uow.session.scalars(select(orm.Vm))}
        assert sorted(vms.values()) == ["down", "up"]
        assert len(vnics.list_vnics(app, "template", "web-template")) == 2
        assert seed_demo(app) is False
        assert _counts(app) == first
    finally:
        app.close()
    # A second start of the engine on the same database does nothing either.
    again = Lognet(Settings(database_url=url, admin_password="demo-pass"))
    try:
        again.start()
        assert seed_demo(again) is False
        assert _counts(again) == first
    finally:
        again.close()

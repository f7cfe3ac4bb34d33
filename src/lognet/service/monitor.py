"""Host monitoring: the engine reads every host's capabilities now and then, as oVirt's host monitoring does.

A host that stops answering becomes ``non_responsive``; one that lost a required network becomes
``non_operational``; VMs a host no longer runs (after a reboot, say) are marked down. Hosts busy with a
network operation are skipped: their job reads the host when it ends.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from lognet.adapters import orm
from lognet.service.app import Lognet
from lognet.service.hosts import apply_report, capabilities
from lognet.service.uow import UnitOfWork

log = logging.getLogger("lognet.monitor")


def refresh_all(app: Lognet) -> int:
    """Read every idle host once; returns how many hosts changed status."""
    with UnitOfWork(app.db, write=False) as uow:
        hosts = list(uow.session.scalars(select(orm.Host).filter(orm.Host.busy_job_id.is_(None))))
    changed = 0
    for snapshot in hosts:
        caps = capabilities(app, snapshot)  # no transaction open while we wait for the host
        with UnitOfWork(app.db) as uow:
            host = uow.session.get(orm.Host, snapshot.id)
            if host is None or host.busy_job_id is not None:
                continue
            before = host.status
            apply_report(uow, host, caps)
            if host.status != before:
                changed += 1
                uow.event("host.status", host, f"{before} -> {host.status}",
                          result="success" if host.status == "up" else "failure")
            uow.commit()
    return changed


class HostMonitor:
    """A daemon thread calling :func:`refresh_all` every ``interval`` seconds until stopped."""

    def __init__(self, app: Lognet, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lognet-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                refresh_all(self.app)
            except Exception:  # noqa: BLE001 - monitoring must outlive any one bad round
                log.exception("host monitoring round failed")

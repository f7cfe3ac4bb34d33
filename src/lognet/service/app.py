"""The engine's composition root: database, host agents and the job runner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lognet.adapters import orm
from lognet.adapters.agent_http import HttpAgentClient
from lognet.adapters.db import Database, migrate
from lognet.adapters.simulated import SimulatedHost
from lognet.service.ports import AgentClient


@dataclass
class Settings:
    """Engine settings (from the environment in :func:`lognet.api.app.create_app`)."""

    database_url: str
    admin_password: str | None = None
    token_ttl_seconds: int = 12 * 3600
    confirm_interval: float = 0.2  # how often the engine confirms connectivity while a setup runs
    job_workers: int = 32  # host jobs mostly wait on agents: many may run at once


class AgentDirectory:
    """Finds the client of each host: an in-process simulated host or the HTTP client of a real agent."""

    def __init__(self) -> None:
        self._simulated: dict[str, SimulatedHost] = {}
        self._http: dict[str, tuple[tuple[str, str], HttpAgentClient]] = {}
        self._lock = threading.Lock()

    def client(self, host: orm.Host) -> AgentClient:
        if host.simulated is not None:
            return self.simulated(host)
        key = (host.agent_url or "", host.secret)
        with self._lock:  # one pooled HTTP client per host, renewed when its address or secret changes
            cached = self._http.get(host.id)
            if cached is None or cached[0] != key:
                if cached is not None:
                    cached[1].close()
                cached = (key, HttpAgentClient(*key))
                self._http[host.id] = cached
            return cached[1]

    def simulated(self, host: orm.Host) -> SimulatedHost:
        with self._lock:
            sim = self._simulated.get(host.id)
            if sim is None:
                # After an engine restart the simulated host comes back as it was last reported.
                reported = host.reported or {}
                state = {"networks": reported.get("networks", {}),
                         "bonds": {b["name"]: {"slaves": b["slaves"], "mode": b["mode"]}
                                   for b in reported.get("bonds", [])}}
                sim = SimulatedHost(host.name, int((host.simulated or {}).get("nics", 4)), state)  # type: ignore[arg-type]
                self._simulated[host.id] = sim
            return sim

    def forget(self, host_id: str) -> None:
        with self._lock:
            self._simulated.pop(host_id, None)
            cached = self._http.pop(host_id, None)
        if cached is not None:
            cached[1].close()


@dataclass
class Lognet:
    """Everything a command needs: the database, the hosts' agents and the job runner."""

    settings: Settings
    db: Database = field(init=False)
    agents: AgentDirectory = field(default_factory=AgentDirectory)
    executor: ThreadPoolExecutor = field(init=False)
    job_done: dict[str, threading.Event] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    _vm_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _vm_locks_guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url)
        self.executor = ThreadPoolExecutor(self.settings.job_workers, thread_name_prefix="lognet-job")

    def vm_lock(self, vm_id: str) -> threading.Lock:
        """The lock that serialises commands on one VM's devices, host calls included (oVirt's VM-devices lock)."""
        with self._vm_locks_guard:
            return self._vm_locks.setdefault(vm_id, threading.Lock())

    def start(self) -> str | None:
        """Migrate the schema and create the defaults; returns a generated admin password, if any."""
        from lognet.service.bootstrap import bootstrap

        migrate(self.db.engine)
        return bootstrap(self)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.db.dispose()

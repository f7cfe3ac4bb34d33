"""Shared fixtures: a real engine served over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from lognet.api.app import create_app
from lognet.service.app import Lognet, Settings

ADMIN_PASSWORD = "admin-test-password"


def pytest_configure(config: pytest.Config) -> None:
    """Each run gets its own temporary directory, removed at the end: tests leave no files behind."""
    if not config.option.basetemp:
        config.option.basetemp = tempfile.mkdtemp(prefix="lognet-pytest-")
        config.add_cleanup(lambda: shutil.rmtree(config.option.basetemp, ignore_errors=True))
BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_admin_url() -> str | None:
    url = os.environ.get("LOGNET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3):
            return url
    except Exception:  # noqa: BLE001 - no server: PostgreSQL tests are skipped
        return None


class Database:
    """A fresh database of one backend, removed afterwards."""

    def __init__(self, backend: str, tmp: Any) -> None:
        self.backend = backend
        self.name = f"lognet_t_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / (self.name + '.db')}"
            self.admin = None
        else:
            admin = _pg_admin_url()
            if admin is None:
                pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
            import psycopg

            self.admin = admin.replace("+psycopg", "")
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = admin.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        if self.admin:
            import psycopg

            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    """The engine behind a real uvicorn server on a free loopback port."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = Lognet(Settings(database_url=db.url, admin_password=ADMIN_PASSWORD, confirm_interval=0.05))
        self.engine.start()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(self.engine), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def client(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx.Client:
        token = httpx.post(f"{self.url}/api/v1/auth/token", json={"username": username, "password": password}).json()
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token['token']}"},
                            timeout=60)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.engine.close()
        self.db.drop()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One engine per test module and backend, served over HTTP."""
    db = Database(request.param, tmp_path_factory.mktemp("db"))
    srv = Server(db)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    """An admin client of the module's engine."""
    with server.client() as client:
        yield client


_counter = iter(range(10**9))


def unique(prefix: str) -> str:
    """A name no other test of the module uses."""
    return f"{prefix}{next(_counter)}"

"""API benchmark: 2,000 vNICs over 100 VMs created, listed with pagination and deleted through HTTP.

Starts its own engine (uvicorn, SQLite in a temporary directory; ``--postgres`` for a scratch PostgreSQL
database) unless ``--url`` names one. Prints ops/s for each phase and its ratio to the floor measured in the
same run: the engine's cheapest authenticated request (``GET /api/v1/auth/me``), i.e. pure HTTP + auth overhead.

    .venv/bin/python bench/api_bench.py [--vms 100] [--vnics 2000] [--url URL] [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

PASSWORD = "bench-password-1"


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of ``admin_url``, dropped afterwards."""
    import psycopg

    name = f"lognet_bench_{os.getpid()}"
    plain = admin_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def engine(postgres_admin_url: str | None) -> Iterator[str]:
    port = 18000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory(prefix="lognet-bench-") as tmp, ExitStack() as stack:
        url = stack.enter_context(scratch_postgres(postgres_admin_url)) if postgres_admin_url else \
            f"sqlite:///{tmp}/bench.db"
        env = dict(os.environ, LOGNET_DATABASE_URL=url, LOGNET_ADMIN_PASSWORD=PASSWORD)
        code = (f"import uvicorn; from lognet.api.app import create_app; "
                f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')")
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{url}/api", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def timed(label: str, count: int, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    rate = count / elapsed
    print(f"{label:<28} {count:>6} ops  {elapsed:7.2f} s  {rate:9.1f} ops/s")
    return rate


def run(url: str, vm_count: int, vnic_count: int, password: str) -> None:
    token = httpx.post(f"{url}/api/v1/auth/token", json={"username": "admin", "password": password}).json()["token"]
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    tag = f"b{int(time.time())}"
    floor = timed("floor: GET /auth/me", 1000, lambda: [api.get("/auth/me") for _ in range(1000)])
    vms: list[str] = []
    timed("create VMs", vm_count, lambda: vms.extend(
        api.post("/vms", json={"name": f"{tag}-vm{i}"}).json()["id"] for i in range(vm_count)))
    nics: list[tuple[str, str]] = []

    def create() -> None:
        for i in range(vnic_count):
            vm = vms[i % vm_count]
            resp = api.post(f"/vms/{vm}/nics", json={"name": f"nic{i // vm_count}"})
            assert resp.status_code == 201, resp.text
            nics.append((vm, resp.json()["id"]))

    create_rate = timed("create vNICs", vnic_count, create)
    assert len({m for m in nics}) == vnic_count

    def list_all() -> None:
        seen = 0
        for vm in vms:
            seen += len(api.get(f"/vms/{vm}/nics").json()["results"])
        assert seen == vnic_count

    list_rate = timed("list vNICs (per VM)", vm_count, list_all)

    def list_paged() -> None:
        page, seen = "/vms?limit=10", 0
        while page:
            body = api.get(page.replace("/api/v1", "")).json()
            seen += len(body["results"])
            page = body["next"]

    paged_rate = timed("list VMs (pages of 10)", vm_count // 10, list_paged)
    delete_rate = timed("delete vNICs", vnic_count, lambda: [api.delete(f"/vms/{vm}/nics/{nic}") for vm, nic in nics])
    print()
    for label, rate in (("create vNIC", create_rate), ("list vNICs", list_rate), ("list page", paged_rate),
                        ("delete vNIC", delete_rate)):
        print(f"{label:<14} {rate:9.1f} ops/s = {rate / floor:5.2f} × the floor ({floor:.0f} req/s)")
    for vm in vms:
        api.delete(f"/vms/{vm}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--password", default=os.environ.get("LOGNET_ADMIN_PASSWORD", PASSWORD))
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="run on a scratch database of this PostgreSQL server "
                             "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--vnics", type=int, default=2000)
    args = parser.parse_args()
    if args.url:
        run(args.url, args.vms, args.vnics, args.password)
        return
    with engine(args.postgres) as url:
        run(url, args.vms, args.vnics, PASSWORD)


if __name__ == "__main__":
    main()

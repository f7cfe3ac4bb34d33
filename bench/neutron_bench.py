#!/usr/bin/env python3
"""Neutron API micro benchmark: lognet's Neutron v2.0 side by side with a real Neutron.

usage: neutron_bench.py [URL] [--neutron] [--networks 200] [--ports 500] [--token T]

The workload of ../shared/peers/neutron/bench_neutron_api.py: create N networks, list them, a /22 subnet,
M ports with fixed IPs, list ports (1× and 5× mean), a filtered list, delete ports, delete networks.
Without URL an engine is started on a temporary SQLite database (uvicorn, one process). URL is lognet's
server root (e.g. http://127.0.0.1:8080); the Neutron root is URL/networking and a token comes from
/api/v1/auth/token (admin, LOGNET_ADMIN_PASSWORD) unless --token is given. With --neutron, a real Neutron is
started by run-neutron.sh (noauth) and measured in the same run; ops/s of each and the ratio are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

PEER = os.environ.get("LOGNET_NEUTRON_PEER", "/work/shared/peers/neutron")
OPS = ["create_networks", "list_networks", "create_ports", "list_ports", "list_ports_filtered", "delete_ports",
       "delete_networks"]


def workload(base: str, headers: dict[str, str], networks: int, ports: int) -> dict[str, dict[str, float]]:
    v2 = base.rstrip("/") + "/v2.0"
    c = httpx.Client(headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
                     timeout=120)
    out: dict[str, dict[str, float]] = {}

    def timed(name: str, n: int, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        out[name] = {"n": n, "seconds": round(dt, 4), "ops_per_s": round(n / dt, 1)}
        print(f"  {name:22s} n={n:<4d} {dt:8.3f}s {n / dt:9.1f} ops/s {1000 * dt / n:8.2f} ms/op", flush=True)
        return result

    c.get(v2 + "/networks").raise_for_status()

    def mk_nets() -> list[str]:
        ids = []
        for i in range(networks):
            r = c.post(v2 + "/networks", json={"network": {"name": f"bench-net-{i}"}})
            r.raise_for_status()
            ids.append(r.json()["network"]["id"])
        return ids

    net_ids = timed("create_networks", networks, mk_nets)
    timed("list_networks", 1, lambda: c.get(v2 + "/networks").raise_for_status())
    r = c.post(v2 + "/networks", json={"network": {"name": "bench-ports-net"}})
    r.raise_for_status()
    pnet = r.json()["network"]["id"]
    c.post(v2 + "/subnets", json={"subnet": {"network_id": pnet, "ip_version": 4, "cidr": "10.10.0.0/22",
                                             "name": "bench-sub"}}).raise_for_status()

    def mk_ports() -> list[str]:
        ids = []
        for i in range(ports):
            r = c.post(v2 + "/ports", json={"port": {"network_id": pnet, "name": f"bench-port-{i}"}})
            r.raise_for_status()
            assert r.json()["port"]["fixed_ips"], "ports get fixed IPs"
            ids.append(r.json()["port"]["id"])
        return ids

    port_ids = timed("create_ports", ports, mk_ports)

    def lst() -> httpx.Response:
        return c.get(v2 + "/ports").raise_for_status()

    # As in the reference workload, the client decodes the list outside the timing: on lognet, the stdlib
    # JSON decoding of 500 ports would take longer than the server's answer.
    assert len(timed("list_ports", 1, lst).json()["ports"]) >= ports
    t = time.perf_counter()
    for _ in range(5):
        lst()
    out["list_ports_x5_mean"] = {"n": 1, "seconds": round((time.perf_counter() - t) / 5, 4),
                                 "ops_per_s": round(5 / (time.perf_counter() - t), 1)}
    print(f"  list_ports (5x mean)    {out['list_ports_x5_mean']['seconds']:.4f}s", flush=True)
    timed("list_ports_filtered", 1, lambda: c.get(v2 + "/ports", params={"network_id": pnet, "fields": "id"})
          .raise_for_status())

    def delete(kind: str, ids: list[str]) -> None:
        for i in ids:
            c.delete(f"{v2}/{kind}/{i}").raise_for_status()

    timed("delete_ports", len(port_ids), lambda: delete("ports", port_ids))
    timed("delete_networks", len(net_ids), lambda: delete("networks", net_ids))
    c.delete(f"{v2}/networks/{pnet}").raise_for_status()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_lognet(tmp: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "LOGNET_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "LOGNET_ADMIN_PASSWORD": "bench-admin-pw"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "lognet.api.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_up(url + "/api")
    return proc, url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", nargs="?")
    ap.add_argument("--neutron", action="store_true", help="also measure a real Neutron (run-neutron.sh)")
    ap.add_argument("--networks", type=int, default=200)
    ap.add_argument("--ports", type=int, default=500)
    ap.add_argument("--token")
    ap.add_argument("--out")
    a = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        url = a.url
        if not url:
            proc, url = start_lognet(tmp)
        try:
            token = a.token or httpx.post(f"{url}/api/v1/auth/token", json={
                "username": "admin", "password": os.environ.get("LOGNET_ADMIN_PASSWORD", "bench-admin-pw")}
            ).raise_for_status().json()["token"]
            print(f"lognet  {url}/networking", flush=True)
            results["lognet"] = workload(f"{url}/networking", {"X-Auth-Token": token}, a.networks, a.ports)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
        if a.neutron:
            port = free_port()
            pid = int(subprocess.run([f"{PEER}/run-neutron.sh", f"{tmp}/neutron", str(port)], check=True,
                                     capture_output=True, text=True).stdout.split()[-1])
            try:
                print(f"neutron http://127.0.0.1:{port}", flush=True)
                results["neutron"] = workload(f"http://127.0.0.1:{port}", {}, a.networks, a.ports)
            finally:
                os.kill(pid, 15)
    if "neutron" in results:
        print(f"\n{'operation':22s} {'lognet ops/s':>13s} {'neutron ops/s':>14s} {'ratio':>8s}")
        for op in OPS:
            lg, nt = results["lognet"][op]["ops_per_s"], results["neutron"][op]["ops_per_s"]
            results.setdefault("ratio", {})[op] = round(lg / nt, 1)
            print(f"{op:22s} {lg:13.1f} {nt:14.1f} {lg / nt:7.1f}x")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

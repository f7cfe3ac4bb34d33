"""``make demo`` with a lab: real hosts (namespaces, userspace OVS, agents) attached to the demo engine.

``python -m lognet.lab.demo up --engine-url URL`` builds a 2-host lab with 3 NICs per host (eth0 mgmt, bond0 =
eth1+eth2 active-backup), adds the hosts to the engine, attaches the demo's ``prod`` and ``dev`` networks to
their bonds (committed), and starts two VMs on ``prod``, one per host, whose guests get 10.99.0.1 and
10.99.0.2. Everything goes through the engine's REST API, as a user would. ``down`` removes the lab.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import httpx

from lognet.lab.lab import Lab, LabError

PREFIX = "lnd"
VMS = (("labvm1", "10.99.0.1"), ("labvm2", "10.99.0.2"))
NETWORKS = ("prod", "dev")


def _ok(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code >= 300:
        raise LabError(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text[:300]}")
    body: dict[str, Any] = resp.json() if resp.content else {}
    if body.get("status") == "failed":
        raise LabError(f"{resp.request.url.path}: job failed: {body.get('error')}")
    return body


def wait_engine(engine_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{engine_url}/api/v1/openapi.json", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise LabError(f"no engine answers at {engine_url}")


def up(engine_url: str, prefix: str = PREFIX) -> Lab:
    wait_engine(engine_url)
    lab = Lab(prefix)
    if lab.state:
        lab.down()  # a lab left by an earlier demo that was not shut down cleanly
    lab.up(hosts=2, nics=3, engine_url=engine_url)
    try:
        with httpx.Client(base_url=f"{engine_url}/api/v1", timeout=120,
                          headers={"Authorization": f"Bearer {lab.engine_token()}"}) as api:
            hosts = [lab.host(f"h{i}")["engine_id"] for i in (1, 2)]
            for host in hosts:
                _ok(api.post(f"/hosts/{host}/setupnetworks?wait=true", json={
                    "modified_bonds": [{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "active-backup"}],
                    "modified_network_attachments": [{"network": n, "nic": "bond0"} for n in NETWORKS],
                    "commit_on_success": True}))
            for host, (name, address) in zip(hosts, VMS, strict=True):
                vm = _ok(api.post("/vms", json={"name": name, "cluster": "Default"}))
                _ok(api.post(f"/vms/{vm['id']}/nics", json={"name": "nic1", "network": "prod"}))
                _ok(api.post(f"/vms/{vm['id']}/start", json={"host": host}))
                done = lab.exec_vm(name, ["ip", "addr", "add", f"{address}/24", "dev", "nic1"])
                if done.returncode != 0:
                    raise LabError(f"guest address of {name}: {done.stderr.strip()}")
    except BaseException:
        lab.down()
        raise
    return lab


def usage(lab: Lab) -> str:
    exe = os.path.join(os.path.dirname(sys.executable), "lognet")
    hosts = ", ".join(f"{h['name']} ({h['address']})" for h in lab.hosts.values())
    return "\n".join([
        f"lab {lab.prefix}: hosts {hosts} with real agents on Open vSwitch, added to the engine;",
        f"  VMs {VMS[0][0]} ({VMS[0][1]}) and {VMS[1][0]} ({VMS[1][1]}) run on network prod (VLAN 100), one per host.",
        f"  {exe} lab status --prefix {lab.prefix}",
        f"  {exe} lab exec --prefix {lab.prefix} {VMS[0][0]} -- ping -c 3 {VMS[1][1]}",
        f"  {exe} lab exec --prefix {lab.prefix} --host h1 -- ip -br addr",
        "  unplug a vNIC in the engine (web console, CLI or API) and the ping stops; the lab goes when the demo does.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lognet.lab.demo", description=__doc__)
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("--engine-url", default="http://127.0.0.1:8080")
    parser.add_argument("--prefix", default=PREFIX)
    args = parser.parse_args(argv)
    try:
        if args.action == "down":
            Lab(args.prefix).down()
            return 0
        print(usage(up(args.engine_url, args.prefix)), flush=True)
    except LabError as exc:
        print(f"lab demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

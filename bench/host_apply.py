"""Benchmark: N VLAN networks on a bond of one lab host through the agent, against the OVS floor.

The floor is one raw ``ovs-vsctl`` transaction creating the same N tagged internal ports on a fresh
userspace OVS (it waits for ovs-vswitchd like the agent does). The agent figure is setup-networks from the
202 to ``succeeded`` (plan, one OVSDB transaction, netlink, read-back verification), without the
connectivity wait, which is engine round-trips and not work on the host.

Each figure is the best of ``--repeat`` runs (default 3): on a small machine ovsdb-server, ovs-vswitchd and the
agent share the cores and single runs scatter by tens of percent. Between agent runs the networks are removed
again (vswitchd deletes internal ports slowly: about 17 ms each), which is what makes the benchmark long.

Run as root: ``.venv/bin/python bench/host_apply.py [--sizes 10,100,500,1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from lognet.lab.lab import SCHEMA, Lab, _kill_pidfile, mgmt_subnet


def vlan_net(vid: int) -> dict[str, Any]:
    return {"bond": "bond0", "vlan": vid, "mtu": 1500, "bridged": True, "ipv4": {"boot_protocol": "none"},
            "ipv6": {"boot_protocol": "none"}, "default_route": False}


def desired(lab: Lab, n: int) -> dict[str, Any]:
    nets: dict[str, Any] = {f"v{vid}": vlan_net(vid) for vid in range(100, 100 + n)}
    nets["mgmt"] = {"nic": "eth0", "vlan": None, "mtu": 1500, "bridged": True,
                    "ipv4": {"boot_protocol": "static", "address": f"{mgmt_subnet(lab.prefix)}.11",
                             "netmask": "24", "gateway": None},
                    "ipv6": {"boot_protocol": "none"}, "default_route": False}
    return {"networks": nets, "bonds": {"bond0": {"slaves": ["eth1", "eth2"], "mode": "active-backup"}}}


def agent_apply(lab: Lab, state: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    body = {"desired": state, "check_connectivity": False, "connectivity_timeout": 60,
            "commit_on_success": False}
    with lab.agent_client(lab.host("h1"), timeout=120) as c:
        start = time.perf_counter()
        op = c.post("/agent/v1/setup-networks", json=body).json()["operation"]
        while True:
            try:
                report = c.get(f"/agent/v1/operations/{op}").json()
            except httpx.HTTPError:
                # The management path runs through the same userspace OVS: while vswitchd deletes
                # hundreds of ports it stops forwarding for seconds and idle connections drop.
                continue
            if report["status"] != "running":
                return time.perf_counter() - start, report
            time.sleep(0.01)


def floor(n: int, prefix: str) -> float:
    """Seconds for one ovs-vsctl transaction adding n tagged internal ports to a fresh netdev bridge."""
    ns = f"{prefix}-floor"
    d = Path(tempfile.mkdtemp(prefix=f"lognet-{prefix}-"))
    env = {**os.environ, "OVS_RUNDIR": str(d), "OVS_DBDIR": str(d), "OVS_LOGDIR": str(d)}
    db = f"--db=unix:{d}/db.sock"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ovsdb-tool", "create", f"{d}/conf.db", SCHEMA], check=True)
        run = ["ip", "netns", "exec", ns]
        subprocess.run([*run, "ovsdb-server", f"{d}/conf.db", f"--remote=punix:{d}/db.sock",
                        f"--pidfile={d}/ovsdb-server.pid", "--detach", f"--log-file={d}/db.log"],
                       env=env, check=True, capture_output=True)
        subprocess.run(["ovs-vsctl", db, "--no-wait", "init"], check=True)
        subprocess.run([*run, "ovs-vswitchd", f"unix:{d}/db.sock", f"--pidfile={d}/ovs-vswitchd.pid",
                        "--detach", f"--log-file={d}/vswitchd.log"], env=env, check=True, capture_output=True)
        subprocess.run(["ovs-vsctl", db, "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev"],
                       check=True)
        args = ["ovs-vsctl", db]
        for vid in range(100, 100 + n):
            args += ["--", "add-port", "br0", f"v{vid}", f"tag={vid}",
                     "--", "set", "interface", f"v{vid}", "type=internal"]
        start = time.perf_counter()
        subprocess.run(args, check=True)
        return time.perf_counter() - start
    finally:
        _kill_pidfile(d / "ovs-vswitchd.pid")
        _kill_pidfile(d / "ovsdb-server.pid")
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,100,500,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    prefix = "lb" + secrets.token_hex(2)
    lab = Lab(prefix)
    try:
        lab.up(hosts=1, nics=3, engine=False)
        base = desired(lab, 0)
        assert agent_apply(lab, base)[1]["status"] == "succeeded"
        print(f"{'networks':>8} {'agent s':>9} {'floor s':>9} {'ratio':>6}   (best of {args.repeat})")
        for n in sizes:
            agent_runs, floor_runs = [], []
            for _ in range(args.repeat):
                seconds, report = agent_apply(lab, desired(lab, n))
                if report["status"] != "succeeded":
                    raise SystemExit(f"apply of {n} networks: {report}")
                agent_runs.append(seconds)
                assert agent_apply(lab, base)[1]["status"] == "succeeded"
                floor_runs.append(floor(n, prefix))
            seconds, floor_s = min(agent_runs), min(floor_runs)
            print(f"{n:>8} {seconds:>9.3f} {floor_s:>9.3f} {seconds / floor_s:>6.2f}", flush=True)
    finally:
        lab.down()


if __name__ == "__main__":
    main()

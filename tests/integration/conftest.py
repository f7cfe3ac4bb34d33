"""Lab fixtures: real namespaces, userspace Open vSwitch and agents. Skipped unless root with OVS."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lognet.lab.lab import Lab, mgmt_subnet

TOOLS = ("ovs-vswitchd", "ovsdb-server", "ping", "ethtool")
HAVE_LAB = os.geteuid() == 0 and all(shutil.which(t) for t in TOOLS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs root, Open vSwitch, ping and ethtool")
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.ovs)
            if not HAVE_LAB:
                item.add_marker(skip)


class AgentDriver:
    """Drives one lab host's agent over the protocol the way the engine does (confirming while it waits)."""

    def __init__(self, lab: Lab, host: str) -> None:
        self.lab, self.host = lab, lab.host(host)
        self.name = self.host["name"]

    def client(self, timeout: float = 5.0) -> httpx.Client:
        return self.lab.agent_client(self.host, timeout=timeout)

    def caps(self) -> dict[str, Any]:
        with self.client() as c:
            r = c.get("/agent/v1/capabilities")
            r.raise_for_status()
            return dict(r.json())

    def start(self, desired: dict[str, Any], commit: bool = False, timeout: int = 30) -> str:
        body = {"desired": desired, "check_connectivity": True, "connectivity_timeout": timeout,
                "commit_on_success": commit}
        with self.client(timeout=30) as c:
            r = c.post("/agent/v1/setup-networks", json=body)
            assert r.status_code == 202, r.text
            return str(r.json()["operation"])

    def finish(self, op: str, confirm: bool = True, limit: float = 180) -> dict[str, Any]:
        """Poll the operation to its end, confirming connectivity about every 0.2 s (like the engine)."""
        deadline = time.monotonic() + limit  # a guard against a hung agent, not an assertion on time
        with self.client(timeout=2) as c:
            while time.monotonic() < deadline:
                try:
                    if confirm:
                        c.post("/agent/v1/confirm-connectivity", json={"operation": op})
                    report = c.get(f"/agent/v1/operations/{op}").json()
                    if report["status"] != "running":
                        return dict(report)
                except httpx.HTTPError:
                    pass  # the management path may flap while networks change
                time.sleep(0.2)
        raise AssertionError(f"operation {op} did not end")

    def setup(self, desired: dict[str, Any], commit: bool = False, timeout: int = 30) -> dict[str, Any]:
        return self.finish(self.start(desired, commit=commit, timeout=timeout))

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        with self.client(timeout=30) as c:
            return c.request(method, f"/agent/v1{path}", json=body)


def net(uplink: str, vlan: int | None = None, mtu: int = 1500, address: str | None = None,
        bond: bool = True) -> dict[str, Any]:
    ipv4: dict[str, Any] = {"boot_protocol": "none"}
    if address:
        ipv4 = {"boot_protocol": "static", "address": address, "netmask": "255.255.255.0", "gateway": None}
    return {"bond" if bond else "nic": uplink, "vlan": vlan, "mtu": mtu, "bridged": True, "ipv4": ipv4,
            "ipv6": {"boot_protocol": "none"}, "default_route": False}


def baseline(lab: Lab, i: int) -> dict[str, Any]:
    """Host i: mgmt on eth0; bond0 = eth1+eth2 (active-backup) with red/10, blue/20, jumbo/30 (MTU 9000)."""
    subnet = mgmt_subnet(lab.prefix)
    return {
        "networks": {
            "mgmt": net("eth0", address=f"{subnet}.{10 + i}", bond=False),
            "red": net("bond0", 10),
            "blue": net("bond0", 20),
            "jumbo": net("bond0", 30, mtu=9000),
        },
        "bonds": {"bond0": {"slaves": ["eth1", "eth2"], "mode": "active-backup"}},
    }


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """A 2-host lab with 4 NICs per host (eth3's cable is pulled), no engine: agent-level tests."""
    prefix = "lt" + secrets.token_hex(2)
    lab = Lab(prefix)
    try:
        lab.up(hosts=2, nics=4, engine=False)
        for i in (1, 2):
            lab.set_cable(f"h{i}", 3, plugged=False)
        yield lab
    finally:
        lab.down()


@pytest.fixture()
def hosts(lab: Lab) -> Iterator[list[AgentDriver]]:
    """Both hosts at the committed baseline, with no VMs; VMs started by a test are stopped after it."""
    drivers = [AgentDriver(lab, f"h{i}") for i in (1, 2)]
    for i, d in enumerate(drivers, start=1):
        for vm in d.caps()["vms"]:
            d.call("POST", f"/vms/{vm['id']}/stop")
        report = d.setup(baseline(lab, i), commit=True)
        assert report["status"] == "succeeded", report
    yield drivers
    for d in drivers:
        for vm in d.caps()["vms"]:
            d.call("POST", f"/vms/{vm['id']}/stop")

"""Engine-level lab tests: everything through the engine's REST API, traffic checked from inside the VMs.

A 2-host lab (4 NICs each: eth0 mgmt, bond0 = eth1+eth2 active-backup, eth3 uncabled) whose hosts the lab added
to its own engine. Networks, cluster networks, setup networks, VMs and vNICs are made through ``/api/v1``;
``lab exec`` pings from inside the VM namespaces as a guest would.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from lognet.lab.lab import Lab

pytestmark = pytest.mark.ovs

NETWORKS = {"red": {"vlan": 10}, "blue": {"vlan": 20}, "jumbo": {"vlan": 30, "mtu": 9000}}


@dataclass
class Engine:
    lab: Lab
    api: httpx.Client
    hosts: list[str]  # engine ids of h1, h2
    vms: list[str] = field(default_factory=list)

    def setup(self, i: int, **body: Any) -> dict[str, Any]:
        r = self.api.post(f"/hosts/{self.hosts[i]}/setupnetworks?wait=true", json=body)
        assert r.status_code in (200, 202), r.text
        return dict(r.json())

    def job(self, path: str) -> dict[str, Any]:
        r = self.api.post(path + "?wait=true")
        assert r.status_code in (200, 202), r.text
        return dict(r.json())

    def refresh(self, i: int) -> None:
        job = self.job(f"/hosts/{self.hosts[i]}/refresh")
        assert job["status"] == "succeeded", job

    def reported(self, i: int) -> list[dict[str, Any]]:
        """What the host reported last (NICs and bonds with the networks they carry), volatile fields aside."""
        nics = self.api.get(f"/hosts/{self.hosts[i]}/nics").json()["results"]
        return [{k: v for k, v in n.items() if k not in ("link", "active_slave", "speed")} for n in nics]

    def attachments(self, i: int) -> list[dict[str, Any]]:
        atts = self.api.get(f"/hosts/{self.hosts[i]}/networkattachments").json()["results"]
        return [{k: a[k] for k in ("id", "network_name", "nic", "ip_configuration")} for a in atts]

    def vm(self, i: int, name: str, network: str, address: str) -> dict[str, Any]:
        """A VM with one vNIC on ``network``, started on host ``i``; the guest configures ``address``."""
        r = self.api.post("/vms", json={"name": name, "cluster": "Default"})
        assert r.status_code == 201, r.text
        vm = dict(r.json())
        self.vms.append(vm["id"])
        r = self.api.post(f"/vms/{vm['id']}/nics", json={"name": "nic1", "network": network})
        assert r.status_code == 201, r.text
        vm["nic"] = r.json()["id"]
        r = self.api.post(f"/vms/{vm['id']}/start", json={"host": self.hosts[i]})
        assert r.status_code == 200, r.text
        self.guest_ip(name, address)
        return vm

    def guest_ip(self, vm: str, address: str) -> None:
        done = self.lab.exec_vm(vm, ["ip", "addr", "add", f"{address}/24", "dev", "nic1"])
        assert done.returncode == 0, done.stderr

    def nic(self, vm: dict[str, Any], **fields: Any) -> None:
        r = self.api.patch(f"/vms/{vm['id']}/nics/{vm['nic']}", json=fields)
        assert r.status_code == 200, r.text

    def cleanup_vms(self) -> None:
        for vm_id in self.vms:
            if self.api.get(f"/vms/{vm_id}").json().get("status") == "up":
                self.api.post(f"/vms/{vm_id}/stop")
            self.api.delete(f"/vms/{vm_id}")
        self.vms.clear()


def pings(lab: Lab, vm: str, address: str, attempts: int = 5, extra: tuple[str, ...] = ()) -> bool:
    """True when one of a few short ping rounds gets an answer (learning and failover take a moment)."""
    for _ in range(attempts):
        done = lab.exec_vm(vm, ["ping", "-c", "2", "-i", "0.2", "-W", "1", *extra, address])
        if done.returncode == 0:
            return True
    return False


@pytest.fixture(scope="module")
def engine_lab() -> Iterator[Engine]:
    lab = Lab("le" + secrets.token_hex(2))
    try:
        lab.up(hosts=2, nics=4)
        for i in (1, 2):
            lab.set_cable(f"h{i}", 3, plugged=False)
        api = httpx.Client(base_url=lab.state["engine"]["url"] + "/api/v1", timeout=120,
                           headers={"Authorization": f"Bearer {lab.engine_token()}"})
        for name, fields in NETWORKS.items():
            r = api.post("/networks", json={"name": name, **fields})
            assert r.status_code == 201, r.text
            r = api.post("/clusters/Default/networks", json={"network": name, "required": False})
            assert r.status_code == 201, r.text
        ids = [lab.host(f"h{i}")["engine_id"] for i in (1, 2)]
        engine = Engine(lab, api, ids)
        for i in (0, 1):
            job = engine.setup(i, modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"],
                                                   "mode": "active-backup"}],
                               modified_network_attachments=[{"network": n, "nic": "bond0"} for n in NETWORKS],
                               commit_on_success=True)
            assert job["status"] == "succeeded", job
            assert api.get(f"/hosts/{ids[i]}").json()["status"] == "up"
        yield engine
        api.close()
    finally:
        lab.down()


@pytest.fixture()
def eng(engine_lab: Engine) -> Iterator[Engine]:
    yield engine_lab
    engine_lab.cleanup_vms()


def test_vms_on_one_network_reach_each_other_across_hosts_and_vlans_are_isolated(eng: Engine) -> None:
    eng.vm(0, "ra", "red", "10.77.0.1")
    eng.vm(1, "rb", "red", "10.77.0.2")
    eng.vm(1, "bb", "blue", "10.77.0.3")
    assert pings(eng.lab, "ra", "10.77.0.2")
    assert not pings(eng.lab, "ra", "10.77.0.3", attempts=1)


def test_hot_unplug_and_unlink_cut_traffic_plug_and_link_restore_it(eng: Engine) -> None:
    eng.vm(0, "ua", "blue", "10.78.0.1")
    ub = eng.vm(1, "ub", "blue", "10.78.0.2")
    assert pings(eng.lab, "ua", "10.78.0.2")
    eng.nic(ub, plugged=False)
    assert not pings(eng.lab, "ua", "10.78.0.2", attempts=1)
    eng.nic(ub, plugged=True)
    eng.guest_ip("ub", "10.78.0.2")  # a new device in the guest: it configures it again
    assert pings(eng.lab, "ua", "10.78.0.2")
    eng.nic(ub, linked=False)
    assert not pings(eng.lab, "ua", "10.78.0.2", attempts=1)
    eng.nic(ub, linked=True)
    assert pings(eng.lab, "ua", "10.78.0.2")


def test_jumbo_network_passes_8000_byte_pings_and_a_1500_one_refuses_them(eng: Engine) -> None:
    eng.vm(0, "ja", "jumbo", "10.80.0.1")
    eng.vm(1, "jb", "jumbo", "10.80.0.2")
    eng.vm(0, "sa", "red", "10.81.0.1")
    eng.vm(1, "sb", "red", "10.81.0.2")
    big = ("-M", "do", "-s", "8000")
    assert pings(eng.lab, "ja", "10.80.0.2", extra=big)
    assert pings(eng.lab, "sa", "10.81.0.2")
    assert not pings(eng.lab, "sa", "10.81.0.2", attempts=1, extra=big)


def test_pulling_the_bonds_active_slave_cable_keeps_traffic_flowing(eng: Engine) -> None:
    eng.vm(0, "fa", "red", "10.82.0.1")
    eng.vm(1, "fb", "red", "10.82.0.2")
    assert pings(eng.lab, "fa", "10.82.0.2")
    eng.refresh(0)
    bond = next(n for n in eng.api.get(f"/hosts/{eng.hosts[0]}/nics").json()["results"] if n["name"] == "bond0")
    active = bond["active_slave"]
    assert active in ("eth1", "eth2")
    k = int(active[3:])
    eng.lab.set_cable("h1", k, plugged=False)
    try:
        assert pings(eng.lab, "fa", "10.82.0.2", attempts=10)
        eng.refresh(0)
        nics = {n["name"]: n for n in eng.api.get(f"/hosts/{eng.hosts[0]}/nics").json()["results"]}
        assert nics["bond0"]["active_slave"] != active
        assert nics[active]["link"] is False
    finally:
        eng.lab.set_cable("h1", k, plugged=True)


def test_moving_mgmt_to_an_uncabled_nic_is_rolled_back(eng: Engine) -> None:
    eng.refresh(0)
    attachments, reported = eng.attachments(0), eng.reported(0)
    mgmt = next(a for a in attachments if a["network_name"] == "mgmt")
    started = time.monotonic()
    job = eng.setup(0, modified_network_attachments=[{"id": mgmt["id"], "nic": "eth3"}], connectivity_timeout=3)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "CONNECTIVITY_LOST", job
    assert time.monotonic() - started < 30
    assert eng.attachments(0) == attachments
    eng.refresh(0)
    assert eng.reported(0) == reported
    assert eng.api.get(f"/hosts/{eng.hosts[0]}").json()["status"] == "up"


def test_reboot_drops_an_uncommitted_change_and_keeps_a_committed_one(eng: Engine) -> None:
    r = eng.api.post("/networks", json={"name": "green", "vlan": 40})
    assert r.status_code == 201, r.text
    r = eng.api.post("/clusters/Default/networks", json={"network": "green", "required": False})
    assert r.status_code == 201, r.text

    def carried() -> list[str]:
        eng.refresh(0)
        nics = eng.api.get(f"/hosts/{eng.hosts[0]}/nics").json()["results"]
        return list(next(n for n in nics if n["name"] == "bond0")["networks"])

    job = eng.setup(0, modified_network_attachments=[{"network": "green", "nic": "bond0"}])
    assert job["status"] == "succeeded", job
    assert eng.api.get(f"/hosts/{eng.hosts[0]}").json()["config_dirty"] is True
    assert "green" in carried()
    eng.lab.reboot("h1")
    assert "green" not in carried()
    green = next(a for a in eng.api.get(f"/hosts/{eng.hosts[0]}/networkattachments").json()["results"]
                 if a["network_name"] == "green")
    assert green["in_sync"] is False  # the engine still wants it; the host lost it
    job = eng.job(f"/hosts/{eng.hosts[0]}/syncallnetworks")  # pushes it again and commits
    assert job["status"] == "succeeded", job
    assert eng.api.get(f"/hosts/{eng.hosts[0]}").json()["config_dirty"] is False
    eng.lab.reboot("h1")
    assert "green" in carried()
    job = eng.setup(0, removed_network_attachments=[green["id"]], commit_on_success=True)
    assert job["status"] == "succeeded", job


def test_agent_killed_mid_apply_converges_to_its_last_good_state(eng: Engine) -> None:
    names = [f"k{i}" for i in range(60)]
    for i, name in enumerate(names):
        assert eng.api.post("/networks", json={"name": name, "vlan": 100 + i}).status_code == 201
        r = eng.api.post("/clusters/Default/networks", json={"network": name, "required": False})
        assert r.status_code == 201, r.text
    eng.refresh(0)
    attachments, reported = eng.attachments(0), eng.reported(0)
    pending = Path(eng.lab.host("h1")["dir"]) / "agent" / "pending.json"
    r = eng.api.post(f"/hosts/{eng.hosts[0]}/setupnetworks",
                     json={"modified_network_attachments": [{"network": n, "nic": "bond0"} for n in names]})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + 20
    while not pending.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    assert pending.exists(), "the apply never started"
    eng.lab.stop_agent("h1", sig=signal.SIGKILL)
    eng.lab.start_agent("h1")
    job = eng.api.get(f"/jobs/{job_id}").json()
    deadline = time.monotonic() + 60
    while job["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = eng.api.get(f"/jobs/{job_id}").json()
    assert job["status"] == "failed", job
    assert eng.attachments(0) == attachments
    eng.refresh(0)
    assert eng.reported(0) == reported
    sock = f"{eng.lab.host('h1')['dir']}/run/ovs/db.sock"
    ports = os.popen(f"ovs-vsctl --db=unix:{sock} list-ports lb-bond0").read().split()
    assert not [p for p in ports if p.startswith("k")]

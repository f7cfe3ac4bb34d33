"""Agent-level lab tests: two namespace hosts, a bond of two NICs each, VLAN networks, VMs that ping."""

from __future__ import annotations

import copy
import signal
import subprocess
import time
from typing import Any

from lognet.lab.lab import Lab

from .conftest import AgentDriver, baseline, net


def vnic(nic_id: str, network: str | None, mac: str, linked: bool = True) -> dict[str, Any]:
    return {"id": nic_id, "name": "nic1", "mac": mac, "network": network, "linked": linked}


def start_vm(host: AgentDriver, vm: str, network: str, address: str, mac: str) -> None:
    r = host.call("POST", f"/vms/{vm}/start", {"name": vm, "nics": [vnic(f"{vm}-n1", network, mac)]})
    assert r.status_code == 200, r.text
    assert r.json()["nics"][0]["network"] == network
    done = host.lab.exec_vm(vm, ["ip", "addr", "add", f"{address}/24", "dev", "nic1"])
    assert done.returncode == 0, done.stderr


def pings(lab: Lab, vm: str, address: str, attempts: int = 5, extra: tuple[str, ...] = ()) -> bool:
    """True when one of a few short ping rounds gets an answer (learning and failover take a moment)."""
    for _ in range(attempts):
        done = lab.exec_vm(vm, ["ping", "-c", "2", "-i", "0.2", "-W", "1", *extra, address])
        if done.returncode == 0:
            return True
    return False


def test_wrong_secret_is_refused(lab: Lab) -> None:
    host = lab.host("h1")
    import httpx

    r = httpx.get(f"{host['agent_url']}/agent/v1/capabilities", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHORIZED"


def test_capabilities_report_bond_vlans_and_modes(hosts: list[AgentDriver]) -> None:
    caps = hosts[0].caps()
    assert caps["backend"] == "ovs"
    assert {n["name"] for n in caps["nics"]} >= {"eth0", "eth1", "eth2", "eth3"}
    assert caps["bonds"][0]["slaves"] == ["eth1", "eth2"]
    assert caps["bonds"][0]["active_slave"] in ("eth1", "eth2")
    assert {v["vlan"] for v in caps["vlans"]} == {10, 20, 30}
    assert set(caps["supported_bond_modes"]) == {"active-backup", "balance-xor", "802.3ad"}
    assert caps["networks"]["jumbo"]["mtu"] == 9000
    assert caps["config_dirty"] is False


def test_unsupported_bond_mode_is_a_validation_error(hosts: list[AgentDriver]) -> None:
    desired = baseline(hosts[0].lab, 1)
    desired["bonds"]["bond0"]["mode"] = "balance-rr"
    r = hosts[0].call("POST", "/setup-networks", {"desired": desired, "check_connectivity": False,
                                                    "connectivity_timeout": 5, "commit_on_success": False})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "UNSUPPORTED_BOND_MODE"


def test_same_desired_state_twice_is_an_empty_plan(hosts: list[AgentDriver]) -> None:
    report = hosts[0].setup(baseline(hosts[0].lab, 1))
    assert report["status"] == "succeeded"
    assert report["changes"] == []


def test_vms_on_one_vlan_reach_each_other_and_other_vlans_are_isolated(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "ra", "red", "10.77.0.1", "02:00:00:00:01:01")
    start_vm(h2, "rb", "red", "10.77.0.2", "02:00:00:00:01:02")
    start_vm(h2, "bb", "blue", "10.77.0.3", "02:00:00:00:01:03")
    assert pings(lab, "ra", "10.77.0.2")
    assert not pings(lab, "ra", "10.77.0.3", attempts=1)


def test_hot_unplug_cuts_traffic_and_plug_restores_it(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "ua", "red", "10.78.0.1", "02:00:00:00:02:01")
    start_vm(h2, "ub", "red", "10.78.0.2", "02:00:00:00:02:02")
    assert pings(lab, "ua", "10.78.0.2")
    r = h2.call("DELETE", "/vms/ub/nics/ub-n1")
    assert r.status_code == 200 and r.json()["nics"] == []
    assert not pings(lab, "ua", "10.78.0.2", attempts=1)
    r = h2.call("POST", "/vms/ub/nics", vnic("ub-n1", "red", "02:00:00:00:02:02"))
    assert r.status_code == 200, r.text
    assert lab.exec_vm("ub", ["ip", "addr", "add", "10.78.0.2/24", "dev", "nic1"]).returncode == 0
    assert pings(lab, "ua", "10.78.0.2")


def test_link_down_cuts_traffic_and_link_up_restores_it(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "la", "blue", "10.79.0.1", "02:00:00:00:03:01")
    start_vm(h2, "lb", "blue", "10.79.0.2", "02:00:00:00:03:02")
    assert pings(lab, "la", "10.79.0.2")
    r = h2.call("PATCH", "/vms/lb/nics/lb-n1", {"linked": False})
    assert r.status_code == 200 and r.json()["nics"][0]["linked"] is False
    assert not pings(lab, "la", "10.79.0.2", attempts=1)
    assert h2.call("PATCH", "/vms/lb/nics/lb-n1", {"linked": True}).status_code == 200
    assert pings(lab, "la", "10.79.0.2")


def test_jumbo_network_passes_8000_byte_pings_and_1500_refuses(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "ja", "jumbo", "10.80.0.1", "02:00:00:00:04:01")
    start_vm(h2, "jb", "jumbo", "10.80.0.2", "02:00:00:00:04:02")
    start_vm(h1, "sa", "red", "10.81.0.1", "02:00:00:00:04:03")
    start_vm(h2, "sb", "red", "10.81.0.2", "02:00:00:00:04:04")
    big = ("-M", "do", "-s", "8000")
    assert pings(lab, "ja", "10.80.0.2", extra=big)
    assert pings(lab, "sa", "10.81.0.2")
    assert not pings(lab, "sa", "10.81.0.2", attempts=1, extra=big)


def test_pulling_the_active_slave_cable_keeps_traffic_flowing(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "fa", "red", "10.82.0.1", "02:00:00:00:05:01")
    start_vm(h2, "fb", "red", "10.82.0.2", "02:00:00:00:05:02")
    assert pings(lab, "fa", "10.82.0.2")
    active = h1.caps()["bonds"][0]["active_slave"]
    assert active in ("eth1", "eth2")
    k = int(active[3:])
    lab.set_cable("h1", k, plugged=False)
    try:
        assert pings(lab, "fa", "10.82.0.2", attempts=10)
        assert h1.caps()["bonds"][0]["active_slave"] != active
    finally:
        lab.set_cable("h1", k, plugged=True)


def test_moving_mgmt_to_an_uncabled_nic_rolls_back(hosts: list[AgentDriver]) -> None:
    h1 = hosts[0]
    before = h1.caps()["networks"]
    desired = baseline(h1.lab, 1)
    desired["networks"]["mgmt"]["nic"] = "eth3"
    report = h1.setup(desired, timeout=4)
    assert report["status"] == "rolled_back"
    assert report["error"]["code"] == "CONNECTIVITY_LOST"
    assert h1.caps()["networks"] == before


def test_changing_a_network_vlan_and_mtu_moves_traffic(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "va", "red", "10.83.0.1", "02:00:00:00:06:01")
    start_vm(h2, "vb", "red", "10.83.0.2", "02:00:00:00:06:02")
    desired = baseline(lab, 1)
    desired["networks"]["red"]["vlan"] = 11
    report = h1.setup(desired)
    assert report["status"] == "succeeded"
    assert report["changes"] == [{"action": "update", "kind": "network", "name": "red", "fields": ["vlan"]}]
    assert not pings(lab, "va", "10.83.0.2", attempts=1)  # h2 still tags red with 10
    desired2 = baseline(lab, 2)
    desired2["networks"]["red"]["vlan"] = 11
    assert h2.setup(desired2)["status"] == "succeeded"
    assert pings(lab, "va", "10.83.0.2")


def test_reboot_reverts_uncommitted_and_keeps_committed(hosts: list[AgentDriver]) -> None:
    h1 = hosts[0]
    lab = h1.lab
    desired = baseline(lab, 1)
    desired["networks"]["green"] = net("bond0", 40)
    assert h1.setup(desired)["status"] == "succeeded"
    assert h1.caps()["config_dirty"] is True
    lab.reboot("h1")
    assert "green" not in h1.caps()["networks"]
    assert h1.setup(desired, commit=True)["status"] == "succeeded"
    assert h1.caps()["config_dirty"] is False
    lab.reboot("h1")
    caps = h1.caps()
    assert "green" in caps["networks"] and caps["vms"] == []


def test_agent_killed_mid_apply_converges_to_last_good_state(hosts: list[AgentDriver]) -> None:
    h1 = hosts[0]
    lab = h1.lab
    before = h1.caps()["networks"]
    desired = copy.deepcopy(baseline(lab, 1))
    for vid in range(100, 400):
        desired["networks"][f"k{vid}"] = net("bond0", vid)
    h1.start(desired)
    lab.stop_agent("h1", sig=signal.SIGKILL)
    lab.start_agent("h1")
    assert h1.caps()["networks"] == before
    sock = f"{lab.host('h1')['dir']}/run/ovs/db.sock"
    ports = subprocess.run(["ovs-vsctl", f"--db=unix:{sock}", "list-ports", "lb-bond0"],
                           capture_output=True, text=True).stdout.split()
    assert not [p for p in ports if p.startswith("k")]
    time.sleep(0)  # nothing to wait for: the restarted agent converged before answering

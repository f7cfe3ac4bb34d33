"""Agent-level lab tests: what the engine-level ones (test_lab_engine.py) do not show through the API.

The protocol's own rules (secret, capabilities, validation, idempotency, retried VM calls) and a VLAN move seen
from the agent; the traffic scenarios of the issue run once, through the engine.
"""

from __future__ import annotations

from typing import Any

from lognet.lab.lab import Lab

from .conftest import AgentDriver, baseline


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
    assert {n["speed"] for n in caps["nics"]} == {10000}  # lab NICs are veths
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


def test_retried_vm_start_and_plug_leave_the_running_guest_alone(hosts: list[AgentDriver]) -> None:
    h1, h2 = hosts
    lab = h1.lab
    start_vm(h1, "ia", "red", "10.84.0.1", "02:00:00:00:07:01")
    start_vm(h2, "ib", "red", "10.84.0.2", "02:00:00:00:07:02")
    nic = vnic("ib-n1", "red", "02:00:00:00:07:02")
    assert h2.call("POST", "/vms/ib/start", {"name": "ib", "nics": [nic]}).status_code == 200
    assert h2.call("POST", "/vms/ib/nics", nic).status_code == 200
    assert pings(lab, "ia", "10.84.0.2")  # the guest kept its address: nothing was re-created
    r = h2.call("DELETE", "/vms/ib/nics/ib-n1")
    assert r.status_code == 200
    r = h2.call("DELETE", "/vms/ib/nics/ib-n1")
    assert r.status_code == 404 and r.json()["error"]["code"] == "VNIC_NOT_FOUND"

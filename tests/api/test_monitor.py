"""Host monitoring: status and VMs follow what hosts report."""

from __future__ import annotations

from lognet.service.monitor import refresh_all
from tests.api.helpers import host, network, setup, vm
from tests.conftest import free_port, unique


def test_monitoring_follows_a_rebooted_host(server, api):
    h = host(api)
    net = network(api, vlan=501)
    setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    machine = vm(api)
    api.post(f"/vms/{machine['id']}/nics", json={"name": "nic1", "network": net["name"]})
    assert api.post(f"/vms/{machine['id']}/start", json={"host": h["id"]}).json()["status"] == "up"
    # Nothing was committed: after a reboot the host comes back without mgmt and without the VM.
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"reboot": True}})
    assert refresh_all(server.engine) >= 1
    assert api.get(f"/hosts/{h['id']}").json()["status"] == "non_operational"
    assert api.get(f"/vms/{machine['id']}").json()["status"] == "down"
    events = api.get("/events", params={"object_id": h["id"], "action": "host.status"}).json()["results"]
    assert events[0]["detail"] == "up -> non_operational"


def test_unreachable_agent_is_non_responsive(server, api):
    resp = api.post("/hosts", json={"name": unique("gone"), "agent_url": f"http://127.0.0.1:{free_port()}"})
    assert resp.status_code == 201 and resp.json()["status"] == "non_responsive"
    refresh_all(server.engine)
    assert api.get(f"/hosts/{resp.json()['id']}").json()["status"] == "non_responsive"
    job = api.post(f"/hosts/{resp.json()['id']}/refresh?wait=true").json()
    assert job["status"] == "failed" and job["error"]["code"] == "HOST_UNREACHABLE"

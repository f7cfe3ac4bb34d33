"""Templates, VMs and vNICs over HTTP: MAC pool rules, hot plug/unplug, link, VM start/stop."""

from __future__ import annotations

from tests.api.helpers import error, host, network, setup, unchanged, vm
from tests.conftest import unique


def test_template_vnics_are_copied_with_fresh_macs(api):
    net = network(api)
    tpl = api.post("/templates", json={"name": unique("tpl")}).json()
    for name in ("nic1", "nic2"):
        r = api.post(f"/templates/{tpl['id']}/nics", json={"name": name, "network": net["name"], "interface": "e1000"})
        assert r.status_code == 201 and r.json()["mac"] is None
    a, b = vm(api, template=tpl["name"]), vm(api, template=tpl["id"])
    nics_a = api.get(f"/vms/{a['id']}/nics").json()["results"]
    nics_b = api.get(f"/vms/{b['id']}/nics").json()["results"]
    assert [n["name"] for n in nics_a] == ["nic1", "nic2"] and nics_a[0]["interface"] == "e1000"
    assert nics_a[0]["network_name"] == net["name"]
    macs = [n["mac"] for n in nics_a + nics_b]
    assert len(set(macs)) == 4 and all(m.startswith("56:6f:") for m in macs)


def test_vnic_validation(api):
    net = network(api)
    outside = network(api, attach=False)
    non_vm = network(api, vm_network=False)
    machine = vm(api)
    base = f"/vms/{machine['id']}/nics"
    assert api.post(base, json={"name": "nic1", "network": net["name"]}).status_code == 201
    cases = [
        ({"name": "bad name!"}, 400, "VNIC_NAME_INVALID"),
        ({"name": "x" * 51}, 400, "VNIC_NAME_INVALID"),
        ({"name": "nic1"}, 409, "VNIC_NAME_IN_USE"),
        ({"name": "nic2", "mac": "01:00:5e:00:00:01"}, 400, "MAC_MULTICAST"),
        ({"name": "nic2", "mac": "00:00:00:00:00:00"}, 400, "MAC_INVALID"),
        ({"name": "nic2", "mac": "zz:00:00:00:00:01"}, 400, "MAC_INVALID"),
        ({"name": "nic2", "interface": "ne2000"}, 400, "VNIC_INTERFACE_INVALID"),
        ({"name": "nic2", "network": outside["name"]}, 409, "NETWORK_NOT_IN_CLUSTER"),
        ({"name": "nic2", "network": non_vm["name"]}, 409, "NOT_A_VM_NETWORK"),
        ({"name": "nic2", "network": "nope"}, 404, "NETWORK_NOT_FOUND"),
    ]
    for body, status, code in cases:
        error(unchanged(api, [base], lambda b=body: api.post(base, json=b)), status, code)


def test_mac_in_use_and_pool_allowing_duplicates(api):
    first, second = vm(api), vm(api)
    mac = "02:11:22:33:44:55"
    assert api.post(f"/vms/{first['id']}/nics", json={"name": "nic1", "mac": mac}).json()["mac"] == mac
    err = error(api.post(f"/vms/{second['id']}/nics", json={"name": "nic1", "mac": mac.upper()}), 409, "MAC_IN_USE")
    assert first["name"] in err["detail"]
    pool = api.post("/macpools", json={"name": unique("pool"), "allow_duplicates": True,
                                       "ranges": [{"from": "02:aa:00:00:00:00", "to": "02:aa:00:00:00:ff"}]}).json()
    cluster = api.post("/clusters", json={"name": unique("cl"), "mac_pool": pool["name"]}).json()
    c, d = vm(api, cluster=cluster["id"]), vm(api, cluster=cluster["id"])
    assert api.post(f"/vms/{c['id']}/nics", json={"name": "n", "mac": "02:aa:00:00:00:07"}).status_code == 201
    assert api.post(f"/vms/{d['id']}/nics", json={"name": "n", "mac": "02:aa:00:00:00:07"}).status_code == 201
    error(api.patch(f"/macpools/{pool['id']}", json={"allow_duplicates": False}), 409, "MAC_POOL_HAS_DUPLICATES")


def test_mac_pool_exhaustion_and_reuse(api):
    pool = api.post("/macpools", json={"name": unique("tiny"),
                                       "ranges": [{"from": "02:bb:00:00:00:01", "to": "02:bb:00:00:00:02"}]}).json()
    cluster = api.post("/clusters", json={"name": unique("cl"), "mac_pool": pool["id"]}).json()
    machine = vm(api, cluster=cluster["name"])
    base = f"/vms/{machine['id']}/nics"
    got = {api.post(base, json={"name": f"n{i}"}).json()["mac"] for i in range(2)}
    assert got == {"02:bb:00:00:00:01", "02:bb:00:00:00:02"}
    error(unchanged(api, [base], lambda: api.post(base, json={"name": "n3"})), 409, "MAC_POOL_EXHAUSTED")
    assert api.delete(f"{base}/n0").status_code == 204
    assert api.post(base, json={"name": "n3"}).json()["mac"] in got  # freed MAC returns to the pool


def test_mac_pool_rules(api):
    ranges = [{"from": "02:cc:00:00:00:00", "to": "02:cc:00:00:00:ff"}]
    pool = api.post("/macpools", json={"name": unique("p"), "ranges": ranges}).json()
    error(api.post("/macpools", json={"name": unique("p"), "ranges": ranges}), 409, "MAC_POOL_OVERLAPS_OTHER_POOL")
    error(api.post("/macpools", json={"name": unique("p"), "ranges": [
        {"from": "02:dd:00:00:00:00", "to": "02:dd:00:00:00:10"},
        {"from": "02:dd:00:00:00:08", "to": "02:dd:00:00:00:20"}]}), 400, "MAC_POOL_RANGES_OVERLAP")
    error(api.post("/macpools", json={"name": unique("p"), "ranges": [
        {"from": "02:ee:00:00:00:10", "to": "02:ee:00:00:00:01"}]}), 400, "MAC_RANGE_INVALID")
    error(api.post("/macpools", json={"name": unique("p"), "ranges": []}), 400, "MAC_POOL_RANGES_REQUIRED")
    error(api.post("/macpools", json={"name": pool["name"], "ranges": [
        {"from": "02:ef:00:00:00:00", "to": "02:ef:00:00:00:01"}]}), 409, "MAC_POOL_NAME_IN_USE")
    error(api.delete("/macpools/Default"), 409, "CANNOT_REMOVE_DEFAULT_MAC_POOL")
    cluster = api.post("/clusters", json={"name": unique("cl"), "mac_pool": pool["id"]}).json()
    error(api.delete(f"/macpools/{pool['id']}"), 409, "MAC_POOL_IN_USE")
    assert api.delete(f"/clusters/{cluster['id']}").status_code == 204
    assert api.delete(f"/macpools/{pool['id']}").status_code == 204


def running_vm(api, net_on_host=True):
    """A running VM with vNIC nic1 on a network carried by its host."""
    h = host(api)
    net = network(api, vlan=300 + len(h["name"]))
    if net_on_host:
        assert setup(api, h["id"], modified_network_attachments=[
            {"network": net["name"], "nic": "eth1"}])["status"] == "succeeded"
    machine = vm(api)
    api.post(f"/vms/{machine['id']}/nics", json={"name": "nic1", "network": net["name"]})
    started = api.post(f"/vms/{machine['id']}/start", json={"host": h["name"]})
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "up" and started.json()["host"] == h["id"]
    return h, net, machine


def test_vm_start_needs_networks_on_host(api):
    h = host(api)
    net = network(api, vlan=401)
    machine = vm(api)
    api.post(f"/vms/{machine['id']}/nics", json={"name": "nic1", "network": net["name"]})
    error(api.post(f"/vms/{machine['id']}/start", json={"host": h["id"]}), 409, "NETWORK_NOT_ON_HOST")
    error(api.post(f"/vms/{machine['id']}/start"), 409, "NO_HOST_FOR_VM")
    assert api.get(f"/vms/{machine['id']}").json()["status"] == "down"
    # Unplugged vNICs do not count.
    api.patch(f"/vms/{machine['id']}/nics/nic1", json={"plugged": False})
    assert api.post(f"/vms/{machine['id']}/start", json={"host": h["id"]}).json()["status"] == "up"
    error(api.post(f"/vms/{machine['id']}/start"), 409, "VM_ALREADY_UP")
    error(api.delete(f"/vms/{machine['id']}"), 409, "VM_IS_RUNNING")
    assert api.post(f"/vms/{machine['id']}/stop").json()["status"] == "down"
    error(api.post(f"/vms/{machine['id']}/stop"), 409, "VM_ALREADY_DOWN")


def test_hot_unplug_plug_link_on_running_vm(server, api):
    h, net, machine = running_vm(api)
    sim = server.engine.agents._simulated[h["id"]]
    plugged = sim.vms[machine["id"]]["nics"]
    assert [n["name"] for n in plugged] == ["nic1"] and plugged[0]["network"] == net["name"]
    base = f"/vms/{machine['id']}/nics/nic1"
    error(unchanged(api, [base], lambda: api.delete(base)), 409, "VNIC_PLUGGED")
    error(unchanged(api, [base], lambda: api.patch(base, json={"mac": "02:00:00:00:00:99"})), 409, "VNIC_PLUGGED")
    error(unchanged(api, [base], lambda: api.patch(base, json={"interface": "e1000"})), 409, "VNIC_PLUGGED")
    assert api.patch(base, json={"linked": False}).json()["linked"] is False
    assert sim.vms[machine["id"]]["nics"][0]["linked"] is False
    assert api.patch(base, json={"linked": True}).json()["linked"] is True
    assert api.patch(base, json={"plugged": False}).json()["plugged"] is False
    assert sim.vms[machine["id"]]["nics"] == []
    # Unplugged: the MAC and type may change, and the vNIC can be removed.
    assert api.patch(base, json={"mac": "02:00:00:00:00:99", "interface": "rtl8139"}).status_code == 200
    assert api.patch(base, json={"plugged": True}).json()["plugged"] is True
    assert sim.vms[machine["id"]]["nics"][0]["mac"] == "02:00:00:00:00:99"
    # Hot-plug a new vNIC; its network must be on the VM's host.
    other = network(api, vlan=402)
    vm_nics = f"/vms/{machine['id']}/nics"
    error(unchanged(api, [vm_nics], lambda: api.post(vm_nics, json={"name": "nic2", "network": other["name"]})), 409,
          "NETWORK_NOT_ON_HOST")
    assert api.post(vm_nics, json={"name": "nic2", "network": net["name"]}).status_code == 201
    assert len(sim.vms[machine["id"]]["nics"]) == 2
    api.post(f"/vms/{machine['id']}/stop")
    assert machine["id"] not in sim.vms
    assert api.delete(base).status_code == 204  # VM down: removal is fine


def test_template_vnic_rules(api):
    tpl = api.post("/templates", json={"name": unique("tpl")}).json()
    base = f"/templates/{tpl['id']}/nics"
    assert api.post(base, json={"name": "a"}).status_code == 201
    error(api.post(base, json={"name": "a"}), 409, "VNIC_NAME_IN_USE")
    outside = network(api, attach=False)
    error(api.post(base, json={"name": "b", "network": outside["id"]}), 409, "NETWORK_NOT_IN_CLUSTER")
    r = api.patch(f"{base}/a", json={"name": "renamed", "linked": False})
    assert r.json()["name"] == "renamed" and not r.json()["linked"]
    assert api.delete(f"{base}/renamed").status_code == 204
    error(api.get(f"{base}/renamed"), 404, "VNIC_NOT_FOUND")


def test_vms_a_rebooted_host_no_longer_runs_are_down_after_refresh(api):
    h, _net, machine = running_vm(api)
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"reboot": True}})
    assert api.get(f"/vms/{machine['id']}").json()["status"] == "up"  # the engine has not looked yet
    assert api.post(f"/hosts/{h['id']}/refresh?wait=true").json()["status"] == "succeeded"
    after = api.get(f"/vms/{machine['id']}").json()
    assert after["status"] == "down" and after["host"] is None
    events = api.get("/events", params={"object_id": machine["id"], "action": "vm.down"}).json()["results"]
    assert events and h["name"] in events[0]["detail"]

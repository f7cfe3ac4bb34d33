"""Hosts and setup networks over HTTP against simulated hosts."""

from __future__ import annotations

from tests.api.helpers import error, host, network, setup, unchanged, vm


def test_add_simulated_host_adopts_nothing_and_is_non_operational(api):
    resp = api.post("/hosts", json={"name": "h-new", "simulated": {"nics": 3}})
    assert resp.status_code == 201
    h = resp.json()
    assert h["secret"] and h["status"] == "non_operational" and h["simulated"]  # lacks required mgmt
    nics = api.get(f"/hosts/{h['id']}/nics").json()["results"]
    assert [n["name"] for n in nics] == ["eth0", "eth1", "eth2"] and nics[0]["speed"] == 10000
    error(api.post("/hosts", json={"name": "h-new", "simulated": {"nics": 3}}), 409, "HOST_NAME_IN_USE")
    error(api.post("/hosts", json={"name": "h-x"}), 400, "HOST_KIND_REQUIRED")
    error(api.post("/hosts", json={"name": "h-y", "simulated": {"nics": 0}}), 400, "NIC_COUNT_INVALID")
    job = setup(api, h["id"], modified_network_attachments=[{"network": "mgmt", "nic": "eth0"}])
    assert job["status"] == "succeeded" and [s["status"] for s in job["steps"]] == ["succeeded"] * 4
    assert api.get(f"/hosts/{h['id']}").json()["status"] == "up"
    assert api.delete(f"/hosts/{h['id']}").status_code == 204


def test_setup_networks_bond_vlans_ip_and_commit(api):
    h = host(api)
    red, blue = network(api, vlan=101), network(api, vlan=102, mtu=1500)
    job = setup(api, h["id"], modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "active-backup"}],
                modified_network_attachments=[
                    {"network": red["name"], "nic": "bond0",
                     "ip_configuration": {"ipv4": {"boot_protocol": "static", "address": "10.9.0.5",
                                                   "netmask": "255.255.255.0"}}},
                    {"network": blue["id"], "nic": "bond0"}])
    assert job["status"] == "succeeded", job
    atts = {a["network_name"]: a for a in api.get(f"/hosts/{h['id']}/networkattachments").json()["results"]}
    assert atts[red["name"]]["nic"] == "bond0" and atts[red["name"]]["in_sync"]
    assert atts[red["name"]]["ip_configuration"]["ipv4"]["address"] == "10.9.0.5"
    nics = {n["name"]: n for n in api.get(f"/hosts/{h['id']}/nics").json()["results"]}
    assert nics["bond0"]["slaves"] == ["eth1", "eth2"] and nics["bond0"]["mode"] == "active-backup"
    assert nics["eth1"]["bond"] == "bond0" and sorted(nics["bond0"]["networks"]) == sorted([red["name"], blue["name"]])
    assert api.get(f"/hosts/{h['id']}").json()["config_dirty"]
    resp = api.post(f"/hosts/{h['id']}/commitnetconfig?wait=true")
    assert resp.status_code == 200 and resp.json()["status"] == "succeeded"
    assert not api.get(f"/hosts/{h['id']}").json()["config_dirty"]
    # The same desired state again changes nothing on the host.
    job = setup(api, h["id"])
    assert job["status"] == "succeeded" and job["result"]["changes"] == []


def test_dry_run_returns_desired_state_and_diff_without_changes(api):
    h = host(api)
    net = network(api, vlan=55)
    paths = [f"/hosts/{h['id']}/networkattachments", f"/hosts/{h['id']}/nics", f"/hosts/{h['id']}"]
    resp = unchanged(api, paths, lambda: api.post(f"/hosts/{h['id']}/setupnetworks", json={
        "dry_run": True, "modified_network_attachments": [{"network": net["name"], "nic": "eth1"}]}))
    assert resp.status_code == 200
    body = resp.json()
    assert body["valid"] and body["desired"]["networks"][net["name"]] == {
        "nic": "eth1", "vlan": 55, "mtu": 1500, "bridged": True, "ipv4": {"boot_protocol": "none"},
        "ipv6": {"boot_protocol": "none"}, "default_route": False}
    assert body["changes"] == [{"action": "add", "kind": "network", "name": net["name"],
                                "to": body["desired"]["networks"][net["name"]]}]


def test_invalid_setup_changes_nothing(api):
    h = host(api)
    plain = network(api)
    paths = [f"/hosts/{h['id']}/networkattachments", f"/hosts/{h['id']}/nics"]
    mgmt_att = api.get(f"/hosts/{h['id']}/networkattachments").json()["results"][0]["id"]
    cases = [
        ({"modified_network_attachments": [{"network": plain["name"], "nic": "eth0"}]}, 409,
         "NIC_HAS_UNTAGGED_NETWORK"),
        ({"removed_network_attachments": [mgmt_att]}, 409, "CANNOT_REMOVE_MANAGEMENT_NETWORK"),
        ({"modified_bonds": [{"name": "bond0", "slaves": ["eth1"]}]}, 400, "BOND_NEEDS_TWO_SLAVES"),
        ({"modified_bonds": [{"name": "bond0", "slaves": ["eth0", "eth1"]}]}, 409, "SLAVE_CARRIES_NETWORK"),
        ({"connectivity_timeout": 121}, 400, "CONNECTIVITY_TIMEOUT_INVALID"),
        ({"connectivity_timeout": 0}, 400, "CONNECTIVITY_TIMEOUT_INVALID"),
        ({"modified_network_attachments": [{"network": "mgmt", "nic": "eth9"}]}, 400, "NIC_NOT_FOUND"),
    ]
    for body, status, code in cases:
        error(unchanged(api, paths, lambda b=body: api.post(f"/hosts/{h['id']}/setupnetworks", json=b)), status, code)
    error(api.post("/hosts/nope/setupnetworks", json={}), 404, "HOST_NOT_FOUND")


def test_network_must_be_in_cluster(api):
    h = host(api)
    net = network(api, attach=False, vlan=77)
    error(api.post(f"/hosts/{h['id']}/setupnetworks", json={
        "modified_network_attachments": [{"network": net["name"], "nic": "eth1"}]}), 409, "NETWORK_NOT_IN_CLUSTER")


def test_connectivity_loss_rolls_back_and_changes_nothing(api):
    h = host(api)
    net = network(api, vlan=88)
    assert api.patch(f"/hosts/{h['id']}", json={"simulated": {"fail_step": "connectivity"}}).status_code == 200
    paths = [f"/hosts/{h['id']}/networkattachments", f"/hosts/{h['id']}/nics"]
    job = unchanged(api, paths, lambda: setup(api, h["id"], connectivity_timeout=1, modified_network_attachments=[
        {"network": net["name"], "nic": "eth1"}]))
    assert job["status"] == "failed" and job["error"]["code"] == "CONNECTIVITY_LOST"
    assert api.get(f"/hosts/{h['id']}").json()["busy_job"] is None


def test_apply_failure_is_a_host_failure(api):
    h = host(api)
    net = network(api, vlan=89)
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"fail_step": "apply"}})
    job = setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    assert job["status"] == "failed" and job["error"]["code"] == "APPLY_FAILED"
    assert [a["network_name"] for a in api.get(f"/hosts/{h['id']}/networkattachments").json()["results"]] == ["mgmt"]


def test_second_setup_while_one_runs_is_host_busy(api):
    h = host(api)
    net = network(api, vlan=90)
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"fail_step": "connectivity"}})
    first = api.post(f"/hosts/{h['id']}/setupnetworks", json={
        "connectivity_timeout": 2, "modified_network_attachments": [{"network": net["name"], "nic": "eth1"}]})
    assert first.status_code == 202 and first.headers["location"].endswith(first.json()["id"])
    error(api.post(f"/hosts/{h['id']}/setupnetworks", json={}), 409, "HOST_BUSY")
    error(api.post(f"/hosts/{h['id']}/commitnetconfig"), 409, "HOST_BUSY")
    done = api.get(f"/jobs/{first.json()['id']}", params={"wait": True}).json()
    assert done["status"] == "failed"
    assert api.post(f"/hosts/{h['id']}/setupnetworks?wait=true", json={}).json()["status"] == "succeeded"


def test_out_of_sync_needs_sync_then_sync_all(api):
    h = host(api)
    net = network(api, vlan=91)
    job = setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    assert job["status"] == "succeeded"
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"drift": {net["name"]: {"mtu": 1400}}}})
    assert api.post(f"/hosts/{h['id']}/refresh?wait=true").json()["status"] == "succeeded"
    att = api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()
    assert not att["in_sync"]
    mtu = next(r for r in att["reported_configurations"] if r["name"] == "mtu")
    assert (mtu["expected"], mtu["actual"], mtu["in_sync"]) == (1500, 1400, False)
    assert api.get(f"/hosts/{h['id']}").json()["out_of_sync"]
    error(api.post(f"/hosts/{h['id']}/setupnetworks", json={
        "modified_network_attachments": [{"id": att["id"], "nic": "eth2"}]}), 409, "NETWORK_NOT_IN_SYNC")
    api.patch(f"/hosts/{h['id']}", json={"simulated": {"drift": {}}})
    job = api.post(f"/hosts/{h['id']}/syncallnetworks?wait=true").json()
    assert job["status"] == "succeeded"
    assert api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()["in_sync"]
    assert not api.get(f"/hosts/{h['id']}").json()["config_dirty"]  # sync all commits


def test_shortcuts_attach_update_detach_bond(api):
    h = host(api)
    net = network(api, vlan=92)
    r = api.post(f"/hosts/{h['id']}/bonds?wait=true", json={"name": "bond1", "slaves": ["eth2", "eth3"], "mode": 1})
    assert r.json()["status"] == "succeeded"
    r = api.post(f"/hosts/{h['id']}/networkattachments?wait=true", json={"network": net["name"], "nic": "bond1"})
    assert r.json()["status"] == "succeeded"
    r = api.patch(f"/hosts/{h['id']}/networkattachments/{net['name']}?wait=true", json={
        "ip_configuration": {"ipv4": {"boot_protocol": "dhcp"}}})
    assert r.json()["status"] == "succeeded"
    att = api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()
    assert att["ip_configuration"]["ipv4"] == {"boot_protocol": "dhcp"} and att["nic"] == "bond1"
    error(api.delete(f"/hosts/{h['id']}/bonds/bond1"), 409, "BOND_IN_USE")
    assert api.delete(f"/hosts/{h['id']}/networkattachments/{att['id']}?wait=true").json()["status"] == "succeeded"
    assert api.delete(f"/hosts/{h['id']}/bonds/bond1?wait=true").json()["status"] == "succeeded"
    assert "bond1" not in {n["name"] for n in api.get(f"/hosts/{h['id']}/nics").json()["results"]}


def test_cannot_detach_network_used_by_running_vm(api):
    h = host(api)
    net = network(api, vlan=93)
    setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    machine = vm(api)
    api.post(f"/vms/{machine['id']}/nics", json={"name": "nic1", "network": net["name"]})
    assert api.post(f"/vms/{machine['id']}/start", json={"host": h["id"]}).json()["status"] == "up"
    att = api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()
    err = error(api.post(f"/hosts/{h['id']}/setupnetworks", json={"removed_network_attachments": [att["id"]]}), 409,
                "NETWORK_USED_BY_RUNNING_VMS")
    assert machine["name"] in err["detail"]
    error(api.delete(f"/hosts/{h['id']}"), 409, "HOST_HAS_RUNNING_VMS")
    api.post(f"/vms/{machine['id']}/stop")


def test_jobs_and_events_are_listed(api):
    h = host(api)
    jobs = api.get("/jobs", params={"host": h["id"]}).json()["results"]
    assert jobs and jobs[0]["kind"] == "setup_networks" and jobs[0]["user"] == "admin"
    events = api.get("/events", params={"object_id": h["id"]}).json()["results"]
    assert {"host.add", "host.setup_networks", "host.setup_networks.done"} <= {e["action"] for e in events}


def test_refresh_host_reports_capabilities(api):
    h = host(api)
    job = api.post(f"/hosts/{h['id']}/refresh?wait=true").json()
    assert job["status"] == "succeeded" and job["result"] == {"status": "up"}
    assert api.get(f"/hosts/{h['id']}").json()["refreshed_at"]


def test_network_change_is_pushed_to_its_hosts(api):
    h = host(api)
    net = network(api, vlan=94)
    setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    resp = api.patch(f"/networks/{net['id']}", json={"mtu": 9000})
    assert resp.status_code == 200 and len(resp.json()["host_jobs"]) == 1
    job = api.get(f"/jobs/{resp.json()['host_jobs'][0]}", params={"wait": True}).json()
    assert job["status"] == "succeeded", job
    att = api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()
    assert att["in_sync"]
    assert next(r for r in att["reported_configurations"] if r["name"] == "mtu")["actual"] == 9000
    assert api.patch(f"/networks/{net['id']}", json={"description": "no host change"}).json()["host_jobs"] == []


def test_detached_network_stays_on_host_and_is_adopted_again(api):
    h = host(api)
    net = network(api, vlan=95)
    setup(api, h["id"], modified_network_attachments=[{"network": net["name"], "nic": "eth1"}])
    assert api.delete(f"/clusters/Default/networks/{net['id']}").status_code == 204
    names = [a["network_name"] for a in api.get(f"/hosts/{h['id']}/networkattachments").json()["results"]]
    assert net["name"] not in names
    assert net["name"] in next(n for n in api.get(f"/hosts/{h['id']}/nics").json()["results"]
                               if n["name"] == "eth1")["networks"]  # still on the host, unmanaged
    api.post("/clusters/Default/networks", json={"network": net["id"], "required": False})
    att = api.get(f"/hosts/{h['id']}/networkattachments/{net['name']}").json()
    assert att["nic"] == "eth1" and att["in_sync"]


def test_rename_host_and_maintenance(api):
    a, b = host(api), host(api)
    error(unchanged(api, [f"/hosts/{a['id']}"], lambda: api.patch(f"/hosts/{a['id']}", json={"name": b["name"]})),
          409, "HOST_NAME_IN_USE")
    assert api.patch(f"/hosts/{a['id']}", json={"status": "maintenance"}).json()["status"] == "maintenance"
    assert api.post(f"/hosts/{a['id']}/refresh?wait=true").json()["status"] == "succeeded"
    assert api.get(f"/hosts/{a['id']}").json()["status"] == "maintenance"  # monitoring keeps maintenance
    assert api.patch(f"/hosts/{a['id']}", json={"status": "up"}).json()["status"] == "up"

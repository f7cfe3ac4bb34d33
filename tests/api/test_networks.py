"""Logical networks and cluster attachment over HTTP: each rule's code, and that nothing changed."""

from __future__ import annotations

from tests.api.helpers import error, network, unchanged, vm
from tests.conftest import unique


def test_requires_authentication(server):
    import httpx

    resp = httpx.get(f"{server.url}/api/v1/networks")
    error(resp, 401, "AUTHENTICATION_REQUIRED")
    resp = httpx.get(f"{server.url}/api/v1/networks", headers={"Authorization": "Bearer nope"})
    error(resp, 401, "INVALID_TOKEN")
    resp = httpx.post(f"{server.url}/api/v1/auth/token", json={"username": "admin", "password": "wrong"})
    error(resp, 401, "INVALID_CREDENTIALS")


def test_viewer_reads_but_cannot_change(server, api):
    name = unique("viewer")
    assert api.post("/users", json={"username": name, "password": "viewer-pass", "role": "viewer"}).status_code == 201
    with server.client(name, "viewer-pass") as viewer:
        assert viewer.get("/networks").status_code == 200
        unchanged(api, ["/networks?limit=0"],
                  lambda: error(viewer.post("/networks", json={"name": unique("n")}), 403, "ADMIN_REQUIRED"))
        error(viewer.get("/users"), 403, "ADMIN_REQUIRED")


def test_defaults_exist(api):
    cluster = api.get("/clusters/Default").json()
    pool = api.get(f"/macpools/{cluster['mac_pool']}").json()
    assert pool["name"] == "Default" and pool["default_pool"]
    start, end = pool["ranges"][0]["from"], pool["ranges"][0]["to"]
    assert start.startswith("56:6f:") and start.endswith(":00:00") and end.endswith(":ff:ff")
    mgmt = api.get("/clusters/Default/networks/mgmt").json()
    assert mgmt["required"] and mgmt["management"] and mgmt["display"] and mgmt["migration"]
    assert mgmt["default_route"] and mgmt["vm_network"] and mgmt["vlan"] is None


def test_create_network_validation(api):
    name = unique("n")
    net = network(api, attach=False, name=name, vlan=4094, mtu=68, description="d", stp=True)
    assert (net["vlan"], net["mtu"], net["stp"], net["vm_network"]) == (4094, 68, True, True)
    cases = [
        ({"name": name}, 409, "NETWORK_NAME_IN_USE"),
        ({"name": "Bond7"}, 400, "NETWORK_NAME_STARTS_WITH_BOND"),
        ({"name": unique("n"), "vlan": 4095}, 400, "VLAN_OUT_OF_RANGE"),
        ({"name": unique("n"), "vlan": -1}, 400, "VLAN_OUT_OF_RANGE"),
        ({"name": unique("n"), "mtu": 67}, 400, "MTU_OUT_OF_RANGE"),
        ({"name": unique("n"), "vm_network": False, "stp": True}, 400, "STP_ON_NON_VM_NETWORK"),
        ({"name": ""}, 400, "NAME_REQUIRED"),
        ({"name": unique("n"), "datacenter": "nowhere"}, 404, "DATACENTER_NOT_FOUND"),
        ({"name": unique("n"), "colour": "red"}, 400, "INVALID_INPUT"),
    ]
    for body, status, code in cases:
        body_err = unchanged(api, ["/networks?limit=0"], lambda b=body: api.post("/networks", json=b))
        err = error(body_err, status, code)
        if code == "VLAN_OUT_OF_RANGE":
            assert err["errors"][0]["field"] == "vlan"


def test_same_name_in_another_datacenter_is_fine(api):
    name = unique("shared")
    network(api, attach=False, name=name)
    dc = api.post("/datacenters", json={"name": unique("dc")}).json()
    assert api.post("/networks", json={"name": name, "datacenter": dc["name"]}).status_code == 201


def test_update_network(api):
    net = network(api, vlan=5)
    resp = api.patch(f"/networks/{net['id']}", json={"vlan": 6, "mtu": 9000, "description": "x"})
    assert resp.status_code == 200 and resp.json()["vlan"] == 6 and resp.json()["revision"] == 2
    other = network(api, attach=False)
    path = f"/networks/{net['id']}"
    error(unchanged(api, [path], lambda: api.patch(path, json={"name": other["name"]})), 409, "NETWORK_NAME_IN_USE")
    error(unchanged(api, [path], lambda: api.patch(path, json={"vlan": 5000})), 400, "VLAN_OUT_OF_RANGE")
    error(unchanged(api, [path], lambda: api.patch(path, json={"vm_network": False, "stp": True})), 400,
          "STP_ON_NON_VM_NETWORK")


def test_vm_network_flag_and_removal_guarded_by_vnics(api):
    net = network(api)
    tpl = api.post("/templates", json={"name": unique("tpl")}).json()
    assert api.post(f"/templates/{tpl['id']}/nics", json={"name": "nic1", "network": net["name"]}).status_code == 201
    machine = vm(api)
    assert api.post(f"/vms/{machine['id']}/nics", json={"name": "nic1", "network": net["id"]}).status_code == 201
    path = f"/networks/{net['id']}"
    err = error(unchanged(api, [path], lambda: api.delete(path)), 409, "NETWORK_IN_USE")
    assert machine["name"] in err["detail"] and tpl["name"] in err["detail"]
    error(unchanged(api, [path], lambda: api.patch(path, json={"vm_network": False})), 409, "NETWORK_IN_USE")
    error(unchanged(api, ["/clusters/Default/networks"],
                    lambda: api.delete(f"/clusters/Default/networks/{net['id']}")), 409, "NETWORK_IN_USE")
    error(unchanged(api, [path], lambda: api.patch(path, json={"name": unique("renamed")})), 409,
          "NETWORK_RENAME_IN_USE")
    assert api.delete(f"/vms/{machine['id']}").status_code == 204
    assert api.delete(f"/templates/{tpl['id']}").status_code == 204
    assert api.delete(path).status_code == 204
    error(api.get(path), 404, "NETWORK_NOT_FOUND")


def test_management_network_cannot_be_removed_or_detached(api):
    error(unchanged(api, ["/networks/mgmt"], lambda: api.delete("/networks/mgmt")), 409,
          "CANNOT_REMOVE_MANAGEMENT_NETWORK")
    error(unchanged(api, ["/clusters/Default/networks"], lambda: api.delete("/clusters/Default/networks/mgmt")),
          409, "CANNOT_DETACH_MANAGEMENT_NETWORK")
    error(api.patch("/clusters/Default/networks/mgmt", json={"management": False}), 409, "MANAGEMENT_NETWORK_UNSET")
    error(api.patch("/clusters/Default/networks/mgmt", json={"required": False}), 400, "MANAGEMENT_NETWORK_REQUIRED")


def test_cluster_attach_roles_are_exclusive_and_fall_back(api):
    cluster = api.post("/clusters", json={"name": unique("cl")}).json()
    a, b = network(api, attach=False), network(api, attach=False)
    base = f"/clusters/{cluster['id']}/networks"
    resp = api.post(base, json={"network": a["name"], "display": True, "required": False})
    assert resp.status_code == 201 and resp.json()["display"] and not resp.json()["required"]
    error(unchanged(api, [base], lambda: api.post(base, json={"network": a["name"]})), 409,
          "NETWORK_ALREADY_IN_CLUSTER")
    api.post(base, json={"network": b["name"], "display": True})
    roles = {n["name"]: n for n in api.get(base).json()["results"]}
    assert roles[b["name"]]["display"] and not roles[a["name"]]["display"] and not roles["mgmt"]["display"]
    api.patch(f"{base}/{b['id']}", json={"display": False})
    roles = {n["name"]: n for n in api.get(base).json()["results"]}
    assert roles["mgmt"]["display"]  # falls back to the management network
    # The management network can move while the cluster has no hosts.
    resp = api.patch(f"{base}/{a['id']}", json={"management": True, "required": True})
    assert resp.status_code == 200 and resp.json()["management"]
    roles = {n["name"]: n for n in api.get(base).json()["results"]}
    assert not roles["mgmt"]["management"]
    assert api.delete(f"{base}/mgmt").status_code == 204


def test_attach_network_from_other_datacenter(api):
    dc = api.post("/datacenters", json={"name": unique("dc")}).json()
    foreign = api.post("/networks", json={"name": unique("f"), "datacenter": dc["id"]}).json()
    error(unchanged(api, ["/clusters/Default/networks"],
                    lambda: api.post("/clusters/Default/networks", json={"network": foreign["id"]})), 409,
          "NETWORK_FROM_DIFFERENT_DATACENTER")


def test_lists_paginate_and_filter(api):
    prefix = unique("page")
    for i in range(5):
        network(api, attach=False, name=f"{prefix}-{i}", vlan=700 + i)
    page = api.get("/networks", params={"limit": 2, "offset": 0}).json()
    assert len(page["results"]) == 2 and page["next"] and page["previous"] is None and page["count"] >= 5
    nxt = api.get(page["next"].replace("/api/v1", "")).json()
    assert nxt["previous"] and not {n["id"] for n in nxt["results"]} & {n["id"] for n in page["results"]}
    only = api.get("/networks", params={"vlan": 702}).json()
    assert [n["name"] for n in only["results"]] == [f"{prefix}-2"]
    both = api.get("/networks", params=[("name", f"{prefix}-1"), ("name", f"{prefix}-3")]).json()
    assert both["count"] == 2
    in_cluster = api.get("/networks", params={"cluster": "Default", "name": "mgmt"}).json()
    assert in_cluster["count"] == 1
    error(api.get("/networks", params={"colour": "red"}), 400, "UNKNOWN_FILTER")
    error(api.get("/networks", params={"limit": "x"}), 400, "PAGINATION_INVALID")


def test_events_record_changes(api):
    net = network(api, attach=False)
    events = api.get("/events", params={"object_id": net["id"]}).json()["results"]
    assert [e["action"] for e in events] == ["network.add"]
    assert events[0]["user"] == "admin" and events[0]["result"] == "success"


def test_openapi_and_docs(server):
    import httpx

    spec = httpx.get(f"{server.url}/api/v1/openapi.json").json()
    assert "/api/v1/hosts/{ref}/setupnetworks" in spec["paths"]
    assert httpx.get(f"{server.url}/api/docs").status_code == 200

"""Quantum v1.0 / v1.1 over the same commands."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.openstack.conftest import keystone_token


def test_quantum_v10_and_v11(server, api):
    token = keystone_token(server)
    project = httpx.get(f"{server.url}/identity/v3/auth/tokens",
                        headers={"X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    q = httpx.Client(base_url=f"{server.url}/networking/v1.0/tenants/{project}", headers={"X-Auth-Token": token})
    r = q.post("/networks.json", json={"network": {"name": unique("q")}})
    assert r.status_code == 200, r.text
    net = r.json()["network"]["id"]
    assert {"id": net} in q.get("/networks").json()["networks"]
    assert q.put(f"/networks/{net}", json={"network": {"name": unique("q")}}).status_code == 204
    r = q.post(f"/networks/{net}/ports", json={"port": {"state": "ACTIVE"}})
    assert r.status_code == 200
    port = r.json()["port"]["id"]
    assert q.get(f"/networks/{net}/ports/{port}").json()["port"]["state"] == "ACTIVE"
    assert q.put(f"/networks/{net}/ports/{port}", json={"port": {"state": "BROKEN"}}).status_code == 431
    assert q.get(f"/networks/{net}/ports/{port}/attachment").json() == {"attachment": {}}
    vm = api.post("/vms", json={"name": unique("qvm")}).json()
    api.post("/clusters/Default/networks", json={"network": net, "required": False})
    assert q.put(f"/networks/{net}/ports/{port}/attachment", json={"attachment": {"id": vm["id"]}}).status_code == 204
    assert q.get(f"/networks/{net}/ports/{port}/attachment").json() == {"attachment": {"id": vm["id"]}}
    assert [n["id"] for n in api.get(f"/vms/{vm['id']}/nics").json()["results"]] == [port]
    r = q.put(f"/networks/{net}/ports/{port}/attachment", json={"attachment": {"id": vm["id"]}})
    assert r.status_code == 432 and r.json()["portInUse"]["code"] == 432
    port2 = q.post(f"/networks/{net}/ports").json()["port"]["id"]
    r = q.put(f"/networks/{net}/ports/{port2}/attachment", json={"attachment": {"id": vm["id"]}})
    assert r.status_code == 440 and "alreadyAttached" in r.json()
    assert q.delete(f"/networks/{net}/ports/{port}").status_code == 432
    assert q.delete(f"/networks/{net}").status_code == 421
    detail = q.get(f"/networks/{net}/detail").json()["network"]
    assert {"id": port, "state": "ACTIVE", "attachment": {"id": vm["id"]}} in detail["ports"]
    assert q.delete(f"/networks/{net}/ports/{port}/attachment").status_code == 204
    assert api.get(f"/vms/{vm['id']}/nics").json()["results"] == []
    r = q.get("/networks/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 420 and r.json()["networkNotFound"]["code"] == 420
    assert q.get(f"/networks/{net}/ports/nope").status_code == 430
    api.delete(f"/clusters/Default/networks/{net}")
    assert q.delete(f"/networks/{net}").status_code == 204  # unattached ports go with the network
    # v1.1: 202 on create, QuantumError envelope with HTTP codes
    q11 = httpx.Client(base_url=f"{server.url}/networking/v1.1/tenants/{project}", headers={"X-Auth-Token": token})
    r = q11.post("/networks", json={"network": {"name": unique("q11")}})
    assert r.status_code == 202
    net = r.json()["network"]["id"]
    assert q11.get("/networks/detail").json()["networks"][-1]["op-status"] == "UP"
    r = q11.get("/networks/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["QuantumError"]["type"] == "NetworkNotFound"
    assert q11.delete(f"/networks/{net}").status_code == 204
    assert httpx.get(f"{server.url}/networking/v1.0/tenants/{project}/networks").status_code == 401

"""Data centers, clusters and users over HTTP."""

from __future__ import annotations

from tests.api.helpers import error, unchanged, vm
from tests.conftest import unique


def test_datacenter_lifecycle(api):
    dc = api.post("/datacenters", json={"name": unique("dc"), "description": "lab"}).json()
    nets = api.get("/networks", params={"datacenter": dc["id"]}).json()["results"]
    assert [n["name"] for n in nets] == ["mgmt"]  # each data center gets its management network
    error(api.post("/datacenters", json={"name": dc["name"]}), 409, "DATACENTER_NAME_IN_USE")
    cluster = api.post("/clusters", json={"name": unique("cl"), "datacenter": dc["name"]}).json()
    assert api.get(f"/clusters/{cluster['id']}/networks/mgmt").json()["management"]
    error(unchanged(api, [f"/datacenters/{dc['id']}"], lambda: api.delete(f"/datacenters/{dc['id']}")), 409,
          "DATACENTER_NOT_EMPTY")
    assert api.patch(f"/datacenters/{dc['id']}", json={"description": "x"}).json()["description"] == "x"
    assert api.delete(f"/clusters/{cluster['id']}").status_code == 204
    assert api.delete(f"/datacenters/{dc['id']}").status_code == 204
    error(api.get(f"/datacenters/{dc['id']}"), 404, "DATACENTER_NOT_FOUND")


def test_cluster_rules(api):
    cluster = api.post("/clusters", json={"name": unique("cl")}).json()
    error(api.post("/clusters", json={"name": cluster["name"]}), 409, "CLUSTER_NAME_IN_USE")
    error(api.post("/clusters", json={"name": unique("cl"), "mac_pool": "nope"}), 404, "MAC_POOL_NOT_FOUND")
    error(api.post("/clusters", json={"name": unique("cl"), "management_network": "nope"}), 400, "NETWORK_NOT_FOUND")
    other_dc = api.post("/datacenters", json={"name": unique("dc")}).json()
    error(api.patch(f"/clusters/{cluster['id']}", json={"datacenter": other_dc["id"]}), 400,
          "DATACENTER_CANNOT_CHANGE")
    vm(api, cluster=cluster["id"])
    error(unchanged(api, [f"/clusters/{cluster['id']}"], lambda: api.delete(f"/clusters/{cluster['id']}")), 409,
          "CLUSTER_NOT_EMPTY")
    # Hosts block moving the management role.
    net = api.post("/networks", json={"name": unique("n")}).json()
    base = f"/clusters/{cluster['id']}/networks"
    api.post(base, json={"network": net["id"]})
    api.post("/hosts", json={"name": unique("h"), "cluster": cluster["id"], "simulated": {"nics": 2}})
    error(unchanged(api, [base], lambda: api.patch(f"{base}/{net['id']}", json={"management": True})), 409,
          "MANAGEMENT_NETWORK_CANNOT_CHANGE")


def test_users(server, api):
    name = unique("u")
    error(api.post("/users", json={"username": name, "password": "short"}), 400, "PASSWORD_TOO_SHORT")
    user = api.post("/users", json={"username": name, "password": "long-enough", "role": "admin"}).json()
    assert user["role"] == "admin"
    error(api.post("/users", json={"username": name, "password": "long-enough"}), 409, "USERNAME_IN_USE")
    error(api.post("/users", json={"username": unique("u"), "password": "long-enough", "role": "god"}), 400,
          "INVALID_INPUT")
    with server.client(name, "long-enough") as other:
        assert other.get("/auth/me").json() == {"username": name, "role": "admin"}
        assert api.patch(f"/users/{name}", json={"role": "viewer"}).json()["role"] == "viewer"
        error(other.get("/auth/me"), 401, "INVALID_TOKEN")  # changing a user revokes its tokens
    error(api.delete("/users/admin"), 409, "CANNOT_REMOVE_SELF")
    assert api.delete(f"/users/{name}").status_code == 204

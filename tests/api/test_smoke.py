from tests.conftest import unique


def test_defaults_and_network_lifecycle(api):
    dcs = api.get("/datacenters").json()
    assert [d["name"] for d in dcs["results"]] == ["Default"]
    name = unique("net")
    r = api.post("/networks", json={"name": name, "vlan": 10, "mtu": 9000})
    assert r.status_code == 201, r.text
    net = r.json()
    assert net["vlan"] == 10 and net["effective_mtu"] == 9000
    r = api.post("/networks", json={"name": name})
    assert r.status_code == 409 and r.json()["code"] == "NETWORK_NAME_IN_USE"
    assert r.headers["content-type"].startswith("application/problem+json")

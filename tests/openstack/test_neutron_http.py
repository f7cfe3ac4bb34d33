"""Neutron v2.0 on the wire: versions, extensions, errors, list semantics, bulk, tenancy, .json suffix."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.openstack.conftest import keystone_token, neutron


def test_versions_resources_extensions_and_auth(server, os_admin):
    root = httpx.get(f"{server.url}/networking/").json()
    assert root["versions"][0]["id"] == "v2.0" and root["versions"][0]["status"] == "CURRENT"
    names = {r["name"] for r in os_admin.get("/").json()["resources"]}
    assert {"network", "subnet", "port"} <= names
    exts = os_admin.get("/extensions").json()["extensions"]
    for ext in exts:
        assert os_admin.get(f"/extensions/{ext['alias']}").json()["extension"] == ext
    r = os_admin.get("/extensions/no-such-thing")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    r = httpx.get(f"{server.url}/networking/v2.0/networks")
    assert r.status_code == 401 and r.json()["NeutronError"]["type"] == "Unauthorized"
    r = httpx.get(f"{server.url}/networking/v2.0/networks", headers={"X-Auth-Token": "bogus"})
    assert r.status_code == 401
    # a plain lognet API token works too (admin_token auth)
    lognet = httpx.post(f"{server.url}/api/v1/auth/token", json={"username": "admin",
                                                                  "password": "admin-test-password"}).json()
    assert neutron(server, lognet["token"]).get("/networks.json").status_code == 200


def test_network_crud_errors_and_native_view(server, os_admin, api):
    name = unique("osnet")
    r = os_admin.post("/networks", json={"network": {"name": name, "provider:network_type": "vlan",
                                                     "provider:segmentation_id": 333, "mtu": 1400}})
    assert r.status_code == 201, r.text
    net = r.json()["network"]
    assert net["provider:segmentation_id"] == 333 and net["mtu"] == 1400 and net["status"] == "ACTIVE"
    assert net["project_id"] == net["tenant_id"] and net["revision_number"] == 1
    native = api.get(f"/networks/{net['id']}").json()  # the same object in lognet
    assert native["name"] == name and native["vlan"] == 333
    r = os_admin.put(f"/networks/{net['id']}", json={"network": {"name": name + "x", "admin_state_up": False}})
    assert r.status_code == 200 and r.json()["network"]["status"] == "DOWN"
    assert r.json()["network"]["revision_number"] == 2
    r = os_admin.post("/networks", json={"network": {"name": "bad", "provider:network_type": "vxlan"}})
    assert r.status_code == 400 and r.json()["NeutronError"]["type"] == "BadRequest"
    r = os_admin.post("/networks", json={"network": {"name": "bad", "nonsense": 1}})
    assert r.status_code == 400
    r = os_admin.get("/networks/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["NeutronError"]["type"] == "NetworkNotFound"
    assert os_admin.delete(f"/networks/{net['id']}").status_code == 204
    assert os_admin.delete(f"/networks/{net['id']}").status_code == 404
    assert api.get(f"/networks/{net['id']}").status_code == 404


def test_subnets_ipam_and_port_errors(os_admin):
    net = os_admin.post("/networks", json={"network": {"name": unique("ipam")}}).json()["network"]
    r = os_admin.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/29",
                                                   "ip_version": 4, "dns_nameservers": ["8.8.8.8"]}})
    assert r.status_code == 201, r.text
    sub = r.json()["subnet"]
    assert sub["gateway_ip"] == "10.9.0.1" and sub["allocation_pools"] == [{"start": "10.9.0.2",
                                                                            "end": "10.9.0.6"}]
    r = os_admin.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/24",
                                                   "ip_version": 4}})
    assert r.status_code == 400 and "overlaps with another subnet" in r.json()["NeutronError"]["message"]
    assert os_admin.get(f"/networks/{net['id']}").json()["network"]["subnets"] == [sub["id"]]
    ports = [os_admin.post("/ports", json={"port": {"network_id": net["id"]}}).json()["port"] for _ in range(5)]
    assert [p["fixed_ips"][0]["ip_address"] for p in ports] == [f"10.9.0.{i}" for i in range(2, 7)]
    r = os_admin.post("/ports", json={"port": {"network_id": net["id"]}})
    assert r.status_code == 409 and r.json()["NeutronError"]["type"] == "IpAddressGenerationFailure"
    r = os_admin.post("/ports", json={"port": {"network_id": net["id"], "mac_address": ports[0]["mac_address"],
                                               "fixed_ips": []}})
    assert r.status_code == 409 and r.json()["NeutronError"]["type"] == "MacAddressInUse"
    r = os_admin.post("/ports", json={"port": {"network_id": "missing"}})
    assert r.status_code == 404 and r.json()["NeutronError"]["type"] == "NetworkNotFound"
    r = os_admin.delete(f"/networks/{net['id']}")
    assert r.status_code == 409 and r.json()["NeutronError"]["type"] == "NetworkInUse"
    assert os_admin.delete(f"/subnets/{sub['id']}").status_code == 409
    for p in ports:
        assert os_admin.delete(f"/ports/{p['id']}").status_code == 204
    assert os_admin.get(f"/ports/{ports[0]['id']}").json()["NeutronError"]["type"] == "PortNotFound"
    assert os_admin.delete(f"/networks/{net['id']}").status_code == 204
    assert os_admin.get(f"/subnets/{sub['id']}").status_code == 404


def test_list_filters_fields_sort_pagination_and_bulk(os_admin):
    tag = unique("bulk")
    r = os_admin.post("/networks", json={"networks": [{"name": f"{tag}-{i}", "tags": [tag]} for i in range(5)]})
    assert r.status_code == 201, r.text
    made = r.json()["networks"]
    assert len(made) == 5
    # atomic: one bad item and nothing is created
    r = os_admin.post("/networks", json={"networks": [{"name": f"{tag}-x"}, {"name": f"{tag}-0"}]})
    assert r.status_code == 409
    assert os_admin.get("/networks", params={"name": f"{tag}-x"}).json()["networks"] == []
    got = os_admin.get("/networks.json", params=[("name", f"{tag}-1"), ("name", f"{tag}-3")]).json()["networks"]
    assert sorted(n["name"] for n in got) == [f"{tag}-1", f"{tag}-3"]
    got = os_admin.get("/networks", params=[("tags", tag), ("fields", "id"), ("fields", "name")]).json()
    assert len(got["networks"]) == 5 and set(got["networks"][0]) == {"id", "name"}
    got = os_admin.get("/networks", params={"tags": tag, "sort_key": "name", "sort_dir": "desc"}).json()
    assert [n["name"] for n in got["networks"]] == [f"{tag}-{i}" for i in range(4, -1, -1)]
    page = os_admin.get("/networks", params={"tags": tag, "sort_key": "name", "limit": 2}).json()
    assert [n["name"] for n in page["networks"]] == [f"{tag}-0", f"{tag}-1"]
    nxt = [link for link in page["networks_links"] if link["rel"] == "next"][0]["href"]
    page2 = httpx.get(nxt, headers=os_admin.headers).json()
    assert [n["name"] for n in page2["networks"]] == [f"{tag}-2", f"{tag}-3"]
    prev = [link for link in page2["networks_links"] if link["rel"] == "previous"][0]["href"]
    assert [n["name"] for n in httpx.get(prev, headers=os_admin.headers).json()["networks"]] == [f"{tag}-0",
                                                                                                 f"{tag}-1"]
    last = os_admin.get("/networks", params={"tags": tag, "sort_key": "name", "limit": 2,
                                             "marker": page2["networks"][-1]["id"]}).json()
    assert [n["name"] for n in last["networks"]] == [f"{tag}-4"]
    assert not [link for link in last["networks_links"] if link["rel"] == "next"]
    assert os_admin.get("/networks", params={"bogus_attr": "x"}).status_code == 400
    ports = os_admin.post("/ports", json={"ports": [{"network_id": made[0]["id"], "name": "a"},
                                                    {"network_id": made[0]["id"], "name": "b"}]})
    assert ports.status_code == 201 and len(ports.json()["ports"]) == 2
    r = os_admin.post("/ports", json={"ports": [{"network_id": made[1]["id"]}, {"network_id": "nope"}]})
    assert r.status_code == 404
    assert os_admin.get("/ports", params={"network_id": made[1]["id"]}).json()["ports"] == []
    got = os_admin.get("/ports", params={"network_id": made[0]["id"], "device_id": ""}).json()["ports"]
    assert len(got) == 2
    for p in ports.json()["ports"]:
        os_admin.delete(f"/ports/{p['id']}")
    for n in made:
        assert os_admin.delete(f"/networks/{n['id']}").status_code == 204


def test_projects_are_isolated(server, os_admin):
    demo = neutron(server, keystone_token(server, "demo"))
    other = neutron(server, keystone_token(server, "other"))
    net = demo.post("/networks", json={"network": {"name": unique("demo")}}).json()["network"]
    port = demo.post("/ports", json={"port": {"network_id": net["id"]}}).json()["port"]
    assert port["project_id"] == net["project_id"] != os_admin.get("/networks").json()["networks"][0]["project_id"]
    assert other.get(f"/ports/{port['id']}").status_code == 404
    assert other.get(f"/networks/{net['id']}").status_code == 404
    assert port["id"] not in [p["id"] for p in other.get("/ports").json()["ports"]]
    assert other.delete(f"/ports/{port['id']}").status_code == 404
    assert os_admin.get(f"/ports/{port['id']}").status_code == 200  # admin sees every project
    # sharing makes the network visible (not the ports)
    assert os_admin.put(f"/networks/{net['id']}", json={"network": {"shared": True}}).status_code == 200
    assert other.get(f"/networks/{net['id']}").status_code == 200
    assert other.put(f"/networks/{net['id']}", json={"network": {"name": "x"}}).status_code == 403
    assert demo.delete(f"/ports/{port['id']}").status_code == 204
    assert demo.delete(f"/networks/{net['id']}").status_code == 204

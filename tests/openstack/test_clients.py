"""Real OpenStack clients against a running lognet: openstacksdk, openstackclient (CLI), neutronclient."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, unique
from tests.openstack.conftest import keystone_token, sdk

pytestmark = pytest.mark.clients
OPENSTACK = str(Path(sys.executable).with_name("openstack"))


def osc(server, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    if token:
        env.update(OS_AUTH_TYPE="admin_token", OS_ENDPOINT=f"{server.url}/networking", OS_TOKEN=token)
    else:
        env.update(OS_AUTH_URL=f"{server.url}/identity/v3", OS_USERNAME="admin", OS_PASSWORD=ADMIN_PASSWORD,
                   OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
                   OS_IDENTITY_API_VERSION="3", OS_REGION_NAME="RegionOne")
    return subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True, timeout=120)


def test_openstack_cli_network_subnet_port(server):
    name = unique("cli")
    r = osc(server, "network", "create", "--provider-network-type", "vlan", "--provider-segment", "742",
            "--provider-physical-network", "physnet1", name, "-f", "json")
    assert r.returncode == 0, r.stderr
    net = json.loads(r.stdout)
    assert net["provider:segmentation_id"] == 742 and net["provider:network_type"] == "vlan"
    r = osc(server, "subnet", "create", "--network", name, "--subnet-range", "10.44.0.0/24", name + "-sub",
            "-f", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cidr"] == "10.44.0.0/24"
    r = osc(server, "port", "create", "--network", name, name + "-port", "-f", "json")
    assert r.returncode == 0, r.stderr
    port = json.loads(r.stdout)
    assert port["fixed_ips"][0]["ip_address"] == "10.44.0.2"
    # token auth (OS_AUTH_TYPE=admin_token with a Keystone token)
    token = keystone_token(server)
    r = osc(server, "port", "list", "--network", name, "-f", "json", token=token)
    assert r.returncode == 0, r.stderr
    assert [p["ID"] for p in json.loads(r.stdout)] == [port["id"]]
    r = osc(server, "port", "set", "--name", name + "-renamed", "--disable", port["id"], token=token)
    assert r.returncode == 0, r.stderr
    r = osc(server, "network", "set", "--name", name + "2", "--description", "set by osc", name, token=token)
    assert r.returncode == 0, r.stderr
    r = osc(server, "network", "list", "-f", "json", token=token)
    assert name + "2" in [n["Name"] for n in json.loads(r.stdout)]
    r = osc(server, "network", "delete", name + "2", token=token)
    assert r.returncode != 0  # the port is still there (NetworkInUse)
    r = osc(server, "port", "delete", port["id"], token=token)
    assert r.returncode == 0, r.stderr
    r = osc(server, "network", "delete", name + "2", token=token)
    assert r.returncode == 0, r.stderr
    r = osc(server, "network", "show", name + "2", token=token)
    assert r.returncode != 0


def test_openstacksdk_lifecycle_and_exceptions(server):
    import openstack.exceptions as exc

    conn = sdk(server)
    name = unique("sdk")
    net = conn.network.create_network(name=name, provider_network_type="vlan", provider_segmentation_id=811)
    assert net.provider_segmentation_id == 811 and net.status == "ACTIVE"
    assert conn.network.get_network(net.id).name == name
    conn.network.update_network(net, description="from sdk", mtu=1450)
    assert conn.network.get_network(net.id).mtu == 1450
    assert name in [n.name for n in conn.network.networks(name=name)]
    sub = conn.network.create_subnet(network_id=net.id, cidr="10.55.0.0/24", ip_version=4)
    port = conn.network.create_port(network_id=net.id, name="p0")
    assert port.status == "DOWN" and port.fixed_ips[0]["subnet_id"] == sub.id and port.mac_address
    with pytest.raises(exc.ConflictException):
        conn.network.create_port(network_id=net.id, mac_address=port.mac_address)
    with pytest.raises(exc.NotFoundException):
        conn.network.get_port("00000000-0000-0000-0000-000000000000")
    with pytest.raises(exc.ConflictException):
        conn.network.delete_network(net)
    with pytest.raises(exc.BadRequestException):
        conn.network.create_network(name=unique("x"), provider_network_type="gre")
    assert [p.id for p in conn.network.ports(network_id=net.id)] == [port.id]
    ports = list(conn.network.ports(network_id=net.id, limit=1, paginated=True))
    assert [p.id for p in ports] == [port.id]
    conn.network.delete_port(port)
    conn.network.delete_network(net)
    assert conn.network.find_network(name) is None


def test_neutronclient_with_keystone_session(server):
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    from neutronclient.common import exceptions as nexc
    from neutronclient.v2_0 import client

    auth = v3.Password(auth_url=f"{server.url}/identity/v3", username="admin", password=ADMIN_PASSWORD,
                       project_name="admin", user_domain_name="Default", project_domain_name="Default")
    nc = client.Client(session=session.Session(auth=auth))
    net = nc.create_network({"network": {"name": unique("nc")}})["network"]
    assert nc.show_network(net["id"])["network"]["name"] == net["name"]
    with pytest.raises(nexc.NetworkNotFoundClient):
        nc.show_network("00000000-0000-0000-0000-000000000000")
    with pytest.raises(nexc.PortNotFoundClient):
        nc.show_port("00000000-0000-0000-0000-000000000000")
    port = nc.create_port({"port": {"network_id": net["id"]}})["port"]
    with pytest.raises(nexc.MacAddressInUseClient):
        nc.create_port({"port": {"network_id": net["id"], "mac_address": port["mac_address"]}})
    with pytest.raises(nexc.NetworkInUseClient):
        nc.delete_network(net["id"])
    nc.delete_port(port["id"])
    nc.delete_network(net["id"])
    # token-only client (lognet token, no Keystone)
    token = keystone_token(server)
    nc2 = client.Client(endpoint_url=f"{server.url}/networking", token=token)
    assert "networks" in nc2.list_networks()


def test_binding_a_port_to_a_running_vm_plugs_it(server, api):
    conn = sdk(server)
    name = unique("bind")
    net = conn.network.create_network(name=name)
    assert api.post("/clusters/Default/networks", json={"network": net.id, "required": False}).status_code == 201
    host = api.post("/hosts", json={"name": unique("host"), "simulated": {"nics": 2}}).json()
    for network, nic in (("mgmt", "eth0"), (net.id, "eth1")):
        job = api.post(f"/hosts/{host['id']}/networkattachments?wait=true",
                       json={"network": network, "nic": nic}).json()
        assert job["status"] == "succeeded", job
    vm = api.post("/vms", json={"name": unique("vm")}).json()
    r = api.post(f"/vms/{vm['id']}/start", json={"host": host["id"]})
    assert r.status_code == 200, r.text
    port = conn.network.create_port(network_id=net.id, name="eth0")
    assert port.status == "DOWN" and not port.device_id
    port = conn.network.update_port(port, device_id=vm["id"], device_owner="compute:lognet")
    assert port.status == "ACTIVE" and port.binding_host_id == host["name"]
    nics = api.get(f"/vms/{vm['id']}/nics").json()["results"]
    assert [(n["id"], n["mac"], n["plugged"]) for n in nics] == [(port.id, port.mac_address, True)]
    sim_vms = server.engine.agents.simulated(_host_row(server, host["id"])).vms
    assert port.id in str(sim_vms)
    port = conn.network.update_port(port, is_admin_state_up=False)
    assert port.status == "DOWN"
    conn.network.update_port(port, is_admin_state_up=True)
    port = conn.network.update_port(port, device_id="")  # Delete_Attachment: unplugged, back to reserved
    assert port.status == "DOWN" and api.get(f"/vms/{vm['id']}/nics").json()["results"] == []
    bound = conn.network.create_port(network_id=net.id, device_id=vm["id"])  # created bound: hot-plugged
    assert bound.status == "ACTIVE"
    conn.network.delete_port(bound)  # unplugged, then removed
    assert api.get(f"/vms/{vm['id']}/nics").json()["results"] == []
    conn.network.delete_port(port)
    api.post(f"/vms/{vm['id']}/stop")


def _host_row(server, host_id):
    from lognet.adapters import orm
    from lognet.service.uow import UnitOfWork

    with UnitOfWork(server.engine.db, write=False) as uow:
        row = uow.session.get(orm.Host, host_id)
        uow.session.expunge(row)
        return row

"""MAC allocation and the per-host lock under concurrent requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.api.helpers import host, network
from tests.conftest import unique

THREADS = 16
VNICS_PER_THREAD = 200


def test_concurrent_vnic_creation_never_duplicates_a_mac(server, api):
    vms = [api.post("/vms", json={"name": unique("cvm")}).json() for _ in range(THREADS)]

    def create_all(vm_id: str) -> list[str]:
        with server.client() as client:
            macs = []
            for i in range(VNICS_PER_THREAD):
                resp = client.post(f"/vms/{vm_id}/nics", json={"name": f"nic{i}"})
                assert resp.status_code == 201, resp.text
                macs.append(resp.json()["mac"])
            return macs

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create_all, [v["id"] for v in vms]))
    macs = [m for chunk in results for m in chunk]
    assert len(macs) == THREADS * VNICS_PER_THREAD
    assert len(set(macs)) == len(macs)


def test_concurrent_setup_networks_on_one_host_take_turns(server, api):
    h = host(api)
    nets = [network(api, vlan=900 + i) for i in range(8)]

    def attach(net: dict) -> int:
        with server.client() as client:
            resp = client.post(f"/hosts/{h['id']}/setupnetworks", json={
                "modified_network_attachments": [{"network": net["name"], "nic": "eth1"}]})
            return resp.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attach, nets))
    # Every request either got the lock (202) or was told the host is busy (409); never both at once.
    assert set(codes) <= {202, 409} and codes.count(202) >= 1
    jobs = api.get("/jobs", params={"host": h["id"], "limit": 0}).json()["results"]
    assert all(j["status"] in ("pending", "running", "succeeded") for j in jobs)

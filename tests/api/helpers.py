"""Helpers for API tests: error assertions and the common set-up of hosts and VMs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import unique


def error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a problem+json error with ``status`` and ``code``; returns the body."""
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["detail"]
    return body


def unchanged(api: httpx.Client, paths: list[str], action: Any) -> Any:
    """Run ``action`` and assert that every GET in ``paths`` answers the same before and after."""
    before = [api.get(p).json() for p in paths]
    result = action()
    after = [api.get(p).json() for p in paths]
    assert before == after
    return result


def network(api: httpx.Client, attach: bool = True, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("net"), **fields}
    resp = api.post("/networks", json=body)
    assert resp.status_code == 201, resp.text
    net: dict[str, Any] = resp.json()
    if attach:
        r = api.post("/clusters/Default/networks", json={"network": net["id"], "required": False})
        assert r.status_code == 201, r.text
    return net


def host(api: httpx.Client, nics: int = 4, mgmt: bool = True) -> dict[str, Any]:
    """A simulated host in the Default cluster, with mgmt on eth0 (so it is up)."""
    resp = api.post("/hosts", json={"name": unique("host"), "simulated": {"nics": nics}})
    assert resp.status_code == 201, resp.text
    h: dict[str, Any] = resp.json()
    if mgmt:
        job = setup(api, h["id"], modified_network_attachments=[{"network": "mgmt", "nic": "eth0"}])
        assert job["status"] == "succeeded", job
    return api.get(f"/hosts/{h['id']}").json()  # type: ignore[no-any-return]


def setup(api: httpx.Client, host_id: str, **body: Any) -> dict[str, Any]:
    resp = api.post(f"/hosts/{host_id}/setupnetworks?wait=true", json=body)
    assert resp.status_code in (200, 202), resp.text
    return resp.json()  # type: ignore[no-any-return]


def vm(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    resp = api.post("/vms", json={"name": unique("vm"), **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]

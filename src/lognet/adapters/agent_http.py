"""The HTTP client for a real host agent (docs/agent-protocol.md)."""

from __future__ import annotations

from typing import Any

import httpx

from lognet.protocol import API_PREFIX, SetupNetworksRequest, VnicSpec
from lognet.service.ports import AgentError


class HttpAgentClient:
    """Talks to ``lognet agent run`` at ``base_url`` with the host's secret."""

    def __init__(self, base_url: str, secret: str, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/") + API_PREFIX, timeout=timeout,
                                  headers={"Authorization": f"Bearer {secret}"}, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        try:
            extra: dict[str, Any] = {"timeout": timeout} if timeout else {}
            resp = self._http.request(method, path, json=body, **extra)
        except httpx.HTTPError as exc:
            raise AgentError("HOST_UNREACHABLE", f"host agent unreachable: {exc}") from None
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
            except ValueError:
                err = {}
            raise AgentError(err.get("code", "AGENT_ERROR"), err.get("message", resp.text[:200]), resp.status_code)
        return resp.json() if resp.content else {}

    def capabilities(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/capabilities")
        return result

    def setup_networks(self, request: SetupNetworksRequest) -> str:
        return str(self._call("POST", "/setup-networks", request)["operation"])

    def operation(self, operation_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/operations/{operation_id}", timeout=3.0)
        return result

    def confirm(self, operation_id: str) -> None:
        self._call("POST", "/confirm-connectivity", {"operation": operation_id}, timeout=3.0)

    def commit(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/commit", {})
        return result

    def vm_start(self, vm_id: str, name: str, nics: list[VnicSpec]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/vms/{vm_id}/start", {"name": name, "nics": nics})
        return result

    def vm_stop(self, vm_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/vms/{vm_id}/stop", {})
        return result

    def hotplug(self, vm_id: str, nic: VnicSpec) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/vms/{vm_id}/nics", nic)
        return result

    def unplug(self, vm_id: str, nic_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/vms/{vm_id}/nics/{nic_id}")
        return result

    def update_nic(self, vm_id: str, nic_id: str, linked: bool, network: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/vms/{vm_id}/nics/{nic_id}",
                                            {"linked": linked, "network": network})
        return result

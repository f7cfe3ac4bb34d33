"""The HTTP client for a real host agent (docs/agent-protocol.md).

The management path of a host runs through its own Open vSwitch: while ovs-vswitchd reconfigures (a VM port
added, hundreds of networks changed) it stops forwarding for a moment and a connection may drop. VM and vNIC
calls and commit are idempotent on the agent (starting a running VM with the same vNICs, plugging a plugged
vNIC, stopping a stopped VM, committing twice change nothing), so they are retried while the host is
unreachable, up to ``retry_for`` seconds.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from lognet.protocol import API_PREFIX, SetupNetworksRequest, VnicSpec
from lognet.service.ports import AgentError


class HttpAgentClient:
    """Talks to ``lognet agent run`` at ``base_url`` with the host's secret."""

    def __init__(self, base_url: str, secret: str, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, retry_for: float = 20.0,
                 retry_interval: float = 0.2) -> None:
        self.retry_for, self.retry_interval = retry_for, retry_interval
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

    def _retried(self, method: str, path: str, body: Any = None, gone_ok: str | None = None) -> Any:
        """``_call`` retried on HOST_UNREACHABLE until ``retry_for`` has passed (idempotent calls only).

        ``gone_ok``: an error code that, after a retry, means the lost first attempt did the work.
        """
        deadline = time.monotonic() + self.retry_for
        retried = False
        while True:
            try:
                return self._call(method, path, body)
            except AgentError as exc:
                if retried and exc.code == gone_ok:
                    return {}
                if exc.code != "HOST_UNREACHABLE" or time.monotonic() >= deadline:
                    raise
            retried = True
            time.sleep(self.retry_interval)

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
        result: dict[str, Any] = self._retried("POST", "/commit", {})
        return result

    def vm_start(self, vm_id: str, name: str, nics: list[VnicSpec]) -> dict[str, Any]:
        result: dict[str, Any] = self._retried("POST", f"/vms/{vm_id}/start", {"name": name, "nics": nics})
        return result

    def vm_stop(self, vm_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._retried("POST", f"/vms/{vm_id}/stop", {})
        return result

    def hotplug(self, vm_id: str, nic: VnicSpec) -> dict[str, Any]:
        result: dict[str, Any] = self._retried("POST", f"/vms/{vm_id}/nics", nic)
        return result

    def unplug(self, vm_id: str, nic_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._retried("DELETE", f"/vms/{vm_id}/nics/{nic_id}",
                                              gone_ok="VNIC_NOT_FOUND")
        return result

    def update_nic(self, vm_id: str, nic_id: str, linked: bool, network: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._retried("PATCH", f"/vms/{vm_id}/nics/{nic_id}",
                                               {"linked": linked, "network": network})
        return result

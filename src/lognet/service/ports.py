"""Ports of the service layer: what it needs from the outside world (hosts)."""

from __future__ import annotations

from typing import Any, Protocol

from lognet.protocol import SetupNetworksRequest, VnicSpec


class AgentError(Exception):
    """A host answered with an error (or could not be reached: code ``HOST_UNREACHABLE``)."""

    def __init__(self, code: str, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class AgentClient(Protocol):
    """The engine's view of one host agent (docs/agent-protocol.md). Real and simulated hosts both fit."""

    def capabilities(self) -> dict[str, Any]: ...

    def setup_networks(self, request: SetupNetworksRequest) -> str: ...

    def operation(self, operation_id: str) -> dict[str, Any]: ...

    def confirm(self, operation_id: str) -> None: ...

    def commit(self) -> dict[str, Any]: ...

    def vm_start(self, vm_id: str, name: str, nics: list[VnicSpec]) -> dict[str, Any]: ...

    def vm_stop(self, vm_id: str) -> dict[str, Any]: ...

    def hotplug(self, vm_id: str, nic: VnicSpec) -> dict[str, Any]: ...

    def unplug(self, vm_id: str, nic_id: str) -> dict[str, Any]: ...

    def update_nic(self, vm_id: str, nic_id: str, linked: bool, network: str | None) -> dict[str, Any]: ...

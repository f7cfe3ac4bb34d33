"""The host backend contract: what the agent service needs from a host, whatever realizes it.

The real backend is Open vSwitch plus netlink (:mod:`lognet.agent.ovs`); unit tests of the
apply/verify/rollback logic use an in-memory one. VM plumbing sits behind :class:`VmRuntime`.
"""

from __future__ import annotations

from typing import Any, Protocol

from lognet.protocol import HostNetState, VnicSpec


class HostBackend(Protocol):
    """Reads and changes the network configuration lognet manages on one host."""

    #: ``"ovs"`` for the real agent; reported as ``capabilities.backend``.
    name: str

    def supported_bond_modes(self) -> list[str]:
        """Canonical Linux bond mode names this backend can realize."""
        ...

    def features(self) -> list[str]: ...

    def inventory(self) -> dict[str, Any]:
        """``nics``, ``bonds``, ``vlans`` and ``unmanaged`` as in the capabilities answer."""
        ...

    def nic_names(self) -> set[str]:
        """Names of the host's NICs (cheap; used to validate a desired state)."""
        ...

    def read_state(self) -> HostNetState:
        """The networks and bonds lognet manages, read back from the host (not from memory)."""
        ...

    def apply(self, desired: HostNetState) -> None:
        """Make the host carry exactly ``desired`` (full state). Raises AgentError(APPLY_FAILED)."""
        ...

    def close(self) -> None: ...


class VmRuntime(Protocol):
    """Runs VMs and plugs their vNICs into the host's networks."""

    def start(self, vm_id: str, name: str, nics: list[VnicSpec], networks: HostNetState) -> None: ...

    def stop(self, vm_id: str) -> None: ...

    def plug(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None: ...

    def unplug(self, vm_id: str, nic_id: str) -> None: ...

    def update(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None:
        """Apply a changed ``linked`` flag or network of a plugged vNIC."""
        ...

    def running(self) -> dict[str, dict[str, Any]]:
        """Running VMs by id: ``{"id", "name", "nics": [vnic, ...]}``."""
        ...

    def stop_all(self) -> None:
        """Stop every VM this runtime knows of, including leftovers of a previous agent run."""
        ...

"""Shapes of the engine ↔ agent protocol (docs/agent-protocol.md), shared by both sides.

Plain TypedDicts: the wire format is JSON and both the engine and the agent build and read these
dictionaries directly.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

PROTOCOL_VERSION = 1
API_PREFIX = "/agent/v1"

#: Linux bonding modes by number, in canonical name form.
BOND_MODES: dict[int, str] = {
    0: "balance-rr",
    1: "active-backup",
    2: "balance-xor",
    3: "broadcast",
    4: "802.3ad",
    5: "balance-tlb",
    6: "balance-alb",
}
BOND_MODE_NUMBERS: dict[str, int] = {name: number for number, name in BOND_MODES.items()}
DEFAULT_BOND_MODE = "802.3ad"

BootProtocol4 = Literal["none", "static", "dhcp"]
BootProtocol6 = Literal["none", "static", "dhcp", "autoconf"]


class IPv4Config(TypedDict):
    boot_protocol: BootProtocol4
    address: NotRequired[str | None]
    netmask: NotRequired[str | None]
    gateway: NotRequired[str | None]


class IPv6Config(TypedDict):
    boot_protocol: BootProtocol6
    address: NotRequired[str | None]
    prefix: NotRequired[int | None]
    gateway: NotRequired[str | None]


class NetworkState(TypedDict):
    """One network as the host should carry it (exactly one of nic/bond is set)."""

    nic: NotRequired[str | None]
    bond: NotRequired[str | None]
    vlan: int | None
    mtu: int
    bridged: bool
    ipv4: IPv4Config
    ipv6: IPv6Config
    default_route: bool


class BondState(TypedDict):
    slaves: list[str]
    mode: str


class HostNetState(TypedDict):
    """The full desired (or reported) network state of one host."""

    networks: dict[str, NetworkState]
    bonds: dict[str, BondState]


class VnicSpec(TypedDict):
    id: str
    name: str
    mac: str
    network: str | None
    linked: bool


class SetupNetworksRequest(TypedDict):
    desired: HostNetState
    check_connectivity: bool
    connectivity_timeout: int
    commit_on_success: bool


def bond_mode_name(mode: str | int) -> str | None:
    """Canonical Linux bonding name for a mode given by name or number, or None if unknown."""
    text = str(mode).strip().lower()
    if text.isdigit():
        return BOND_MODES.get(int(text))
    aliases = {"lacp": "802.3ad", "4": "802.3ad"}
    text = aliases.get(text, text)
    return text if text in BOND_MODE_NUMBERS else None

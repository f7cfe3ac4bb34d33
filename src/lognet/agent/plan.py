"""Plan: a pure function from the host's current network state and the desired one to ordered changes.

The plan is what the agent reports to the engine (``operation.changes``) and what decides whether anything
must be touched at all (an empty plan is the idempotent no-op). The order is the safe order to realize the
changes in: networks leave before the bonds under them go, bonds exist before networks move onto them.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal, NotRequired, TypedDict

from lognet.protocol import BondState, HostNetState, NetworkState

Action = Literal["add", "remove", "update"]
Kind = Literal["network", "bond"]

#: Network attributes compared by the plan, in the order they are reported.
NETWORK_FIELDS = ("uplink", "vlan", "mtu", "bridged", "ipv4", "ipv6", "default_route")
BOND_FIELDS = ("slaves", "mode")


class Change(TypedDict):
    """One step of a plan, as reported in ``operation.changes``."""

    action: Action
    kind: Kind
    name: str
    fields: NotRequired[list[str]]


def empty_state() -> HostNetState:
    return {"networks": {}, "bonds": {}}


def _prefix_len(netmask: str | int | None) -> int | None:
    """Prefix length for a netmask given dotted ("255.255.255.0") or as a length ("24")."""
    if netmask is None or netmask == "":
        return None
    text = str(netmask)
    if text.isdigit():
        return int(text)
    return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen


def normalize_network(net: NetworkState) -> dict[str, Any]:
    """Canonical comparable form of a network: uplink instead of nic/bond, vlan 0 → None, prefix lengths."""
    nic, bond = net.get("nic"), net.get("bond")
    uplink = {"bond": bond} if bond else {"nic": nic}
    vlan = net.get("vlan") or None
    ipv4: dict[str, Any] = dict(net.get("ipv4") or {"boot_protocol": "none"})
    v4: dict[str, Any] = {"boot_protocol": ipv4.get("boot_protocol", "none")}
    if v4["boot_protocol"] == "static":
        v4["address"] = ipv4.get("address")
        v4["prefix"] = _prefix_len(ipv4.get("netmask"))
        v4["gateway"] = ipv4.get("gateway") or None
    ipv6: dict[str, Any] = dict(net.get("ipv6") or {"boot_protocol": "none"})
    v6: dict[str, Any] = {"boot_protocol": ipv6.get("boot_protocol", "none")}
    if v6["boot_protocol"] == "static":
        v6["address"] = str(ipaddress.IPv6Address(ipv6["address"])) if ipv6.get("address") else None
        v6["prefix"] = ipv6.get("prefix")
        v6["gateway"] = ipv6.get("gateway") or None
    return {
        "uplink": uplink,
        "vlan": vlan,
        "mtu": int(net.get("mtu") or 1500),
        "bridged": bool(net.get("bridged", True)),
        "ipv4": v4,
        "ipv6": v6,
        "default_route": bool(net.get("default_route", False)),
    }


def normalize_bond(bond: BondState) -> dict[str, Any]:
    return {"slaves": sorted(bond.get("slaves", [])), "mode": bond.get("mode")}


def normalize_state(state: HostNetState) -> dict[str, dict[str, dict[str, Any]]]:
    """Canonical form of a whole host state, for comparisons (plan, verify, config_dirty)."""
    return {
        "networks": {name: normalize_network(net) for name, net in state.get("networks", {}).items()},
        "bonds": {name: normalize_bond(bond) for name, bond in state.get("bonds", {}).items()},
    }


def states_equal(a: HostNetState, b: HostNetState) -> bool:
    return normalize_state(a) == normalize_state(b)


def _diff_fields(cur: dict[str, Any], des: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if cur.get(f) != des.get(f)]


def plan(current: HostNetState, desired: HostNetState) -> list[Change]:
    """Ordered changes turning ``current`` into ``desired`` (both full states of what lognet manages).

    Order: remove networks, remove bonds, add bonds, update bonds, update networks, add networks.
    Names are sorted within each group so the plan is deterministic.
    """
    cur, des = normalize_state(current), normalize_state(desired)
    changes: list[Change] = []
    cur_nets, des_nets = cur["networks"], des["networks"]
    cur_bonds, des_bonds = cur["bonds"], des["bonds"]

    for name in sorted(set(cur_nets) - set(des_nets)):
        changes.append({"action": "remove", "kind": "network", "name": name})
    for name in sorted(set(cur_bonds) - set(des_bonds)):
        changes.append({"action": "remove", "kind": "bond", "name": name})
    for name in sorted(set(des_bonds) - set(cur_bonds)):
        changes.append({"action": "add", "kind": "bond", "name": name})
    for name in sorted(set(des_bonds) & set(cur_bonds)):
        fields = _diff_fields(cur_bonds[name], des_bonds[name], BOND_FIELDS)
        if fields:
            changes.append({"action": "update", "kind": "bond", "name": name, "fields": fields})
    for name in sorted(set(des_nets) & set(cur_nets)):
        fields = _diff_fields(cur_nets[name], des_nets[name], NETWORK_FIELDS)
        if fields:
            changes.append({"action": "update", "kind": "network", "name": name, "fields": fields})
    for name in sorted(set(des_nets) - set(cur_nets)):
        changes.append({"action": "add", "kind": "network", "name": name})
    return changes

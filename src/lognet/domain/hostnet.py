"""Host networking rules: merge a setup-networks delta into a host's desired state and validate it whole.

Pure functions over plain values. The service layer gathers the facts (the host's NICs, the networks of
its data center and cluster, the VMs running on it, what is out of sync), calls :func:`plan_setup`, and
turns the result into the protocol's full desired host state with :func:`host_state`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lognet.domain.errors import Conflict, FieldError, InvalidInput, NotFound, invalid
from lognet.domain.values import check_ipv4, check_ipv6
from lognet.protocol import BOND_MODE_NUMBERS, DEFAULT_BOND_MODE, HostNetState, NetworkState, bond_mode_name

BOND_NAME_RE = re.compile(r"^bond\w+$")
#: Bond modes that cannot carry VM networks (bridged traffic breaks on them).
VM_UNSAFE_BOND_MODES = frozenset({"balance-rr", "balance-tlb", "balance-alb"})


@dataclass(frozen=True)
class NetworkInfo:
    """What host rules need to know of a logical network in the host's data center."""

    id: str
    name: str
    host_name: str
    vlan: int | None
    mtu: int  # effective (0 already resolved to the default)
    vm_network: bool
    in_cluster: bool = True
    management: bool = False
    default_route: bool = False
    role: bool = False  # display or migration or default route, held explicitly


@dataclass(frozen=True)
class AttachmentSpec:
    """A network attachment of the desired state: network ``network_id`` on interface ``nic``."""

    id: str
    network_id: str
    nic: str
    ipv4: dict[str, Any]
    ipv6: dict[str, Any]


@dataclass(frozen=True)
class BondSpec:
    name: str
    slaves: tuple[str, ...]
    mode: str


@dataclass
class HostNetworkConfig:
    """The engine's desired network state of one host."""

    attachments: dict[str, AttachmentSpec] = field(default_factory=dict)
    bonds: dict[str, BondSpec] = field(default_factory=dict)

    def by_network(self) -> dict[str, AttachmentSpec]:
        return {a.network_id: a for a in self.attachments.values()}


@dataclass(frozen=True)
class HostFacts:
    """Facts about a host and its surroundings that the rules read."""

    nics: frozenset[str]
    networks: dict[str, NetworkInfo]  # every network of the data center, by id
    running_vms_by_network: dict[str, list[str]] = field(default_factory=dict)
    out_of_sync: dict[str, list[str]] = field(default_factory=dict)  # attachment id -> differing properties
    supported_bond_modes: frozenset[str] = frozenset(BOND_MODE_NUMBERS)

    def resolve_network(self, ref: object, path: str) -> NetworkInfo:
        if not isinstance(ref, str) or not ref:
            raise invalid("NETWORK_REQUIRED", "an attachment needs a network (id or name)", path)
        for net in self.networks.values():
            if ref in (net.id, net.name):
                return net
        raise NotFound("NETWORK_NOT_FOUND", f"network {ref!r} does not exist in the host's data center",
                       [FieldError(path, "no such network")])


@dataclass
class SetupRequest:
    """A setup-networks delta, with oVirt's field names."""

    modified_network_attachments: list[dict[str, Any]] = field(default_factory=list)
    removed_network_attachments: list[str] = field(default_factory=list)
    modified_bonds: list[dict[str, Any]] = field(default_factory=list)
    removed_bonds: list[str] = field(default_factory=list)
    synchronized_network_attachments: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.modified_network_attachments or self.removed_network_attachments
                    or self.modified_bonds or self.removed_bonds or self.synchronized_network_attachments)


@dataclass
class SetupPlan:
    """The validated outcome: the new desired state and which attachments were touched."""

    desired: HostNetworkConfig
    touched: set[str]
    removed: set[str]
    synced: set[str]


def plan_setup(current: HostNetworkConfig, facts: HostFacts, request: SetupRequest,
               new_id: Callable[[], str]) -> SetupPlan:
    """Merge ``request`` into ``current`` and validate the final state as a whole.

    Raises the first rule violation found, in oVirt's evaluation order; returns the new desired state.
    """
    removed_bonds = _check_removed_bond_refs(current, request)
    bonds = _merge_bonds(current, facts, request, removed_bonds)
    removed = _check_removed_attachments(current, facts, request)
    attachments = {k: v for k, v in current.attachments.items() if k not in removed}
    synced = _check_synchronized(current, request)
    touched: set[str] = set()
    for index, item in enumerate(request.modified_network_attachments):
        spec = _merge_attachment(current, facts, bonds, item, removed, new_id, f"modified_network_attachments.{index}")
        if spec.id in touched:
            raise invalid("NETWORK_ATTACHED_TWICE", "the same attachment appears twice in the request",
                          f"modified_network_attachments.{index}")
        touched.add(spec.id)
        attachments[spec.id] = spec
    for att_id in synced - touched:
        attachments[att_id] = current.attachments[att_id]
    desired = HostNetworkConfig(attachments, bonds)
    _check_bonds_in_use(desired, removed_bonds)
    _check_final_state(desired, facts)
    _check_out_of_sync(current, facts, touched, synced)
    return SetupPlan(desired, touched | synced, removed, synced)


def _check_removed_bond_refs(current: HostNetworkConfig, request: SetupRequest) -> set[str]:
    modified = {str(b.get("name")) for b in request.modified_bonds}
    for index, name in enumerate(request.removed_bonds):
        if name not in current.bonds:
            raise NotFound("BOND_NOT_FOUND", f"bond {name!r} does not exist on the host",
                           [FieldError(f"removed_bonds.{index}", "no such bond")])
        if name in modified:
            raise invalid("BOND_UPDATED_AND_REMOVED", f"bond {name!r} cannot be both modified and removed",
                          f"removed_bonds.{index}")
    return set(request.removed_bonds)


def _merge_bonds(current: HostNetworkConfig, facts: HostFacts, request: SetupRequest,
                 removed: set[str]) -> dict[str, BondSpec]:
    bonds = {k: v for k, v in current.bonds.items() if k not in removed}
    seen_slaves: dict[str, str] = {}
    for index, item in enumerate(request.modified_bonds):
        bond = _check_bond(item, facts, current, f"modified_bonds.{index}")
        for slave in bond.slaves:
            if slave in seen_slaves:
                raise Conflict("SLAVE_REFERENCED_TWICE",
                               f"NIC {slave} is a slave of both {seen_slaves[slave]} and {bond.name} in this request",
                               [FieldError(f"modified_bonds.{index}.slaves", f"{slave} is used twice")])
            seen_slaves[slave] = bond.name
        bonds[bond.name] = bond
    for bond in bonds.values():
        for other in bonds.values():
            clash = set(bond.slaves) & set(other.slaves)
            if other.name != bond.name and clash:
                nic = sorted(clash)[0]
                raise Conflict("NIC_ALREADY_IN_BOND", f"NIC {nic} is already a slave of bond {other.name}",
                               [FieldError("modified_bonds", f"{nic} belongs to {other.name}")])
    return bonds


def _check_bond(item: dict[str, Any], facts: HostFacts, current: HostNetworkConfig, path: str) -> BondSpec:
    name = item.get("name")
    if not isinstance(name, str) or not BOND_NAME_RE.match(name):
        raise invalid("BOND_NAME_INVALID", f"bond name must match bond<word> (e.g. bond0), got {name!r}",
                      f"{path}.name")
    if name in facts.nics:
        raise invalid("NIC_IS_NOT_BOND", f"{name} is a physical NIC, not a bond", f"{path}.name")
    raw_mode = item.get("mode")
    mode = bond_mode_name(raw_mode) if raw_mode not in (None, "") else DEFAULT_BOND_MODE
    if mode is None:
        raise invalid("BOND_MODE_INVALID", f"unknown bonding mode {raw_mode!r}", f"{path}.mode")
    if mode not in facts.supported_bond_modes:
        supported = ", ".join(sorted(facts.supported_bond_modes))
        raise invalid("BOND_MODE_NOT_SUPPORTED", f"the host does not support bond mode {mode} (supported: {supported})",
                      f"{path}.mode")
    slaves = item.get("slaves")
    if slaves is None and name in current.bonds:
        slaves = list(current.bonds[name].slaves)
    if not isinstance(slaves, list) or len(set(slaves)) < 2:
        raise invalid("BOND_NEEDS_TWO_SLAVES", f"bond {name} needs at least two distinct slave NICs",
                      f"{path}.slaves")
    for slave in slaves:
        if slave not in facts.nics:
            raise invalid("NIC_NOT_FOUND", f"slave {slave!r} of bond {name} is not a NIC of this host",
                          f"{path}.slaves")
    return BondSpec(name, tuple(sorted(set(slaves))), mode)


def _check_removed_attachments(current: HostNetworkConfig, facts: HostFacts, request: SetupRequest) -> set[str]:
    removed: set[str] = set()
    for index, att_id in enumerate(request.removed_network_attachments):
        path = f"removed_network_attachments.{index}"
        att = current.attachments.get(att_id)
        if att is None:
            raise NotFound("ATTACHMENT_NOT_FOUND", f"network attachment {att_id!r} does not exist on the host",
                           [FieldError(path, "no such attachment")])
        net = facts.networks.get(att.network_id)
        if net is not None and net.management:
            raise Conflict("CANNOT_REMOVE_MANAGEMENT_NETWORK",
                           f"the management network {net.name} cannot be removed from the host",
                           [FieldError(path, "management network")])
        vms = facts.running_vms_by_network.get(att.network_id, [])
        if vms:
            name = net.name if net else att.network_id
            raise Conflict("NETWORK_USED_BY_RUNNING_VMS",
                           f"network {name} is used by VMs running on this host: {', '.join(sorted(vms))}",
                           [FieldError(path, "used by running VMs")], {"vms": sorted(vms)})
        removed.add(att_id)
    return removed


def _check_synchronized(current: HostNetworkConfig, request: SetupRequest) -> set[str]:
    for index, att_id in enumerate(request.synchronized_network_attachments):
        if att_id not in current.attachments:
            raise NotFound("ATTACHMENT_NOT_FOUND", f"network attachment {att_id!r} does not exist on the host",
                           [FieldError(f"synchronized_network_attachments.{index}", "no such attachment")])
    return set(request.synchronized_network_attachments)


def _merge_attachment(current: HostNetworkConfig, facts: HostFacts, bonds: dict[str, BondSpec],
                      item: dict[str, Any], removed: set[str], new_id: Callable[[], str], path: str) -> AttachmentSpec:
    att_id = item.get("id")
    existing = current.attachments.get(att_id) if att_id else None
    if att_id and existing is None:
        raise NotFound("ATTACHMENT_NOT_FOUND", f"network attachment {att_id!r} does not exist on the host",
                       [FieldError(f"{path}.id", "no such attachment")])
    net_ref = item.get("network") or (existing.network_id if existing else None)
    net = facts.resolve_network(net_ref, f"{path}.network")
    if existing and existing.network_id != net.id:
        raise invalid("CANNOT_CHANGE_ATTACHED_NETWORK", "the network of an existing attachment cannot change",
                      f"{path}.network")
    if existing is None:
        existing = current.by_network().get(net.id)  # attaching an attached network moves it
    if existing is not None and existing.id in removed:
        raise invalid("ATTACHMENT_IN_BOTH_LISTS", f"network {net.name} is both modified and removed",
                      f"{path}.network")
    if not net.in_cluster:
        raise Conflict("NETWORK_NOT_IN_CLUSTER", f"network {net.name} is not attached to the host's cluster",
                       [FieldError(f"{path}.network", "attach it to the cluster first")])
    nic = item.get("nic") or (existing.nic if existing else None)
    if not nic:
        raise invalid("NIC_REQUIRED", "an attachment needs a NIC or bond", f"{path}.nic")
    if nic not in facts.nics and nic not in bonds:
        raise invalid("NIC_NOT_FOUND", f"{nic!r} is neither a NIC nor a bond of this host", f"{path}.nic")
    ip = item.get("ip_configuration")
    ipv4, ipv6 = _ip_configuration(ip, existing, f"{path}.ip_configuration")
    if net.role and not net.management and ipv4["boot_protocol"] == "none" and ipv6["boot_protocol"] == "none":
        raise invalid("ROLE_NETWORK_NEEDS_IP",
                      f"network {net.name} holds a cluster role (display, migration or default route) and needs "
                      "an IP configuration (static or dhcp)", f"{path}.ip_configuration")
    return AttachmentSpec(existing.id if existing else new_id(), net.id, str(nic), ipv4, ipv6)


def _ip_configuration(ip: Any, existing: AttachmentSpec | None, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if ip is None:
        if existing is not None:
            return existing.ipv4, existing.ipv6
        return {"boot_protocol": "none"}, {"boot_protocol": "none"}
    if not isinstance(ip, dict):
        raise invalid("IP_CONFIGURATION_INVALID", "ip_configuration must be an object", path)
    return check_ipv4(ip.get("ipv4"), f"{path}.ipv4"), check_ipv6(ip.get("ipv6"), f"{path}.ipv6")


def _check_bonds_in_use(desired: HostNetworkConfig, removed_bonds: set[str]) -> None:
    for att in desired.attachments.values():
        if att.nic in removed_bonds:
            raise Conflict("BOND_IN_USE", f"bond {att.nic} still carries networks; remove them first",
                           [FieldError("removed_bonds", f"{att.nic} carries networks")])


def _check_final_state(desired: HostNetworkConfig, facts: HostFacts) -> None:
    slaves = {s: b.name for b in desired.bonds.values() for s in b.slaves}
    per_nic: dict[str, list[NetworkInfo]] = {}
    for att in desired.attachments.values():
        if att.nic in slaves:
            raise Conflict("SLAVE_CARRIES_NETWORK",
                           f"NIC {att.nic} is a slave of {slaves[att.nic]} and cannot carry networks",
                           [FieldError("modified_network_attachments", f"{att.nic} is a bond slave")])
        per_nic.setdefault(att.nic, []).append(facts.networks[att.network_id])
    for nic, nets in sorted(per_nic.items()):
        _check_interface(nic, nets, desired.bonds.get(nic))


def _check_interface(nic: str, nets: list[NetworkInfo], bond: BondSpec | None) -> None:
    untagged = [n for n in nets if not n.vlan]
    if len(untagged) > 1:
        names = ", ".join(sorted(n.name for n in untagged))
        raise Conflict("NIC_HAS_UNTAGGED_NETWORK",
                       f"{nic} can carry only one untagged network (plus any VLANs); requested: {names}",
                       [FieldError("modified_network_attachments", f"{nic}: more than one untagged network")])
    if untagged:
        base = untagged[0]
        differing = [n for n in nets if n.mtu != base.mtu]
        if differing:
            listed = ", ".join(f"{n.name}({n.mtu})" for n in [base, *differing])
            raise Conflict("NETWORK_MTU_DIFFERENCES",
                           f"networks on {nic} must have the MTU of its untagged network: {listed}",
                           [FieldError("modified_network_attachments", f"{nic}: MTU differences")])
    vlans = [n.vlan for n in nets if n.vlan]
    if len(vlans) != len(set(vlans)):
        raise Conflict("VLAN_USED_TWICE_ON_NIC", f"two networks on {nic} use the same VLAN id",
                       [FieldError("modified_network_attachments", f"{nic}: duplicate VLAN")])
    if bond is not None and bond.mode in VM_UNSAFE_BOND_MODES and any(n.vm_network for n in nets):
        raise Conflict("BOND_MODE_INVALID_FOR_VM_NETWORK",
                       f"bond {nic} in mode {bond.mode} cannot carry VM networks (modes 0, 5 and 6 break bridging)",
                       [FieldError("modified_bonds", f"{nic}: mode {bond.mode}")])


def _check_out_of_sync(current: HostNetworkConfig, facts: HostFacts, touched: set[str], synced: set[str]) -> None:
    for att_id in sorted(touched - synced):
        diffs = facts.out_of_sync.get(att_id)
        if att_id in current.attachments and diffs:
            net = facts.networks.get(current.attachments[att_id].network_id)
            name = net.name if net else att_id
            raise Conflict("NETWORK_NOT_IN_SYNC",
                           f"network {name} is out of sync on the host ({'; '.join(diffs)}); "
                           "synchronize it (synchronized_network_attachments) before modifying it",
                           [FieldError("synchronized_network_attachments", f"{name} needs sync")],
                           {"network": name, "differences": diffs})


def host_state(config: HostNetworkConfig, networks: dict[str, NetworkInfo]) -> HostNetState:
    """The protocol's full desired host state for ``config``."""
    out: HostNetState = {"networks": {}, "bonds": {}}
    for bond in sorted(config.bonds.values(), key=lambda b: b.name):
        out["bonds"][bond.name] = {"slaves": list(bond.slaves), "mode": bond.mode}
    for att in sorted(config.attachments.values(), key=lambda a: networks[a.network_id].host_name):
        net = networks[att.network_id]
        state: NetworkState = {
            "vlan": net.vlan or None, "mtu": net.mtu, "bridged": net.vm_network,
            "ipv4": att.ipv4, "ipv6": att.ipv6,  # type: ignore[typeddict-item]
            "default_route": net.default_route and _can_route(att),
        }
        if att.nic in config.bonds:
            state["bond"] = att.nic
        else:
            state["nic"] = att.nic
        out["networks"][net.host_name] = state
    return out


def _can_route(att: AttachmentSpec) -> bool:
    """A default route needs a gateway: a static one, or one learnt by DHCP / autoconf."""
    dynamic = ("dhcp", "autoconf")
    return bool(att.ipv4.get("gateway") or att.ipv6.get("gateway") or att.ipv4.get("boot_protocol") in dynamic
                or att.ipv6.get("boot_protocol") in dynamic)


SYNC_PROPERTIES = ("mtu", "vlan", "bridged", "ipv4", "ipv6", "default_route")


def sync_differences(desired: NetworkState, reported: NetworkState | None) -> list[dict[str, Any]]:
    """Per-property comparison of a desired network with the host's report (oVirt's reported configurations)."""
    if reported is None:
        return [{"name": "present", "expected": True, "actual": False, "in_sync": False}]
    out = []
    for prop in SYNC_PROPERTIES:
        expected, actual = desired.get(prop), reported.get(prop)
        if prop in ("ipv4", "ipv6"):
            expected, actual = _ip_view(expected), _ip_view(actual)
        elif prop == "vlan":
            expected, actual = expected or None, actual or None
        out.append({"name": prop, "expected": expected, "actual": actual, "in_sync": expected == actual})
    return out


def _ip_view(cfg: Any) -> dict[str, Any]:
    """An IP configuration in comparable form: no empty values, the netmask as a prefix length."""
    view: dict[str, Any] = {k: v for k, v in dict(cfg or {"boot_protocol": "none"}).items() if v not in (None, "")}
    if "netmask" in view:
        with contextlib.suppress(ValueError):
            view["netmask"] = ipaddress.IPv4Network(f"0.0.0.0/{view['netmask']}").prefixlen
    return view


def state_diff(current: HostNetState, desired: HostNetState) -> list[dict[str, Any]]:
    """What applying ``desired`` changes on a host now in ``current`` (for dry runs and job steps)."""
    changes: list[dict[str, Any]] = []
    for kind, cur, new in (("bond", current.get("bonds", {}), desired["bonds"]),
                           ("network", current.get("networks", {}), desired["networks"])):
        for name in sorted(set(cur) | set(new)):
            before, after = cur.get(name), new.get(name)
            if before is None:
                changes.append({"action": "add", "kind": kind, "name": name, "to": after})
            elif after is None:
                changes.append({"action": "remove", "kind": kind, "name": name, "from": before})
            elif _norm(before) != _norm(after):
                fields = {k: [_norm(before).get(k), _norm(after).get(k)] for k in sorted(set(before) | set(after))
                          if _norm(before).get(k) != _norm(after).get(k)}
                changes.append({"action": "modify", "kind": kind, "name": name, "fields": fields})
    return changes


def _norm(state: Any) -> dict[str, Any]:
    out = {k: v for k, v in dict(state).items() if v is not None}
    for key in ("ipv4", "ipv6"):
        if key in out:
            out[key] = _ip_view(out[key])
    return out


__all__ = ["AttachmentSpec", "BondSpec", "HostFacts", "HostNetworkConfig", "InvalidInput", "NetworkInfo",
           "SetupPlan", "SetupRequest", "host_state", "plan_setup", "state_diff", "sync_differences"]

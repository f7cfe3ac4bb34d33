"""Open vSwitch host backend: the OVS part in one OVSDB transaction (ovsdbapp), IPs through netlink.

Layout on the host (everything marked ``external_ids:lognet-owner=lognet``):

- one bridge per uplink (a NIC or a bond) named ``lb-<uplink>``, ``datapath_type=netdev`` (userspace);
- the uplink as a port of that bridge: the NIC itself, or an OVS bond port named after the bond whose
  interfaces are the slaves;
- one internal port per network, named after the network (host name), with the network's VLAN as access
  ``tag`` and ``mtu_request``; the network's IP lives on that internal device;
- uplink interfaces get ``mtu_request`` = the largest MTU of their networks (at least 1500);
- VM vNIC ports (added by the VM runtime) carry ``lognet-vm`` and follow their network when it moves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ovsdbapp.backend.ovs_idl import command as ovs_command
from ovsdbapp.backend.ovs_idl import connection as ovs_connection
from ovsdbapp.backend.ovs_idl import idlutils
from ovsdbapp.schema.open_vswitch import impl_idl
from pyroute2 import IPRoute

from lognet.agent import netlink, ovsjson
from lognet.agent.errors import AgentError
from lognet.agent.plan import normalize_network
from lognet.protocol import BondState, HostNetState, NetworkState

OWNER_KEY = "lognet-owner"
OWNER = "lognet"
ROLE_KEY = "lognet-role"

#: Linux bond mode → (OVS bond_mode, lacp). Only what OVS can really do is listed.
BOND_MODE_MAP: dict[str, tuple[str, str | None]] = {
    "active-backup": ("active-backup", None),
    "balance-xor": ("balance-slb", None),
    "802.3ad": ("balance-tcp", "active"),
}
OVS_TO_BOND_MODE = {ovs_mode: name for name, (ovs_mode, _) in BOND_MODE_MAP.items()}
FEATURES = ["vlan", "bond", "mtu", "ipv4", "ipv6", "hotplug", "link_state"]
#: The columns the agent reads or writes. Monitoring only these (not statistics, status and the other columns
#: vswitchd keeps rewriting) keeps the update stream small: the ovs library parses it in pure Python, and
#: parsing every column of a thousand new interfaces took longer than vswitchd needed to create them.
MONITORED: dict[str, tuple[str, ...]] = {
    "Open_vSwitch": ("bridges", "next_cfg", "cur_cfg"),
    "Bridge": ("name", "ports", "datapath_type", "external_ids"),
    "Port": ("name", "interfaces", "tag", "external_ids", "bond_mode", "lacp", "other_config",
             "bond_active_slave"),
    "Interface": ("name", "type", "mtu", "mtu_request", "mac", "external_ids"),
}
#: A veth has no speed (ethtool says unknown); lab NICs are veths and report this, in Mb/s.
VETH_SPEED = 10000
VM_PORT_RE = re.compile(r"^lv[0-9a-f]{11}$")
log = logging.getLogger("lognet.agent.ovs")


def bridge_name(uplink: str) -> str:
    return ("lb-" + uplink)[:15]


@dataclass
class PortSpec:
    """One OVS port lognet wants: its interfaces (name → columns) and its own columns."""

    name: str
    interfaces: dict[str, dict[str, Any]]
    columns: dict[str, Any] = field(default_factory=dict)


@dataclass
class BridgeSpec:
    name: str
    uplink: str
    uplink_kind: str
    ports: dict[str, PortSpec] = field(default_factory=dict)


def _uplink(net: NetworkState) -> tuple[str, str]:
    bond = net.get("bond")
    return (bond, "bond") if bond else (str(net.get("nic")), "nic")


def stable_mac(seed: str, network: str) -> str:
    """A locally administered MAC fixed for (host, network), so a port re-created by a move, a rollback or
    a reboot keeps its MAC and peers' ARP caches stay right (otherwise mgmt is lost for tens of seconds)."""
    digest = hashlib.sha1(f"{seed}/{network}".encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def layout(desired: HostNetState, mac_seed: str = "") -> dict[str, BridgeSpec]:
    """The OVS bridges, ports and interfaces that realize ``desired`` (pure)."""
    bridges: dict[str, BridgeSpec] = {}
    mtus: dict[str, int] = {}
    for name in desired["bonds"]:
        bridges[name] = BridgeSpec(bridge_name(name), name, "bond")
        mtus[name] = 1500
    for net in desired["networks"].values():
        uplink, kind = _uplink(net)
        bridges.setdefault(uplink, BridgeSpec(bridge_name(uplink), uplink, kind))
        mtus[uplink] = max(mtus.get(uplink, 1500), int(net["mtu"]))
    for uplink, spec in bridges.items():
        eid = {OWNER_KEY: OWNER, ROLE_KEY: "uplink"}
        if spec.uplink_kind == "bond":
            bond = desired["bonds"][uplink]
            ovs_mode, lacp = BOND_MODE_MAP[bond["mode"]]
            ifaces = {s: {"mtu_request": [mtus[uplink]]} for s in sorted(bond["slaves"])}
            columns: dict[str, Any] = {
                "bond_mode": [ovs_mode],
                "lacp": [lacp] if lacp else [],
                # The lab fabric (and many switches) do not speak LACP: fall back to active-backup.
                "other_config": {"lacp-fallback-ab": "true"} if lacp else {},
                "external_ids": {**eid, "lognet-bond": uplink},
            }
            spec.ports[uplink] = PortSpec(uplink, ifaces, columns)
        else:
            spec.ports[uplink] = PortSpec(
                uplink, {uplink: {"mtu_request": [mtus[uplink]]}}, {"external_ids": eid}
            )
    for name, net in desired["networks"].items():
        uplink, _ = _uplink(net)
        norm = normalize_network(net)
        # Only what differs from the defaults the read-back assumes (bridged, no IP, no default route): a
        # thousand networks' worth of external_ids comes back in the update stream.
        eid = {OWNER_KEY: OWNER, ROLE_KEY: "network"}
        if not norm["bridged"]:
            eid["lognet-bridged"] = "false"
        for version in ("ipv4", "ipv6"):
            if norm[version]["boot_protocol"] != "none":
                eid[f"lognet-{version}"] = json.dumps(norm[version], sort_keys=True)
        if norm["default_route"]:
            eid["lognet-default-route"] = "true"
        iface: dict[str, Any] = {"type": "internal", "mtu_request": [int(net["mtu"])]}
        if "lognet-ipv4" in eid or "lognet-ipv6" in eid:
            # The host's address lives on this port: a fixed MAC keeps peers' ARP right across re-creations.
            # Ports without an address stay down and carry nothing of the host's: any MAC does.
            iface["mac"] = [stable_mac(mac_seed, name)]
        port_cols = {"tag": [norm["vlan"]] if norm["vlan"] else [], "external_ids": eid}
        bridges[uplink].ports[name] = PortSpec(name, {name: iface}, port_cols)
    return {spec.name: spec for spec in bridges.values()}


def _col(row: Any, column: str, default: Any) -> Any:
    """A column of a row; rows inserted in the running transaction raise on unset columns."""
    try:
        return getattr(row, column)
    except AttributeError:
        return default


def _owned(row: Any) -> bool:
    return bool(_col(row, "external_ids", {}).get(OWNER_KEY) == OWNER)


class SyncLayoutCommand(ovs_command.BaseCommand):  # type: ignore[misc]
    """Turn lognet's part of the OVSDB into ``bridges``, inside the caller's transaction.

    Works on indexed row maps (names are unique in the Open_vSwitch schema) so a thousand networks cost a
    thousand dictionary lookups, not a thousand table scans.
    """

    def __init__(
        self, api: Any, bridges: dict[str, BridgeSpec], vm_targets: dict[str, tuple[str, int | None]]
    ) -> None:
        super().__init__(api)
        self.bridges = bridges
        self.vm_targets = vm_targets  # network name → (bridge, vlan) for VM ports to follow

    def run_idl(self, txn: Any) -> None:
        tables = self.api._tables
        root = next(iter(tables["Open_vSwitch"].rows.values()))
        br_rows = {r.name: r for r in tables["Bridge"].rows.values()}
        port_rows = {r.name: r for r in tables["Port"].rows.values()}
        port_home: dict[str, Any] = {p.name: br for br in br_rows.values() for p in br.ports}
        for name, row in br_rows.items():
            if _owned(row) and name not in self.bridges:
                root.delvalue("bridges", row)
        for spec in self.bridges.values():
            br = br_rows.get(spec.name) or self._new_bridge(txn, root, spec.name)
            br_rows[spec.name] = br
            self._set(br, {"datapath_type": "netdev", "external_ids": {
                OWNER_KEY: OWNER, "lognet-uplink": spec.uplink, "lognet-uplink-kind": spec.uplink_kind}})
            wanted = set(spec.ports)
            for port in list(_col(br, "ports", [])):
                if _owned(port) and port.name not in wanted and "lognet-vm" not in port.external_ids:
                    br.delvalue("ports", port)
            for pspec in spec.ports.values():
                self._sync_port(txn, br, pspec, port_rows, port_home)
        for port in port_rows.values():
            eid = _col(port, "external_ids", {})
            network = eid.get("lognet-vm") and eid.get("lognet-network")
            target = self.vm_targets.get(network or "")
            if target is None:
                continue
            home, dest = port_home.get(port.name), br_rows.get(target[0])
            if dest is not None and home is not None and home.uuid != dest.uuid:
                home.delvalue("ports", port)
                dest.addvalue("ports", port)
            port.tag = [target[1]] if target[1] else []

    def _new_bridge(self, txn: Any, root: Any, name: str) -> Any:
        br = txn.insert(self.api._tables["Bridge"])
        br.name = name
        root.addvalue("bridges", br)
        local = txn.insert(self.api._tables["Port"])
        local.name = name
        iface = txn.insert(self.api._tables["Interface"])
        iface.name = name
        iface.type = "internal"
        local.interfaces = [iface]
        br.addvalue("ports", local)
        return br

    @staticmethod
    def _set(row: Any, columns: dict[str, Any]) -> None:
        for column, value in columns.items():
            try:
                same = getattr(row, column) == value
            except AttributeError:  # a row inserted in this transaction has no value yet
                same = False
            if not same:
                setattr(row, column, value)

    def _sync_port(self, txn: Any, br: Any, spec: PortSpec, port_rows: dict[str, Any],
                   port_home: dict[str, Any]) -> None:
        port = port_rows.get(spec.name)
        if port is not None and not _owned(port):
            raise AgentError("APPLY_FAILED", f"port {spec.name} exists and is not managed by lognet", 500)
        if port is None:
            port = txn.insert(self.api._tables["Port"])
            port.name = spec.name
            port_rows[spec.name] = port
            br.addvalue("ports", port)
        else:
            home = port_home.get(spec.name)
            if home is not None and home.uuid != br.uuid:
                home.delvalue("ports", port)
                br.addvalue("ports", port)
        self._set(port, spec.columns)
        have = {i.name: i for i in _col(port, "interfaces", [])}
        ifaces = []
        for name, columns in spec.interfaces.items():
            iface = have.get(name)
            if iface is None:
                iface = txn.insert(self.api._tables["Interface"])
                iface.name = name
            self._set(iface, columns)
            ifaces.append(iface)
        if set(have) != set(spec.interfaces):
            port.interfaces = ifaces


class OvsBackend:
    """Host backend over one OVS instance (its db socket) and this process's network namespace."""

    name = "ovs"

    def __init__(self, db_socket: str, timeout: int = 60, mac_seed: str = "") -> None:
        self.mac_seed = mac_seed
        ovsjson.install()  # the ovs library's pure-Python JSON lexer was the agent's largest cost
        remote = f"unix:{db_socket}"
        helper = idlutils.get_schema_helper(remote, "Open_vSwitch")
        for table, columns in MONITORED.items():
            helper.register_columns(table, list(columns))
        idl = ovs_connection.OvsdbIdl(remote, helper)
        self._conn = ovs_connection.Connection(idl=idl, timeout=timeout)
        self.api = impl_idl.OvsdbIdl(self._conn)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.stop()

    def supported_bond_modes(self) -> list[str]:
        return list(BOND_MODE_MAP)

    def features(self) -> list[str]:
        return list(FEATURES)

    # --- reading -------------------------------------------------------------------------------------

    def _rows(self, table: str) -> list[Any]:
        return list(self.api.tables[table].rows.values())

    def read_state(self) -> HostNetState:
        """Networks and bonds read back from the OVSDB (what vswitchd applied) and the kernel."""
        kernel = netlink.addresses()
        state: HostNetState = {"networks": {}, "bonds": {}}
        for br in self._rows("Bridge"):
            if not _owned(br):
                continue
            uplink = br.external_ids.get("lognet-uplink", "")
            kind = br.external_ids.get("lognet-uplink-kind", "nic")
            for port in br.ports:
                eid = port.external_ids
                if eid.get(ROLE_KEY) == "uplink" and "lognet-bond" in eid:
                    state["bonds"][port.name] = self._read_bond(port)
                elif eid.get(ROLE_KEY) == "network":
                    state["networks"][port.name] = self._read_network(port, uplink, kind, kernel)
        return state

    @staticmethod
    def _read_bond(port: Any) -> BondState:
        ovs_mode = port.bond_mode[0] if port.bond_mode else "active-backup"
        return {"slaves": sorted(i.name for i in port.interfaces),
                "mode": OVS_TO_BOND_MODE.get(ovs_mode, ovs_mode)}

    @staticmethod
    def _read_network(port: Any, uplink: str, kind: str, kernel: dict[str, list[tuple[str, int]]]) -> NetworkState:
        eid = port.external_ids
        iface = port.interfaces[0] if port.interfaces else None
        mtu = iface.mtu[0] if iface is not None and iface.mtu else 0
        ipv4 = json.loads(eid.get("lognet-ipv4", '{"boot_protocol": "none"}'))
        ipv6 = json.loads(eid.get("lognet-ipv6", '{"boot_protocol": "none"}'))
        addresses = set(kernel.get(port.name, []))
        # Static addresses are reported only when the kernel really carries them.
        if ipv4["boot_protocol"] == "static" and (ipv4.get("address"), ipv4.get("prefix")) not in addresses:
            ipv4 = {"boot_protocol": "none"}
        if ipv6["boot_protocol"] == "static" and (ipv6.get("address"), ipv6.get("prefix")) not in addresses:
            ipv6 = {"boot_protocol": "none"}
        if ipv4.get("prefix") is not None:
            ipv4["netmask"] = str(ipv4.pop("prefix"))
        net: NetworkState = {
            "vlan": port.tag[0] if port.tag else None,
            "mtu": mtu,
            "bridged": json.loads(eid.get("lognet-bridged", "true")),
            "ipv4": ipv4,
            "ipv6": ipv6,
            "default_route": json.loads(eid.get("lognet-default-route", "false")),
        }
        if kind == "bond":
            net["bond"] = uplink
        else:
            net["nic"] = uplink
        return net

    def inventory(self) -> dict[str, Any]:
        kernel = netlink.links()
        macs = {link.mac: link.name for link in kernel.values()}
        internal = {i.name for i in self._rows("Interface") if i.type == "internal"}
        vm_ports = {p.name for p in self._rows("Port") if "lognet-vm" in p.external_ids}
        nics = []
        for link in kernel.values():
            if link.name == "lo" or link.name in internal or link.name in vm_ports:
                continue
            if link.kind not in (None, "veth") or VM_PORT_RE.match(link.name) or link.name == "ovs-netdev":
                continue
            nics.append({"name": link.name, "mac": link.mac, "mtu": link.mtu,
                         "speed": VETH_SPEED if link.kind == "veth" else netlink.speed(link.name),
                         "link": link.carrier and link.up})
        bonds, vlans, unmanaged = [], [], []
        for br in self._rows("Bridge"):
            if not _owned(br):
                unmanaged.append({"kind": "bridge", "name": br.name})
                continue
            for port in br.ports:
                eid = port.external_ids
                if "lognet-bond" in eid:
                    bonds.append(self._bond_report(port, macs))
                tag = port.tag[0] if port.tag else None
                if eid.get(ROLE_KEY) == "network" and tag:
                    uplink = br.external_ids.get("lognet-uplink", "")
                    mtu = port.interfaces[0].mtu[0] if port.interfaces and port.interfaces[0].mtu else 0
                    vlans.append({"name": f"{uplink}.{tag}", "base": uplink, "vlan": tag, "mtu": mtu})
        for link in kernel.values():
            if link.kind in ("bridge", "bond", "vlan"):
                unmanaged.append({"kind": link.kind, "name": link.name})
        return {"nics": sorted(nics, key=lambda n: n["name"]), "bonds": bonds, "vlans": vlans,
                "unmanaged": unmanaged}

    @staticmethod
    def _bond_report(port: Any, macs: dict[str, str]) -> dict[str, Any]:
        """The bond as reported; OVS names its active slave by MAC, which the kernel maps to a NIC name."""
        state = OvsBackend._read_bond(port)
        active = port.bond_active_slave[0] if port.bond_active_slave else None
        slaves = {i.name for i in port.interfaces}
        names = {mac: name for mac, name in macs.items() if name in slaves}
        mtus = [i.mtu[0] for i in port.interfaces if i.mtu]
        return {"name": port.name, "slaves": state["slaves"], "mode": state["mode"],
                "active_slave": names.get(active or "", active), "mtu": min(mtus) if mtus else 0}

    # --- applying ------------------------------------------------------------------------------------

    def apply(self, desired: HostNetState) -> None:
        """One OVSDB transaction for the switch, then addresses and the default route via netlink."""
        bridges = layout(desired, self.mac_seed)
        vm_targets = {}
        for name, net in desired["networks"].items():
            vm_targets[name] = (bridge_name(_uplink(net)[0]), normalize_network(net)["vlan"])
        with self._lock:
            started = time.perf_counter()
            try:
                with self.api.transaction(check_error=True) as txn:
                    txn.add(SyncLayoutCommand(self.api, bridges, vm_targets))
            except AgentError:
                raise
            except Exception as exc:
                raise AgentError("APPLY_FAILED", f"OVSDB transaction failed: {exc}", 500) from exc
            committed = time.perf_counter()
            self._apply_ip(desired, bridges)
            log.info("OVSDB transaction %.3f s (vswitchd done), netlink %.3f s", committed - started,
                     time.perf_counter() - committed)

    def nic_names(self) -> set[str]:
        """Names of the host's NICs, cheaply (for validation): not lo, OVS devices or VM port ends."""
        ovs_devices = {i.name for i in self._rows("Interface") if i.type == "internal"}
        ovs_devices |= {p.name for p in self._rows("Port") if "lognet-vm" in p.external_ids}
        return {n for n in netlink.names().values() if n not in ovs_devices and n not in ("lo", "ovs-netdev")
                and not VM_PORT_RE.match(n)}

    def _apply_ip(self, desired: HostNetState, bridges: dict[str, BridgeSpec]) -> None:
        uplink_ports = [p for b in bridges.values() for p in b.ports.values()
                        if p.columns.get("external_ids", {}).get(ROLE_KEY) == "uplink"]
        uplink_devices = [i for p in uplink_ports for i in p.interfaces]
        norms = {name: normalize_network(net) for name, net in desired["networks"].items()}
        # Only networks with an IP need their host device up: VM traffic never passes through it, and
        # skipping the rest keeps a thousand-VLAN apply at OVS speed.
        with_ip = [name for name, n in norms.items()
                   if n["ipv4"]["boot_protocol"] != "none" or n["ipv6"]["boot_protocol"] != "none"]
        gateway: tuple[str, str] | None = None
        try:
            with IPRoute() as ipr:  # one netlink socket and one address dump for the whole step
                by_index = netlink.names()
                addrs = netlink.addresses(ipr, by_index)
                with_addr = [name for name in norms if addrs.get(name)]
                kernel = netlink.light_links(uplink_devices + sorted(set(with_ip) | set(with_addr)), ipr,
                                             by_index, addrs)
                # Uplinks carry no IP of their own: their networks do (as VDSM's southbound devices).
                netlink.flush_addresses(uplink_devices, kernel, ipr)
                netlink.set_up(uplink_devices + with_ip, kernel, ipr)
                for name, norm in norms.items():
                    wanted = []
                    if norm["ipv4"]["boot_protocol"] == "static":
                        wanted.append((norm["ipv4"]["address"], norm["ipv4"]["prefix"]))
                        if norm["default_route"] and norm["ipv4"]["gateway"]:
                            gateway = (norm["ipv4"]["gateway"], name)
                    if norm["ipv6"]["boot_protocol"] == "static":
                        wanted.append((norm["ipv6"]["address"], norm["ipv6"]["prefix"]))
                    if wanted or addrs.get(name):
                        netlink.sync_addresses(name, wanted, kernel, ipr)
            if gateway is not None:
                netlink.set_default_gateway(*gateway)
        except Exception as exc:
            raise AgentError("APPLY_FAILED", f"netlink: {exc}", 500) from exc

    # --- VM ports ------------------------------------------------------------------------------------

    def add_vm_port(self, port: str, network: str, desired: HostNetState, vm_id: str, nic_id: str) -> None:
        net = desired["networks"][network]
        vlan = normalize_network(net)["vlan"]
        eid = {OWNER_KEY: OWNER, "lognet-vm": vm_id, "lognet-vnic": nic_id, "lognet-network": network}
        with self._lock, self.api.transaction(check_error=True) as txn:
            txn.add(self.api.add_port(bridge_name(_uplink(net)[0]), port, may_exist=True))
            txn.add(self.api.db_set("Port", port, ("tag", [vlan] if vlan else []), ("external_ids", eid)))
            txn.add(self.api.db_set("Interface", port, ("mtu_request", [int(net["mtu"])])))

    def del_vm_port(self, port: str) -> None:
        with self._lock, self.api.transaction(check_error=True) as txn:
            txn.add(self.api.del_port(port, if_exists=True))

    def vm_ports(self) -> dict[str, dict[str, str]]:
        """Ports of VM vNICs by port name → their external_ids."""
        return {p.name: dict(p.external_ids) for p in self._rows("Port") if "lognet-vm" in p.external_ids}

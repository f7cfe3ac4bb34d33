"""Lab VM runtime: a running VM is a network namespace, a plugged vNIC a veth pair into OVS.

The VM end of the pair carries the vNIC's name and MAC inside the VM's namespace; the host end
(``lv`` + 11 hex digits, stable for a VM/vNIC pair) is a port on the bridge of the vNIC's network with the
network's VLAN tag. ``linked=false`` takes the host end down, which also drops the VM end's carrier.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from typing import Any, Protocol

from lognet.agent.errors import AgentError
from lognet.protocol import HostNetState, VnicSpec

NETNS_DIR = "/run/netns"


class PortBinder(Protocol):
    def add_vm_port(
        self, port: str, network: str, desired: HostNetState, vm_id: str, nic_id: str
    ) -> None: ...

    def del_vm_port(self, port: str) -> None: ...

    def vm_ports(self) -> dict[str, dict[str, str]]: ...


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise AgentError("APPLY_FAILED", f"ip {' '.join(args)}: {done.stderr.strip()}", 500)


def host_end(vm_id: str, nic_id: str) -> str:
    return "lv" + hashlib.sha1(f"{vm_id}/{nic_id}".encode()).hexdigest()[:11]


class NetnsVmRuntime:
    """VMs as network namespaces named ``<prefix><vm name>``."""

    def __init__(self, binder: PortBinder, netns_prefix: str) -> None:
        self.binder = binder
        self.prefix = netns_prefix
        self._vms: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def netns(self, vm_id: str) -> str:
        return str(self._vms[vm_id]["netns"])

    def running(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {vm_id: {"id": vm_id, "name": vm["name"], "nics": [dict(n) for n in vm["nics"]]}
                    for vm_id, vm in self._vms.items()}

    def _check_networks(self, nics: list[VnicSpec], networks: HostNetState) -> None:
        for nic in nics:
            if nic.get("network") and nic["network"] not in networks["networks"]:
                raise AgentError("NETWORK_NOT_ON_HOST", f"network {nic['network']} is not on this host", 409)

    def start(self, vm_id: str, name: str, nics: list[VnicSpec], networks: HostNetState) -> None:
        with self._lock:
            self._check_networks(nics, networks)
            running = self._vms.get(vm_id)
            if running is not None and running["name"] == name and running["nics"] == [dict(n) for n in nics]:
                return  # already runs as asked (a retried call): leave the guest alone
            if running is not None:
                self.stop(vm_id)
            netns = f"{self.prefix}{name}"
            if os.path.exists(os.path.join(NETNS_DIR, netns)):
                _ip("netns", "del", netns)  # a leftover of a VM that was not stopped cleanly
            _ip("netns", "add", netns)
            _ip("-n", netns, "link", "set", "lo", "up")
            self._vms[vm_id] = {"name": name, "netns": netns, "nics": []}
            try:
                for nic in nics:
                    self.plug(vm_id, nic, networks)
            except Exception:
                self.stop(vm_id)
                raise

    def stop(self, vm_id: str) -> None:
        with self._lock:
            vm = self._vms.pop(vm_id, None)
            if vm is None:
                return
            for nic in vm["nics"]:
                self._remove_pair(vm_id, nic["id"])
            subprocess.run(["ip", "netns", "del", vm["netns"]], capture_output=True)

    def _vm(self, vm_id: str) -> dict[str, Any]:
        vm = self._vms.get(vm_id)
        if vm is None:
            raise AgentError("VM_NOT_RUNNING", f"VM {vm_id} is not running", 409)
        return vm

    def plug(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None:
        with self._lock:
            vm = self._vm(vm_id)
            self._check_networks([nic], networks)
            if dict(nic) in vm["nics"]:
                return  # plugged as asked already (a retried call)
            if any(n["id"] == nic["id"] for n in vm["nics"]):
                self.unplug(vm_id, nic["id"])
            host = host_end(vm_id, nic["id"])
            peer = "lp" + host[2:]
            net = networks["networks"].get(nic["network"] or "")
            mtu = str(net["mtu"]) if net else "1500"
            subprocess.run(["ip", "link", "del", host], capture_output=True)
            _ip("link", "add", host, "mtu", mtu, "type", "veth", "peer", "name", peer, "mtu", mtu)
            try:
                _ip("link", "set", peer, "netns", vm["netns"])
                _ip("-n", vm["netns"], "link", "set", peer, "name", nic["name"], "address", nic["mac"], "up")
                # Userspace OVS forwards frames with offloaded (unfinished) checksums as they are: let the
                # guest finish them so its TCP reaches the other side.
                offload = ["ethtool", "-K", nic["name"], "tx", "off"]
                subprocess.run(["ip", "netns", "exec", vm["netns"], *offload], capture_output=True)
                if nic["network"]:
                    self.binder.add_vm_port(host, nic["network"], networks, vm_id, nic["id"])
                _ip("link", "set", host, "up" if nic["linked"] else "down")
            except Exception:
                self._remove_pair(vm_id, nic["id"])
                raise
            vm["nics"].append(dict(nic))

    def _remove_pair(self, vm_id: str, nic_id: str) -> None:
        host = host_end(vm_id, nic_id)
        self.binder.del_vm_port(host)
        subprocess.run(["ip", "link", "del", host], capture_output=True)

    def unplug(self, vm_id: str, nic_id: str) -> None:
        with self._lock:
            vm = self._vm(vm_id)
            if not any(n["id"] == nic_id for n in vm["nics"]):
                raise AgentError("VNIC_NOT_FOUND", f"vNIC {nic_id} is not plugged into VM {vm_id}", 404)
            self._remove_pair(vm_id, nic_id)
            vm["nics"] = [n for n in vm["nics"] if n["id"] != nic_id]

    def update(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None:
        with self._lock:
            vm = self._vm(vm_id)
            current = next((n for n in vm["nics"] if n["id"] == nic["id"]), None)
            if current is None:
                raise AgentError("VNIC_NOT_FOUND", f"vNIC {nic['id']} is not plugged into VM {vm_id}", 404)
            self._check_networks([nic], networks)
            host = host_end(vm_id, nic["id"])
            if nic["network"] != current["network"]:
                self.binder.del_vm_port(host)
                if nic["network"]:
                    self.binder.add_vm_port(host, nic["network"], networks, vm_id, nic["id"])
            _ip("link", "set", host, "up" if nic["linked"] else "down")
            current.update(network=nic["network"], linked=nic["linked"])

    def stop_all(self) -> None:
        """Stop known VMs and remove leftovers: VM ports in OVS, host ends, namespaces with our prefix."""
        with self._lock:
            for vm_id in list(self._vms):
                self.stop(vm_id)
            for port in self.binder.vm_ports():
                self.binder.del_vm_port(port)
                subprocess.run(["ip", "link", "del", port], capture_output=True)
            if self.prefix and os.path.isdir(NETNS_DIR):
                for name in os.listdir(NETNS_DIR):
                    if name.startswith(self.prefix):
                        subprocess.run(["ip", "netns", "del", name], capture_output=True)

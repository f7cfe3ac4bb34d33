"""The *simulated* host: an in-process implementation of the agent protocol, for tests and scale runs.

It keeps running and committed ("safe") network state and running VMs in memory, applies a desired state
in a background thread with the same plan → apply → verify → confirm → commit steps as the real agent,
rolls back when connectivity confirmations stop, and can be told to fail a step. It never touches the
machine's network.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from typing import Any

from lognet.domain.hostnet import state_diff
from lognet.protocol import BOND_MODES, HostNetState, SetupNetworksRequest, VnicSpec
from lognet.service.ports import AgentError

SIM_MAC_PREFIX = "52:54:00"


class SimulatedHost:
    """One simulated host with ``nics`` physical NICs named eth0…eth{n-1}."""

    backend = "simulated"

    def __init__(self, name: str, nics: int, state: HostNetState | None = None) -> None:
        self.name = name
        self.nic_count = nics
        self.running: HostNetState = copy.deepcopy(state) if state else {"networks": {}, "bonds": {}}
        self.safe: HostNetState = copy.deepcopy(self.running)
        self.vms: dict[str, dict[str, Any]] = {}
        self.fail_step: str | None = None  # "apply" | "verify" | "connectivity": make the next setup fail there
        self.drift: dict[str, dict[str, Any]] = {}  # host_name -> properties the host reports differently
        self.ops: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._busy: str | None = None
        self._confirmed: dict[str, float] = {}

    # -- reporting -------------------------------------------------------------------------------
    def nic_names(self) -> list[str]:
        return [f"eth{i}" for i in range(self.nic_count)]

    def capabilities(self) -> dict[str, Any]:
        with self._lock:
            networks = copy.deepcopy(self.running["networks"])
            for name, props in self.drift.items():
                if name in networks:
                    networks[name].update(props)  # type: ignore[typeddict-item]
            bonds = [{"name": n, "slaves": b["slaves"], "mode": b["mode"], "active_slave": b["slaves"][0]}
                     for n, b in self.running["bonds"].items()]
            return {
                "protocol": 1, "backend": self.backend, "hostname": self.name,
                "nics": [{"name": n, "mac": f"{SIM_MAC_PREFIX}:{i >> 8:02x}:{i & 255:02x}:01", "mtu": 1500,
                          "speed": 10000, "link": True} for i, n in enumerate(self.nic_names())],
                "bonds": bonds,
                "vlans": [{"name": f"{(s.get('nic') or s.get('bond'))}.{s['vlan']}", "vlan": s["vlan"],
                           "base": s.get("nic") or s.get("bond"), "mtu": s["mtu"]}
                          for s in networks.values() if s.get("vlan")],
                "networks": networks, "unmanaged": [],
                "supported_bond_modes": sorted(BOND_MODES.values()),
                "features": ["vlan", "bond", "mtu", "ipv4", "ipv6", "hotplug", "link_state"],
                "config_dirty": self.running != self.safe, "operation": self._busy,
                "vms": [copy.deepcopy(vm) for vm in self.vms.values()],
            }

    # -- setup networks --------------------------------------------------------------------------
    def setup_networks(self, request: SetupNetworksRequest) -> str:
        desired = request["desired"]
        self._validate(desired)
        with self._lock:
            if self._busy:
                raise AgentError("HOST_BUSY", "another network operation is running", 409)
            op_id = str(uuid.uuid4())
            self._busy = op_id
            self.ops[op_id] = {"operation": op_id, "status": "running", "step": "plan", "changes": [],
                               "error": None, "config_dirty": self.running != self.safe}
        threading.Thread(target=self._run, args=(op_id, request), daemon=True).start()
        return op_id

    def _validate(self, desired: HostNetState) -> None:
        nics = set(self.nic_names())
        for name, bond in desired["bonds"].items():
            for slave in bond["slaves"]:
                if slave not in nics:
                    raise AgentError("NIC_NOT_FOUND", f"bond {name}: no NIC {slave}", 400)
        for name, net in desired["networks"].items():
            iface = net.get("nic") or net.get("bond")
            if net.get("nic") and iface not in nics:
                raise AgentError("NIC_NOT_FOUND", f"network {name}: no NIC {iface}", 400)
            if net.get("bond") and iface not in desired["bonds"]:
                raise AgentError("BAD_REQUEST", f"network {name}: bond {iface} is not in the desired state", 400)

    def _run(self, op_id: str, request: SetupNetworksRequest) -> None:
        op = self.ops[op_id]
        previous = copy.deepcopy(self.running)
        desired = copy.deepcopy(request["desired"])
        op["changes"] = state_diff(previous, desired)
        try:
            self._step(op, "apply")
            with self._lock:
                self.running = desired
            self._step(op, "verify")
            if request["check_connectivity"]:
                op["step"] = "confirm"
                self._wait_confirm(op_id, float(request["connectivity_timeout"]))
            if request["commit_on_success"]:
                op["step"] = "commit"
                with self._lock:
                    self.safe = copy.deepcopy(self.running)
            op.update(status="succeeded", step="done")
        except AgentError as exc:
            with self._lock:
                self.running = previous
            op.update(status="rolled_back" if exc.code != "APPLY_FAILED" else "failed", step="done",
                      error={"code": exc.code, "message": exc.message})
        finally:
            op["config_dirty"] = self.running != self.safe
            with self._lock:
                self._busy = None

    def _step(self, op: dict[str, Any], step: str) -> None:
        op["step"] = step
        if self.fail_step == step:
            self.fail_step = None
            code = {"apply": "APPLY_FAILED", "verify": "VERIFY_FAILED"}[step]
            raise AgentError(code, f"simulated failure in step {step}")

    def _wait_confirm(self, op_id: str, timeout: float) -> None:
        applied_at = time.monotonic()
        lose = self.fail_step == "connectivity"
        if lose:
            self.fail_step = None
        while time.monotonic() - applied_at < timeout:
            if not lose and self._confirmed.get(op_id, 0.0) > applied_at:
                return
            time.sleep(0.02)
        raise AgentError("CONNECTIVITY_LOST", f"no confirmation from the engine within {timeout:g} s; rolled back")

    def operation(self, operation_id: str) -> dict[str, Any]:
        op = self.ops.get(operation_id)
        if op is None:
            raise AgentError("OPERATION_NOT_FOUND", f"no operation {operation_id}", 404)
        return dict(op)

    def confirm(self, operation_id: str) -> None:
        self._confirmed[operation_id] = time.monotonic()

    def commit(self) -> dict[str, Any]:
        with self._lock:
            if self._busy:
                raise AgentError("HOST_BUSY", "a network operation is running", 409)
            self.safe = copy.deepcopy(self.running)
        return {"config_dirty": False}

    def reboot(self) -> None:
        """What a reboot does: running config back to the committed one, no VM runs."""
        with self._lock:
            self.running = copy.deepcopy(self.safe)
            self.vms.clear()

    # -- VMs -------------------------------------------------------------------------------------
    def _check_network(self, nic: VnicSpec) -> None:
        net = nic["network"]
        if net is not None and net not in self.running["networks"]:
            raise AgentError("NETWORK_NOT_ON_HOST", f"network {net} is not on host {self.name}", 409)

    def vm_start(self, vm_id: str, name: str, nics: list[VnicSpec]) -> dict[str, Any]:
        for nic in nics:
            self._check_network(nic)
        self.vms[vm_id] = {"id": vm_id, "name": name, "nics": [dict(n) for n in nics]}
        return copy.deepcopy(self.vms[vm_id])

    def vm_stop(self, vm_id: str) -> dict[str, Any]:
        vm = self.vms.pop(vm_id, None)
        return {"id": vm_id, "name": vm["name"] if vm else "", "nics": []}

    def _vm(self, vm_id: str) -> dict[str, Any]:
        vm = self.vms.get(vm_id)
        if vm is None:
            raise AgentError("VM_NOT_RUNNING", f"VM {vm_id} does not run on {self.name}", 409)
        return vm

    def hotplug(self, vm_id: str, nic: VnicSpec) -> dict[str, Any]:
        vm = self._vm(vm_id)
        self._check_network(nic)
        vm["nics"] = [n for n in vm["nics"] if n["id"] != nic["id"]] + [dict(nic)]
        return copy.deepcopy(vm)

    def unplug(self, vm_id: str, nic_id: str) -> dict[str, Any]:
        vm = self._vm(vm_id)
        vm["nics"] = [n for n in vm["nics"] if n["id"] != nic_id]
        return copy.deepcopy(vm)

    def update_nic(self, vm_id: str, nic_id: str, linked: bool, network: str | None) -> dict[str, Any]:
        vm = self._vm(vm_id)
        for nic in vm["nics"]:
            if nic["id"] == nic_id:
                self._check_network({**nic, "network": network})  # type: ignore[typeddict-item]
                nic.update(linked=linked, network=network)
                return copy.deepcopy(vm)
        raise AgentError("VNIC_NOT_FOUND", f"vNIC {nic_id} is not plugged in VM {vm_id}", 404)

"""The agent's network operations: validate → plan → apply → verify → confirm → commit, or roll back.

One network operation at a time (a second one gets HOST_BUSY at once). The operation runs in a background
thread; the engine polls it and keeps calling confirm-connectivity. Rollback re-applies the previous
running state without verification or connectivity check (as VDSM does), and deletes what the failed apply
created because the OVS sync is declarative over everything lognet owns.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lognet.agent.backend import HostBackend, VmRuntime
from lognet.agent.errors import AgentError
from lognet.agent.persist import StateStore
from lognet.agent.plan import Change, normalize_state, plan, states_equal
from lognet.protocol import PROTOCOL_VERSION, HostNetState, VnicSpec

log = logging.getLogger("lognet.agent")
NAME_RE = re.compile(r"^[0-9A-Za-z_-]{1,15}$")
VERIFY_SECONDS = 10.0


@dataclass
class Operation:
    id: str
    status: str = "running"
    step: str = "plan"
    changes: list[Change] = field(default_factory=list)
    error: dict[str, str] | None = None
    applied_at: float | None = None
    confirmed_at: float | None = None

    def report(self, config_dirty: bool) -> dict[str, Any]:
        return {"operation": self.id, "status": self.status, "step": self.step, "changes": self.changes,
                "error": self.error, "config_dirty": config_dirty}


class AgentService:
    """Everything the HTTP layer calls; owns the host backend, the VM runtime and the state store."""

    def __init__(self, backend: HostBackend, vms: VmRuntime, store: StateStore, hostname: str,
                 run_dir: str | Path) -> None:
        self.backend = backend
        self.vms = vms
        self.store = store
        self.hostname = hostname
        self.run_dir = Path(run_dir)
        self.operations: dict[str, Operation] = {}
        self._busy = threading.Lock()
        self._current: Operation | None = None
        self._threads: list[threading.Thread] = []
        self._dirty: bool | None = None

    # --- boot ------------------------------------------------------------------------------------------

    def boot(self) -> str:
        """Converge the host on agent start. Returns what it converged to: ``safe`` or ``running``.

        A first start since the host booted (no marker in the run dir, which a reboot empties) brings the host
        to the committed config. A restart of the agent alone (e.g. after SIGKILL) brings it back to the last
        good running config, undoing an apply that was in flight (``pending.json``).
        """
        marker = self.run_dir / "agent-booted"
        booted = marker.exists()
        target = self.store.running() if booted else self.store.safe()
        if self.store.pending() is not None:
            log.warning("an apply was interrupted; converging to the last good state")
        self.vms.stop_all()
        if plan(self.backend.read_state(), target):
            self.backend.apply(target)
        self.store.set_running(target)
        self._dirty = None
        self.store.clear_pending()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        marker.touch()
        return "running" if booted else "safe"

    # --- capabilities ----------------------------------------------------------------------------------

    def config_dirty(self) -> bool:
        # Cached: polled many times a second while an operation runs, and the files can be large.
        if self._dirty is None:
            self._dirty = not states_equal(self.store.running(), self.store.safe())
        return self._dirty

    def capabilities(self) -> dict[str, Any]:
        inv = self.backend.inventory()
        current = self.backend.read_state()
        return {
            "protocol": PROTOCOL_VERSION,
            "backend": self.backend.name,
            "hostname": self.hostname,
            "nics": inv["nics"],
            "bonds": inv["bonds"],
            "vlans": inv["vlans"],
            "networks": current["networks"],
            "unmanaged": inv["unmanaged"],
            "supported_bond_modes": self.backend.supported_bond_modes(),
            "features": self.backend.features(),
            "config_dirty": self.config_dirty(),
            "operation": self._current.id if self._current else None,
            "vms": list(self.vms.running().values()),
        }

    # --- validation ------------------------------------------------------------------------------------

    def validate(self, desired: HostNetState) -> None:
        """Refuse what cannot be applied, before anything changes (400 with a stable code)."""
        if not isinstance(desired, dict) or not isinstance(desired.get("networks"), dict):
            raise AgentError("BAD_REQUEST", "desired must carry networks and bonds")
        desired.setdefault("bonds", {})
        nics = self.backend.nic_names()
        used: dict[str, str] = {}
        for name, bond_spec in desired["bonds"].items():
            if not NAME_RE.match(name):
                raise AgentError("BAD_REQUEST", f"bad bond name {name!r}")
            if bond_spec.get("mode") not in self.backend.supported_bond_modes():
                raise AgentError("UNSUPPORTED_BOND_MODE", f"bond {name}: mode {bond_spec.get('mode')!r} "
                                 f"is not supported (supported: {self.backend.supported_bond_modes()})")
            if not bond_spec.get("slaves"):
                raise AgentError("BAD_REQUEST", f"bond {name} has no slaves")
            for slave in bond_spec["slaves"]:
                if slave not in nics:
                    raise AgentError("NIC_NOT_FOUND", f"bond {name}: no NIC {slave} on this host")
                if slave in used:
                    raise AgentError("NIC_USED_TWICE", f"NIC {slave} used by {used[slave]} and bond {name}")
                used[slave] = f"bond {name}"
        tags: dict[tuple[str, int | None], str] = {}
        default_routes = 0
        for name, net in desired["networks"].items():
            if not NAME_RE.match(name) or name in nics or name in desired["bonds"]:
                raise AgentError("BAD_REQUEST", f"bad network name {name!r}")
            nic, bond = net.get("nic"), net.get("bond")
            if bool(nic) == bool(bond):
                raise AgentError("BAD_REQUEST", f"network {name}: exactly one of nic or bond is required")
            if bond and bond not in desired["bonds"]:
                raise AgentError("BAD_REQUEST", f"network {name}: bond {bond} is not in the desired bonds")
            if nic:
                if nic not in nics:
                    raise AgentError("NIC_NOT_FOUND", f"network {name}: no NIC {nic} on this host")
                if used.get(nic, "").startswith("bond"):
                    raise AgentError("NIC_USED_TWICE", f"NIC {nic} is used by {used[nic]} and network {name}")
            vlan = net.get("vlan") or None
            if vlan is not None and not 1 <= int(vlan) <= 4094:
                raise AgentError("BAD_REQUEST", f"network {name}: VLAN {vlan} out of range")
            key = (str(nic or bond), vlan)
            if key in tags:
                raise AgentError("BAD_REQUEST", f"networks {tags[key]} and {name} clash on {key[0]}")
            tags[key] = name
            default_routes += bool(net.get("default_route"))
        if default_routes > 1:
            raise AgentError("BAD_REQUEST", "at most one network may carry the default route")
        try:
            normalize_state(desired)
        except (ValueError, TypeError, KeyError) as exc:
            raise AgentError("BAD_REQUEST", f"bad network settings: {exc}") from exc

    # --- setup-networks ----------------------------------------------------------------------------------

    def setup_networks(self, request: dict[str, Any]) -> Operation:
        desired = request.get("desired")
        self.validate(desired)  # type: ignore[arg-type]
        if not self._busy.acquire(blocking=False):
            raise AgentError("HOST_BUSY", "another network operation is running", 409)
        op = Operation(id=uuid.uuid4().hex)
        self.operations[op.id] = op
        self._current = op
        thread = threading.Thread(target=self._run, name=f"op-{op.id[:8]}", daemon=True, args=(
            op, desired, bool(request.get("check_connectivity", True)),
            float(request.get("connectivity_timeout", 120)), bool(request.get("commit_on_success", False))))
        self._threads.append(thread)
        thread.start()
        return op

    def _run(self, op: Operation, desired: HostNetState, check: bool, timeout: float, commit: bool) -> None:
        try:
            self._run_steps(op, desired, check, timeout, commit)
        except Exception as exc:  # the thread must always end the operation and free the host
            log.exception("operation %s crashed", op.id)
            op.status, op.error = "failed", {"code": "APPLY_FAILED", "message": str(exc)}
        finally:
            op.step = "done"
            self._current = None
            self._busy.release()

    def _run_steps(self, op: Operation, desired: HostNetState, check: bool, timeout: float,
                   commit: bool) -> None:
        t0 = time.perf_counter()
        previous = self.store.running()
        op.changes = plan(self.backend.read_state(), desired)
        if op.changes:
            planned = time.perf_counter()
            self.store.set_pending(desired, previous)
            op.step = "apply"
            started = time.perf_counter()
            try:
                self.backend.apply(desired)
            except AgentError as exc:
                return self._rollback(op, previous, exc.code, exc.message)
            applied = time.perf_counter()
            op.step = "verify"
            mismatch = self._verify(desired)
            log.info("operation %s: %d changes planned in %.3f s, marked in %.3f s, applied in %.3f s, verified "
                     "in %.3f s", op.id, len(op.changes), planned - t0, started - planned, applied - started,
                     time.perf_counter() - applied)
            if mismatch:
                return self._rollback(op, previous, "VERIFY_FAILED", mismatch)
            op.applied_at = time.monotonic()
            if check:
                op.step = "confirm"
                if not self._wait_confirm(op, timeout):
                    return self._rollback(op, previous, "CONNECTIVITY_LOST",
                                          f"no confirm-connectivity within {timeout:g} s after apply")
        saved = time.perf_counter()
        self.store.set_running(desired)
        self._dirty = None
        self.store.clear_pending()
        log.info("operation %s: running state saved in %.3f s", op.id, time.perf_counter() - saved)
        if commit:
            op.step = "commit"
            self.store.commit()
            self._dirty = None
        op.status = "succeeded"

    def _verify(self, desired: HostNetState) -> str | None:
        """Read the host back until it matches ``desired``; the mismatch text if it never does."""
        want = normalize_state(desired)
        deadline = time.monotonic() + VERIFY_SECONDS
        while True:
            have = normalize_state(self.backend.read_state())
            if have == want:
                return None
            if time.monotonic() > deadline:
                diff = [f"{kind} {name}" for kind in ("networks", "bonds")
                        for name in set(want[kind]) | set(have[kind])
                        if want[kind].get(name) != have[kind].get(name)]
                return "host differs from desired state: " + ", ".join(sorted(diff))
            time.sleep(0.05)

    def _wait_confirm(self, op: Operation, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if op.confirmed_at is not None and op.applied_at is not None and op.confirmed_at > op.applied_at:
                return True
            time.sleep(0.05)
        return False

    def _rollback(self, op: Operation, previous: HostNetState, code: str, message: str) -> None:
        log.warning("operation %s: %s (%s); rolling back", op.id, code, message)
        op.error = {"code": code, "message": message}
        try:
            self.backend.apply(previous)
            op.status = "rolled_back"
        except Exception as exc:  # a failed rollback is reported, never hidden
            log.exception("rollback of %s failed", op.id)
            op.status = "failed"
            op.error["message"] += f"; rollback failed: {exc}"
        self.store.clear_pending()

    def operation(self, op_id: str) -> dict[str, Any]:
        op = self.operations.get(op_id)
        if op is None:
            raise AgentError("OPERATION_NOT_FOUND", f"no operation {op_id}", 404)
        return op.report(self.config_dirty())

    def confirm(self, op_id: str) -> None:
        op = self.operations.get(op_id)
        if op is None:
            raise AgentError("OPERATION_NOT_FOUND", f"no operation {op_id}", 404)
        op.confirmed_at = time.monotonic()

    def commit(self) -> bool:
        if not self._busy.acquire(blocking=False):
            raise AgentError("HOST_BUSY", "another network operation is running", 409)
        try:
            self.store.commit()
            self._dirty = None
        finally:
            self._busy.release()
        return self.config_dirty()

    # --- VMs ---------------------------------------------------------------------------------------------

    def _vm(self, vm_id: str) -> dict[str, Any]:
        vm = self.vms.running().get(vm_id)
        if vm is None:
            raise AgentError("VM_NOT_RUNNING", f"VM {vm_id} is not running", 409)
        return vm

    def vm_start(self, vm_id: str, name: str, nics: list[VnicSpec]) -> dict[str, Any]:
        self.vms.start(vm_id, name, nics, self.store.running())
        return self._vm(vm_id)

    def vm_stop(self, vm_id: str) -> dict[str, Any]:
        vm = self.vms.running().get(vm_id, {"id": vm_id, "name": None, "nics": []})
        self.vms.stop(vm_id)
        return {**vm, "nics": []}

    def vnic_plug(self, vm_id: str, nic: VnicSpec) -> dict[str, Any]:
        self.vms.plug(vm_id, nic, self.store.running())
        return self._vm(vm_id)

    def vnic_unplug(self, vm_id: str, nic_id: str) -> dict[str, Any]:
        self.vms.unplug(vm_id, nic_id)
        return self._vm(vm_id)

    def vnic_update(self, vm_id: str, nic_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        current = next((n for n in self._vm(vm_id)["nics"] if n["id"] == nic_id), None)
        if current is None:
            raise AgentError("VNIC_NOT_FOUND", f"vNIC {nic_id} is not plugged into VM {vm_id}", 404)
        nic: VnicSpec = {**current, **{k: v for k, v in patch.items() if k in ("linked", "network")}}  # type: ignore[typeddict-item]
        self.vms.update(vm_id, nic, self.store.running())
        return self._vm(vm_id)

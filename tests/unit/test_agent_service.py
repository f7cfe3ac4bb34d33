"""The agent's apply → verify → confirm → commit / rollback orchestration, on an in-memory host backend."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lognet.agent import service as service_module
from lognet.agent.errors import AgentError
from lognet.agent.persist import StateStore
from lognet.agent.service import AgentService, Operation
from lognet.protocol import HostNetState, NetworkState, VnicSpec


def net(nic: str, vlan: int | None = None, address: str | None = None) -> NetworkState:
    ipv4: Any = {"boot_protocol": "none"}
    if address:
        ipv4 = {"boot_protocol": "static", "address": address, "netmask": "24", "gateway": None}
    return {"nic": nic, "vlan": vlan, "mtu": 1500, "bridged": True, "ipv4": ipv4,
            "ipv6": {"boot_protocol": "none"}, "default_route": False}


BASE: HostNetState = {"networks": {"mgmt": net("eth0", address="10.0.0.11")}, "bonds": {}}
MORE: HostNetState = {"networks": {**BASE["networks"], "red": net("eth1", 10)}, "bonds": {}}


class FakeBackend:
    """A host whose state is a dict; it can fail an apply or misreport what it carries."""

    name = "fake"

    def __init__(self, state: HostNetState | None = None) -> None:
        self.state: HostNetState = copy.deepcopy(state or {"networks": {}, "bonds": {}})
        self.applied: list[HostNetState] = []
        self.fail_apply: int = 0  # how many of the next applies raise
        self.hide: str | None = None  # a network the host silently fails to carry (read back without it)

    def supported_bond_modes(self) -> list[str]:
        return ["active-backup"]

    def features(self) -> list[str]:
        return []

    def inventory(self) -> dict[str, Any]:
        return {"nics": [], "bonds": [], "vlans": [], "unmanaged": []}

    def nic_names(self) -> set[str]:
        return {"eth0", "eth1", "eth2", "eth3"}

    def read_state(self) -> HostNetState:
        state = copy.deepcopy(self.state)
        if self.hide:
            state["networks"].pop(self.hide, None)
        return state

    def apply(self, desired: HostNetState) -> None:
        self.applied.append(copy.deepcopy(desired))
        if self.fail_apply:
            self.fail_apply -= 1
            self.state["networks"].pop("mgmt", None)  # a half-done apply
            raise AgentError("APPLY_FAILED", "switch said no", 500)
        self.state = copy.deepcopy(desired)

    def close(self) -> None:
        pass


class FakeVms:
    def __init__(self) -> None:
        self.stopped_all = 0

    def start(self, vm_id: str, name: str, nics: list[VnicSpec], networks: HostNetState) -> None:
        pass

    def stop(self, vm_id: str) -> None:
        pass

    def plug(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None:
        pass

    def unplug(self, vm_id: str, nic_id: str) -> None:
        pass

    def update(self, vm_id: str, nic: VnicSpec, networks: HostNetState) -> None:
        pass

    def running(self) -> dict[str, dict[str, Any]]:
        return {}

    def stop_all(self) -> None:
        self.stopped_all += 1


Make = Callable[..., AgentService]


@pytest.fixture()
def make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    monkeypatch.setattr(service_module, "VERIFY_SECONDS", 0.2)

    def _make(backend: FakeBackend | None = None) -> AgentService:
        """An agent whose running and committed state is BASE."""
        store = StateStore(tmp_path / "state")
        store.set_running(BASE)
        store.commit()
        svc = AgentService(backend or FakeBackend(BASE), FakeVms(), store, "h1", tmp_path / "run")
        return svc

    yield _make


def setup(svc: AgentService, desired: HostNetState, check: bool = False, timeout: float = 5,
          commit: bool = False) -> Operation:
    return svc.setup_networks({"desired": copy.deepcopy(desired), "check_connectivity": check,
                               "connectivity_timeout": timeout, "commit_on_success": commit})


def finish(svc: AgentService, op: Operation, confirm: bool = False) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if confirm and op.step == "confirm":
            svc.confirm(op.id)
        report = svc.operation(op.id)
        if report["status"] != "running":
            return report
        time.sleep(0.01)
    raise AssertionError("operation did not end")


def backend_of(svc: AgentService) -> FakeBackend:
    assert isinstance(svc.backend, FakeBackend)
    return svc.backend


def test_a_successful_apply_becomes_the_running_state_and_is_dirty_until_committed(make: Make) -> None:
    svc = make()
    report = finish(svc, setup(svc, MORE))
    assert report["status"] == "succeeded" and report["error"] is None
    assert report["changes"] == [{"action": "add", "kind": "network", "name": "red"}]
    assert backend_of(svc).state == MORE
    assert svc.store.running() == MORE and svc.store.pending() is None
    assert report["config_dirty"] is True
    assert svc.commit() is False and svc.store.safe() == MORE


def test_commit_on_success_makes_it_safe(make: Make) -> None:
    svc = make()
    report = finish(svc, setup(svc, MORE, commit=True))
    assert report["status"] == "succeeded" and report["config_dirty"] is False
    assert svc.store.safe() == MORE


def test_the_same_state_again_is_an_empty_plan_that_touches_nothing(make: Make) -> None:
    svc = make()
    report = finish(svc, setup(svc, BASE, check=True, timeout=0.1))
    assert report["status"] == "succeeded" and report["changes"] == []
    assert backend_of(svc).applied == []  # nor does it wait for a confirmation: nothing could break


def test_a_failed_apply_is_rolled_back_to_the_previous_running_state(make: Make) -> None:
    backend = FakeBackend(BASE)
    backend.fail_apply = 1
    svc = make(backend)
    report = finish(svc, setup(svc, MORE))
    assert report["status"] == "rolled_back"
    assert report["error"]["code"] == "APPLY_FAILED"
    assert backend.applied == [MORE, BASE] and backend.state == BASE
    assert svc.store.running() == BASE and svc.store.pending() is None


def test_a_host_that_does_not_carry_what_it_was_told_fails_verification(make: Make) -> None:
    backend = FakeBackend(BASE)
    backend.hide = "red"
    svc = make(backend)
    report = finish(svc, setup(svc, MORE))
    assert report["status"] == "rolled_back"
    assert report["error"]["code"] == "VERIFY_FAILED" and "red" in report["error"]["message"]
    assert backend.state == BASE and svc.store.running() == BASE


def test_no_confirmation_within_the_timeout_rolls_back(make: Make) -> None:
    svc = make()
    started = time.monotonic()
    report = finish(svc, setup(svc, MORE, check=True, timeout=0.3))
    assert report["status"] == "rolled_back" and report["error"]["code"] == "CONNECTIVITY_LOST"
    assert 0.3 <= time.monotonic() - started < 5
    assert backend_of(svc).state == BASE and svc.store.running() == BASE


def test_a_confirmation_after_the_apply_keeps_the_change(make: Make) -> None:
    svc = make()
    report = finish(svc, setup(svc, MORE, check=True, timeout=5), confirm=True)
    assert report["status"] == "succeeded" and backend_of(svc).state == MORE


def test_a_confirmation_sent_before_the_apply_finished_does_not_count(make: Make) -> None:
    svc = make()
    op = setup(svc, MORE, check=True, timeout=0.3)
    svc.confirm(op.id)  # the engine confirms from the start; only calls after apply prove connectivity
    report = finish(svc, op)
    assert report["status"] == "rolled_back" and report["error"]["code"] == "CONNECTIVITY_LOST"


def test_one_network_operation_at_a_time(make: Make) -> None:
    svc = make()
    op = setup(svc, MORE, check=True, timeout=5)
    with pytest.raises(AgentError) as exc:
        setup(svc, BASE)
    assert exc.value.code == "HOST_BUSY" and exc.value.status == 409
    with pytest.raises(AgentError) as exc:
        svc.commit()
    assert exc.value.code == "HOST_BUSY"
    assert finish(svc, op, confirm=True)["status"] == "succeeded"


def test_invalid_states_are_refused_before_anything_changes(make: Make) -> None:
    svc = make()
    bad_mode: HostNetState = {"networks": {}, "bonds": {"bond0": {"slaves": ["eth1", "eth2"], "mode": "balance-rr"}}}
    unknown_nic: HostNetState = {"networks": {"red": net("eth9")}, "bonds": {}}
    twice: HostNetState = {"networks": {"red": net("eth1"), "blue": net("eth1")}, "bonds": {}}
    for desired, code in ((bad_mode, "UNSUPPORTED_BOND_MODE"), (unknown_nic, "NIC_NOT_FOUND"),
                          (twice, "BAD_REQUEST")):
        with pytest.raises(AgentError) as exc:
            setup(svc, desired)
        assert exc.value.code == code
    assert backend_of(svc).applied == [] and svc.operations == {}


def test_boot_brings_the_host_to_its_committed_state_and_a_restart_to_its_running_one(make: Make) -> None:
    backend = FakeBackend(MORE)  # the host came up carrying an uncommitted change
    svc = make(backend)
    svc.store.set_running(MORE)
    assert svc.boot() == "safe"
    assert backend.state == BASE and svc.store.running() == BASE
    assert isinstance(svc.vms, FakeVms) and svc.vms.stopped_all == 1
    # The agent alone restarts (same boot: the run dir's marker is there) in the middle of an apply.
    svc.store.set_running(MORE)
    backend.state = copy.deepcopy(MORE)
    svc.store.set_pending({"networks": {}, "bonds": {}}, MORE)
    backend.state["networks"].pop("red")  # the apply was half done
    assert svc.boot() == "running"
    assert backend.state == MORE and svc.store.pending() is None

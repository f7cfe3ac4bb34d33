"""Setup-networks rules (pure): each rule's error code, and a valid merge."""

from __future__ import annotations

import itertools

import pytest

from lognet.domain.errors import Conflict, InvalidInput, LognetError, NotFound
from lognet.domain.hostnet import (
    AttachmentSpec,
    BondSpec,
    HostFacts,
    HostNetworkConfig,
    NetworkInfo,
    SetupRequest,
    host_state,
    plan_setup,
    state_diff,
    sync_differences,
)

NONE = {"boot_protocol": "none"}


def net(name: str, vlan: int | None = None, mtu: int = 1500, vm: bool = True, **kw: object) -> NetworkInfo:
    return NetworkInfo(id=f"id-{name}", name=name, host_name=name, vlan=vlan, mtu=mtu, vm_network=vm, **kw)  # type: ignore[arg-type]


NETS = {n.id: n for n in [
    net("mgmt", management=True, default_route=True), net("red", 10), net("blue", 20), net("plain"),
    net("plain2"), net("jumbo", 30, mtu=9000), net("store", 40, vm=False), net("outside", 50, in_cluster=False),
    net("display", 60, role=True),
]}


def facts(**kw: object) -> HostFacts:
    base = {"nics": frozenset({"eth0", "eth1", "eth2", "eth3"}), "networks": NETS}
    base.update(kw)
    return HostFacts(**base)  # type: ignore[arg-type]


def current() -> HostNetworkConfig:
    return HostNetworkConfig({"a-mgmt": AttachmentSpec("a-mgmt", "id-mgmt", "eth0", NONE, NONE)}, {})


def plan(req: SetupRequest, cur: HostNetworkConfig | None = None, **kw: object):  # type: ignore[no-untyped-def]
    ids = (f"new{i}" for i in itertools.count())
    return plan_setup(cur or current(), facts(**kw), req, lambda: next(ids))


def att(network: str, nic: str, **kw: object) -> dict[str, object]:
    return {"network": network, "nic": nic, **kw}


def expect(code: str, cls: type[LognetError], req: SetupRequest, cur: HostNetworkConfig | None = None,
           **kw: object) -> LognetError:
    before = cur or current()
    snapshot = (dict(before.attachments), dict(before.bonds))
    with pytest.raises(cls) as info:
        plan(req, before, **kw)
    assert info.value.code == code, info.value
    assert (before.attachments, before.bonds) == snapshot  # nothing changed
    return info.value


def test_attach_vlans_and_bond_merge() -> None:
    req = SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "1"}],
                       modified_network_attachments=[att("red", "bond0"), att("blue", "bond0"), att("plain", "bond0")])
    result = plan(req)
    assert result.desired.bonds["bond0"] == BondSpec("bond0", ("eth1", "eth2"), "active-backup")
    assert {a.network_id for a in result.desired.attachments.values()} == {"id-mgmt", "id-red", "id-blue", "id-plain"}
    state = host_state(result.desired, NETS)
    assert state["networks"]["red"] == {"vlan": 10, "mtu": 1500, "bridged": True, "ipv4": NONE, "ipv6": NONE,
                                        "default_route": False, "bond": "bond0"}
    assert state["networks"]["mgmt"]["default_route"] is False  # no gateway: nothing to route through


def test_default_route_network_with_a_gateway_carries_the_default_route() -> None:
    ip = {"ipv4": {"boot_protocol": "static", "address": "10.1.0.5", "netmask": "24", "gateway": "10.1.0.1"}}
    result = plan(SetupRequest(modified_network_attachments=[att("mgmt", "eth0", ip_configuration=ip)]))
    state = host_state(result.desired, NETS)
    assert state["networks"]["mgmt"]["default_route"] is True
    assert state["networks"]["mgmt"]["ipv4"]["netmask"] == "255.255.255.0"


def test_default_bond_mode_is_802_3ad() -> None:
    result = plan(SetupRequest(modified_bonds=[{"name": "bond1", "slaves": ["eth1", "eth2"]}]))
    assert result.desired.bonds["bond1"].mode == "802.3ad"


def test_attaching_an_attached_network_moves_it() -> None:
    result = plan(SetupRequest(modified_network_attachments=[att("mgmt", "eth3")]))
    assert result.desired.attachments["a-mgmt"].nic == "eth3"


@pytest.mark.parametrize(("req", "code", "cls"), [
    (SetupRequest(modified_network_attachments=[att("plain", "eth0")]), "NIC_HAS_UNTAGGED_NETWORK", Conflict),
    (SetupRequest(modified_network_attachments=[att("jumbo", "eth0")]), "NETWORK_MTU_DIFFERENCES", Conflict),
    (SetupRequest(modified_network_attachments=[att("nope", "eth1")]), "NETWORK_NOT_FOUND", NotFound),
    (SetupRequest(modified_network_attachments=[att("outside", "eth1")]), "NETWORK_NOT_IN_CLUSTER", Conflict),
    (SetupRequest(modified_network_attachments=[att("red", "eth9")]), "NIC_NOT_FOUND", InvalidInput),
    (SetupRequest(modified_network_attachments=[{"network": "red"}]), "NIC_REQUIRED", InvalidInput),
    (SetupRequest(modified_network_attachments=[{"nic": "eth1"}]), "NETWORK_REQUIRED", InvalidInput),
    (SetupRequest(modified_network_attachments=[att("display", "eth1")]), "ROLE_NETWORK_NEEDS_IP", InvalidInput),
    (SetupRequest(modified_network_attachments=[att("red", "eth1", ip_configuration={
        "ipv4": {"boot_protocol": "static", "address": "10.0.0.300", "netmask": "24"}})]),
     "IP_CONFIGURATION_INVALID", InvalidInput),
    (SetupRequest(modified_network_attachments=[att("red", "eth1", ip_configuration={
        "ipv4": {"boot_protocol": "static"}})]), "IP_CONFIGURATION_INVALID", InvalidInput),
    (SetupRequest(removed_network_attachments=["a-mgmt"]), "CANNOT_REMOVE_MANAGEMENT_NETWORK", Conflict),
    (SetupRequest(removed_network_attachments=["nope"]), "ATTACHMENT_NOT_FOUND", NotFound),
    (SetupRequest(modified_network_attachments=[{"id": "nope", "nic": "eth1"}]), "ATTACHMENT_NOT_FOUND", NotFound),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1"]}]), "BOND_NEEDS_TWO_SLAVES", InvalidInput),
    (SetupRequest(modified_bonds=[{"name": "team0", "slaves": ["eth1", "eth2"]}]), "BOND_NAME_INVALID",
     InvalidInput),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "9"}]),
     "BOND_MODE_INVALID", InvalidInput),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth7"]}]), "NIC_NOT_FOUND", InvalidInput),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth0", "eth1"]}]), "SLAVE_CARRIES_NETWORK",
     Conflict),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"]},
                                  {"name": "bond1", "slaves": ["eth2", "eth3"]}]), "SLAVE_REFERENCED_TWICE", Conflict),
    (SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "balance-rr"}],
                  modified_network_attachments=[att("red", "bond0")]), "BOND_MODE_INVALID_FOR_VM_NETWORK", Conflict),
    (SetupRequest(removed_bonds=["bond9"]), "BOND_NOT_FOUND", NotFound),
])
def test_setup_rules(req: SetupRequest, code: str, cls: type[LognetError]) -> None:
    expect(code, cls, req)


def test_non_vm_network_is_fine_on_balance_rr() -> None:
    req = SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": 0}],
                       modified_network_attachments=[att("store", "bond0")])
    assert plan(req).desired.bonds["bond0"].mode == "balance-rr"


def test_unsupported_bond_mode_is_a_validation_error() -> None:
    req = SetupRequest(modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "balance-alb"}])
    err = expect("BOND_MODE_NOT_SUPPORTED", InvalidInput, req,
                 supported_bond_modes=frozenset({"active-backup", "802.3ad"}))
    assert "802.3ad" in err.message


def with_bond() -> HostNetworkConfig:
    cfg = current()
    cfg.bonds["bond0"] = BondSpec("bond0", ("eth1", "eth2"), "active-backup")
    cfg.attachments["a-red"] = AttachmentSpec("a-red", "id-red", "bond0", NONE, NONE)
    return cfg


def test_bond_in_use_cannot_be_removed() -> None:
    expect("BOND_IN_USE", Conflict, SetupRequest(removed_bonds=["bond0"]), with_bond())


def test_bond_removed_with_its_networks() -> None:
    result = plan(SetupRequest(removed_bonds=["bond0"], removed_network_attachments=["a-red"]), with_bond())
    assert result.desired.bonds == {} and set(result.desired.attachments) == {"a-mgmt"}


def test_bond_updated_and_removed() -> None:
    req = SetupRequest(removed_bonds=["bond0"], modified_bonds=[{"name": "bond0", "slaves": ["eth1", "eth3"]}])
    expect("BOND_UPDATED_AND_REMOVED", InvalidInput, req, with_bond())


def test_nic_already_in_another_bond() -> None:
    req = SetupRequest(modified_bonds=[{"name": "bond1", "slaves": ["eth2", "eth3"]}])
    expect("NIC_ALREADY_IN_BOND", Conflict, req, with_bond())


def test_network_used_by_running_vm_cannot_be_removed() -> None:
    err = expect("NETWORK_USED_BY_RUNNING_VMS", Conflict, SetupRequest(removed_network_attachments=["a-red"]),
                 with_bond(), running_vms_by_network={"id-red": ["vm7"]})
    assert "vm7" in err.message


def test_out_of_sync_needs_sync() -> None:
    req = SetupRequest(modified_network_attachments=[{"id": "a-red", "nic": "eth3"}])
    oos = {"a-red": ["mtu: host 1400, expected 1500"]}
    err = expect("NETWORK_NOT_IN_SYNC", Conflict, req, with_bond(), out_of_sync=oos)
    assert "mtu" in err.message
    req.synchronized_network_attachments = ["a-red"]
    assert plan(req, with_bond(), out_of_sync=oos).desired.attachments["a-red"].nic == "eth3"


def test_cannot_change_network_of_attachment() -> None:
    req = SetupRequest(modified_network_attachments=[{"id": "a-red", "network": "blue"}])
    expect("CANNOT_CHANGE_ATTACHED_NETWORK", InvalidInput, req, with_bond())


def test_attachment_in_both_lists() -> None:
    req = SetupRequest(modified_network_attachments=[{"id": "a-red", "nic": "eth3"}],
                       removed_network_attachments=["a-red"])
    expect("ATTACHMENT_IN_BOTH_LISTS", InvalidInput, req, with_bond())


def test_state_diff_and_sync_differences() -> None:
    desired = host_state(with_bond(), NETS)
    assert state_diff(desired, desired) == []
    changes = state_diff({"networks": {}, "bonds": {}}, desired)
    assert [(c["action"], c["kind"], c["name"]) for c in changes] == [
        ("add", "bond", "bond0"), ("add", "network", "mgmt"), ("add", "network", "red")]
    reported = dict(desired["networks"]["red"], mtu=1400)
    diffs = {d["name"]: d for d in sync_differences(desired["networks"]["red"], reported)}  # type: ignore[arg-type]
    assert not diffs["mtu"]["in_sync"] and diffs["vlan"]["in_sync"]
    assert sync_differences(desired["networks"]["red"], None)[0]["name"] == "present"


def test_netmask_forms_compare_equal() -> None:
    desired = host_state(current(), NETS)["networks"]["mgmt"]
    a = dict(desired, ipv4={"boot_protocol": "static", "address": "10.1.0.5", "netmask": "255.255.255.0"})
    b = dict(desired, ipv4={"boot_protocol": "static", "address": "10.1.0.5", "netmask": "24", "gateway": None})
    assert all(d["in_sync"] for d in sync_differences(a, b))  # type: ignore[arg-type]

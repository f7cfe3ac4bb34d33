"""Reading a host's desired state and the facts its rules need out of the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.domain.hostnet import (
    AttachmentSpec,
    BondSpec,
    HostFacts,
    HostNetworkConfig,
    NetworkInfo,
    host_state,
    sync_differences,
)
from lognet.domain.values import effective_mtu
from lognet.protocol import BOND_MODE_NUMBERS
from lognet.service import views
from lognet.service.networks import cluster_links
from lognet.service.uow import UnitOfWork


def network_infos(uow: UnitOfWork, cluster: orm.Cluster) -> dict[str, NetworkInfo]:
    """Every network of the cluster's data center, with its roles in that cluster."""
    links = {link.network_id: link for link in cluster_links(uow, cluster.id)}
    roles = views.effective_roles(list(links.values()))
    out = {}
    for net in uow.session.scalars(select(orm.Network).filter_by(datacenter_id=cluster.datacenter_id)):
        link = links.get(net.id)
        flags = roles.get(net.id, {})
        out[net.id] = NetworkInfo(
            id=net.id, name=net.name, host_name=net.host_name, vlan=net.vlan or None, mtu=effective_mtu(net.mtu),
            vm_network=net.vm_network, in_cluster=link is not None, management=flags.get("management", False),
            default_route=flags.get("default_route", False),
            role=bool(link and (link.display or link.migration or link.default_route)))
    return out


def desired_config(uow: UnitOfWork, host_id: str) -> HostNetworkConfig:
    atts = uow.session.scalars(select(orm.NetworkAttachment).filter_by(host_id=host_id))
    bonds = uow.session.scalars(select(orm.HostBond).filter_by(host_id=host_id))
    return HostNetworkConfig(
        {a.id: AttachmentSpec(a.id, a.network_id, a.nic, dict(a.ipv4 or {"boot_protocol": "none"}),
                              dict(a.ipv6 or {"boot_protocol": "none"})) for a in atts},
        {b.name: BondSpec(b.name, tuple(b.slaves), b.mode) for b in bonds})


def sync_report(config: HostNetworkConfig, networks: dict[str, NetworkInfo],
                reported: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per attachment id: oVirt's reported configurations (expected vs actual, per property)."""
    state = host_state(config, networks)
    reported_nets = reported.get("networks", {})
    out = {}
    for att in config.attachments.values():
        name = networks[att.network_id].host_name
        out[att.id] = sync_differences(state["networks"][name], reported_nets.get(name))
    return out


def running_vms_by_network(uow: UnitOfWork, host_id: str) -> dict[str, list[str]]:
    rows = uow.session.execute(
        select(orm.Vnic.network_id, orm.Vm.name).join(orm.Vm, orm.Vnic.vm_id == orm.Vm.id).filter(
            orm.Vm.host_id == host_id, orm.Vm.status == "up", orm.Vnic.plugged.is_(True),
            orm.Vnic.network_id.is_not(None)))
    out: dict[str, list[str]] = {}
    for net_id, vm_name in rows:
        assert net_id is not None
        out.setdefault(net_id, [])
        if vm_name not in out[net_id]:
            out[net_id].append(vm_name)
    return out


def host_facts(uow: UnitOfWork, host: orm.Host, config: HostNetworkConfig) -> HostFacts:
    cluster = uow.session.get(orm.Cluster, host.cluster_id)
    assert cluster is not None
    networks = network_infos(uow, cluster)
    reported = host.reported or {}
    report = sync_report(config, networks, reported)
    out_of_sync = {att_id: [f"{d['name']}: host {d['actual']!r}, expected {d['expected']!r}"
                            for d in diffs if not d["in_sync"]] for att_id, diffs in report.items()}
    modes = reported.get("supported_bond_modes")
    return HostFacts(
        nics=frozenset(n["name"] for n in reported.get("nics", [])), networks=networks,
        running_vms_by_network=running_vms_by_network(uow, host.id),
        out_of_sync={k: v for k, v in out_of_sync.items() if v},
        supported_bond_modes=frozenset(modes) if modes else frozenset(BOND_MODE_NUMBERS))


def compliance_status(uow: UnitOfWork, host: orm.Host) -> str:
    """``up``, or ``non_operational`` when the host lacks a required network of its cluster."""
    reported = (host.reported or {}).get("networks", {})
    for link in cluster_links(uow, host.cluster_id):
        if link.required:
            net = uow.session.get(orm.Network, link.network_id)
            if net is not None and net.host_name not in reported:
                return "non_operational"
    return "up"

"""Demo content for ``lognet serve --demo``, created through the service layer (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.domain.errors import LognetError
from lognet.service import hosts, jobs, networks, setup, vms, vnics
from lognet.service.app import Lognet
from lognet.service.uow import Actor, UnitOfWork

DEMO = Actor("demo", "admin")
MARKER = "demo-host1"
HOSTS = ("demo-host1", "demo-host2")
NETWORKS = [
    {"name": "prod", "vlan": 100, "description": "Production VM traffic"},
    {"name": "storage", "vlan": 200, "mtu": 9000, "vm_network": False, "description": "Storage (jumbo frames)"},
    {"name": "dev", "vlan": 300, "description": "Development VMs"},
]


def is_seeded(app: Lognet) -> bool:
    with UnitOfWork(app.db, write=False) as uow:
        return uow.session.scalar(select(orm.Host.id).filter_by(name=MARKER)) is not None


def _setup(app: Lognet, host: str, request: dict[str, Any]) -> None:
    job = setup.setup_networks(app, DEMO, host, {**request, "commit_on_success": True})
    done = jobs.wait_job(app, job["id"], timeout=60)
    if done["status"] != "succeeded":
        error = done.get("error") or {}
        raise LognetError(str(error.get("code", "DEMO_FAILED")), f"demo setup of {host}: {error.get('message')}")


def seed_demo(app: Lognet) -> bool:
    """Create the demo data center content; returns False (doing nothing) when it exists already."""
    if is_seeded(app):
        return False
    for net in NETWORKS:
        networks.add_network(app, DEMO, net)
        networks.attach_network(app, DEMO, "Default", {"network": net["name"], "required": False})
    for index, name in enumerate(HOSTS, start=1):
        hosts.add_host(app, DEMO, {"name": name, "simulated": {"nics": 4}})
        mgmt_ip = {"ipv4": {"boot_protocol": "static", "address": f"192.0.2.{10 + index}", "netmask": "24",
                            "gateway": "192.0.2.1"}}
        request: dict[str, Any] = {
            "modified_bonds": [{"name": "bond0", "slaves": ["eth1", "eth2"], "mode": "active-backup"}],
            "modified_network_attachments": [
                {"network": "mgmt", "nic": "eth0", "ip_configuration": mgmt_ip},
                {"network": "prod", "nic": "bond0"},
                {"network": "dev", "nic": "bond0"},
                {"network": "storage", "nic": "eth3",
                 "ip_configuration": {"ipv4": {"boot_protocol": "static", "address": f"198.51.100.{10 + index}",
                                               "netmask": "24"}}},
            ]}
        _setup(app, name, request)
    vms.add_template(app, DEMO, {"name": "web-template", "description": "Web server with front and back vNICs"})
    vnics.add_template_vnic(app, DEMO, "web-template", {"name": "nic1", "network": "prod"})
    vnics.add_template_vnic(app, DEMO, "web-template", {"name": "nic2", "network": "dev", "interface": "e1000"})
    vms.add_vm(app, DEMO, {"name": "web1", "template": "web-template"})
    vms.add_vm(app, DEMO, {"name": "web2", "template": "web-template"})
    vms.start_vm(app, DEMO, "web1", {"host": HOSTS[0]})
    return True

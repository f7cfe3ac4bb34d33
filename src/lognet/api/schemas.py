"""Request bodies of the native API (pydantic). Rules beyond shape live in the domain and services."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def data(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, by_alias=True)


class Login(Body):
    username: str
    password: str


class UserCreate(Body):
    username: str
    password: str
    role: Literal["admin", "viewer"] = "viewer"


class UserUpdate(Body):
    password: str | None = None
    role: Literal["admin", "viewer"] | None = None


class DataCenterBody(Body):
    name: str | None = None
    description: str | None = None


class MacRange(Body):
    from_: str = Field(alias="from")
    to: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MacPoolBody(Body):
    name: str | None = None
    description: str | None = None
    ranges: list[MacRange] | None = None
    allow_duplicates: bool | None = None
    default_pool: bool | None = None


class ClusterBody(Body):
    name: str | None = None
    description: str | None = None
    datacenter: str | None = None
    mac_pool: str | None = None
    management_network: str | None = None


class NetworkBody(Body):
    name: str | None = None
    description: str | None = None
    datacenter: str | None = None
    vlan: int | None = None
    mtu: int | None = None
    vm_network: bool | None = None
    stp: bool | None = None


class ClusterNetworkBody(Body):
    network: str | None = None
    required: bool | None = None
    management: bool | None = None
    display: bool | None = None
    migration: bool | None = None
    default_route: bool | None = None


class SimulatedSpec(Body):
    nics: int = 4
    fail_step: Literal["apply", "verify", "connectivity"] | None = None
    drift: dict[str, dict[str, Any]] | None = None
    reboot: bool | None = None


class HostCreate(Body):
    name: str
    cluster: str | None = None
    agent_url: str | None = None
    secret: str | None = None
    simulated: SimulatedSpec | None = None


class HostUpdate(Body):
    name: str | None = None
    status: Literal["maintenance", "up"] | None = None
    simulated: SimulatedSpec | None = None


class SetupOptions(Body):
    check_connectivity: bool | None = None
    connectivity_timeout: int | None = None
    commit_on_success: bool | None = None
    dry_run: bool | None = None


class IpConfig(Body):
    model_config = ConfigDict(extra="forbid")
    ipv4: dict[str, Any] | None = None
    ipv6: dict[str, Any] | None = None


class AttachmentItem(Body):
    id: str | None = None
    network: str | None = None
    nic: str | None = None
    ip_configuration: IpConfig | None = None


class BondItem(Body):
    name: str
    slaves: list[str] | None = None
    mode: str | int | None = None


class SetupNetworksBody(SetupOptions):
    modified_network_attachments: list[AttachmentItem] = []
    removed_network_attachments: list[str] = []
    modified_bonds: list[BondItem] = []
    removed_bonds: list[str] = []
    synchronized_network_attachments: list[str] = []


class AttachmentCreate(SetupOptions):
    network: str
    nic: str
    ip_configuration: IpConfig | None = None


class AttachmentUpdate(SetupOptions):
    nic: str | None = None
    ip_configuration: IpConfig | None = None
    sync: bool | None = None


class BondCreate(SetupOptions):
    name: str
    slaves: list[str]
    mode: str | int | None = None


class TemplateBody(Body):
    name: str | None = None
    description: str | None = None
    cluster: str | None = None


class VmBody(Body):
    name: str | None = None
    description: str | None = None
    cluster: str | None = None
    template: str | None = None


class VnicBody(Body):
    name: str | None = None
    mac: str | None = None
    interface: str | None = None
    network: str | None = None
    linked: bool | None = None
    plugged: bool | None = None


class VmStart(Body):
    host: str | None = None

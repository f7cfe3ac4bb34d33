"""OpenStack-only attributes of lognet objects (migration 0002).

Networks stay lognet networks and ports stay vNICs: these tables only add what OpenStack clients see and
lognet itself has no notion of (projects, sharing, subnets and their IP allocations, tags, revisions).
A lognet object without a row here shows its defaults (project "admin", not shared, admin state up).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lognet.adapters.orm import Base, new_id, utcnow


class OsProject(Base):
    """A Keystone project: a tenant inside one data center."""

    __tablename__ = "os_projects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    datacenter_id: Mapped[str] = mapped_column(ForeignKey("datacenters.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OsTokenScope(Base):
    """The project a (lognet) API token was scoped to through Keystone."""

    __tablename__ = "os_token_scopes"
    token_hash: Mapped[str] = mapped_column(ForeignKey("tokens.token_hash", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("os_projects.id", ondelete="CASCADE"), index=True)


class OsNetwork(Base):
    __tablename__ = "os_networks"
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    physical_network: Mapped[str | None] = mapped_column(String(64), nullable=True)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    router_external: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)


class OsSubnet(Base):
    __tablename__ = "os_subnets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    cidr: Mapped[str] = mapped_column(String(64))
    ip_version: Mapped[int] = mapped_column(Integer, default=4)
    gateway_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allocation_pools: Mapped[list[Any]] = mapped_column(JSON, default=list)
    dns_nameservers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    host_routes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ipv6 modes
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OsPort(Base):
    """Neutron attributes of a vNIC (a port). ``device_id`` holds only non-VM devices; a VM is ``vnics.vm_id``."""

    __tablename__ = "os_ports"
    vnic_id: Mapped[str] = mapped_column(ForeignKey("vnics.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[str] = mapped_column(String(255), default="")
    device_owner: Mapped[str] = mapped_column(String(255), default="")
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OsIpAllocation(Base):
    __tablename__ = "os_ip_allocations"
    subnet_id: Mapped[str] = mapped_column(ForeignKey("os_subnets.id", ondelete="CASCADE"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    vnic_id: Mapped[str] = mapped_column(ForeignKey("vnics.id", ondelete="CASCADE"), index=True)

"""Database tables (SQLAlchemy 2 declarative). Schema changes go through Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


def table(model: type[Base]) -> Table:
    """The Core table of a model, for the hot paths that write with (cached) Core statements."""
    return Base.metadata.tables[model.__tablename__]


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]


class DataCenter(Base):
    __tablename__ = "datacenters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MacPool(Base):
    __tablename__ = "mac_pools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    allow_duplicates: Mapped[bool] = mapped_column(Boolean, default=False)
    default_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    ranges: Mapped[list[Any]] = mapped_column(default=list)  # [{"from": mac, "to": mac}]
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # next offset to try, across all ranges
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cluster(Base):
    __tablename__ = "clusters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    datacenter_id: Mapped[str] = mapped_column(ForeignKey("datacenters.id"), index=True)
    mac_pool_id: Mapped[str] = mapped_column(ForeignKey("mac_pools.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Network(Base):
    __tablename__ = "networks"
    __table_args__ = (UniqueConstraint("datacenter_id", "name", name="uq_network_name_per_dc"),
                      Index("ix_networks_dc_host_name", "datacenter_id", "host_name"))  # the name-clash check
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    datacenter_id: Mapped[str] = mapped_column(ForeignKey("datacenters.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    vlan: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mtu: Mapped[int] = mapped_column(Integer, default=0)
    vm_network: Mapped[bool] = mapped_column(Boolean, default=True)
    stp: Mapped[bool] = mapped_column(Boolean, default=False)
    host_name: Mapped[str] = mapped_column(String(15))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NetworkCluster(Base):
    __tablename__ = "network_clusters"
    cluster_id: Mapped[str] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    management: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[bool] = mapped_column(Boolean, default=False)
    migration: Mapped[bool] = mapped_column(Boolean, default=False)
    default_route: Mapped[bool] = mapped_column(Boolean, default=False)


class Host(Base):
    __tablename__ = "hosts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    cluster_id: Mapped[str] = mapped_column(ForeignKey("clusters.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), default="up")
    agent_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    secret: Mapped[str] = mapped_column(String(128))
    simulated: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reported: Mapped[dict[str, Any]] = mapped_column(default=dict)  # last capabilities report
    config_dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    busy_job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HostBond(Base):
    """A bond of the host's desired state."""

    __tablename__ = "host_bonds"
    host_id: Mapped[str] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    slaves: Mapped[list[Any]] = mapped_column(default=list)
    mode: Mapped[str] = mapped_column(String(32))


class NetworkAttachment(Base):
    """A network on a host NIC or bond: the host's desired state."""

    __tablename__ = "network_attachments"
    __table_args__ = (UniqueConstraint("host_id", "network_id", name="uq_attachment_network_per_host"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    host_id: Mapped[str] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    nic: Mapped[str] = mapped_column(String(64))
    ipv4: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ipv6: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Template(Base):
    __tablename__ = "templates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    cluster_id: Mapped[str] = mapped_column(ForeignKey("clusters.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vm(Base):
    __tablename__ = "vms"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    cluster_id: Mapped[str] = mapped_column(ForeignKey("clusters.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("templates.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="down")
    host_id: Mapped[str | None] = mapped_column(ForeignKey("hosts.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vnic(Base):
    """A vNIC of a VM or of a template (exactly one of vm_id / template_id)."""

    __tablename__ = "vnics"
    __table_args__ = (
        UniqueConstraint("vm_id", "name", name="uq_vnic_name_per_vm"),
        UniqueConstraint("template_id", "name", name="uq_vnic_name_per_template"),
        Index("ix_vnic_pool_mac", "mac_pool_id", "mac"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vm_id: Mapped[str | None] = mapped_column(ForeignKey("vms.id", ondelete="CASCADE"), nullable=True, index=True)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"), nullable=True,
                                                    index=True)
    name: Mapped[str] = mapped_column(String(50))
    mac: Mapped[str | None] = mapped_column(String(17), nullable=True)
    mac_pool_id: Mapped[str | None] = mapped_column(ForeignKey("mac_pools.id"), nullable=True)
    interface: Mapped[str] = mapped_column(String(16), default="virtio")
    network_id: Mapped[str | None] = mapped_column(ForeignKey("networks.id"), nullable=True, index=True)
    linked: Mapped[bool] = mapped_column(Boolean, default=True)
    plugged: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    host_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    steps: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Event(Base):
    """The audit log: every change, who made it, and how it ended."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    object_name: Mapped[str] = mapped_column(String(256), default="")
    result: Mapped[str] = mapped_column(String(16), default="success")
    detail: Mapped[str] = mapped_column(Text, default="")

from lognet.adapters import orm_openstack as _orm_openstack  # noqa: E402,F401  (OpenStack tables, migration 0002)

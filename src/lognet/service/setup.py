"""Setup networks: one validated, atomic change of a host's networking, applied by its agent.

The delta is merged with the stored desired state and validated whole (``lognet.domain.hostnet``). The host
gets the full desired state; the engine keeps confirming connectivity while it applies; the database changes
only after the host succeeded. The shortcuts (attach/detach/update one network, add/remove one bond) are
one-item setup-networks requests.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from sqlalchemy import delete, select

from lognet.adapters import orm
from lognet.domain.errors import HostFailure, InvalidInput, invalid
from lognet.domain.hostnet import (
    HostNetworkConfig,
    NetworkInfo,
    SetupRequest,
    host_state,
    plan_setup,
    state_diff,
)
from lognet.protocol import HostNetState, SetupNetworksRequest
from lognet.service import jobs
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.hostfacts import compliance_status, desired_config, host_facts
from lognet.service.hosts import agent_call, lock_host, unlock_host
from lognet.service.ports import AgentClient, AgentError
from lognet.service.uow import Actor, UnitOfWork

MAX_TIMEOUT = 120
LIST_FIELDS = ("modified_network_attachments", "removed_network_attachments", "modified_bonds", "removed_bonds",
               "synchronized_network_attachments")
OPTION_FIELDS = ("check_connectivity", "connectivity_timeout", "commit_on_success", "dry_run")
USABLE_STATUSES = ("up", "maintenance", "non_operational")


def parse_request(body: dict[str, Any]) -> tuple[SetupRequest, dict[str, Any]]:
    """Split a setup-networks body into the delta and its options (with defaults), checking both."""
    unknown = set(body) - set(LIST_FIELDS) - set(OPTION_FIELDS)
    if unknown:
        raise invalid("UNKNOWN_FIELD", f"unknown field(s): {', '.join(sorted(unknown))}", sorted(unknown)[0])
    lists = {}
    for name in LIST_FIELDS:
        value = body.get(name) or []
        if not isinstance(value, list):
            raise invalid("FIELD_NOT_A_LIST", f"{name} must be a list", name)
        lists[name] = value
    timeout = body.get("connectivity_timeout", MAX_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        raise invalid("CONNECTIVITY_TIMEOUT_INVALID", f"connectivity_timeout must be 1–{MAX_TIMEOUT} seconds",
                      "connectivity_timeout")
    options = {"check_connectivity": bool(body.get("check_connectivity", True)), "connectivity_timeout": timeout,
               "commit_on_success": bool(body.get("commit_on_success", False)),
               "dry_run": bool(body.get("dry_run", False))}
    return SetupRequest(**lists), options


def _usable(host: orm.Host) -> None:
    if host.status not in USABLE_STATUSES:
        from lognet.domain.errors import Conflict
        raise Conflict("HOST_STATUS_ILLEGAL", f"host {host.name} is {host.status}; setup networks needs it up, "
                       "in maintenance or non-operational")


def setup_networks(app: Lognet, actor: Actor, host_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Validate a setup-networks delta; a dry run returns the computed state, otherwise a running job."""
    request, options = parse_request(body)
    if not options["dry_run"]:
        require_admin(actor)
    with UnitOfWork(app.db, actor, write=not options["dry_run"]) as uow:
        host = uow.get(orm.Host, host_ref, "host")
        _usable(host)
        current = desired_config(uow, host.id)
        facts = host_facts(uow, host, current)
        plan = plan_setup(current, facts, request, orm.new_id)
        desired = host_state(plan.desired, facts.networks)
        changes = state_diff(_reported_state(host), desired)
        if options["dry_run"]:
            return {"dry_run": True, "valid": True, "desired": desired, "changes": changes,
                    "attachments": _attachment_list(plan.desired, facts.networks)}
        job = jobs.create_job(uow, "setup_networks", host.id, ["validate", "apply", "confirm", "persist"])
        lock_host(uow, host, job.id)
        uow.event("host.setup_networks", host, f"job {job.id}: {len(changes)} change(s)", result="started")
        uow.commit()
        host_id, client = host.id, app.agents.client(host)
    payload: SetupNetworksRequest = {"desired": desired, "check_connectivity": options["check_connectivity"],
                                     "connectivity_timeout": options["connectivity_timeout"],
                                     "commit_on_success": options["commit_on_success"]}
    jobs.run_job(app, job.id, actor,
                 lambda rec: _apply(app, actor, rec, host_id, client, payload, plan.desired, changes),
                 on_finish=lambda: unlock_host(app, host_id, job.id))
    return jobs.get_job(app, job.id)


def _reported_state(host: orm.Host) -> HostNetState:
    reported = host.reported or {}
    return {"networks": reported.get("networks", {}),
            "bonds": {b["name"]: {"slaves": sorted(b["slaves"]), "mode": b["mode"]} for b in reported.get("bonds", [])}}


def _attachment_list(config: HostNetworkConfig, networks: dict[str, NetworkInfo]) -> list[dict[str, Any]]:
    return [{"id": a.id, "network": a.network_id, "network_name": networks[a.network_id].name, "nic": a.nic,
             "ip_configuration": {"ipv4": a.ipv4, "ipv6": a.ipv6}}
            for a in sorted(config.attachments.values(), key=lambda a: networks[a.network_id].name)]


def _apply(app: Lognet, actor: Actor, rec: jobs.JobRecorder, host_id: str, client: AgentClient,
           payload: SetupNetworksRequest, desired: HostNetworkConfig, changes: list[dict[str, Any]]) -> dict[str, Any]:
    rec.step("validate", "succeeded", f"{len(changes)} change(s)")
    rec.step("apply", detail="sending the desired state to the host")
    op = agent_call(lambda: _follow(app, rec, client, client.setup_networks(payload), payload))
    if op["status"] != "succeeded":
        error = op.get("error") or {"code": "HOST_SETUP_FAILED", "message": f"operation ended {op['status']}"}
        raise HostFailure(error["code"], f"host rolled back: {error['message']}", details={"operation": op})
    rec.step("persist")
    caps = agent_call(lambda: _capabilities(app, client))
    _persist(app, actor, host_id, desired, caps)
    rec.step("persist", "succeeded")
    return {"changes": changes, "config_dirty": bool(caps.get("config_dirty"))}


def _capabilities(app: Lognet, client: AgentClient, patience: float = 30.0) -> dict[str, Any]:
    """The host's capabilities after it succeeded, riding out the hiccups of its switch reconfiguring."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return client.capabilities()
        except AgentError as exc:
            if exc.code != "HOST_UNREACHABLE" or time.monotonic() >= deadline:
                raise
        time.sleep(app.settings.confirm_interval)


def _follow(app: Lognet, rec: jobs.JobRecorder, client: AgentClient, op_id: str,
            payload: SetupNetworksRequest) -> dict[str, Any]:
    """Poll the host's operation, confirming connectivity on every round, until it ends."""
    deadline = time.monotonic() + payload["connectivity_timeout"] + 60
    step = "apply"
    while True:
        if payload["check_connectivity"]:
            # A lost confirmation is exactly what the host's rollback is for.
            with contextlib.suppress(AgentError):
                client.confirm(op_id)
        try:
            op = client.operation(op_id)
        except AgentError as exc:
            if exc.code == "HOST_UNREACHABLE" and time.monotonic() < deadline:
                time.sleep(app.settings.confirm_interval)
                continue
            raise
        if op["step"] in ("confirm", "commit", "done") and step == "apply":
            rec.step("apply", "succeeded", f"{len(op.get('changes', []))} change(s) applied")
            step = "confirm"
            rec.step("confirm", detail="waiting for the host to confirm connectivity")
        if op["status"] != "running":
            if op["status"] == "succeeded":
                rec.step("confirm", "succeeded")
            return op
        if time.monotonic() > deadline:
            raise HostFailure("HOST_TIMEOUT", "the host did not finish in time")
        time.sleep(app.settings.confirm_interval)


def _persist(app: Lognet, actor: Actor, host_id: str, desired: HostNetworkConfig, caps: dict[str, Any]) -> None:
    with UnitOfWork(app.db, actor) as uow:
        host = uow.get(orm.Host, host_id, "host")
        s = uow.session
        s.execute(delete(orm.NetworkAttachment).filter(orm.NetworkAttachment.host_id == host_id,
                                                       orm.NetworkAttachment.id.not_in(list(desired.attachments))))
        s.execute(delete(orm.HostBond).filter(orm.HostBond.host_id == host_id,
                                              orm.HostBond.name.not_in(list(desired.bonds))))
        existing = {a.id: a for a in s.scalars(select(orm.NetworkAttachment).filter_by(host_id=host_id))}
        for spec in desired.attachments.values():
            row = existing.get(spec.id) or orm.NetworkAttachment(id=spec.id, host_id=host_id,
                                                                 network_id=spec.network_id)
            row.nic, row.ipv4, row.ipv6 = spec.nic, spec.ipv4, spec.ipv6
            s.add(row)
        bonds = {b.name: b for b in s.scalars(select(orm.HostBond).filter_by(host_id=host_id))}
        for bond in desired.bonds.values():
            brow = bonds.get(bond.name) or orm.HostBond(host_id=host_id, name=bond.name)
            brow.slaves, brow.mode = list(bond.slaves), bond.mode
            s.add(brow)
        host.reported = caps
        host.config_dirty = bool(caps.get("config_dirty"))
        host.refreshed_at = orm.utcnow()
        s.flush()
        if host.status != "maintenance":
            host.status = compliance_status(uow, host)
        uow.event("host.setup_networks.done", host)
        uow.commit()


# -- shortcuts: one-item setup networks -----------------------------------------------------------
def _options(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in OPTION_FIELDS if k in body}


def attach(app: Lognet, actor: Actor, host_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Attach a network to a NIC or bond of the host (or move it there)."""
    item = {k: body.get(k) for k in ("network", "nic", "ip_configuration") if body.get(k) is not None}
    return setup_networks(app, actor, host_ref, {"modified_network_attachments": [item], **_options(body)})


def _attachment_id(app: Lognet, host_ref: str, ref: str) -> str:
    with UnitOfWork(app.db, write=False) as uow:
        host = uow.get(orm.Host, host_ref, "host")
        att = uow.session.get(orm.NetworkAttachment, ref)
        if att is None or att.host_id != host.id:
            cluster = uow.get(orm.Cluster, host.cluster_id, "cluster")
            net = uow.session.scalar(select(orm.Network).filter_by(datacenter_id=cluster.datacenter_id, name=ref))
            att = uow.session.scalar(select(orm.NetworkAttachment).filter_by(host_id=host.id,
                                                                             network_id=net.id)) if net else None
        if att is None:
            from lognet.domain.errors import not_found
            raise not_found("attachment", ref)
        return att.id


def update_attachment(app: Lognet, actor: Actor, host_ref: str, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": _attachment_id(app, host_ref, ref)}
    item.update({k: body[k] for k in ("nic", "ip_configuration") if body.get(k) is not None})
    sync = [item["id"]] if body.get("sync") else []
    return setup_networks(app, actor, host_ref, {"modified_network_attachments": [item],
                                                 "synchronized_network_attachments": sync, **_options(body)})


def detach(app: Lognet, actor: Actor, host_ref: str, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    return setup_networks(app, actor, host_ref, {"removed_network_attachments": [_attachment_id(app, host_ref, ref)],
                                                 **_options(body)})


def add_bond(app: Lognet, actor: Actor, host_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    bond = {k: body.get(k) for k in ("name", "slaves", "mode") if body.get(k) is not None}
    if not bond.get("name"):
        raise InvalidInput("BOND_NAME_INVALID", "a bond needs a name")
    return setup_networks(app, actor, host_ref, {"modified_bonds": [bond], **_options(body)})


def remove_bond(app: Lognet, actor: Actor, host_ref: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    return setup_networks(app, actor, host_ref, {"removed_bonds": [name], **_options(body)})


def sync_all(app: Lognet, actor: Actor, host_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Push the logical definition of every out-of-sync network to the host (committed on success)."""
    with UnitOfWork(app.db, write=False) as uow:
        host = uow.get(orm.Host, host_ref, "host")
        facts = host_facts(uow, host, desired_config(uow, host.id))
        ids = sorted(facts.out_of_sync)
    return setup_networks(app, actor, host_ref, {"synchronized_network_attachments": ids,
                                                 "commit_on_success": True, **_options(body)})

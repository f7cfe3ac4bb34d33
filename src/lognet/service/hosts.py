"""Hosts: add, remove, refresh, commit, and what the engine knows of their NICs and attachments."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from lognet.adapters import orm
from lognet.domain.errors import Busy, Conflict, HostFailure, invalid
from lognet.domain.values import check_name
from lognet.service import jobs, views
from lognet.service.app import Lognet
from lognet.service.auth import require_admin
from lognet.service.hostfacts import compliance_status, desired_config, network_infos, sync_report
from lognet.service.naming import check_name_free
from lognet.service.networks import attachment_from_report
from lognet.service.ports import AgentClient, AgentError
from lognet.service.uow import Actor, UnitOfWork

MAX_SIMULATED_NICS = 512


def host_view(host: orm.Host, out_of_sync: bool = False) -> dict[str, Any]:
    reported = host.reported or {}
    return {"id": host.id, "name": host.name, "cluster": host.cluster_id, "status": host.status,
            "agent_url": host.agent_url, "simulated": host.simulated is not None,
            "backend": reported.get("backend"), "config_dirty": host.config_dirty, "out_of_sync": out_of_sync,
            "busy_job": host.busy_job_id, "nic_count": len(reported.get("nics", [])),
            "refreshed_at": views.timestamp(host.refreshed_at)}


def agent_error(exc: AgentError) -> HostFailure | Conflict:
    if exc.status == 409:
        return Busy(exc.code, exc.message) if exc.code == "HOST_BUSY" else Conflict(exc.code, exc.message)
    return HostFailure(exc.code, exc.message)


def agent_call(call: Callable[[], Any]) -> Any:
    """Run a call to a host agent, turning its errors into lognet errors."""
    try:
        return call()
    except AgentError as exc:
        raise agent_error(exc) from None


def host_out_of_sync(uow: UnitOfWork, host: orm.Host) -> bool:
    cluster = uow.session.get(orm.Cluster, host.cluster_id)
    assert cluster is not None
    report = sync_report(desired_config(uow, host.id), network_infos(uow, cluster), host.reported or {})
    return any(not d["in_sync"] for diffs in report.values() for d in diffs)


def add_host(app: Lognet, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """Add a host reached at ``agent_url`` or a simulated one; returns it with its secret (shown once)."""
    require_admin(actor)
    name = check_name(body.get("name"))
    simulated = body.get("simulated")
    agent_url = body.get("agent_url")
    if (simulated is None) == (agent_url is None):
        raise invalid("HOST_KIND_REQUIRED", "give exactly one of agent_url or simulated", "agent_url")
    if simulated is not None:
        nics = simulated.get("nics", 4) if isinstance(simulated, dict) else None
        if isinstance(nics, bool) or not isinstance(nics, int) or not 1 <= nics <= MAX_SIMULATED_NICS:
            raise invalid("NIC_COUNT_INVALID", f"simulated.nics must be 1–{MAX_SIMULATED_NICS}", "simulated.nics")
        simulated = {"nics": nics}
    secret = body.get("secret") or secrets.token_urlsafe(24)
    with UnitOfWork(app.db, actor, write=False) as uow:
        check_name_free(uow, orm.Host, name, "HOST_NAME_IN_USE")
        cluster_id = uow.get(orm.Cluster, body.get("cluster") or "Default", "cluster").id
    host = orm.Host(id=orm.new_id(), name=name, cluster_id=cluster_id, agent_url=agent_url, secret=secret,
                    simulated=simulated, status="installing", reported={})
    caps = capabilities(app, host)  # outside the transaction: a slow host must not hold the database
    with UnitOfWork(app.db, actor) as uow:
        check_name_free(uow, orm.Host, name, "HOST_NAME_IN_USE")
        uow.add(host)
        apply_report(uow, host, caps, adopt=True)
        uow.event("host.add", host)
        uow.commit()
        return {**host_view(host), "secret": secret}


def capabilities(app: Lognet, host: orm.Host) -> dict[str, Any] | None:
    """The host's capabilities report, or None when it does not answer."""
    return read_capabilities(app.agents.client(host))


def read_capabilities(client: AgentClient) -> dict[str, Any] | None:
    try:
        return client.capabilities()
    except AgentError:
        return None


def apply_report(uow: UnitOfWork, host: orm.Host, caps: dict[str, Any] | None, adopt: bool = False) -> None:
    """Store a capabilities report (None: the host did not answer) and recompute the host's status."""
    if caps is None:
        host.status = "non_responsive"
        return
    host.reported = caps
    host.config_dirty = bool(caps.get("config_dirty"))
    host.refreshed_at = orm.utcnow()
    if adopt:
        _adopt(uow, host, caps)
    _reconcile_vms(uow, host, caps)
    uow.session.flush()
    if host.status != "maintenance":
        host.status = compliance_status(uow, host)


def _reconcile_vms(uow: UnitOfWork, host: orm.Host, caps: dict[str, Any]) -> None:
    """VMs the engine thinks run on the host but the host does not run (e.g. after a reboot) are down."""
    if "vms" not in caps:
        return
    running = {vm["id"] for vm in caps["vms"]}
    for vm in uow.session.scalars(select(orm.Vm).filter_by(host_id=host.id, status="up")):
        if vm.id not in running:
            vm.status, vm.host_id = "down", None
            uow.event("vm.down", vm, f"not running on host {host.name} any more", result="failure")


def _adopt(uow: UnitOfWork, host: orm.Host, caps: dict[str, Any]) -> None:
    """Networks and bonds a new host already carries become its desired state (oVirt does the same)."""
    cluster = uow.session.get(orm.Cluster, host.cluster_id)
    assert cluster is not None
    by_host_name = {n.host_name: n for n in network_infos(uow, cluster).values() if n.in_cluster}
    for bond in caps.get("bonds", []):
        uow.add(orm.HostBond(host_id=host.id, name=bond["name"], slaves=sorted(bond["slaves"]), mode=bond["mode"]))
    for name, state in caps.get("networks", {}).items():
        net = by_host_name.get(name)
        if net is not None:
            uow.add(attachment_from_report(host.id, net.id, state))


def update_host(app: Lognet, actor: Actor, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """Rename a host, move it to/from maintenance, or (simulated hosts) inject a failure or a drift."""
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        host = uow.get(orm.Host, ref, "host")
        if "name" in body:
            name = check_name(body["name"])
            check_name_free(uow, orm.Host, name, "HOST_NAME_IN_USE", host.id)
            host.name = name
        if body.get("status") is not None:
            if body["status"] not in ("maintenance", "up"):
                raise invalid("HOST_STATUS_INVALID", "status can be set to maintenance or up", "status")
            host.status = "maintenance" if body["status"] == "maintenance" else compliance_status(uow, host)
        if body.get("simulated") is not None:
            _control_simulated(app, host, body["simulated"])
        uow.event("host.update", host)
        uow.commit()
        return host_view(host, host_out_of_sync(uow, host))


def _control_simulated(app: Lognet, host: orm.Host, control: dict[str, Any]) -> None:
    if host.simulated is None:
        raise invalid("HOST_NOT_SIMULATED", "only simulated hosts take simulation controls", "simulated")
    sim = app.agents.simulated(host)
    if "fail_step" in control:
        if control["fail_step"] not in (None, "apply", "verify", "connectivity"):
            raise invalid("FAIL_STEP_INVALID", "fail_step is apply, verify, connectivity or null",
                          "simulated.fail_step")
        sim.fail_step = control["fail_step"]
    if "drift" in control:
        sim.drift = dict(control["drift"] or {})
    if control.get("reboot"):
        sim.reboot()


def remove_host(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        host = uow.get(orm.Host, ref, "host")
        vms = uow.session.scalars(select(orm.Vm.name).filter_by(host_id=host.id, status="up")).all()
        if vms:
            raise Conflict("HOST_HAS_RUNNING_VMS", f"host {host.name} runs VMs: {', '.join(vms)}; stop them first")
        if host.busy_job_id:
            raise Busy("HOST_BUSY", f"host {host.name} is running job {host.busy_job_id}")
        uow.session.delete(host)
        uow.event("host.remove", host)
        uow.commit()
    app.agents.forget(host.id)


def lock_host(uow: UnitOfWork, host: orm.Host, job_id: str) -> None:
    """Take the host's network lock for ``job_id`` (atomic on every database); HOST_BUSY if held."""
    result = uow.session.execute(update(orm.Host).where(orm.Host.id == host.id, orm.Host.busy_job_id.is_(None))
                                 .values(busy_job_id=job_id))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Busy("HOST_BUSY", f"host {host.name} is running another network operation; try again when it ends",
                   details={"host": host.name})


def unlock_host(app: Lognet, host_id: str, job_id: str) -> None:
    with UnitOfWork(app.db) as uow:
        uow.session.execute(update(orm.Host).where(orm.Host.id == host_id, orm.Host.busy_job_id == job_id)
                            .values(busy_job_id=None))
        uow.commit()


def _host_job(app: Lognet, actor: Actor, ref: str, kind: str, steps: list[str], work: Any) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        host = uow.get(orm.Host, ref, "host")
        job = jobs.create_job(uow, kind, host.id, steps)
        lock_host(uow, host, job.id)
        uow.event(f"host.{kind}", host, f"job {job.id}", result="started")
        uow.commit()
        host_id, client = host.id, app.agents.client(host)
    jobs.run_job(app, job.id, actor, lambda rec: work(rec, host_id, client),
                 on_finish=lambda: unlock_host(app, host_id, job.id))
    return jobs.get_job(app, job.id)


def refresh_host(app: Lognet, actor: Actor, ref: str) -> dict[str, Any]:
    """A job that reads the host's capabilities again."""
    def work(rec: jobs.JobRecorder, host_id: str, client: AgentClient) -> dict[str, Any]:
        rec.step("capabilities")
        caps = read_capabilities(client)
        with UnitOfWork(app.db, actor) as uow:
            host = uow.get(orm.Host, host_id, "host")
            apply_report(uow, host, caps)
            uow.event("host.refreshed", host, result="success" if host.status != "non_responsive" else "failure")
            uow.commit()
            rec.step("capabilities", "succeeded")
            if host.status == "non_responsive":
                raise HostFailure("HOST_UNREACHABLE", f"host {host.name} did not answer")
            return {"status": host.status}
    return _host_job(app, actor, ref, "refresh", ["capabilities"], work)


def commit_host(app: Lognet, actor: Actor, ref: str) -> dict[str, Any]:
    """A job that makes the host's running network configuration survive a reboot."""
    def work(rec: jobs.JobRecorder, host_id: str, client: AgentClient) -> dict[str, Any]:
        rec.step("commit")
        agent_call(client.commit)
        with UnitOfWork(app.db, actor) as uow:
            host = uow.get(orm.Host, host_id, "host")
            host.config_dirty = False
            uow.event("host.committed", host)
            uow.commit()
        rec.step("commit", "succeeded")
        return {"config_dirty": False}
    return _host_job(app, actor, ref, "commit", ["commit"], work)

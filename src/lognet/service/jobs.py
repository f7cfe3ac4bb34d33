"""Jobs: long host operations run in the background, with steps anyone can watch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from lognet.adapters import orm
from lognet.domain.errors import LognetError, not_found
from lognet.service import views
from lognet.service.app import Lognet
from lognet.service.uow import Actor, UnitOfWork


class JobRecorder:
    """Writes a running job's steps, outcome and the host-lock release to the database."""

    def __init__(self, app: Lognet, job_id: str, actor: Actor) -> None:
        self.app = app
        self.job_id = job_id
        self.actor = actor

    def _update(self, **values: Any) -> None:
        with UnitOfWork(self.app.db, self.actor) as uow:
            uow.session.execute(update(orm.Job).filter_by(id=self.job_id).values(**values))
            uow.commit()

    def steps(self) -> list[dict[str, Any]]:
        with UnitOfWork(self.app.db, write=False) as uow:
            job = uow.session.get(orm.Job, self.job_id)
            return list(job.steps) if job else []

    def step(self, name: str, status: str = "running", detail: str = "") -> None:
        """Start or update step ``name`` (the job is running while any step runs)."""
        steps = self.steps()
        for step in steps:
            if step["name"] == name:
                step.update(status=status, detail=detail or step.get("detail", ""))
                break
        else:
            steps.append({"name": name, "status": status, "detail": detail, "started_at": time.time()})
        self._update(steps=steps, status="running")


def create_job(uow: UnitOfWork, kind: str, host_id: str | None, steps: list[str]) -> orm.Job:
    job = orm.Job(id=orm.new_id(), kind=kind, host_id=host_id, status="pending", username=uow.actor.username,
                  steps=[{"name": s, "status": "pending", "detail": ""} for s in steps])
    uow.add(job)
    return job


def run_job(app: Lognet, job_id: str, actor: Actor, work: Callable[[JobRecorder], dict[str, Any]],
            on_finish: Callable[[], None] | None = None) -> None:
    """Run ``work`` in the job pool; its return value becomes the result, a LognetError the job's error."""
    done = app.job_done.setdefault(job_id, threading.Event())
    _forget_old(app)

    def body() -> None:
        rec = JobRecorder(app, job_id, actor)
        try:
            result = work(rec)
            _finish(app, job_id, actor, "succeeded", result=result)
        except LognetError as exc:
            _finish(app, job_id, actor, "failed", error={"code": exc.code, "message": exc.message,
                                                          "details": exc.details})
        except Exception as exc:  # noqa: BLE001 - a job must always end, whatever broke
            _finish(app, job_id, actor, "failed", error={"code": "INTERNAL_ERROR", "message": repr(exc)})
        finally:
            if on_finish:
                on_finish()
            done.set()

    app.executor.submit(body)


MAX_TRACKED_JOBS = 10_000


def _forget_old(app: Lognet) -> None:
    """Keep the in-memory completion events bounded; waiters of older jobs fall back to polling."""
    while len(app.job_done) > MAX_TRACKED_JOBS:
        oldest = next(iter(app.job_done))
        if not app.job_done[oldest].is_set():
            break
        app.job_done.pop(oldest, None)


def _finish(app: Lognet, job_id: str, actor: Actor, status: str, **values: Any) -> None:
    with UnitOfWork(app.db, actor) as uow:
        job = uow.session.get(orm.Job, job_id)
        assert job is not None
        steps = [dict(s, status="failed" if status == "failed" and s["status"] == "running" else s["status"])
                 for s in job.steps]
        job.steps = steps
        job.status = status
        job.finished_at = orm.utcnow()
        for key, value in values.items():
            setattr(job, key, value)
        uow.commit()


def get_job(app: Lognet, job_id: str) -> dict[str, Any]:
    with UnitOfWork(app.db, write=False) as uow:
        job = uow.session.get(orm.Job, job_id)
        if job is None:
            raise not_found("job", job_id)
        return views.job(job)


def wait_job(app: Lognet, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    """Block until the job ends (or ``timeout``), then return it."""
    event = app.job_done.get(job_id)
    if event is not None:
        event.wait(timeout)
    else:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and get_job(app, job_id)["status"] in ("pending", "running"):
            time.sleep(0.1)
    return get_job(app, job_id)

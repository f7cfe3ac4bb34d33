"""Keystone projects and scoped tokens over lognet accounts.

* A project is a tenant inside one data center (``name`` or ``name@datacenter``; data center "Default"
  when omitted). Projects are created on first use by a lognet admin; viewers can only join existing ones.
* The project named ``admin`` is the cloud-admin project: a lognet admin scoped to it gets Keystone role
  ``admin`` (sees and changes every project's resources). Elsewhere a lognet admin is ``member`` (+reader);
  a lognet viewer is ``reader`` everywhere.
* Keystone tokens are lognet API tokens; the scope is remembered in ``os_token_scopes``. A lognet token that
  never went through Keystone (``OS_AUTH_TYPE=admin_token``) acts in the admin project.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from lognet.adapters import orm
from lognet.adapters.orm_openstack import OsProject, OsTokenScope
from lognet.domain.errors import AuthenticationFailed, NotFound, invalid
from lognet.service.app import Lognet
from lognet.service.auth import authenticate, login, token_hash
from lognet.service.uow import Actor, UnitOfWork

ADMIN_PROJECT = "admin"
DOMAIN = {"id": "default", "name": "Default"}


@dataclass(frozen=True)
class Context:
    """Who calls the OpenStack API, in which project, with which Keystone roles."""

    actor: Actor
    user_id: str
    project_id: str
    project_name: str
    datacenter_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


_scopes: dict[str, tuple[Context, float]] = {}
_lock = threading.Lock()


def roles_for(actor: Actor, project_name: str) -> tuple[str, ...]:
    if not actor.is_admin:
        return ("reader",)
    return ("admin", "member", "reader") if project_name == ADMIN_PROJECT else ("member", "reader")


def project_view(p: OsProject) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "domain_id": DOMAIN["id"], "description": p.description,
            "enabled": True, "is_domain": False, "parent_id": DOMAIN["id"], "tags": [],
            "lognet:datacenter": p.datacenter_id}


def ensure_project(uow: UnitOfWork, actor: Actor | None, name: str | None = None, pid: str | None = None) -> OsProject:
    """The project by id or name; created (by an admin, or the system) when named and unknown."""
    row = None
    if pid:
        row = uow.session.get(OsProject, pid)
        if row is None:
            row = uow.session.scalar(select(OsProject).filter_by(name=pid))
    if row is None and name:
        row = uow.session.scalar(select(OsProject).filter_by(name=name))
    if row is not None:
        return row
    if not name or (actor is not None and not actor.is_admin):
        raise NotFound("PROJECT_NOT_FOUND", f"project {name or pid!r} does not exist")
    base, _, dc_ref = name.partition("@")
    if not base or len(name) > 64:
        raise invalid("PROJECT_NAME_INVALID", "a project name is 1–64 characters: NAME or NAME@DATACENTER", "name")
    dc = uow.get(orm.DataCenter, dc_ref or "Default", "datacenter")
    row = OsProject(id=uuid.uuid4().hex, name=name, datacenter_id=dc.id,
                    description=f"lognet tenant {base} in data center {dc.name}")
    uow.add(row)
    uow.session.flush()
    return row


def admin_project_id(app: Lognet) -> str:
    """The id of project "admin" (owner of lognet objects made outside OpenStack)."""
    pid = app.extras.get("os_admin_project")
    if pid is None:
        with UnitOfWork(app.db) as uow:
            pid = ensure_project(uow, None, ADMIN_PROJECT).id
            uow.commit()
        app.extras["os_admin_project"] = pid
    return str(pid)


def keystone_login(app: Lognet, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """POST /v3/auth/tokens: password or token method, optional project scope → (token, token body)."""
    auth = body.get("auth") if isinstance(body, dict) else None
    if not isinstance(auth, dict):
        raise invalid("AUTH_REQUIRED", "expected {\"auth\": {\"identity\": ...}}", "auth")
    identity = auth.get("identity") or {}
    methods = identity.get("methods") or []
    if "password" in methods:
        user = (identity.get("password") or {}).get("user") or {}
        username = user.get("name")
        if not username and user.get("id"):
            with UnitOfWork(app.db, write=False) as uow:
                row = uow.session.get(orm.User, user["id"])
                username = row.username if row else None
        issued = login(app, str(username or ""), str(user.get("password") or ""))
        token = issued["token"]
    elif "token" in methods:
        old = str((identity.get("token") or {}).get("id") or "")
        actor = authenticate(app, old)
        token = _issue(app, actor.username)
    else:
        raise AuthenticationFailed("AUTH_METHOD_UNSUPPORTED", "supported methods: password, token")
    scope = auth.get("scope") or {}
    project = scope.get("project") if isinstance(scope, dict) else None
    ctx = _scope(app, token, project)
    return token, token_body(app, token, ctx, methods)


def _issue(app: Lognet, username: str) -> str:
    with UnitOfWork(app.db) as uow:
        user = uow.session.scalar(select(orm.User).filter_by(username=username))
        if user is None:
            raise AuthenticationFailed("INVALID_TOKEN", "the token's user no longer exists")
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=app.settings.token_ttl_seconds)
        uow.add(orm.Token(token_hash=token_hash(token), user_id=user.id, expires_at=expires))
        uow.commit()
    return token


def _scope(app: Lognet, token: str, project: dict[str, Any] | None) -> Context | None:
    if not project:
        return None
    actor = authenticate(app, token)
    with UnitOfWork(app.db, actor) as uow:
        row = ensure_project(uow, actor, project.get("name"), project.get("id"))
        uow.add(OsTokenScope(token_hash=token_hash(token), project_id=row.id))
        uow.commit()
    return context(app, token)


def context(app: Lognet, token: str) -> Context:
    """The caller of an OpenStack request from its X-Auth-Token (AuthenticationFailed when invalid)."""
    if not token:
        raise AuthenticationFailed("AUTHENTICATION_REQUIRED", "send X-Auth-Token (a Keystone or lognet token)")
    key = token_hash(token)
    now = datetime.now(UTC).timestamp()
    with _lock:
        hit = _scopes.get(key)
    actor = authenticate(app, token)  # cached by lognet; also catches expiry and revocation
    if hit and hit[1] > now and hit[0].actor == actor:
        return hit[0]
    admin_pid = admin_project_id(app)
    with UnitOfWork(app.db, write=False) as uow:
        scope = uow.session.get(OsTokenScope, key)
        project = uow.session.get(OsProject, scope.project_id if scope else admin_pid)
        user = uow.session.scalar(select(orm.User).filter_by(username=actor.username))
        assert project is not None
        ctx = Context(actor, user.id if user else actor.username, project.id, project.name, project.datacenter_id,
                      roles_for(actor, project.name))
    with _lock:
        _scopes[key] = (ctx, now + 60)
    return ctx


def token_body(app: Lognet, token: str, ctx: Context | None, methods: list[str]) -> dict[str, Any]:
    actor = authenticate(app, token)
    with UnitOfWork(app.db, write=False) as uow:
        user = uow.session.scalar(select(orm.User).filter_by(username=actor.username))
        row = uow.session.get(orm.Token, token_hash(token))
        assert user is not None and row is not None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        user_id, username = user.id, user.username
    out: dict[str, Any] = {
        "methods": methods or ["password"], "audit_ids": [secrets.token_urlsafe(8)],
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "is_domain": False,
        "user": {"id": user_id, "name": username, "domain": DOMAIN, "password_expires_at": None}}
    if ctx is not None:
        out["project"] = {"id": ctx.project_id, "name": ctx.project_name, "domain": DOMAIN}
        out["roles"] = [{"id": r, "name": r} for r in ctx.roles]
    return out


def validate(app: Lognet, token: str) -> dict[str, Any]:
    """GET /v3/auth/tokens: the body of a token (project-scoped when it was)."""
    ctx = context(app, token)
    with UnitOfWork(app.db, write=False) as uow:
        scoped = uow.session.get(OsTokenScope, token_hash(token)) is not None
    return token_body(app, token, ctx if scoped or ctx.actor.is_admin else None, ["token"])


def list_projects(app: Lognet, ctx: Context, name: str | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(app.db, write=False) as uow:
        query = select(OsProject).order_by(OsProject.name)
        if name:
            query = query.filter_by(name=name)
        rows = list(uow.session.scalars(query))
    return [project_view(p) for p in rows if ctx.is_admin or p.id == ctx.project_id]


def forget() -> None:
    with _lock:
        _scopes.clear()

"""Accounts and API tokens. Passwords are hashed with scrypt; tokens are stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from lognet.adapters import orm
from lognet.domain.errors import AuthenticationFailed, Conflict, PermissionDenied, invalid
from lognet.service.app import Lognet
from lognet.service.uow import Actor, UnitOfWork

ROLES = ("admin", "viewer")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def token_hash(token: str) -> str:
    """How tokens are stored: only their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


_cache: dict[str, tuple[Actor, datetime]] = {}
_cache_lock = threading.Lock()


def login(app: Lognet, username: str, password: str) -> dict[str, Any]:
    """Check a password and issue a bearer token."""
    with UnitOfWork(app.db) as uow:
        user = uow.session.scalar(select(orm.User).filter_by(username=username))
        if user is None or not check_password(password, user.password_hash):
            raise AuthenticationFailed("INVALID_CREDENTIALS", "wrong username or password")
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=app.settings.token_ttl_seconds)
        uow.add(orm.Token(token_hash=token_hash(token), user_id=user.id, expires_at=expires))
        uow.commit()
        return {"token": token, "expires_at": expires.isoformat(), "username": user.username, "role": user.role}


def authenticate(app: Lognet, token: str) -> Actor:
    """The actor a bearer token belongs to; AuthenticationFailed when unknown or expired."""
    key = token_hash(token)
    now = datetime.now(UTC)
    with _cache_lock:
        hit = _cache.get(key)
    if hit and hit[1] > now:
        return hit[0]
    with UnitOfWork(app.db, write=False) as uow:
        row = uow.session.get(orm.Token, key)
        user = uow.session.get(orm.User, row.user_id) if row else None
        if row is None or user is None or _aware(row.expires_at) <= now:
            raise AuthenticationFailed("INVALID_TOKEN", "the token is unknown or expired; log in again")
        actor = Actor(user.username, user.role)
        with _cache_lock:
            _cache[key] = (actor, _aware(row.expires_at))
        return actor


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("ADMIN_REQUIRED",
                               f"user {actor.username} has the viewer role and cannot change anything")


def user_view(user: orm.User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "created_at": user.created_at.isoformat()}


def _check_role(role: object) -> str:
    if role not in ROLES:
        raise invalid("ROLE_INVALID", f"role must be one of {', '.join(ROLES)}", "role")
    return str(role)


def add_user(app: Lognet, actor: Actor, username: str, password: str, role: str = "viewer") -> dict[str, Any]:
    require_admin(actor)
    if not username or len(username) > 64:
        raise invalid("USERNAME_INVALID", "username must be 1–64 characters", "username")
    if not password or len(password) < 8:
        raise invalid("PASSWORD_TOO_SHORT", "password must be at least 8 characters", "password")
    with UnitOfWork(app.db, actor) as uow:
        if uow.session.scalar(select(orm.User).filter_by(username=username)):
            raise Conflict("USERNAME_IN_USE", f"user {username} already exists")
        user = orm.User(username=username, password_hash=hash_password(password), role=_check_role(role))
        uow.add(user)
        uow.event("user.add", user)
        uow.commit()
        return user_view(user)


def update_user(app: Lognet, actor: Actor, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        user = _find_user(uow, ref)
        if "role" in changes and changes["role"] is not None:
            user.role = _check_role(changes["role"])
        if changes.get("password"):
            if len(changes["password"]) < 8:
                raise invalid("PASSWORD_TOO_SHORT", "password must be at least 8 characters", "password")
            user.password_hash = hash_password(changes["password"])
        uow.session.execute(delete(orm.Token).filter_by(user_id=user.id))
        uow.event("user.update", user)
        uow.commit()
        _forget_all()
        return user_view(user)


def remove_user(app: Lognet, actor: Actor, ref: str) -> None:
    require_admin(actor)
    with UnitOfWork(app.db, actor) as uow:
        user = _find_user(uow, ref)
        if user.username == actor.username:
            raise Conflict("CANNOT_REMOVE_SELF", "you cannot remove your own account")
        uow.session.delete(user)
        uow.event("user.remove", user)
        uow.commit()
        _forget_all()


def _find_user(uow: UnitOfWork, ref: str) -> orm.User:
    user = uow.session.get(orm.User, ref) or uow.session.scalar(select(orm.User).filter_by(username=ref))
    if user is None:
        from lognet.domain.errors import not_found
        raise not_found("user", ref)
    return user


def _forget_all() -> None:
    with _cache_lock:
        _cache.clear()

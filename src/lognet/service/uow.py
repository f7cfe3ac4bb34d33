"""Unit of work: one database transaction per command, with its audit events."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lognet.adapters import orm
from lognet.adapters.db import Database
from lognet.domain.errors import not_found

M = TypeVar("M", bound=orm.Base)
_EVENT_INSERT = insert(orm.table(orm.Event))


@dataclass(frozen=True)
class Actor:
    """Who runs a command."""

    username: str
    role: str = "admin"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor("system", "admin")


class UnitOfWork(AbstractContextManager["UnitOfWork"]):
    """A session that commits on :meth:`commit` and rolls back otherwise.

    Writers take the database's write lock on SQLite (a single-writer database) so concurrent commands
    queue instead of failing with "database is locked".
    """

    def __init__(self, db: Database, actor: Actor = SYSTEM, write: bool = True) -> None:
        self.db = db
        self.actor = actor
        self.write = write and db.is_sqlite
        self.session: Session = db.session()

    def __enter__(self) -> UnitOfWork:
        if self.write:
            self.db.write_lock.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            # close() rolls back what was not committed; unlike rollback() it leaves loaded objects readable.
            self.session.close()
        finally:
            if self.write:
                self.db.write_lock.release()

    def commit(self) -> None:
        self.session.commit()

    def add(self, obj: orm.Base) -> None:
        self.session.add(obj)

    def event(self, action: str, obj: Any, detail: str = "", result: str = "success") -> None:
        """Record an audit event for ``obj`` (committed with the transaction)."""
        # A Core insert of a constant statement (compiled once): every command writes one, and an ORM
        # object would cost a unit-of-work flush for a row nothing reads back.
        self.session.execute(_EVENT_INSERT, {
            "ts": orm.utcnow(), "username": self.actor.username, "action": action,
            "object_type": type(obj).__tablename__.rstrip("s"), "object_id": getattr(obj, "id", None),
            "object_name": str(getattr(obj, "name", None) or getattr(obj, "username", "")),
            "result": result, "detail": detail})

    def get(self, model: type[M], ref: object, kind: str, *, for_update: bool = False, **scope: Any) -> M:
        """Find one ``model`` row by id or by name (within ``scope`` columns); NotFound otherwise."""
        return lookup(self.session, model, ref, kind, for_update=for_update, **scope)


def lookup(session: Session, model: type[M], ref: object, kind: str, *, for_update: bool = False,
           **scope: Any) -> M:
    """Resolve a reference given as id or name."""
    if not isinstance(ref, str) or not ref:
        raise not_found(kind, ref)
    query = select(model).filter_by(**scope)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query.filter_by(id=ref)).first()
    if row is None and hasattr(model, "name"):
        row = session.scalars(query.filter_by(name=ref)).first()
    if row is None:
        raise not_found(kind, ref)
    return row

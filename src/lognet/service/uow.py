"""Unit of work: one database transaction per command, with its audit events."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
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
        self._after: list[tuple[Callable[[], Any], Callable[[UnitOfWork], None]]] = []
        self._committed = False

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
        if exc_type is None and self._committed:
            self._run_after_commit()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def after_commit(self, action: Callable[[], Any], undo: Callable[[UnitOfWork], None]) -> None:
        """Run ``action`` (a call to a host) once the transaction is committed and the database is free.

        Hosts are slow and may not answer: no transaction stays open (and, on SQLite, no write lock is held)
        while we wait for one. If ``action`` fails, ``undo`` reverts the committed change in a new unit of
        work and the action's error propagates — oVirt releases a MAC the same way when a hot plug fails.
        """
        self._after.append((action, undo))

    def _run_after_commit(self) -> None:
        for index, (action, _undo) in enumerate(self._after):
            try:
                action()
            except BaseException:
                for _action, undo in reversed(self._after[index:]):  # the failed one and those not tried
                    with UnitOfWork(self.db, self.actor) as uow:
                        undo(uow)
                        uow.commit()
                raise

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


def row_state(row: orm.Base) -> dict[str, Any]:
    """The column values of a row, to put back later with :func:`restore_row`."""
    return {attr.key: getattr(row, attr.key) for attr in sa_inspect(row).mapper.column_attrs}


def restore_row(uow: UnitOfWork, model: type[M], key: Any, state: dict[str, Any] | None) -> None:
    """Put a row back as ``state`` says (``None``: the row did not exist, so it goes)."""
    row = uow.session.get(model, key)
    if state is None:
        if row is not None:
            uow.session.delete(row)
        return
    if row is None:
        uow.session.add(model(**state))
        return
    for name, value in state.items():
        setattr(row, name, value)

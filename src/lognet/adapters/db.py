"""Database engine set-up: SQLite (WAL) by default, PostgreSQL through ``LOGNET_DATABASE_URL``."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def default_database_url() -> str:
    """``LOGNET_DATABASE_URL``, else SQLite at ``$LOGNET_STATE_DIR/lognet.db`` (default ``./var/lognet.db``)."""
    url = os.environ.get("LOGNET_DATABASE_URL")
    if url:
        return url
    state = Path(os.environ.get("LOGNET_STATE_DIR", "var"))
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / 'lognet.db'}"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool on PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_deserializer=orjson.loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, json_deserializer=orjson.loads)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    """An engine, its session factory and, on SQLite, the single-writer lock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = url.startswith("sqlite")
        # SQLite has one writer at a time; serialising writers in-process avoids "database is locked"
        # upgrade deadlocks between concurrent read-then-write transactions.
        self.write_lock = threading.RLock()

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()

"""Agent state on disk: running and committed ("safe") configuration, and the in-flight apply marker.

Every write is atomic (temp file in the same directory, fsync, rename, fsync of the directory), so a host
that loses power or an agent killed mid-write finds either the old or the new file, never a torn one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, cast

from lognet.agent.plan import empty_state
from lognet.protocol import HostNetState

RUNNING = "running.json"
SAFE = "safe.json"
PENDING = "pending.json"


def atomic_write_json(path: Path, data: Any, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically; ``durable`` also survives a power loss (fsync).

    One-line JSON: ``json.dumps`` without indentation runs in C, a thousand networks' state in a millisecond.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if durable:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class StateStore:
    """``running.json``, ``safe.json`` and ``pending.json`` in the agent's state directory."""

    def __init__(self, state_dir: str | Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _read(self, name: str) -> HostNetState:
        path = self.dir / name
        if not path.exists():
            return empty_state()
        return cast(HostNetState, json.loads(path.read_text()))

    def running(self) -> HostNetState:
        return self._read(RUNNING)

    def safe(self) -> HostNetState:
        return self._read(SAFE)

    def set_running(self, state: HostNetState) -> None:
        atomic_write_json(self.dir / RUNNING, state)

    def commit(self) -> None:
        """Copy running to safe."""
        atomic_write_json(self.dir / SAFE, self.running())

    def set_pending(self, desired: HostNetState, previous: HostNetState) -> None:
        """Mark an apply as in flight: written before the host is touched, removed when it ends.

        Not fsynced: only an agent restarted in the same boot reads it (a power loss empties the run dir and
        the host returns to its committed config whatever this file says).
        """
        atomic_write_json(self.dir / PENDING, {"desired": desired, "previous": previous}, durable=False)

    def pending(self) -> dict[str, Any] | None:
        path = self.dir / PENDING
        return cast(dict[str, Any], json.loads(path.read_text())) if path.exists() else None

    def clear_pending(self) -> None:
        (self.dir / PENDING).unlink(missing_ok=True)

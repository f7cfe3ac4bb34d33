"""Agent errors with the stable codes of docs/agent-protocol.md."""

from __future__ import annotations


class AgentError(Exception):
    """An error answered to the engine as ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

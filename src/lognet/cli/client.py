"""The CLI's HTTP client: credentials, the engine's REST API and its problem+json errors as typed exceptions."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"
API = "/api/v1"

#: Job error codes that mean "the host lost connectivity and rolled back".
ROLLBACK_CODES = frozenset({"CONNECTIVITY_LOST", "CONNECTIVITY_CHECK_FAILED", "ROLLED_BACK"})


@dataclass
class CliError(Exception):
    """Anything the CLI reports as ``Error [CODE]: detail`` and turns into an exit code."""

    code: str
    detail: str
    exit_code: int = 1
    status: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def __str__(self) -> str:
        return f"Error [{self.code}]: {self.detail}"


def exit_code_for_status(status: int) -> int:
    """0 ok; 2 bad input; 3 conflict / rule / not found; 4 host failure; 1 auth and anything else."""
    if status == 400 or status == 422:
        return 2
    if status in (404, 409):
        return 3
    if status == 502:
        return 4
    return 1


def job_exit_code(job: dict[str, Any]) -> int:
    """A failed job: 5 when the host rolled back on lost connectivity, else 4 (host failure)."""
    error = job.get("error") or {}
    if error.get("code") in ROLLBACK_CODES:
        return 5
    op = (error.get("details") or {}).get("operation") or {}
    if op.get("status") == "rolled_back" and str((op.get("error") or {}).get("code", "")).startswith("CONNECTIVITY"):
        return 5
    return 4


# -- credentials ----------------------------------------------------------------------------------
def config_dir() -> Path:
    env = os.environ.get("LOGNET_CONFIG_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lognet"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def load_credentials() -> dict[str, Any]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(url: str, token: str, username: str, expires_at: str | None) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {"url": url, "token": token, "username": username, "expires_at": expires_at}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(path, 0o600)
    return path


def resolve_url(url: str | None = None) -> str:
    return (url or os.environ.get("LOGNET_URL") or load_credentials().get("url") or DEFAULT_URL).rstrip("/")


def api_base(url: str) -> str:
    return url if url.endswith(API) else url + API


# -- the client -----------------------------------------------------------------------------------
def _error_from_response(resp: httpx.Response) -> CliError:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or f"HTTP_{resp.status_code}")
    detail = str(body.get("detail") or body.get("title") or resp.reason_phrase or "request failed")
    return CliError(code, detail, exit_code_for_status(resp.status_code), resp.status_code,
                    list(body.get("errors") or []), body)


class Client:
    """Thin wrapper over httpx: JSON in, JSON out, :class:`CliError` on any failure."""

    def __init__(self, url: str, token: str | None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=api_base(self.url), headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json_body: Any = None,
                params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
        try:
            resp = self.http.request(method, path, json=json_body, params=params)
        except httpx.HTTPError as exc:
            raise CliError("CONNECTION_FAILED", f"cannot reach {self.url}: {exc}") from None
        if resp.status_code >= 400:
            raise _error_from_response(resp)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, json_body=body, params=params)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json_body=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def list_all(self, path: str, filters: dict[str, Any] | None = None, limit: int | None = None) -> list[Any]:
        """Every item of a collection (following pagination), optionally capped at ``limit``."""
        params = {k: v for k, v in (filters or {}).items() if v is not None}
        page = min(limit, 1000) if limit else 1000
        out: list[Any] = []
        offset = 0
        while True:
            body = self.get(path, {**params, "limit": page, "offset": offset})
            results = body.get("results", [])
            out.extend(results)
            if limit and len(out) >= limit:
                return out[:limit]
            if not body.get("next") or not results:
                return out
            offset += len(results)


def login(url: str, username: str, password: str) -> dict[str, Any]:
    client = Client(url, None)
    try:
        result: dict[str, Any] = client.post("/auth/token", {"username": username, "password": password})
        return result
    finally:
        client.close()


def connect() -> Client:
    """A client from ``LOGNET_URL``/``LOGNET_TOKEN`` or the stored credentials (``lognet login``)."""
    creds = load_credentials()
    url = resolve_url()
    token = os.environ.get("LOGNET_TOKEN") or (creds.get("token") if creds.get("url", "").rstrip("/") == url
                                               or not os.environ.get("LOGNET_URL") else None)
    if not token:
        user, password = os.environ.get("LOGNET_USERNAME"), os.environ.get("LOGNET_PASSWORD")
        if user and password:
            token = login(url, user, password)["token"]
    if not token:
        raise CliError("NOT_LOGGED_IN", f"no credentials for {url}; run `lognet login` (or set LOGNET_TOKEN)")
    return Client(url, token)


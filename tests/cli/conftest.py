"""Drive the real ``lognet`` CLI against the real engine served over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from lognet.cli.main import app
from tests.conftest import ADMIN_PASSWORD, Server

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lognet-config")


@pytest.fixture(scope="module")
def cli(server: Server, config_dir: Path) -> Run:
    """``cli("network", "list", "-f", "json")`` runs the CLI as admin against the module's engine."""
    token = httpx.post(f"{server.url}/api/v1/auth/token",
                       json={"username": "admin", "password": ADMIN_PASSWORD}).json()["token"]
    base = {"LOGNET_CONFIG_DIR": str(config_dir), "LOGNET_URL": server.url, "LOGNET_TOKEN": token,
            "LOGNET_USERNAME": None, "LOGNET_PASSWORD": None}

    def run(*args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env={**base, **(env or {})}, input=input)

    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)

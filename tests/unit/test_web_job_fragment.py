"""The console's job fragment: a job that has already ended announces it, so the page redraws without polling."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request

from lognet.web.hostnet import _job


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/ui/hosts/h/refresh", "headers": [],
                    "query_string": b"", "server": ("test", 80), "scheme": "http", "root_path": ""})


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_ended_job_triggers_job_finished(status: str) -> None:
    response = _job(_request(), {"id": "j1", "kind": "refresh", "status": status, "steps": []})
    assert json.loads(response.headers["HX-Trigger"]) == {"lognet-job-finished": {"status": status}}


def test_running_job_polls_instead() -> None:
    response = _job(_request(), {"id": "j1", "kind": "refresh", "status": "running", "steps": []})
    assert "HX-Trigger" not in response.headers
    assert b"/ui/jobs/j1/progress" in bytes(response.body)

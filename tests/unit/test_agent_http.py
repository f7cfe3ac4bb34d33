"""The engine's HTTP agent client rides out a host's switch hiccups on idempotent calls."""

from __future__ import annotations

import json

import httpx
import pytest

from lognet.adapters.agent_http import HttpAgentClient
from lognet.service.ports import AgentError


def flaky(failures: int, status: int = 200, body: dict[str, object] | None = None) -> tuple[httpx.MockTransport,
                                                                                             list[str]]:
    """A transport that drops the first ``failures`` calls, then answers ``status`` with ``body``."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if len(seen) <= failures:
            raise httpx.ConnectError("connection reset", request=request)
        return httpx.Response(status, content=json.dumps(body or {"id": "vm", "nics": []}),
                              headers={"content-type": "application/json"})

    return httpx.MockTransport(handler), seen


def client(transport: httpx.MockTransport, retry_for: float = 5.0) -> HttpAgentClient:
    return HttpAgentClient("http://host", "s", transport=transport, retry_for=retry_for, retry_interval=0.001)


def test_vm_start_is_retried_while_the_host_is_unreachable() -> None:
    transport, seen = flaky(3)
    assert client(transport).vm_start("vm", "web1", []) == {"id": "vm", "nics": []}
    assert seen == ["POST /agent/v1/vms/vm/start"] * 4


def test_hotplug_and_link_changes_are_retried() -> None:
    transport, seen = flaky(2)
    nic = {"id": "n", "name": "nic1", "mac": "02:00:00:00:00:01", "network": "red", "linked": True}
    client(transport).hotplug("vm", nic)  # type: ignore[arg-type]
    transport2, seen2 = flaky(1)
    client(transport2).update_nic("vm", "n", False, "red")
    assert len(seen) == 3 and len(seen2) == 2


def test_a_retried_unplug_that_finds_the_vnic_gone_succeeded() -> None:
    transport, _ = flaky(1, 404, {"error": {"code": "VNIC_NOT_FOUND", "message": "gone"}})
    assert client(transport).unplug("vm", "n") == {}


def test_a_first_unplug_of_an_unknown_vnic_is_still_an_error() -> None:
    transport, _ = flaky(0, 404, {"error": {"code": "VNIC_NOT_FOUND", "message": "gone"}})
    with pytest.raises(AgentError) as exc:
        client(transport).unplug("vm", "n")
    assert exc.value.code == "VNIC_NOT_FOUND"


def test_retries_stop_at_the_deadline() -> None:
    transport, seen = flaky(10**6)
    with pytest.raises(AgentError) as exc:
        client(transport, retry_for=0.05).vm_stop("vm")
    assert exc.value.code == "HOST_UNREACHABLE" and len(seen) > 1


def test_setup_networks_is_never_retried() -> None:
    transport, seen = flaky(1)
    with pytest.raises(AgentError):
        client(transport).setup_networks({"desired": {"networks": {}, "bonds": {}}, "check_connectivity": True,
                                          "connectivity_timeout": 5, "commit_on_success": False})
    assert len(seen) == 1


def test_setup_reads_capabilities_after_success_through_a_hiccup() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from lognet.service.setup import _capabilities

    transport, seen = flaky(3, body={"networks": {}, "config_dirty": True})
    app = cast(Any, SimpleNamespace(settings=SimpleNamespace(confirm_interval=0.001)))
    assert _capabilities(app, client(transport))["config_dirty"] is True
    assert len(seen) == 4
    dead, _ = flaky(10**6)
    with pytest.raises(AgentError):
        _capabilities(app, client(dead), patience=0.02)

"""HTTP face of the agent: the routes of docs/agent-protocol.md under /agent/v1, bearer-secret checked."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Body, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from lognet.agent.errors import AgentError
from lognet.agent.service import AgentService
from lognet.protocol import API_PREFIX


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(service: AgentService, secret: str) -> FastAPI:
    """The agent's ASGI app. Every call must carry ``Authorization: Bearer <secret>``."""
    app = FastAPI(title="lognet agent", docs_url=None, redoc_url=None, openapi_url=None)
    expected = f"Bearer {secret}".encode()

    @app.middleware("http")
    async def check_secret(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not secret or not hmac.compare_digest(given, expected):
            return _error("UNAUTHORIZED", "missing or wrong host secret", 401)
        return await call_next(request)

    @app.exception_handler(AgentError)
    async def agent_error(_: Request, exc: AgentError) -> JSONResponse:
        return _error(exc.code, exc.message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error("BAD_REQUEST", str(exc.errors())[:500], 400)

    p = API_PREFIX

    @app.get(f"{p}/capabilities")
    def capabilities() -> dict[str, Any]:
        return service.capabilities()

    @app.post(f"{p}/setup-networks", status_code=202)
    def setup_networks(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        op = service.setup_networks(body)
        return {"operation": op.id, "status": op.status}

    @app.get(f"{p}/operations/{{op_id}}")
    def operation(op_id: str) -> dict[str, Any]:
        return service.operation(op_id)

    @app.post(f"{p}/confirm-connectivity")
    def confirm(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        service.confirm(str(body.get("operation", "")))
        return {"confirmed": True}

    @app.post(f"{p}/commit")
    def commit(body: dict[str, Any] | None = Body(None)) -> dict[str, Any]:
        return {"config_dirty": service.commit()}

    @app.post(f"{p}/vms/{{vm_id}}/start")
    def vm_start(vm_id: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return service.vm_start(vm_id, str(body.get("name") or vm_id), list(body.get("nics") or []))

    @app.post(f"{p}/vms/{{vm_id}}/stop")
    def vm_stop(vm_id: str) -> dict[str, Any]:
        return service.vm_stop(vm_id)

    @app.post(f"{p}/vms/{{vm_id}}/nics")
    def vnic_plug(vm_id: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return service.vnic_plug(vm_id, body)  # type: ignore[arg-type]

    @app.delete(f"{p}/vms/{{vm_id}}/nics/{{nic_id}}")
    def vnic_unplug(vm_id: str, nic_id: str) -> dict[str, Any]:
        return service.vnic_unplug(vm_id, nic_id)

    @app.patch(f"{p}/vms/{{vm_id}}/nics/{{nic_id}}")
    def vnic_update(vm_id: str, nic_id: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return service.vnic_update(vm_id, nic_id, body)

    return app

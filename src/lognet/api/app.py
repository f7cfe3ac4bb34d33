"""The engine's ASGI application: native REST API under /api/v1 (and whatever else is mounted)."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse

from lognet import __version__
from lognet.adapters.db import default_database_url
from lognet.api import routes_core, routes_hosts, routes_vms
from lognet.api.errors import internal_error_handler, lognet_error_handler, validation_error_handler
from lognet.domain.errors import LognetError
from lognet.service.app import Lognet, Settings
from lognet.service.monitor import HostMonitor
from lognet.service.openstack.warmup import warm_up

API_PREFIX = "/api/v1"


def settings_from_env() -> Settings:
    return Settings(database_url=default_database_url(),
                    admin_password=os.environ.get("LOGNET_ADMIN_PASSWORD") or None,
                    token_ttl_seconds=int(os.environ.get("LOGNET_TOKEN_TTL", 12 * 3600)))


def create_app(engine: Lognet | None = None, start: bool = True) -> FastAPI:
    """Build the application around ``engine`` (a new one from the environment when omitted)."""
    lognet = engine or Lognet(settings_from_env())
    if start and engine is None:
        password = lognet.start()
        if password:
            print(f"Created user admin with password: {password}  (shown once)", flush=True)
        warm_up(lognet)  # the first Neutron lists do not compile their statements
        # What exists now (modules, mappers, compiled statements) lives as long as the process: keep it out of
        # the full garbage collections, which would otherwise walk it all (~50 ms) in the middle of a request.
        gc.freeze()

    monitor = _monitor(lognet) if engine is None else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if monitor is not None:
            monitor.start()
        yield
        if monitor is not None:
            monitor.stop()
        if engine is None:
            lognet.close()

    app = FastAPI(title="lognet", version=__version__, lifespan=lifespan, docs_url="/api/docs",
                  openapi_url=f"{API_PREFIX}/openapi.json", redoc_url=None,
                  description="Logical networks, host networking and vNICs for virtualization data centers.")
    app.state.lognet = lognet
    app.add_exception_handler(LognetError, lognet_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)
    for module in (routes_core, routes_hosts, routes_vms):
        app.include_router(module.router, prefix=API_PREFIX)
    _mount_extras(app)

    @app.get("/api", include_in_schema=False)
    def api_root() -> dict[str, Any]:
        return {"name": "lognet", "version": __version__, "api": API_PREFIX, "docs": "/api/docs"}

    return app


def _monitor(lognet: Lognet) -> HostMonitor | None:
    """Host monitoring every ``LOGNET_MONITOR_INTERVAL`` seconds (default 30; 0 turns it off)."""
    interval = float(os.environ.get("LOGNET_MONITOR_INTERVAL", "30"))
    return HostMonitor(lognet, interval) if interval > 0 else None


def _mount_extras(app: FastAPI) -> None:
    """Optional front ends (web console, OpenStack compatibility) mount themselves when present."""
    try:
        from lognet.web import mount as mount_web
    except ImportError:
        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/api/docs")
    else:
        mount_web(app)
    from lognet.api.openstack import mount as mount_openstack

    mount_openstack(app)

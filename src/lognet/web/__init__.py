"""The web console: server-rendered pages at ``/`` that read and change everything through ``/api/v1``.

The browser keeps the bearer token in sessionStorage and sends it with every request for a page fragment;
the fragment routes call the REST API with that token (see :mod:`lognet.web.client`). Nothing here touches
the services or the database directly.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Serve the console (pages, fragments and static assets) from the engine's application."""
    from lognet.web import hostnet, pages, vms

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (pages, hostnet, vms):  # hostnet before the generic /ui/{kind} routes
        app.include_router(module.router, include_in_schema=False)


__all__ = ["mount"]

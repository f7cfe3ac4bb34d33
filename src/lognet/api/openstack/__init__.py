"""OpenStack front ends of lognet, mounted by :func:`lognet.api.app.create_app`:

* ``/networking``     Neutron v2.0 (``/networking/v2.0/...``) and Quantum v1.0/v1.1 (``/networking/v1.x/...``)
* ``/identity``       Keystone v3 (``/identity/v3``), whose catalog points ``network`` at ``/networking/``
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from lognet.api.openstack import keystone, neutron, quantum
from lognet.api.openstack.common import json_response, neutron_error


class StripJsonSuffix:
    """``/v2.0/networks.json`` is ``/v2.0/networks`` (the format suffix of the OpenStack APIs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(".json"):
            scope = dict(scope)
            scope["path"] = scope["path"][:-5]
            if scope.get("raw_path"):
                scope["raw_path"] = scope["raw_path"][:-5] if scope["raw_path"].endswith(b".json") else \
                    scope["raw_path"]
        await self.app(scope, receive, send)


async def _neutron_404(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if request.url.path.split("/networking/", 1)[-1].startswith("v1."):
        return quantum.fault(request.url.path, "NotFound" if status == 404 else "BadRequest", status,
                             "The resource could not be found." if status == 404 else "Method not allowed.")
    kind = "HTTPNotFound" if status == 404 else "HTTPMethodNotAllowed"
    return neutron_error(kind, status, "The resource could not be found." if status == 404 else
                         "Method not allowed for this resource.")


async def _keystone_404(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    return json_response({"error": {"code": status, "message": "The resource could not be found.",
                                    "title": "Not Found"}}, status)


def mount(app: FastAPI) -> None:
    handlers = {404: _neutron_404, 405: _neutron_404}
    net = Starlette(routes=[*neutron.routes(), *quantum.routes()], exception_handlers=handlers)
    ident = Starlette(routes=keystone.routes(),
                      exception_handlers={404: _keystone_404, 405: _keystone_404})
    for sub in (net, ident):
        sub.state.lognet = app.state.lognet
    # First in the routing table: OpenStack requests skip matching against every native and console route.
    app.router.routes[0:0] = [Mount("/networking", StripJsonSuffix(net)), Mount("/identity", ident)]

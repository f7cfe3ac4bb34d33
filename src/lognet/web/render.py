"""Templates, page shells and the error handling shared by every fragment route."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from lognet.web.client import Api, ApiError

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

NAV = [("/", "Overview"), ("/networks", "Networks"), ("/clusters", "Clusters"), ("/hosts", "Hosts"),
       ("/vms", "VMs & templates"), ("/map", "Data-center map"), ("/events", "Events & jobs")]


def html(request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)


def shell(request: Request, title: str, fragment: str) -> HTMLResponse:
    """A page: navigation plus a main area that loads ``fragment`` with the user's token."""
    query = str(request.query_params)
    url = fragment + (f"?{query}" if query else "")
    active = next((p for p, _ in reversed(NAV) if request.url.path.startswith(p) and (p != "/" or
                                                                                     request.url.path == "/")), "")
    return html(request, "base.html", title=title, fragment=url, nav=NAV, active=active)


def flash(request: Request, message: str, ok: bool = True, refresh: bool = True,
          error: ApiError | None = None) -> HTMLResponse:
    """A short message for the page's flash area; a success also tells the page to reload its data."""
    headers = {"HX-Trigger": "refresh"} if ok and refresh else {}
    return html(request, "fragments/flash.html", headers=headers, message=message, ok=ok, error=error)


def login_redirect() -> Response:
    return Response(status_code=200, headers={"HX-Redirect": "/login"})


async def guarded(request: Request, work: Callable[[Api], Awaitable[Response]]) -> Response:
    """Run ``work`` with an API client; an expired login goes back to the login page, other errors flash."""
    async with Api(request) as api:
        try:
            return await work(api)
        except ApiError as exc:
            if exc.status == 401:
                return login_redirect()
            return flash(request, exc.detail, ok=False, error=exc)


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form (or JSON body) as plain strings."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return {str(k): v for k, v in body.items()} if isinstance(body, dict) else {}
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))  # htmx posts urlencoded forms


def opt_int(value: str | None) -> int | None:
    """An optional integer field: empty means unset; anything else is passed on for the API to judge."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text  # type: ignore[return-value]  # the API answers with its own field message


def checked(data: dict[str, str], name: str) -> bool:
    return str(data.get(name, "")).lower() in ("on", "true", "1", "yes")


def page_links(request: Request, page: dict[str, Any], limit: int, offset: int) -> dict[str, str | None]:
    """Console links for the previous/next page of an API list."""
    params = {k: v for k, v in request.query_params.items() if k not in ("offset",)}

    def link(off: int) -> str:
        return "?" + urlencode({**params, "offset": str(off)})

    return {"previous": link(max(offset - limit, 0)) if page.get("previous") else None,
            "next": link(offset + limit) if page.get("next") else None}


def int_param(request: Request, name: str, default: int = 0) -> int:
    try:
        return max(int(request.query_params.get(name, default)), 0)
    except ValueError:
        return default


def to_json(value: Any) -> str:
    """JSON for embedding in a <script type=application/json> (no closing tags)."""
    return json.dumps(value).replace("</", "<\\/")

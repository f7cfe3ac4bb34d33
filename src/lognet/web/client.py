"""The console's only way to the engine: its own REST API, called over HTTP with the user's bearer token.

Server-side fragments call ``/api/v1`` through an in-process ASGI transport, so every read and every change
passes the API's authentication, validation and error mapping exactly as a remote client would.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

API = "/api/v1"


class ApiError(Exception):
    """A problem+json answer of the API (or a transport failure, status 0)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code") or "ERROR")
        self.detail = str(body.get("detail") or body.get("title") or "request failed")
        self.errors: list[dict[str, str]] = list(body.get("errors") or [])
        super().__init__(f"{status} {self.code}: {self.detail}")

    def field_errors(self) -> dict[str, str]:
        """Field path → message, for showing each message at its form field."""
        out: dict[str, str] = {}
        for err in self.errors:
            out.setdefault(str(err.get("field", "")), str(err.get("message", "")))
        return out


class Api:
    """A tiny client of the native API on behalf of the caller of ``request``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.headers = {"Authorization": request.headers.get("authorization", "")}
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=request.app),
                                        base_url="http://lognet.internal" + API, headers=self.headers, timeout=60)
        self._me: dict[str, Any] | None = None

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def call(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        response = await self.client.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text}
            raise ApiError(response.status_code, body if isinstance(body, dict) else {"detail": str(body)})
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, json: Any = None, **params: Any) -> Any:
        return await self.call("POST", path, json=json, params=params or None)

    async def patch(self, path: str, json: Any) -> Any:
        return await self.call("PATCH", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.call("DELETE", path)

    async def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list (the API's largest page; lists of the console are paginated elsewhere)."""
        page = await self.get(path, limit=1000, **params)
        return list(page["results"])

    async def me(self) -> dict[str, Any]:
        if self._me is None:
            self._me = await self.get("/auth/me")
        return self._me

    async def is_admin(self) -> bool:
        return (await self.me()).get("role") == "admin"

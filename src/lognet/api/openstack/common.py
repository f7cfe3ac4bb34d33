"""Plumbing of the OpenStack front ends: the ONE error table, authentication, JSON, list semantics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from lognet.domain.errors import (
    AuthenticationFailed,
    Conflict,
    HostFailure,
    InvalidInput,
    LognetError,
    NotFound,
    PermissionDenied,
    invalid,
)
from lognet.service.app import Lognet
from lognet.service.openstack.identity import Context, context

log = logging.getLogger(__name__)

#: lognet error code → (Neutron exception type, HTTP status). Class fallbacks follow in ``FALLBACK``.
ERRORS: dict[str, tuple[str, int]] = {
    "NETWORK_NOT_FOUND": ("NetworkNotFound", 404),
    "PORT_NOT_FOUND": ("PortNotFound", 404),
    "VNIC_NOT_FOUND": ("PortNotFound", 404),
    "SUBNET_NOT_FOUND": ("SubnetNotFound", 404),
    "EXTENSION_NOT_FOUND": ("ExtensionNotFound", 404),
    "PROJECT_NOT_FOUND": ("ProjectNotFound", 404),
    "VM_NOT_FOUND": ("DeviceNotFound", 404),
    "MAC_IN_USE": ("MacAddressInUse", 409),
    "MAC_POOL_EXHAUSTED": ("MacAddressGenerationFailure", 503),
    "IP_EXHAUSTED": ("IpAddressGenerationFailure", 409),
    "IP_IN_USE": ("IpAddressAlreadyAllocated", 409),
    "NETWORK_IN_USE": ("NetworkInUse", 409),
    "SUBNET_IN_USE": ("SubnetInUse", 409),
    "VNIC_PLUGGED": ("PortInUse", 409),
    "ALREADY_ATTACHED": ("AlreadyAttached", 409),
    "PORT_IN_USE": ("PortInUse", 409),
    "REQUESTED_STATE_INVALID": ("RequestedStateInvalid", 400),
    "GATEWAY_CONFLICT": ("GatewayConflictWithAllocationPools", 409),
    "NETWORK_NAME_IN_USE": ("NetworkNameInUse", 409),
    "NETWORK_NOT_IN_CLUSTER": ("NetworkNotInCluster", 409),
    "NETWORK_NOT_ON_HOST": ("NetworkNotOnHost", 409),
    "NOT_A_VM_NETWORK": ("NotAVmNetwork", 409),
    "CANNOT_REMOVE_MANAGEMENT_NETWORK": ("NetworkInUse", 409),
    "SUBNET_OVERLAP": ("BadRequest", 400),
    "ADMIN_REQUIRED": ("PolicyNotAuthorized", 403),
    "POLICY_NOT_AUTHORIZED": ("PolicyNotAuthorized", 403),
    "INVALID_CREDENTIALS": ("Unauthorized", 401),
    "INVALID_TOKEN": ("Unauthorized", 401),
    "AUTHENTICATION_REQUIRED": ("Unauthorized", 401),
}
FALLBACK: list[tuple[type[LognetError], str, int]] = [
    (InvalidInput, "BadRequest", 400), (AuthenticationFailed, "Unauthorized", 401),
    (PermissionDenied, "PolicyNotAuthorized", 403), (NotFound, "NotFound", 404), (Conflict, "Conflict", 409),
    (HostFailure, "HostFailure", 502)]


def neutron_type(exc: LognetError) -> tuple[str, int]:
    if exc.code in ERRORS:
        return ERRORS[exc.code]
    for cls, kind, status in FALLBACK:
        if isinstance(exc, cls):
            return kind, status
    return "NeutronException", 500


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def neutron_error(kind: str, status: int, message: str, detail: str = "") -> Response:
    headers = {"WWW-Authenticate": 'Keystone uri="/identity/v3"'} if status == 401 else None
    return json_response({"NeutronError": {"type": kind, "message": message, "detail": detail}}, status, headers)


@dataclass
class Call:
    """One OpenStack request, as the handlers see it (they run in a worker thread)."""

    request: Request
    app: Lognet
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any = None
    ctx_: Context | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ctx(self) -> Context:
        if self.ctx_ is None:
            self.ctx_ = context(self.app, self.request.headers.get("x-auth-token", ""))
        return self.ctx_

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.query if k == key]


Handler = Callable[[Call], Response]
ErrorRenderer = Callable[[LognetError], Response]


def render_neutron(exc: LognetError) -> Response:
    kind, status = neutron_type(exc)
    return neutron_error(kind, status, exc.message)


def endpoint(handler: Handler, render: ErrorRenderer = render_neutron,
             auth: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a sync handler: parse JSON, authenticate, run in a thread, map lognet errors."""

    async def run(request: Request) -> Response:
        raw = await request.body()
        call = Call(request, request.app.state.lognet, dict(request.path_params),
                    list(request.query_params.multi_items()))
        try:
            if raw:
                try:
                    call.body = orjson.loads(raw)
                except ValueError:
                    raise invalid("MALFORMED_REQUEST", "The request body is not valid JSON.") from None
            return await run_in_threadpool(_guarded, handler, call, auth)
        except LognetError as exc:
            return render(exc)
        except Exception:  # noqa: BLE001 - an internal error is still a JSON error body
            log.exception("OpenStack API request failed: %s %s", request.method, request.url.path)
            return render(LognetError("INTERNAL", "Request Failed: internal server error while processing your "
                                                  "request."))

    return run


def _guarded(handler: Handler, call: Call, auth: bool) -> Response:
    if auth:
        _ = call.ctx
    return handler(call)


# -- list semantics -------------------------------------------------------------------------------
CONTROL = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "verbose"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(item: dict[str, Any], key: str, wanted: list[str]) -> bool:
    if key in ("tags", "tags-any", "not-tags", "not-tags-any"):
        tags = set(item.get("tags") or [])
        sets = [set(w.split(",")) for w in wanted]
        return {"tags": all(s <= tags for s in sets), "tags-any": any(s & tags for s in sets),
                "not-tags": not all(s <= tags for s in sets), "not-tags-any": not any(s & tags for s in sets)}[key]
    if key == "fixed_ips":
        for want in wanted:
            k, _, v = want.partition("=")
            if not any(_text(ip.get(k)) == v for ip in item.get("fixed_ips", [])):
                return False
        return True
    if key in ("ip_address", "subnet_id") and "fixed_ips" in item:
        return any(_text(ip.get(key)) in wanted for ip in item["fixed_ips"])
    value = item.get(key)
    if isinstance(value, list):
        return any(_text(v) in wanted for v in value)
    if isinstance(value, bool):
        return _text(value) in [w.lower() for w in wanted]
    return _text(value) in wanted


def _sort_key(key: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    def value(item: dict[str, Any]) -> tuple[bool, Any]:
        v = item.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v is None, f"{v:020d}"
        return v is None, _text(v)
    return value


def collection(call: Call, collection_name: str, items: list[dict[str, Any]]) -> Response:
    """Filters (repeat = OR), sort_key/sort_dir, limit/marker/page_reverse with links, fields."""
    keys = {k for k, _ in call.query if k not in CONTROL}
    for key in keys:
        wanted = call.values(key)
        if key in ("tenant_id", "project_id"):
            items = [i for i in items if i.get("project_id") in wanted]
        elif key.endswith("_substr"):
            base = key[:-7]
            items = [i for i in items if any(w in _text(i.get(base)) or
                                             any(w in ip.get(base, "") for ip in i.get("fixed_ips", []))
                                             for w in wanted)]
        elif items and (key in items[0] or key in ("tags", "tags-any", "not-tags", "not-tags-any", "ip_address",
                                                   "subnet_id")):
            items = [i for i in items if _matches(i, key, wanted)]
        elif items:
            raise invalid("BAD_REQUEST", f"{key} is an invalid filter for {collection_name}", key)
    sort_keys, sort_dirs = call.values("sort_key"), call.values("sort_dir")
    reverse_page = call.values("page_reverse")[-1:] in (["True"], ["true"], ["1"])
    for i, skey in reversed(list(enumerate(sort_keys))):
        if items and skey not in items[0]:
            raise invalid("BAD_REQUEST", f"{skey} is an invalid attribute for sort_keys", "sort_key")
        desc = (sort_dirs[i] if i < len(sort_dirs) else "asc") == "desc"
        items.sort(key=_sort_key(skey), reverse=desc)
    body: dict[str, Any] = {}
    limit_raw = call.values("limit")
    if limit_raw:
        try:
            limit = int(limit_raw[-1])
        except ValueError:
            raise invalid("BAD_REQUEST", f"Limit must be an integer 0 or greater and not '{limit_raw[-1]}'",
                          "limit") from None
        if limit < 0:
            raise invalid("BAD_REQUEST", "Limit must be an integer 0 or greater", "limit")
        items, links = _page(call, items, limit, reverse_page)
        body[f"{collection_name}_links"] = links
    fields = [f for v in call.values("fields") for f in v.split(",") if f]
    if fields:
        items = [{k: it[k] for k in fields if k in it} for it in items]
    body[collection_name] = items
    return json_response(body)


def _page(call: Call, items: list[dict[str, Any]], limit: int,
          reverse: bool) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    ordered = list(reversed(items)) if reverse else items
    markers = call.values("marker")
    start = 0
    if markers:
        idx = next((n for n, it in enumerate(ordered) if it.get("id") == markers[-1]), None)
        start = idx + 1 if idx is not None else 0
    page = ordered[start:start + limit] if limit else ordered[start:]
    more = limit and start + limit < len(ordered)
    links: list[dict[str, str]] = []
    base = [(k, v) for k, v in call.query if k not in ("marker", "page_reverse", "limit")]
    url = str(call.request.url).split("?")[0]
    if page and more:
        params = [*base, ("limit", str(limit)), ("marker", page[-1]["id"])] + ([("page_reverse", "True")]
                                                                                if reverse else [])
        links.append({"rel": "previous" if reverse else "next", "href": f"{url}?{urlencode(params)}"})
    if page and markers:
        params = [*base, ("limit", str(limit)), ("marker", page[0]["id"])] + ([] if reverse else
                                                                               [("page_reverse", "True")])
        links.append({"rel": "next" if reverse else "previous", "href": f"{url}?{urlencode(params)}"})
    return (list(reversed(page)) if reverse else page), links


def fields_only(call: Call, item: dict[str, Any]) -> dict[str, Any]:
    fields = [f for v in call.values("fields") for f in v.split(",") if f]
    return {k: item[k] for k in fields if k in item} if fields else item


def plural_body(call: Call, singular: str, plural: str) -> list[dict[str, Any]] | None:
    """The create body: one object (``{"port": {...}}``) or a bulk list (``{"ports": [...]}``)."""
    body = call.body
    if isinstance(body, dict) and isinstance(body.get(plural), list) and body[plural]:
        return [b if isinstance(b, dict) else {} for b in (x.get(singular, x) if isinstance(x, dict) else x
                                                           for x in body[plural])]
    if isinstance(body, dict) and isinstance(body.get(singular), dict):
        return None
    raise invalid("BAD_REQUEST", f"Resource body required: {{\"{singular}\": {{...}}}} or {{\"{plural}\": [...]}}")

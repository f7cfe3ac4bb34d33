"""Neutron v2.0: versions, resources, extensions, and the networks/subnets/ports routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lognet.api.openstack.common import Call, collection, endpoint, fields_only, json_response, plural_body
from lognet.domain.errors import NotFound
from lognet.service.openstack import networks, ports, subnets

UPDATED = "2024-01-01T00:00:00-00:00"
EXTENSIONS = {
    "project-id": ("Project ID", "Responses carry project_id next to tenant_id"),
    "net-mtu": ("Network MTU", "The mtu attribute of networks (the lognet MTU)"),
    "net-mtu-writable": ("Network MTU (writable)", "mtu can be set on create and update"),
    "provider": ("Provider Network", "provider:network_type vlan|flat, provider:segmentation_id = lognet VLAN"),
    "binding": ("Port Binding", "binding:host_id = the host the port's VM runs on"),
    "port-security": ("Port Security", "port_security_enabled (stored; not enforced)"),
    "standard-attr-description": ("Standard description", "description on networks, subnets and ports"),
    "standard-attr-revisions": ("Resource revision numbers", "revision_number on networks, subnets and ports"),
    "standard-attr-timestamp": ("Resource timestamps", "created_at and updated_at"),
    "standard-attr-tag": ("Tag support for resources", "tags on networks, subnets and ports (set on create/update)"),
    "external-net": ("Neutron external network", "router:external (stored)"),
    "pagination": ("Pagination support", "limit, marker, page_reverse and *_links"),
    "sorting": ("Sorting support", "sort_key and sort_dir"),
    "fields": ("Fields", "fields= on lists and shows"),
    "empty-string-filtering": ("Empty String Filtering", "?device_id= matches ports without a device"),
}


def _ext(alias: str) -> dict[str, Any]:
    name, description = EXTENSIONS[alias]
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED, "links": []}


def _root(request: Request) -> str:
    return str(request.url.replace(path="/networking", query=""))


async def versions(request: Request) -> Response:
    return json_response({"versions": [{"id": "v2.0", "status": "CURRENT",
                                        "links": [{"href": f"{_root(request)}/v2.0/", "rel": "self"}]}]})


def resources(call: Call) -> Response:
    base = _root(call.request) + "/v2.0"
    return json_response({"resources": [{"name": n, "collection": f"{n}s", "links": [{"href": f"{base}/{n}s",
                                                                                        "rel": "self"}]}
                                        for n in ("network", "subnet", "port")]})


def list_extensions(call: Call) -> Response:
    return json_response({"extensions": [_ext(a) for a in EXTENSIONS]})


def show_extension(call: Call) -> Response:
    alias = call.params["alias"]
    if alias not in EXTENSIONS:
        raise NotFound("EXTENSION_NOT_FOUND", f"Extension with alias {alias} does not exist")
    return json_response({"extension": _ext(alias)})


def _prefilter(call: Call, keys: tuple[str, ...]) -> dict[str, list[str]]:
    return {k: call.values(k) for k in keys if call.values(k) and all(call.values(k))}


def _resource(singular: str, plural: str, service: Any, prefilter_keys: tuple[str, ...]) -> list[Route]:
    def list_(call: Call) -> Response:
        if service is ports:
            items = ports.listing(call.app, call.ctx, _prefilter(call, prefilter_keys))
        else:
            items = service.listing(call.app, call.ctx, call.values("id") or None)
        return collection(call, plural, items)

    def create(call: Call) -> Response:
        bodies = plural_body(call, singular, plural)
        if bodies is None:
            return json_response({singular: service.create(call.app, call.ctx, [call.body[singular]])[0]}, 201)
        return json_response({plural: service.create(call.app, call.ctx, bodies)}, 201)

    def show(call: Call) -> Response:
        return json_response({singular: fields_only(call, service.get(call.app, call.ctx, call.params["id"]))})

    def update(call: Call) -> Response:
        body = call.body.get(singular) if isinstance(call.body, dict) else None
        if not isinstance(body, dict):
            from lognet.domain.errors import invalid
            raise invalid("BAD_REQUEST", f"Resource body required: {{\"{singular}\": {{...}}}}")
        return json_response({singular: service.update(call.app, call.ctx, call.params["id"], body)})

    def delete(call: Call) -> Response:
        service.delete(call.app, call.ctx, call.params["id"])
        return Response(status_code=204)

    return [Route(f"/v2.0/{plural}", endpoint(list_), methods=["GET"]),
            Route(f"/v2.0/{plural}", endpoint(create), methods=["POST"]),
            Route(f"/v2.0/{plural}/{{id}}", endpoint(show), methods=["GET"]),
            Route(f"/v2.0/{plural}/{{id}}", endpoint(update), methods=["PUT"]),
            Route(f"/v2.0/{plural}/{{id}}", endpoint(delete), methods=["DELETE"])]


def routes() -> list[Route]:
    return [Route("/", versions, methods=["GET"], name="neutron_versions"),
            Route("/v2.0", endpoint(resources), methods=["GET"]),
            Route("/v2.0/", endpoint(resources), methods=["GET"]),
            Route("/v2.0/extensions", endpoint(list_extensions), methods=["GET"]),
            Route("/v2.0/extensions/{alias}", endpoint(show_extension), methods=["GET"]),
            *_resource("network", "networks", networks, ()),
            *_resource("subnet", "subnets", subnets, ()),
            *_resource("port", "ports", ports, ("id", "network_id", "device_id"))]

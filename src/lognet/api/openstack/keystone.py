"""Keystone v3, enough for keystoneauth1 / openstacksdk / openstackclient: version, tokens, projects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lognet.api.openstack.common import Call, endpoint, json_response, neutron_type
from lognet.domain.errors import LognetError, NotFound
from lognet.service.openstack import identity

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def keystone_error(exc: LognetError) -> Response:
    status = neutron_type(exc)[1]
    headers = {"WWW-Authenticate": 'Keystone uri="/identity/v3"'} if status == 401 else None
    return json_response({"error": {"code": status, "message": exc.message, "title": TITLES.get(status, "Error")}},
                         status, headers)


def _base(request: Request) -> str:
    return str(request.url.replace(path="", query="")).rstrip("/")


def _version(request: Request) -> dict[str, object]:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{_base(request)}/identity/v3/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]}


async def root(request: Request) -> Response:
    return json_response({"versions": {"values": [_version(request)]}}, 300)


async def v3(request: Request) -> Response:
    return json_response({"version": _version(request)})


def catalog(request: Request) -> list[dict[str, object]]:
    base = _base(request)

    def eps(url: str, sid: str) -> list[dict[str, str]]:
        return [{"id": f"{sid}-{i}", "interface": i, "region": "RegionOne", "region_id": "RegionOne", "url": url}
                for i in ("public", "internal", "admin")]

    return [{"type": "network", "name": "neutron", "id": "lognet-network", "endpoints": eps(f"{base}/networking/",
                                                                                              "net")},
            {"type": "identity", "name": "keystone", "id": "lognet-identity",
             "endpoints": eps(f"{base}/identity/v3/", "id")}]


def issue(call: Call) -> Response:
    token, body = identity.keystone_login(call.app, call.body or {})
    if "nocatalog" not in dict(call.query):
        body["catalog"] = catalog(call.request)
    return json_response({"token": body}, 201, {"X-Subject-Token": token})


def check(call: Call) -> Response:
    subject = call.request.headers.get("x-subject-token", "")
    _ = call.ctx
    body = identity.validate(call.app, subject)
    body["catalog"] = catalog(call.request)
    return json_response({"token": body}, 200, {"X-Subject-Token": subject})


def projects(call: Call) -> Response:
    name = call.values("name")
    return json_response({"projects": identity.list_projects(call.app, call.ctx, name[-1] if name else None),
                          "links": {"self": str(call.request.url), "next": None, "previous": None}})


def project(call: Call) -> Response:
    for p in identity.list_projects(call.app, call.ctx):
        if call.params["id"] in (p["id"], p["name"]):
            return json_response({"project": p})
    raise NotFound("PROJECT_NOT_FOUND", f"Could not find project: {call.params['id']}.")


def routes() -> list[Route]:
    return [Route("/", root, methods=["GET"]), Route("/v3", v3, methods=["GET"]), Route("/v3/", v3, methods=["GET"]),
            Route("/v3/auth/tokens", endpoint(issue, keystone_error, auth=False), methods=["POST"]),
            Route("/v3/auth/tokens", endpoint(check, keystone_error), methods=["GET", "HEAD"]),
            Route("/v3/projects", endpoint(projects, keystone_error), methods=["GET"]),
            Route("/v3/auth/projects", endpoint(projects, keystone_error), methods=["GET"]),
            Route("/v3/projects/{id}", endpoint(project, keystone_error), methods=["GET"])]

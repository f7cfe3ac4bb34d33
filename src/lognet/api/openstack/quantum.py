"""Quantum v1.0 / v1.1 (JSON only) over the same commands as Neutron v2.0.

``/networking/v1.x/tenants/{tenant}/networks[/{net}[/ports[/{port}[/attachment]]]]``. The tenant is a project
id or name. An attachment id is a VM id: ``PUT .../attachment`` binds the port to that VM (hot-plugged when it
runs; Put_Attachment), ``DELETE`` unbinds it (Delete_Attachment). v1.0 answers create with 200 and faults
with the v1 codes (420 NetworkNotFound, 421 NetworkInUse, 430 PortNotFound, 431 RequestedStateInvalid,
432 PortInUse, 440 AlreadyAttached); v1.1 answers create with 202 and faults as ``{"QuantumError": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from lognet.api.openstack.common import Call, endpoint, json_response, neutron_type
from lognet.domain.errors import Conflict, LognetError, NotFound, invalid
from lognet.service.openstack import networks, ports

V10 = {"NetworkNotFound": ("networkNotFound", 420, "Unable to find a network with the specified identifier."),
       "NetworkInUse": ("networkInUse", 421, "Unable to remove the network: attachments still plugged."),
       "PortNotFound": ("portNotFound", 430, "Unable to find a port with the specified identifier."),
       "RequestedStateInvalid": ("requestedStateInvalid", 431, "Unsupported port state"),
       "PortInUse": ("portInUse", 432, "A resource is currently attached to the logical port"),
       "AlreadyAttached": ("alreadyAttached", 440, "The resource is already attached to another port"),
       "BadRequest": ("malformedRequest", 400, "Malformed request body"),
       "Unauthorized": ("unauthorized", 401, "Access was denied to this resource."),
       "PolicyNotAuthorized": ("forbidden", 403, "Access was denied to this resource."),
       "NotFound": ("itemNotFound", 404, "The resource could not be found.")}
V11 = {"NetworkNotFound": 404, "PortNotFound": 404, "NetworkInUse": 409, "PortInUse": 409, "AlreadyAttached": 409,
       "RequestedStateInvalid": 400}


def fault(path: str, kind: str, status: int, detail: str) -> Response:
    if "/v1.0" in path:
        name, code, message = V10.get(kind, ("quantumServiceFault", status if status >= 400 else 500,
                                             "Quantum service fault"))
        return json_response({name: {"code": code, "message": message, "detail": detail}}, code)
    return json_response({"QuantumError": {"type": kind, "message": detail, "detail": ""}}, V11.get(kind, status))


def _render(path: str) -> Any:
    def render(exc: LognetError) -> Response:
        kind, status = neutron_type(exc)
        if kind in ("NetworkInUse",) and exc.code == "NETWORK_IN_USE" and "attach" not in exc.message:
            kind = "NetworkInUse"
        if kind not in V10 and kind not in V11:
            kind = {400: "BadRequest", 404: "NotFound", 401: "Unauthorized", 403: "PolicyNotAuthorized"}.get(
                status, kind)
        return fault(path, kind, status, exc.message)
    return render


def _v11(call: Call) -> bool:
    return call.params["ver"] == "v1.1"


def _nets(call: Call) -> list[dict[str, Any]]:
    tenant = call.params["tenant"]
    return [n for n in networks.listing(call.app, call.ctx) if tenant in (n["project_id"], call.ctx.project_name)
            and (n["project_id"] == tenant or n["project_id"] == call.ctx.project_id)]


def _net(call: Call) -> dict[str, Any]:
    net_id = call.params["net"]
    for n in _nets(call):
        if n["id"] == net_id:
            return n
    raise NotFound("NETWORK_NOT_FOUND", f"Network {net_id} could not be found")


def _ports(call: Call, net_id: str) -> list[dict[str, Any]]:
    return ports.listing(call.app, call.ctx, {"network_id": [net_id]})


def _port(call: Call) -> dict[str, Any]:
    net = _net(call)
    for p in _ports(call, net["id"]):
        if p["id"] == call.params["port"]:
            return p
    raise NotFound("PORT_NOT_FOUND", f"Port {call.params['port']} could not be found on network {net['id']}")


def _net_view(call: Call, n: dict[str, Any], detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": n["id"]}
    if detail:
        out["name"] = n["name"]
        if _v11(call):
            out["op-status"] = "UP" if n["status"] == "ACTIVE" else "DOWN"
    return out


def _port_view(call: Call, p: dict[str, Any], detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p["id"]}
    if detail:
        out["state"] = "ACTIVE" if p["admin_state_up"] else "DOWN"
        if _v11(call):
            out["op-status"] = "UP" if p["status"] == "ACTIVE" else "DOWN"
        if p["device_id"]:
            out["attachment"] = {"id": p["device_id"]}
    return out


def list_networks(call: Call) -> Response:
    detail = call.request.url.path.rstrip("/").endswith("/detail")
    return json_response({"networks": [_net_view(call, n, detail) for n in _nets(call)]})


def show_network(call: Call) -> Response:
    net = _net(call)
    out = _net_view(call, net, True)
    if call.request.url.path.rstrip("/").endswith("/detail"):
        out["ports"] = [_port_view(call, p, True) for p in _ports(call, net["id"])]
    return json_response({"network": out})


def _body(call: Call, key: str) -> dict[str, Any]:
    body = call.body.get(key) if isinstance(call.body, dict) else None
    if not isinstance(body, dict):
        raise invalid("MALFORMED_REQUEST", f"expected {{\"{key}\": {{...}}}}")
    return body


def create_network(call: Call) -> Response:
    name = _body(call, "network").get("name")
    if not isinstance(name, str) or not name:
        raise invalid("MALFORMED_REQUEST", "network name is required", "name")
    tenant = call.params["tenant"]
    body: dict[str, Any] = {"name": name}
    if tenant not in (call.ctx.project_id, call.ctx.project_name):
        body["project_id"] = tenant
    net = networks.create(call.app, call.ctx, [body])[0]
    return json_response({"network": {"id": net["id"]}}, 202 if _v11(call) else 200)


def update_network(call: Call) -> Response:
    net = _net(call)
    networks.update(call.app, call.ctx, net["id"], {k: v for k, v in _body(call, "network").items() if k == "name"})
    return Response(status_code=204)


def delete_network(call: Call) -> Response:
    net = _net(call)
    attached = [p for p in _ports(call, net["id"]) if p["device_id"]]
    if attached:
        raise Conflict("NETWORK_IN_USE", f"Unable to complete operation on network {net['id']}: "
                       f"{len(attached)} port(s) have attachments")
    for p in _ports(call, net["id"]):
        ports.delete(call.app, call.ctx, p["id"])
    networks.delete(call.app, call.ctx, net["id"])
    return Response(status_code=204)


def list_ports(call: Call) -> Response:
    net = _net(call)
    detail = call.request.url.path.rstrip("/").endswith("/detail")
    items = _ports(call, net["id"])
    if _v11(call):
        for value in call.values("state"):
            items = [p for p in items if ("ACTIVE" if p["admin_state_up"] else "DOWN") == value]
        for value in call.values("has-attachment"):
            items = [p for p in items if bool(p["device_id"]) == (value.lower() == "true")]
        for value in call.values("attachment"):
            items = [p for p in items if p["device_id"] == value]
    return json_response({"ports": [_port_view(call, p, detail) for p in items]})


def show_port(call: Call) -> Response:
    return json_response({"port": _port_view(call, _port(call), True)})


def _state(body: dict[str, Any], default: str | None) -> bool | None:
    state = body.get("state", default)
    if state is None:
        return None
    if state not in ("ACTIVE", "DOWN"):
        raise invalid("REQUESTED_STATE_INVALID", f"Unsupported port state {state!r} (ACTIVE or DOWN)", "state")
    return bool(state == "ACTIVE")


def create_port(call: Call) -> Response:
    net = _net(call)
    body = _body(call, "port") if call.body else {}
    up = _state(body, "DOWN")
    port = ports.create(call.app, call.ctx, [{"network_id": net["id"], "admin_state_up": up}])[0]
    return json_response({"port": {"id": port["id"]}}, 202 if _v11(call) else 200)


def update_port(call: Call) -> Response:
    port = _port(call)
    up = _state(_body(call, "port"), None)
    if up is not None:
        ports.update(call.app, call.ctx, port["id"], {"admin_state_up": up})
    return Response(status_code=204)


def delete_port(call: Call) -> Response:
    port = _port(call)
    if port["device_id"]:
        raise Conflict("PORT_IN_USE", f"Port {port['id']} has an attachment ({port['device_id']}); remove it first")
    ports.delete(call.app, call.ctx, port["id"])
    return Response(status_code=204)


def show_attachment(call: Call) -> Response:
    port = _port(call)
    return json_response({"attachment": {"id": port["device_id"]} if port["device_id"] else {}})


def put_attachment(call: Call) -> Response:
    port = _port(call)
    vif = _body(call, "attachment").get("id")
    if not isinstance(vif, str) or not vif:
        raise invalid("MALFORMED_REQUEST", "attachment id is required", "id")
    if port["device_id"]:
        raise Conflict("PORT_IN_USE", f"Port {port['id']} already has attachment {port['device_id']}")
    for other in _ports(call, port["network_id"]):
        if other["device_id"] == vif:
            raise Conflict("ALREADY_ATTACHED", f"Attachment {vif} is already plugged into port {other['id']}")
    ports.update(call.app, call.ctx, port["id"], {"device_id": vif})
    return Response(status_code=204)


def delete_attachment(call: Call) -> Response:
    port = _port(call)
    if port["device_id"]:
        ports.update(call.app, call.ctx, port["id"], {"device_id": ""})
    return Response(status_code=204)


def versions(call: Call) -> Response:
    base = str(call.request.url.replace(path="/networking", query=""))
    return json_response({"versions": [
        {"id": "v1.0", "status": "DEPRECATED", "links": [{"rel": "self", "href": f"{base}/v1.0"}]},
        {"id": "v1.1", "status": "CURRENT", "links": [{"rel": "self", "href": f"{base}/v1.1"}]},
        {"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": f"{base}/v2.0"}]}]})


def routes() -> list[Route]:
    base = "/{ver:str}/tenants/{tenant}/networks"
    table: list[tuple[str, str, Callable[[Call], Response]]] = [
        ("", "GET", list_networks), ("/detail", "GET", list_networks), ("", "POST", create_network),
        ("/{net}", "GET", show_network), ("/{net}/detail", "GET", show_network),
        ("/{net}", "PUT", update_network), ("/{net}", "DELETE", delete_network),
        ("/{net}/ports", "GET", list_ports), ("/{net}/ports/detail", "GET", list_ports),
        ("/{net}/ports", "POST", create_port),
        ("/{net}/ports/{port}", "GET", show_port), ("/{net}/ports/{port}/detail", "GET", show_port),
        ("/{net}/ports/{port}", "PUT", update_port), ("/{net}/ports/{port}", "DELETE", delete_port),
        ("/{net}/ports/{port}/attachment", "GET", show_attachment),
        ("/{net}/ports/{port}/attachment", "PUT", put_attachment),
        ("/{net}/ports/{port}/attachment", "DELETE", delete_attachment)]
    out = []
    for ver in ("v1.0", "v1.1"):
        for suffix, method, handler in table:
            out.append(Route(base.replace("{ver:str}", ver) + suffix, _versioned(ver, handler), methods=[method]))
    return out


def _versioned(ver: str, handler: Callable[[Call], Response]) -> Any:
    def with_ver(call: Call) -> Response:
        call.params["ver"] = ver
        return handler(call)
    return endpoint(with_ver, _render(f"/{ver}"))

"""The host network page: the picture, the setup-networks editor, apply with job progress, commit and sync.

The editor script stages a setup-networks delta (oVirt's field names) in the browser and posts it here after
every drag or menu action; this module asks the API for a dry run of it and renders the resulting picture,
the diff, warnings and the apply controls, or refuses the change with the API's reason.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from lognet.web import picture
from lognet.web.client import Api, ApiError
from lognet.web.render import form_data, guarded, html, shell, to_json

router = APIRouter()
DELTA_FIELDS = ("modified_network_attachments", "removed_network_attachments", "modified_bonds", "removed_bonds",
                "synchronized_network_attachments")
PANEL_PAGE = 40
ROLES = ("management", "display", "migration", "default_route")


@router.get("/hosts/{ref}", response_class=HTMLResponse)
def host_page(request: Request, ref: str) -> HTMLResponse:
    return shell(request, "Host networks", f"/ui/hosts/{ref}")


async def _load(api: Api, ref: str) -> dict[str, Any]:
    """Everything the page shows of one host, read through the API."""
    host = await api.get(f"/hosts/{ref}")
    cluster = await api.get(f"/clusters/{host['cluster']}")
    nics = (await api.get(f"/hosts/{host['id']}/nics"))["results"]
    atts = (await api.get(f"/hosts/{host['id']}/networkattachments"))["results"]
    cnets = (await api.get(f"/clusters/{cluster['id']}/networks"))["results"]
    dcnets = await api.all("/networks", datacenter=cluster["datacenter"])
    vm_nets: dict[str, list[str]] = {}
    for vm in await api.all("/vms", host=host["id"], status="up"):
        for vnic in (await api.get(f"/vms/{vm['id']}/nics"))["results"]:
            if vnic["plugged"] and vnic["network"]:
                vm_nets.setdefault(vnic["network"], []).append(vm["name"])
    return {"host": host, "cluster": cluster, "nics": nics, "atts": atts, "cnets": {n["id"]: n for n in cnets},
            "dcnets": {n["id"]: n for n in dcnets}, "vm_nets": vm_nets, "admin": await api.is_admin()}


def ip_summary(ip: dict[str, Any] | None) -> str:
    ip = ip or {}
    parts = []
    v4, v6 = ip.get("ipv4") or {}, ip.get("ipv6") or {}
    if v4.get("boot_protocol") == "static" and v4.get("address"):
        try:
            prefix = ipaddress.IPv4Network(f"0.0.0.0/{v4.get('netmask')}").prefixlen
            parts.append(f"{v4['address']}/{prefix}")
        except ValueError:
            parts.append(str(v4["address"]))
    elif v4.get("boot_protocol") == "dhcp":
        parts.append("DHCP")
    if v6.get("boot_protocol") == "static" and v6.get("address"):
        parts.append(f"{v6['address']}/{v6.get('prefix')}")
    elif v6.get("boot_protocol") in ("dhcp", "autoconf"):
        parts.append(f"v6 {v6['boot_protocol']}")
    return " ".join(parts)


def _baseline(data: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The engine's current bonds and attachments (by network name)."""
    bonds = {n["name"]: {"slaves": sorted(n["slaves"]), "mode": n["mode"], "active": n.get("active_slave")}
             for n in data["nics"] if n["kind"] == "bond"}
    atts = {a["network_name"]: {"id": a["id"], "network": a["network"], "nic": a["nic"],
                                "ip": a["ip_configuration"], "in_sync": a["in_sync"],
                                "reported": a["reported_configurations"]} for a in data["atts"]}
    return bonds, atts


def _effective(dry: dict[str, Any] | None, bonds: dict[str, Any], atts: dict[str, Any]) -> tuple[dict[str, Any],
                                                                                                  dict[str, Any]]:
    if dry is None:
        return bonds, atts
    eff_bonds = {name: {"slaves": sorted(b["slaves"]), "mode": b["mode"],
                        "active": (bonds.get(name) or {}).get("active")}
                 for name, b in dry["desired"]["bonds"].items()}
    eff_atts = {a["network_name"]: {"id": a["id"], "network": a["network"], "nic": a["nic"],
                                    "ip": a["ip_configuration"]} for a in dry["attachments"]}
    return eff_bonds, eff_atts


def _diffs(att: dict[str, Any]) -> list[str]:
    return [f"{d['name']}: host {_short(d['actual'])}, expected {_short(d['expected'])}"
            for d in att.get("reported", []) if not d["in_sync"]]


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ip_summary({"ipv4": value}) or str(value.get("boot_protocol", value))
    return "none" if value is None else str(value)


def build_picture(data: dict[str, Any], dry: dict[str, Any] | None, delta: dict[str, Any],
                  expanded: set[str]) -> tuple[picture.Picture, dict[str, Any]]:
    """The picture of the staged state (or the current one) and the state the editor script works on."""
    base_bonds, base_atts = _baseline(data)
    bonds, atts = _effective(dry, base_bonds, base_atts)
    synced = set(delta.get("synchronized_network_attachments") or [])
    slave_of = {s: name for name, b in bonds.items() for s in b["slaves"]}
    base_slave_of = {s: name for name, b in base_bonds.items() for s in b["slaves"]}
    nics = [picture.Nic(n["name"], n.get("mac") or "", n.get("speed"), n.get("link"), slave_of.get(n["name"]),
                        staged=slave_of.get(n["name"]) != base_slave_of.get(n["name"]))
            for n in data["nics"] if n["kind"] == "nic"]
    pic_bonds = [picture.Bond(name, b["mode"], b["slaves"], b.get("active"), staged=base_bonds.get(name, {}).get(
        "slaves") != b["slaves"] or base_bonds.get(name, {}).get("mode") != b["mode"]) for name, b in bonds.items()]
    nets: list[picture.Net] = []
    managed: set[str] = set()
    for name, att in atts.items():
        info = data["dcnets"].get(att["network"], {})
        cnet = data["cnets"].get(att["network"], {})
        managed.add(info.get("host_name", name))
        base = base_atts.get(name)
        staged = "new" if base is None else ("moved" if base["nic"] != att["nic"] else
                                             ("changed" if base["ip"] != att["ip"] else ""))
        unsync = _diffs(base) if base is not None and base["id"] not in synced else []
        nets.append(picture.Net(name, att["nic"], info.get("vlan"), info.get("effective_mtu", 1500),
                                ip_summary(att["ip"]), [r for r in ROLES if cnet.get(r)], info.get("vm_network", True),
                                unsync, staged=staged, required=bool(cnet.get("required"))))
    host_names = {n["host_name"]: n["name"] for n in data["dcnets"].values()}
    for base in base_atts.values():
        managed.add(data["dcnets"].get(base["network"], {}).get("host_name", ""))
    for iface in data["nics"]:
        for reported in iface.get("networks", []):
            if reported not in managed:
                label = host_names.get(reported, reported)
                nets.append(picture.Net(f"{label}", iface["name"], unmanaged=True))
    pic = picture.Picture(nics, pic_bonds, nets, expanded, editable=data["admin"])
    mgmt = next((n["name"] for n in data["cnets"].values() if n.get("management")), None)
    state = {"host": data["host"]["id"], "admin": data["admin"], "nics": [n.name for n in nics],
             "bonds": {k: {"slaves": v["slaves"], "mode": v["mode"]} for k, v in bonds.items()},
             "atts": {k: {"nic": v["nic"], "ip": v["ip"]} for k, v in atts.items()},
             "baseline": {"atts": {k: v["id"] for k, v in base_atts.items()}, "bonds": sorted(base_bonds)},
             "unsync": sorted(k for k, v in base_atts.items() if not v["in_sync"]), "management": mgmt,
             "vlans": {n["name"]: n["vlan"] for n in data["dcnets"].values()}}
    return pic, state


def warnings(data: dict[str, Any], dry: dict[str, Any] | None) -> list[str]:
    """Cockpit-style warnings when the change touches the management network or networks in use."""
    if dry is None:
        return []
    base_bonds, base_atts = _baseline(data)
    bonds, atts = _effective(dry, base_bonds, base_atts)
    changed_bonds = {n for n in set(base_bonds) | set(bonds)
                     if (base_bonds.get(n) or {}).get("slaves") != (bonds.get(n) or {}).get("slaves")
                     or (base_bonds.get(n) or {}).get("mode") != (bonds.get(n) or {}).get("mode")}
    out = []
    for name in sorted(set(base_atts) | set(atts)):
        before, after = base_atts.get(name), atts.get(name)
        touched = before is None or after is None or before["nic"] != after["nic"] or before["ip"] != after["ip"] \
            or (after["nic"] in changed_bonds) or (before["nic"] in changed_bonds)
        if not touched:
            continue
        net_id = (after or before or {}).get("network", "")
        cnet = data["cnets"].get(net_id, {})
        if cnet.get("management"):
            out.append(f"This change touches the management network {name}: if the host loses its connection "
                       "to the engine, the change is rolled back only when 'Verify connectivity' is on.")
        if data["vm_nets"].get(net_id):
            vms = ", ".join(sorted(set(data["vm_nets"][net_id])))
            out.append(f"Network {name} is used by running VMs ({vms}); their traffic may be interrupted.")
        if after is None and cnet.get("required"):
            out.append(f"Network {name} is required by the cluster: without it the host becomes non-operational.")
    return out


def _panel(data: dict[str, Any], atts: dict[str, Any], q: str, offset: int) -> dict[str, Any]:
    rows = [n for n in data["cnets"].values() if n["name"] not in atts and q.lower() in n["name"].lower()]
    rows.sort(key=lambda n: (not n["required"], n["name"]))
    return {"rows": rows[offset:offset + PANEL_PAGE], "count": len(rows), "offset": offset, "q": q,
            "page": PANEL_PAGE}


def clean_delta(raw: Any) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    return {k: list(raw.get(k) or []) for k in DELTA_FIELDS}


async def _editor(request: Request, api: Api, ref: str, body: dict[str, Any]) -> Response:
    delta = clean_delta(body.get("delta"))
    data = await _load(api, ref)
    dry: dict[str, Any] | None = None
    if any(delta.values()):
        try:
            dry = await api.post(f"/hosts/{data['host']['id']}/setupnetworks", {**delta, "dry_run": True})
        except ApiError as exc:
            if exc.status == 401:
                raise
            field = exc.errors[0]["field"] if exc.errors else ""
            return html(request, "fragments/refused.html", headers={"X-Valid": "false", "X-Error-Field": field},
                        error=exc)
    expanded = {str(x) for x in body.get("expanded") or []}
    pic, state = build_picture(data, dry, delta, expanded)
    q, offset = str(body.get("q") or ""), int(body.get("offset") or 0)
    base_bonds, base_atts = _baseline(data)
    unsync = [{"name": k, "id": v["id"], "nic": v["nic"], "diffs": [d for d in v["reported"] if not d["in_sync"]]}
              for k, v in sorted(base_atts.items()) if not v["in_sync"]]
    return html(request, "fragments/editor.html", headers={"X-Valid": "true"}, data=data, dry=dry, delta=delta,
                svg=Markup(picture.render(pic)), state=Markup(to_json(state)), panel=_panel(data, state["atts"], q,
                                                                                              offset),
                warnings=warnings(data, dry), changes=[describe(c) for c in (dry or {}).get("changes", [])],
                unsync=unsync, admin=data["admin"])


def describe(change: dict[str, Any]) -> str:
    """One line of the diff: what applying the staged change does on the host."""
    action, kind, name = change["action"], change["kind"], change["name"]
    if action in ("add", "remove"):
        state = change.get("to") if action == "add" else change.get("from")
        state = state or {}
        where = state.get("nic") or state.get("bond") or ", ".join(state.get("slaves", []))
        extra = f" VLAN {state['vlan']}" if state.get("vlan") else ""
        mode = f" ({state['mode']})" if state.get("mode") else ""
        return f"{action} {kind} {name}{' on ' + where if where else ''}{extra}{mode}"
    fields = "; ".join(f"{k}: {_short(v[0])} → {_short(v[1])}" for k, v in change.get("fields", {}).items())
    return f"modify {kind} {name}: {fields}"


@router.get("/ui/hosts/{ref}")
async def host_fragment(request: Request, ref: str) -> Response:
    async def work(api: Api) -> Response:
        host = await api.get(f"/hosts/{ref}")
        return html(request, "fragments/host.html", host=host, admin=await api.is_admin())
    return await guarded(request, work)


@router.get("/ui/hosts/{ref}/header")
async def host_header(request: Request, ref: str) -> Response:
    async def work(api: Api) -> Response:
        return html(request, "fragments/host_header.html", host=await api.get(f"/hosts/{ref}"),
                    admin=await api.is_admin())
    return await guarded(request, work)


@router.post("/ui/hosts/{ref}/editor")
async def editor(request: Request, ref: str) -> Response:
    body = await request.json() if request.headers.get("content-type", "").startswith("application/json") else {}

    async def work(api: Api) -> Response:
        return await _editor(request, api, ref, body)
    return await guarded(request, work)


def _job(request: Request, job: dict[str, Any]) -> HTMLResponse:
    """A job's progress; a job that already ended (a fast host) announces its end at once, as polling would."""
    headers = {}
    if job.get("status") not in ("pending", "running"):
        headers["HX-Trigger"] = json.dumps({"lognet-job-finished": {"status": job.get("status")}})
    return html(request, "fragments/job.html", headers=headers, job=job)


@router.post("/ui/hosts/{ref}/apply")
async def apply(request: Request, ref: str) -> Response:
    """Send the staged delta to the API (a real setup networks) and show the job's live progress."""
    body = await request.json()

    async def work(api: Api) -> Response:
        request_body: dict[str, Any] = {**clean_delta(body.get("delta")),
                                        "check_connectivity": bool(body.get("check_connectivity", True)),
                                        "commit_on_success": bool(body.get("commit_on_success", False))}
        timeout = body.get("connectivity_timeout")
        if timeout not in (None, ""):
            try:
                request_body["connectivity_timeout"] = int(timeout)
            except (TypeError, ValueError):
                request_body["connectivity_timeout"] = timeout
        return _job(request, await api.post(f"/hosts/{ref}/setupnetworks", request_body))
    return await guarded(request, work)


@router.post("/ui/hosts/{ref}/{action}")
async def host_action(request: Request, ref: str, action: str) -> Response:
    """Commit the host's network configuration, sync every network, or refresh what the host reports."""
    await form_data(request)
    paths = {"commit": "commitnetconfig", "syncall": "syncallnetworks", "refresh": "refresh"}

    async def work(api: Api) -> Response:
        if action not in paths:
            raise ApiError(404, {"code": "NOT_FOUND", "detail": f"unknown action {action}"})
        return _job(request, await api.post(f"/hosts/{ref}/{paths[action]}"))
    return await guarded(request, work)

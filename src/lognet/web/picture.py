"""The host network picture: NICs → bonds → networks, left to right, as server-side SVG.

Pure layout over plain values (no I/O). Every NIC, bond and network is a focusable group carrying
``data-*`` attributes the editor script uses for drag and drop and for its keyboard menu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

ROW = 54
BOX_H = 46
NIC_X, NIC_W = 8, 220
BOND_X, BOND_W = 280, 180
NET_X, NET_W = 520, 330
WIDTH = NET_X + NET_W + 10
COLLAPSE_AT = 5  # more networks than this on one interface are folded
SHOWN_WHEN_FOLDED = 3
ROLE_ICONS = {"management": ("M", "management"), "display": ("D", "display"), "migration": ("Mg", "migration"),
              "default_route": ("GW", "default route")}


@dataclass
class Nic:
    name: str
    mac: str = ""
    speed: int | None = None
    link: bool | None = None
    bond: str | None = None
    staged: bool = False


@dataclass
class Bond:
    name: str
    mode: str
    slaves: list[str]
    active_slave: str | None = None
    staged: bool = False


@dataclass
class Net:
    name: str
    iface: str
    vlan: int | None = None
    mtu: int = 1500
    ip: str = ""
    roles: list[str] = field(default_factory=list)
    vm_network: bool = True
    out_of_sync: list[str] = field(default_factory=list)  # "mtu: host 9000, expected 1500"
    unmanaged: bool = False
    staged: str = ""  # "", "new", "moved", "changed"
    required: bool = False


@dataclass
class Picture:
    nics: list[Nic]
    bonds: list[Bond]
    nets: list[Net]
    expanded: set[str] = field(default_factory=set)
    editable: bool = False


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _speed(mbps: int | None) -> str:
    if not mbps:
        return "speed ?"
    return f"{mbps // 1000} Gb/s" if mbps >= 1000 else f"{mbps} Mb/s"


def _nic_key(name: str) -> tuple[str, int, str]:
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    return head, int(tail) if tail else -1, name


def rows(p: Picture) -> list[tuple[list[Nic], Bond | None, str]]:
    """Interface rows in NIC order: a bond with its slaves, or a NIC alone; with the interface's name."""
    bonds = {b.name: b for b in p.bonds}
    nics = {n.name: n for n in p.nics}
    placed: set[str] = set()
    out: list[tuple[list[Nic], Bond | None, str]] = []
    for nic in sorted(p.nics, key=lambda n: _nic_key(n.name)):
        if nic.name in placed:
            continue
        bond = bonds.get(nic.bond or "")
        if bond is not None:
            slaves = [nics[s] for s in sorted(bond.slaves, key=_nic_key) if s in nics]
            placed.update(s.name for s in slaves)
            out.append((slaves, bond, bond.name))
        else:
            placed.add(nic.name)
            out.append(([nic], None, nic.name))
    for bond in p.bonds:  # bonds whose slaves are unknown still show
        if not any(r[1] is bond for r in out):
            out.append(([], bond, bond.name))
    return out


def _text(x: float, y: float, text: str, cls: str = "", weight: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    bold = ' font-weight="600"' if weight else ""
    return f'<text x="{x}" y="{y}"{extra}{bold}>{_esc(text)}</text>'


def _edge(x1: float, y1: float, x2: float, y2: float, cls: str = "edge") -> str:
    mid = (x1 + x2) / 2
    return f'<path class="{cls}" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>'


def _nic_svg(nic: Nic, y: float, editable: bool) -> str:
    state = "up" if nic.link else ("down" if nic.link is False else "unknown")
    cls = "item nic" + (" staged" if nic.staged else "")
    label = f"NIC {nic.name}, link {state}, {_speed(nic.speed)}, MAC {nic.mac}" + \
        (f", slave of {nic.bond}" if nic.bond else "")
    attrs = f'data-kind="nic" data-name="{_esc(nic.name)}" data-bond="{_esc(nic.bond or "")}"'
    drag = ' data-drag="nic"' if editable else ""
    return (f'<g class="{cls}" {attrs} data-drop="iface" tabindex="0" role="button" aria-label="{_esc(label)}"'
            f'{drag} transform="translate({NIC_X},{y})">'
            f'<title>{_esc(label)}</title>'
            f'<rect width="{NIC_W}" height="{BOX_H}" rx="6"/>'
            f'<circle class="link-{state}" cx="14" cy="15" r="5"/>'
            + _text(26, 19, nic.name, "name", "b") + _text(NIC_W - 8, 19, _speed(nic.speed), "meta end")
            + _text(12, 38, f"link {state} · {nic.mac or 'MAC ?'}", "meta") + "</g>")


def _bond_svg(bond: Bond, y: float, h: float, editable: bool) -> str:
    cls = "item bond" + (" staged" if bond.staged else "")
    label = f"bond {bond.name}, mode {bond.mode}, slaves {', '.join(bond.slaves)}" + \
        (f", active {bond.active_slave}" if bond.active_slave else "")
    drag = ' data-drag="bond"' if editable else ""
    return (f'<g class="{cls}" data-kind="bond" data-name="{_esc(bond.name)}" data-drop="iface" tabindex="0" '
            f'role="button" aria-label="{_esc(label)}"{drag} '
            f'transform="translate({BOND_X},{y})"><title>{_esc(label)}</title>'
            f'<rect width="{BOND_W}" height="{h}" rx="8"/>'
            + _text(10, 19, bond.name, "name", "b") + _text(BOND_W - 8, 19, bond.mode, "meta end")
            + _text(10, 36, f"active: {bond.active_slave}" if bond.active_slave else f"{len(bond.slaves)} slaves",
                    "meta") + "</g>")


def _net_svg(net: Net, y: float, editable: bool) -> str:
    classes = ["item", "net"]
    if net.out_of_sync:
        classes.append("unsync")
    if net.unmanaged:
        classes.append("unmanaged")
    if net.staged:
        classes.append(f"staged staged-{net.staged}")
    vlan = f"VLAN {net.vlan}" if net.vlan else "untagged"
    meta = f"{vlan} · MTU {net.mtu}" + (f" · {net.ip}" if net.ip else "")
    label = f"network {net.name} on {net.iface}, {meta}" + (", roles " + ", ".join(net.roles) if net.roles else "")
    if net.out_of_sync:
        label += "; out of sync: " + "; ".join(net.out_of_sync)
    if net.unmanaged:
        label += "; unmanaged (not defined by the engine)"
    drag = ' data-drag="net"' if editable and not net.unmanaged else ""
    parts = [f'<g class="{" ".join(classes)}" data-kind="net" data-name="{_esc(net.name)}" '
             f'data-iface="{_esc(net.iface)}"{drag} tabindex="0" role="button" aria-label="{_esc(label)}" '
             f'transform="translate({NET_X},{y})"><title>{_esc(label)}</title>',
             f'<rect width="{NET_W}" height="{BOX_H}" rx="6"/>',
             _text(10, 19, net.name, "name", "b")]
    x = NET_W - 8
    for role in reversed(net.roles):
        icon, title = ROLE_ICONS.get(role, (role[:2], role))
        w = 10 + 7 * len(icon)
        x -= w
        parts.append(f'<g class="role role-{role}" transform="translate({x},6)"><title>{_esc(title)}</title>'
                     f'<rect width="{w - 2}" height="16" rx="3"/>{_text((w - 2) / 2, 12, icon, "role-t")}</g>')
    if not net.vm_network:
        parts.append(_text(x - 6, 19, "non-VM", "meta end"))
    second = "⚠ " + net.out_of_sync[0] if net.out_of_sync else ("unmanaged" if net.unmanaged else meta)
    parts.append(_text(10, 38, second, "warn-t" if net.out_of_sync else "meta"))
    parts.append("</g>")
    return "".join(parts)


def render(p: Picture) -> str:
    """The SVG markup of the picture."""
    by_iface: dict[str, list[Net]] = {}
    for net in p.nets:
        by_iface.setdefault(net.iface, []).append(net)
    for nets in by_iface.values():
        nets.sort(key=lambda n: (n.unmanaged, n.vlan or 0, n.name))
    body: list[str] = []
    y = 34.0
    for slaves, bond, iface in rows(p):
        nets = by_iface.get(iface, [])
        folded = len(nets) > COLLAPSE_AT and iface not in p.expanded
        shown = nets[:SHOWN_WHEN_FOLDED] if folded else nets
        lines = max(len(slaves), len(shown) + (1 if folded or len(nets) > COLLAPSE_AT else 0), 1)
        top = y
        body.append(f'<g class="iface-row" data-iface="{_esc(iface)}">')
        for i, nic in enumerate(slaves):
            body.append(_nic_svg(nic, top + i * ROW, p.editable))
        src_x, src_y = NIC_X + NIC_W, top + BOX_H / 2
        if bond is not None:
            h = max(len(slaves), 1) * ROW - (ROW - BOX_H)
            for i in range(len(slaves)):
                body.append(_edge(NIC_X + NIC_W, top + i * ROW + BOX_H / 2, BOND_X, top + h / 2))
            body.append(_bond_svg(bond, top, h, p.editable))
            src_x, src_y = BOND_X + BOND_W, top + h / 2
        for i, net in enumerate(shown):
            cls = "edge unmanaged" if net.unmanaged else ("edge staged" if net.staged else "edge")
            body.append(_edge(src_x, src_y, NET_X, top + i * ROW + BOX_H / 2, cls))
            body.append(_net_svg(net, top + i * ROW, p.editable))
        if len(nets) > COLLAPSE_AT:
            ty = top + len(shown) * ROW
            text = f"+ {len(nets) - len(shown)} more networks on {iface} (show)" if folded else \
                f"− fold the {len(nets)} networks of {iface}"
            body.append(f'<g class="fold" data-fold="{_esc(iface)}" tabindex="0" role="button" '
                        f'aria-label="{_esc(text)}" transform="translate({NET_X},{ty})">'
                        f'<rect width="{NET_W}" height="26" rx="6"/>{_text(10, 17, text, "meta")}</g>')
        if not nets:
            body.append(_text(NET_X + 8, top + BOX_H / 2 + 4, "no networks — drop one here", "hint"))
        body.append("</g>")
        y = top + lines * ROW + 10
    height = int(y + 10)
    head = (_text(NIC_X, 20, "Physical NICs", "col", "b") + _text(BOND_X, 20, "Bonds", "col", "b")
            + _text(NET_X, 20, "Logical networks", "col", "b"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="hostnet" id="hostnet-svg" width="{WIDTH}" '
            f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="Network picture of the host: NICs, bonds and networks">{head}{"".join(body)}</svg>')

"""Kernel side of host networking through pyroute2: links, addresses, default route.

Runs in the network namespace of the agent process (the host's namespace).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyroute2 import IPRoute


@dataclass
class Link:
    index: int
    name: str
    kind: str | None
    mac: str
    mtu: int
    up: bool
    carrier: bool
    addresses: list[tuple[str, int]] = field(default_factory=list)


@contextmanager
def _session(ipr: IPRoute | None) -> Iterator[IPRoute]:
    """The caller's netlink socket, or a new one for this call (opening one costs about a millisecond)."""
    if ipr is not None:
        yield ipr
        return
    with IPRoute() as own:
        yield own


def _attr(msg: Any, name: str) -> Any:
    return msg.get_attr(name)


def _kind(msg: Any) -> str | None:
    info = _attr(msg, "IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info is not None else None


def links() -> dict[str, Link]:
    """Every link of this namespace by name, with its addresses."""
    with IPRoute() as ipr:
        result: dict[str, Link] = {}
        by_index: dict[int, Link] = {}
        for msg in ipr.get_links():
            link = Link(
                index=msg["index"],
                name=_attr(msg, "IFLA_IFNAME"),
                kind=_kind(msg),
                mac=_attr(msg, "IFLA_ADDRESS") or "",
                mtu=_attr(msg, "IFLA_MTU") or 0,
                up=bool(msg["flags"] & 1),
                carrier=bool(_attr(msg, "IFLA_CARRIER")),
            )
            result[link.name] = link
            by_index[link.index] = link
        for msg in ipr.get_addr():
            owner = by_index.get(msg["index"])
            if owner is not None:
                owner.addresses.append((_attr(msg, "IFA_ADDRESS"), msg["prefixlen"]))
    return result


def names() -> dict[int, str]:
    """Interface names by index (one ioctl-cheap call, unlike a full netlink link dump)."""
    return dict(socket.if_nameindex())


def addresses(ipr: IPRoute | None = None, by_index: dict[int, str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """Addresses by interface name: one address dump, no link dump (fast with thousands of ports)."""
    by_index = names() if by_index is None else by_index
    result: dict[str, list[tuple[str, int]]] = {}
    with _session(ipr) as ipr:
        for msg in ipr.get_addr():
            name = by_index.get(msg["index"])
            if name is not None:
                result.setdefault(name, []).append((_attr(msg, "IFA_ADDRESS"), msg["prefixlen"]))
    return result


def light_links(wanted: list[str], ipr: IPRoute | None = None, by_index: dict[int, str] | None = None,
                addrs: dict[str, list[tuple[str, int]]] | None = None) -> dict[str, Link]:
    """Just the named links (index, up flag, addresses), without dumping every link of the host."""
    by_index = names() if by_index is None else by_index
    by_name = {name: index for index, name in by_index.items()}
    result: dict[str, Link] = {}
    with _session(ipr) as ipr:
        addrs = addresses(ipr, by_index) if addrs is None else addrs
        for name in wanted:
            index = by_name.get(name)
            if index is None:
                continue
            msg = ipr.get_links(index)[0]
            result[name] = Link(index=index, name=name, kind=None, mac=_attr(msg, "IFLA_ADDRESS") or "",
                                mtu=_attr(msg, "IFLA_MTU") or 0, up=bool(msg["flags"] & 1),
                                carrier=bool(_attr(msg, "IFLA_CARRIER")), addresses=addrs.get(name, []))
    return result


def speed(name: str) -> int:
    """Link speed in Mb/s when the kernel knows it (0 otherwise)."""
    try:
        with open(f"/sys/class/net/{name}/speed") as f:
            return max(int(f.read().strip()), 0)
    except (OSError, ValueError):
        return 0


def set_up(names: list[str], current: dict[str, Link], ipr: IPRoute | None = None) -> None:
    """Bring the named links up (only those that are down)."""
    todo = [current[n].index for n in names if n in current and not current[n].up]
    if not todo:
        return
    with _session(ipr) as ipr:
        for index in todo:
            ipr.link("set", index=index, state="up")


def set_link_state(name: str, up: bool) -> None:
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if found:
            ipr.link("set", index=found[0], state="up" if up else "down")


def flush_addresses(names: list[str], current: dict[str, Link], ipr: IPRoute | None = None) -> None:
    """Remove every address from the named links (uplinks carry no IP: their networks do)."""
    todo = [(current[n], a, p) for n in names if n in current for a, p in current[n].addresses
            if not ipaddress.ip_address(a).is_link_local]
    if not todo:
        return
    with _session(ipr) as ipr:
        for link, address, prefix in todo:
            ipr.addr("del", index=link.index, address=address, prefixlen=prefix)


def sync_addresses(name: str, wanted: list[tuple[str, int]], current: dict[str, Link],
                   ipr: IPRoute | None = None) -> None:
    """Make the link carry exactly the ``wanted`` (address, prefix) pairs, IPv6 link-local aside."""
    link = current.get(name)
    if link is None:
        raise LookupError(name)
    have = {(a, p) for a, p in link.addresses if not ipaddress.ip_address(a).is_link_local}
    want = set(wanted)
    if have == want:
        return
    with _session(ipr) as ipr:
        for address, prefix in have - want:
            ipr.addr("del", index=link.index, address=address, prefixlen=prefix)
        for address, prefix in want - have:
            ipr.addr("add", index=link.index, address=address, prefixlen=prefix)


def default_gateway() -> tuple[str, str] | None:
    """(gateway, device) of the main table's IPv4 default route, if any."""
    with IPRoute() as ipr:
        names = {m["index"]: _attr(m, "IFLA_IFNAME") for m in ipr.get_links()}
        for route in ipr.get_routes(family=2, table=254):
            if route["dst_len"] == 0 and _attr(route, "RTA_GATEWAY"):
                return _attr(route, "RTA_GATEWAY"), names.get(_attr(route, "RTA_OIF"), "")
    return None


def set_default_gateway(gateway: str | None, device: str | None) -> None:
    """Replace (or with ``None`` remove) the IPv4 default route."""
    with IPRoute() as ipr:
        current = default_gateway()
        if gateway is None or device is None:
            if current is not None:
                ipr.route("del", dst="0.0.0.0/0")
            return
        if current == (gateway, device):
            return
        found = ipr.link_lookup(ifname=device)
        if not found:
            raise LookupError(device)
        ipr.route("replace", dst="0.0.0.0/0", gateway=gateway, oif=found[0])


def hostname() -> str:
    return os.uname().nodename

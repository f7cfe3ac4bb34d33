"""Value rules shared by every command: names, VLAN ids, MTUs, MAC addresses, IP settings.

Pure functions; each raises :class:`~lognet.domain.errors.InvalidInput` with a stable code.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from lognet.domain.errors import FieldError, InvalidInput, invalid

DEFAULT_MTU = 1500
MIN_MTU = 68
MAX_MTU = 65535
VLAN_MAX = 4094
HOST_NAME_RE = re.compile(r"^[0-9A-Za-z_-]{1,15}$")
VNIC_NAME_RE = re.compile(r"^[0-9A-Za-z._-]{1,50}$")
MAC_RE = re.compile(r"^([0-9a-f]{2})(:[0-9a-f]{2}){5}$")
NAME_MAX = 256
DESCRIPTION_MAX = 4000
VNIC_INTERFACES = ("virtio", "e1000", "rtl8139")


def check_name(name: object, field_name: str = "name", max_len: int = NAME_MAX) -> str:
    """A required, trimmed, non-empty name of at most ``max_len`` characters."""
    if not isinstance(name, str) or not name.strip():
        raise invalid("NAME_REQUIRED", f"{field_name} is required", field_name)
    if len(name) > max_len:
        raise invalid("NAME_TOO_LONG", f"{field_name} is longer than {max_len} characters", field_name)
    return name.strip()


def check_network_name(name: object) -> str:
    """Network names: any characters, ≤256, and never starting with ``bond`` (host bond names)."""
    text = check_name(name)
    if text.lower().startswith("bond"):
        raise invalid("NETWORK_NAME_STARTS_WITH_BOND",
                      f"network name {text!r} must not start with 'bond' (reserved for bonds)", "name")
    return text


def check_description(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str) or len(text) > DESCRIPTION_MAX:
        raise invalid("DESCRIPTION_INVALID", f"description must be text of at most {DESCRIPTION_MAX} characters",
                      "description")
    return text


def check_vlan(vlan: object) -> int | None:
    """VLAN id 0–4094 or None (untagged)."""
    if vlan is None:
        return None
    if isinstance(vlan, bool) or not isinstance(vlan, int) or not 0 <= vlan <= VLAN_MAX:
        raise invalid("VLAN_OUT_OF_RANGE", f"VLAN id must be between 0 and {VLAN_MAX} (got {vlan!r})", "vlan")
    return vlan


def check_mtu(mtu: object) -> int:
    """MTU: 0 means the default (1500), otherwise 68–65535."""
    if mtu is None:
        return 0
    if isinstance(mtu, bool) or not isinstance(mtu, int) or (mtu != 0 and not MIN_MTU <= mtu <= MAX_MTU):
        raise invalid("MTU_OUT_OF_RANGE",
                      f"MTU must be 0 (default {DEFAULT_MTU}) or between {MIN_MTU} and {MAX_MTU} (got {mtu!r})",
                      "mtu")
    return mtu


def effective_mtu(mtu: int) -> int:
    return mtu or DEFAULT_MTU


def host_name_for(name: str, network_id: str) -> str:
    """The name a network carries on hosts (≤15 characters, interface-safe)."""
    if HOST_NAME_RE.match(name):
        return name
    return "on" + re.sub(r"[^0-9a-zA-Z]", "", network_id)[:13]


def normalize_mac(mac: object, field_name: str = "mac") -> str:
    """Lower-case ``xx:xx:xx:xx:xx:xx``; refuses malformed, multicast and all-zero addresses."""
    if not isinstance(mac, str):
        raise invalid("MAC_INVALID", "MAC address must be a string like 56:6f:1a:2b:00:01", field_name)
    text = mac.strip().lower().replace("-", ":")
    if not MAC_RE.match(text):
        raise invalid("MAC_INVALID", f"{mac!r} is not a MAC address (expected HH:HH:HH:HH:HH:HH)", field_name)
    if text == "00:00:00:00:00:00":
        raise invalid("MAC_INVALID", "the all-zero MAC address cannot be used", field_name)
    if int(text[:2], 16) & 1:
        raise invalid("MAC_MULTICAST", f"{text} is a multicast address; a vNIC needs a unicast MAC", field_name)
    return text


def mac_to_int(mac: str) -> int:
    return int(mac.replace(":", ""), 16)


def int_to_mac(value: int) -> str:
    raw = f"{value:012x}"
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2))


def check_vnic_name(name: object) -> str:
    if not isinstance(name, str) or not VNIC_NAME_RE.match(name):
        raise invalid("VNIC_NAME_INVALID", "vNIC name must be 1–50 characters of letters, digits, '.', '_' or '-'",
                      "name")
    return name


def check_interface(kind: object) -> str:
    if kind is None:
        return "virtio"
    if kind not in VNIC_INTERFACES:
        raise invalid("VNIC_INTERFACE_INVALID",
                      f"interface must be one of {', '.join(VNIC_INTERFACES)} (got {kind!r})", "interface")
    return str(kind)


def _ip_error(path: str, message: str) -> InvalidInput:
    return InvalidInput("IP_CONFIGURATION_INVALID", message, [FieldError(path, message)])


def check_ipv4(cfg: dict[str, Any] | None, path: str = "ip_configuration.ipv4") -> dict[str, Any]:
    """Normalise an IPv4 configuration; static needs address and netmask, the rest must not carry them."""
    cfg = dict(cfg or {})
    proto = cfg.get("boot_protocol") or "none"
    if proto not in ("none", "static", "dhcp"):
        raise _ip_error(f"{path}.boot_protocol", f"IPv4 boot protocol must be none, static or dhcp (got {proto!r})")
    if proto != "static":
        if cfg.get("address") or cfg.get("gateway"):
            raise _ip_error(f"{path}.address", "an IPv4 address is only allowed with boot protocol static")
        return {"boot_protocol": proto}
    address, netmask, gateway = cfg.get("address"), cfg.get("netmask"), cfg.get("gateway")
    if not address or not netmask:
        raise _ip_error(f"{path}.address", "static IPv4 needs an address and a netmask")
    try:
        iface = ipaddress.IPv4Interface(f"{address}/{netmask}")
    except ValueError as exc:
        raise _ip_error(f"{path}.address", f"invalid IPv4 address or netmask: {exc}") from None
    out: dict[str, Any] = {"boot_protocol": "static", "address": str(iface.ip), "netmask": str(iface.netmask)}
    if gateway:
        try:
            out["gateway"] = str(ipaddress.IPv4Address(gateway))
        except ValueError:
            raise _ip_error(f"{path}.gateway", f"invalid IPv4 gateway {gateway!r}") from None
    return out


def check_ipv6(cfg: dict[str, Any] | None, path: str = "ip_configuration.ipv6") -> dict[str, Any]:
    """Normalise an IPv6 configuration (none, static, dhcp, autoconf)."""
    cfg = dict(cfg or {})
    proto = cfg.get("boot_protocol") or "none"
    if proto not in ("none", "static", "dhcp", "autoconf"):
        raise _ip_error(f"{path}.boot_protocol",
                        f"IPv6 boot protocol must be none, static, dhcp or autoconf (got {proto!r})")
    if proto != "static":
        if cfg.get("address"):
            raise _ip_error(f"{path}.address", "an IPv6 address is only allowed with boot protocol static")
        return {"boot_protocol": proto}
    address, prefix, gateway = cfg.get("address"), cfg.get("prefix"), cfg.get("gateway")
    if not address or prefix is None:
        raise _ip_error(f"{path}.address", "static IPv6 needs an address and a prefix")
    try:
        iface = ipaddress.IPv6Interface(f"{address}/{prefix}")
    except ValueError as exc:
        raise _ip_error(f"{path}.address", f"invalid IPv6 address or prefix: {exc}") from None
    out: dict[str, Any] = {"boot_protocol": "static", "address": str(iface.ip), "prefix": iface.network.prefixlen}
    if gateway:
        try:
            out["gateway"] = str(ipaddress.IPv6Address(gateway))
        except ValueError:
            raise _ip_error(f"{path}.gateway", f"invalid IPv6 gateway {gateway!r}") from None
    return out

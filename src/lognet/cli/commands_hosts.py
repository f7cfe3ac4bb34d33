"""Hosts: add/remove, NICs and attachments, setup networks (and its shortcuts), commit, refresh, sync."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lognet.cli.client import Client, CliError
from lognet.cli.common import body, client, command, delete_cmd, list_cmd, need_changes, ref, show_cmd, write_cmd
from lognet.cli.output import ColumnsOpt, Format, FormatOpt, message, print_list, print_object
from lognet.cli.progress import print_changes, run_job

host_app = typer.Typer(help="Hosts and their networking.", no_args_is_help=True)
host_network_app = typer.Typer(help="Attach or detach one network on a host (a one-item setup networks).",
                               no_args_is_help=True)
host_bond_app = typer.Typer(help="Add or remove one bond on a host (a one-item setup networks).",
                            no_args_is_help=True)
host_app.add_typer(host_network_app, name="network")
host_app.add_typer(host_bond_app, name="bond")

Host = Annotated[str, typer.Argument(help="Host id or name.")]
Net = Annotated[str, typer.Argument(help="Network id or name.")]
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the job to its end (default) or print its id.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only show the computed changes.")]
Commit = Annotated[bool, typer.Option("--commit", help="Persist the configuration on success.")]
NoCheck = Annotated[bool, typer.Option("--no-check-connectivity", help="Do not roll back on lost connectivity.")]
Timeout = Annotated[int | None, typer.Option("--timeout", help="Connectivity timeout, 1-120 s.")]

HOST_COLUMNS = ["id", "name", "cluster", "status", "simulated", "nic_count", "config_dirty", "out_of_sync"]


def _options(dry_run: bool, commit: bool, no_check: bool, timeout: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if dry_run:
        out["dry_run"] = True
    if commit:
        out["commit_on_success"] = True
    if no_check:
        out["check_connectivity"] = False
    if timeout is not None:
        out["connectivity_timeout"] = timeout
    return out


def _job_or_dry_run(c: Client, result: dict[str, Any], wait: bool, fmt: Format, columns: list[str] | None) -> None:
    if result.get("dry_run"):
        if fmt in (Format.json, Format.yaml) and not columns:
            print_object(result, fmt)
            return
        message(f"Dry run: {len(result.get('changes', []))} change(s); nothing was applied")
        print_changes(result.get("changes", []), fmt, columns)
        return
    run_job(c, result, wait, fmt, columns)


# -- CRUD -----------------------------------------------------------------------------------------
@command(host_app, "list")
def host_list(cluster: Annotated[str | None, typer.Option("--cluster")] = None,
              status: Annotated[str | None, typer.Option("--status")] = None,
              fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List hosts."""
    list_cmd("/hosts", fmt, columns, HOST_COLUMNS, {"cluster": cluster, "status": status})


@command(host_app, "show")
def host_show(host: Host, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a host."""
    show_cmd(f"/hosts/{ref(host)}", fmt, columns)


@command(host_app, "add")
def host_add(name: Annotated[str, typer.Argument(help="Host name.")],
             agent_url: Annotated[str | None, typer.Option("--agent-url", help="URL of the host's agent.")] = None,
             simulated_nics: Annotated[int | None, typer.Option("--simulated-nics",
                                                                help="A simulated host with N NICs.")] = None,
             cluster: Annotated[str | None, typer.Option("--cluster", help="Cluster (default: Default).")] = None,
             secret: Annotated[str | None, typer.Option("--secret", help="Shared secret of the agent.")] = None,
             fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Add a host reached through its agent (--agent-url) or a simulated one (--simulated-nics)."""
    if (agent_url is None) == (simulated_nics is None):
        raise CliError("HOST_KIND_REQUIRED", "give exactly one of --agent-url or --simulated-nics", 2)
    data = body(name=name, agent_url=agent_url, cluster=cluster, secret=secret)
    if simulated_nics is not None:
        data["simulated"] = {"nics": simulated_nics}
    write_cmd("POST", "/hosts", data, fmt, columns)


@command(host_app, "set")
def host_set(host: Host, name: Annotated[str | None, typer.Option("--name")] = None,
             status: Annotated[str | None, typer.Option("--status", help="maintenance or up.")] = None,
             fail_step: Annotated[str | None, typer.Option(
                 "--fail-step", help="Simulated hosts: fail the next setup at apply, verify or connectivity.")] = None,
             fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Rename a host or move it to/from maintenance."""
    data = body(name=name, status=status)
    if fail_step is not None:
        data["simulated"] = {"fail_step": None if fail_step == "none" else fail_step}
    write_cmd("PATCH", f"/hosts/{ref(host)}", need_changes(data), fmt, columns)


@command(host_app, "delete")
def host_delete(host: Host) -> None:
    """Remove a host."""
    delete_cmd(f"/hosts/{ref(host)}", f"host {host}")


@command(host_app, "nics")
def host_nics(host: Host, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """The host's NICs and bonds as reported, with the networks they carry."""
    list_cmd(f"/hosts/{ref(host)}/nics", fmt, columns,
             ["name", "kind", "mac", "mtu", "link", "bond", "mode", "slaves", "networks"])


def _ip_text(ip: dict[str, Any] | None) -> str:
    ip = ip or {}
    proto = str(ip.get("boot_protocol") or "none")
    if proto == "static":
        text = f"{ip.get('address')}/{ip.get('netmask') or ip.get('prefix')}"
        return text + (f" gw {ip['gateway']}" if ip.get("gateway") else "")
    return proto


@command(host_app, "attachments")
def host_attachments(host: Host, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """The host's network attachments (desired state) and whether each is in sync."""
    with client() as c:
        rows = c.list_all(f"/hosts/{ref(host)}/networkattachments")
    for row in rows:
        ipc = row.get("ip_configuration") or {}
        row["ipv4"], row["ipv6"] = _ip_text(ipc.get("ipv4")), _ip_text(ipc.get("ipv6"))
    print_list(rows, fmt, columns, ["id", "network_name", "nic", "ipv4", "in_sync"])


# -- jobs -----------------------------------------------------------------------------------------
def _host_job(host: str, action: str, wait: bool, fmt: Format, columns: list[str] | None,
              data: dict[str, Any] | None = None) -> None:
    with client() as c:
        result = c.post(f"/hosts/{ref(host)}/{action}", data)
        _job_or_dry_run(c, result, wait, fmt, columns)


@command(host_app, "refresh")
def host_refresh(host: Host, wait: Wait = True, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Read the host's capabilities again."""
    _host_job(host, "refresh", wait, fmt, columns)


@command(host_app, "commit")
def host_commit(host: Host, wait: Wait = True, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Make the host's running network configuration survive a reboot."""
    _host_job(host, "commitnetconfig", wait, fmt, columns)


@command(host_app, "sync")
def host_sync(host: Host, wait: Wait = True, dry_run: DryRun = False, no_check: NoCheck = False,
              timeout: Timeout = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Push the logical definition of every out-of-sync network to the host."""
    _host_job(host, "syncallnetworks", wait, fmt, columns, _options(dry_run, False, no_check, timeout))


def parse_ip(parts: list[str], what: str) -> dict[str, Any] | None:
    """``static:ADDR/PREFIX[:GW]``, ``dhcp`` or ``none`` as an ip_configuration; ``None`` when empty."""
    if not parts:
        return None
    proto = parts[0].lower()
    if proto in ("dhcp", "none") and len(parts) == 1:
        return {"ipv4": {"boot_protocol": proto}}
    if proto == "static" and len(parts) in (2, 3):
        address, sep, prefix = parts[1].partition("/")
        if not sep or not address or not prefix:
            raise CliError("IP_CONFIGURATION_INVALID", f"{what}: static needs ADDR/PREFIX", 2)
        ipv4 = {"boot_protocol": "static", "address": address, "netmask": prefix}
        if len(parts) == 3 and parts[2]:
            ipv4["gateway"] = parts[2]
        return {"ipv4": ipv4}
    raise CliError("IP_CONFIGURATION_INVALID", f"{what}: expected :static:ADDR/PREFIX[:GW], :dhcp or :none", 2)


def parse_attach(value: str) -> dict[str, Any]:
    """``NET=NIC[:static:ADDR/PREFIX[:GW]|:dhcp]`` as a modified network attachment."""
    net, sep, rest = value.partition("=")
    parts = rest.split(":")
    if not sep or not net or not parts[0]:
        raise CliError("ATTACH_INVALID", f"--attach {value!r}: expected NET=NIC[:static:ADDR/PREFIX[:GW]|:dhcp]", 2)
    item: dict[str, Any] = {"network": net, "nic": parts[0]}
    ip = parse_ip(parts[1:], f"--attach {value!r}")
    if ip is not None:
        item["ip_configuration"] = ip
    return item


def parse_ipv6(value: str) -> tuple[str, dict[str, Any]]:
    """``NET=dhcp|autoconf|none|ADDR/PREFIX[@GW]`` as (network, IPv6 configuration)."""
    net, sep, rest = value.partition("=")
    if not sep or not net or not rest:
        raise CliError("IP_CONFIGURATION_INVALID",
                       f"--ipv6 {value!r}: expected NET=dhcp|autoconf|none|ADDR/PREFIX[@GW]", 2)
    if rest.lower() in ("dhcp", "autoconf", "none"):
        return net, {"boot_protocol": rest.lower()}
    address_prefix, _, gateway = rest.partition("@")
    address, slash, prefix = address_prefix.partition("/")
    if not slash or not address or not prefix.isdigit():
        raise CliError("IP_CONFIGURATION_INVALID", f"--ipv6 {value!r}: a static address needs ADDR/PREFIX", 2)
    ipv6: dict[str, Any] = {"boot_protocol": "static", "address": address, "prefix": int(prefix)}
    if gateway:
        ipv6["gateway"] = gateway
    return net, ipv6


def add_ipv6(c: Client, host: str, items: list[dict[str, Any]], values: list[str]) -> None:
    """Put each ``--ipv6`` setting on its network's attachment, keeping the IPv4 side it has or is given."""
    if not values:
        return
    current = {a["network_name"]: a["ip_configuration"]
               for a in c.get(f"/hosts/{ref(host)}/networkattachments")["results"]}
    for value in values:
        net, ipv6 = parse_ipv6(value)
        item = next((i for i in items if i["network"] == net), None)
        if item is None:
            item = {"network": net}
            items.append(item)
        ip = item.setdefault("ip_configuration", {})
        # An ip_configuration replaces both sides: keep the IPv4 side the attachment has.
        ip.setdefault("ipv4", current.get(net, {}).get("ipv4", {"boot_protocol": "none"}))
        ip["ipv6"] = ipv6


def parse_bond(value: str) -> dict[str, Any]:
    """``bond0=eth1,eth2[:MODE]`` as a modified bond."""
    name, sep, rest = value.partition("=")
    slaves_text, _, mode = rest.partition(":")
    slaves = [s.strip() for s in slaves_text.split(",") if s.strip()]
    if not sep or not name or not slaves:
        raise CliError("BOND_INVALID", f"--bond {value!r}: expected NAME=NIC,NIC[:MODE]", 2)
    bond: dict[str, Any] = {"name": name, "slaves": slaves}
    if mode:
        bond["mode"] = int(mode) if mode.isdigit() else mode
    return bond


def _attachment_id(c: Client, host: str, net: str) -> str:
    att: dict[str, Any] = c.get(f"/hosts/{ref(host)}/networkattachments/{ref(net)}")
    return str(att["id"])


@command(host_app, "setup-networks")
def host_setup_networks(
        host: Host,
        attach: Annotated[list[str] | None, typer.Option(
            "--attach", help="NET=NIC[:static:ADDR/PREFIX[:GW]|:dhcp] (repeatable).")] = None,
        detach: Annotated[list[str] | None, typer.Option("--detach", help="Network to remove (repeatable).")] = None,
        bond: Annotated[list[str] | None, typer.Option("--bond", help="NAME=NIC,NIC[:MODE] (repeatable).")] = None,
        remove_bond: Annotated[list[str] | None, typer.Option("--remove-bond", help="Bond to remove.")] = None,
        sync: Annotated[list[str] | None, typer.Option("--sync", help="Out-of-sync network to synchronize.")] = None,
        ipv6: Annotated[list[str] | None, typer.Option(
            "--ipv6", help="NET=dhcp|autoconf|none|ADDR/PREFIX[@GW] (repeatable).")] = None,
        no_check: NoCheck = False, timeout: Timeout = None, commit: Commit = False, dry_run: DryRun = False,
        wait: Wait = True, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change the host's networking as one validated delta; follows the job unless --no-wait."""
    data: dict[str, Any] = {
        "modified_network_attachments": [parse_attach(a) for a in attach or []],
        "modified_bonds": [parse_bond(b) for b in bond or []],
        "removed_bonds": list(remove_bond or []),
        **_options(dry_run, commit, no_check, timeout)}
    with client() as c:
        add_ipv6(c, host, data["modified_network_attachments"], list(ipv6 or []))
        data["removed_network_attachments"] = [_attachment_id(c, host, n) for n in detach or []]
        data["synchronized_network_attachments"] = [_attachment_id(c, host, n) for n in sync or []]
        result = c.post(f"/hosts/{ref(host)}/setupnetworks", data)
        _job_or_dry_run(c, result, wait, fmt, columns)


# -- shortcuts ------------------------------------------------------------------------------------
Static = Annotated[str | None, typer.Option("--static", help="Static IPv4 ADDR/PREFIX.")]
Gateway = Annotated[str | None, typer.Option("--gateway", help="IPv4 gateway (with --static).")]
Dhcp = Annotated[bool, typer.Option("--dhcp", help="IPv4 by DHCP.")]


def _ip_options(static: str | None, gateway: str | None, dhcp: bool) -> dict[str, Any] | None:
    if static and dhcp:
        raise CliError("IP_CONFIGURATION_INVALID", "give --static or --dhcp, not both", 2)
    if static:
        return parse_ip(["static", static, gateway or ""], "--static")
    return {"ipv4": {"boot_protocol": "dhcp"}} if dhcp else None


@command(host_network_app, "attach")
def host_network_attach(host: Host, network: Net, nic: Annotated[str, typer.Argument(help="NIC or bond.")],
                        static: Static = None, gateway: Gateway = None, dhcp: Dhcp = False,
                        no_check: NoCheck = False, timeout: Timeout = None, commit: Commit = False,
                        dry_run: DryRun = False, wait: Wait = True, fmt: FormatOpt = Format.table,
                        columns: ColumnsOpt = None) -> None:
    """Attach a network to a NIC or bond of the host (or move it there)."""
    data = {"network": network, "nic": nic, **_options(dry_run, commit, no_check, timeout)}
    ip = _ip_options(static, gateway, dhcp)
    if ip:
        data["ip_configuration"] = ip
    with client() as c:
        _job_or_dry_run(c, c.post(f"/hosts/{ref(host)}/networkattachments", data), wait, fmt, columns)


@command(host_network_app, "set")
def host_network_set(host: Host, network: Net, nic: Annotated[str | None, typer.Option("--nic")] = None,
                     static: Static = None, gateway: Gateway = None, dhcp: Dhcp = False,
                     sync: Annotated[bool, typer.Option("--sync", help="Synchronize it too.")] = False,
                     no_check: NoCheck = False, timeout: Timeout = None, commit: Commit = False,
                     dry_run: DryRun = False, wait: Wait = True, fmt: FormatOpt = Format.table,
                     columns: ColumnsOpt = None) -> None:
    """Change the NIC or IP configuration of an attached network."""
    data: dict[str, Any] = {**body(nic=nic), **_options(dry_run, commit, no_check, timeout)}
    ip = _ip_options(static, gateway, dhcp)
    if ip:
        data["ip_configuration"] = ip
    if sync:
        data["sync"] = True
    with client() as c:
        _job_or_dry_run(c, c.request("PATCH", f"/hosts/{ref(host)}/networkattachments/{ref(network)}",
                                     json_body=data), wait, fmt, columns)


@command(host_network_app, "detach")
def host_network_detach(host: Host, network: Net, wait: Wait = True, fmt: FormatOpt = Format.table,
                        columns: ColumnsOpt = None) -> None:
    """Remove a network from the host."""
    with client() as c:
        _job_or_dry_run(c, c.delete(f"/hosts/{ref(host)}/networkattachments/{ref(network)}"), wait, fmt, columns)


@command(host_bond_app, "add")
def host_bond_add(host: Host, name: Annotated[str, typer.Argument(help="Bond name, e.g. bond0.")],
                  slave: Annotated[list[str], typer.Option("--slave", help="A slave NIC (repeat, at least 2).")],
                  mode: Annotated[str | None, typer.Option("--mode", help="Bonding mode (default 802.3ad).")] = None,
                  no_check: NoCheck = False, timeout: Timeout = None, commit: Commit = False,
                  dry_run: DryRun = False, wait: Wait = True, fmt: FormatOpt = Format.table,
                  columns: ColumnsOpt = None) -> None:
    """Add a bond (or change its slaves and mode)."""
    data: dict[str, Any] = {"name": name, "slaves": slave, **_options(dry_run, commit, no_check, timeout)}
    if mode:
        data["mode"] = int(mode) if mode.isdigit() else mode
    with client() as c:
        _job_or_dry_run(c, c.post(f"/hosts/{ref(host)}/bonds", data), wait, fmt, columns)


@command(host_bond_app, "remove")
def host_bond_remove(host: Host, name: Annotated[str, typer.Argument(help="Bond name.")], wait: Wait = True,
                     fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Remove a bond (it must carry no network)."""
    with client() as c:
        _job_or_dry_run(c, c.delete(f"/hosts/{ref(host)}/bonds/{ref(name)}"), wait, fmt, columns)

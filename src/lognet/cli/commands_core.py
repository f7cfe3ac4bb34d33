"""Data centers, clusters (and their networks), MAC pools, logical networks, users, jobs and events."""

from __future__ import annotations

from typing import Annotated

import typer

from lognet.cli.client import CliError
from lognet.cli.common import body, client, command, delete_cmd, list_cmd, need_changes, ref, show_cmd, write_cmd
from lognet.cli.output import ColumnsOpt, Format, FormatOpt, print_object
from lognet.cli.progress import finish, follow

datacenter_app = typer.Typer(help="Data centers.", no_args_is_help=True)
cluster_app = typer.Typer(help="Clusters and the networks attached to them.", no_args_is_help=True)
cluster_network_app = typer.Typer(help="Networks attached to a cluster.", no_args_is_help=True)
cluster_app.add_typer(cluster_network_app, name="network")
macpool_app = typer.Typer(help="MAC address pools.", no_args_is_help=True)
network_app = typer.Typer(help="Logical networks.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts (admin only).", no_args_is_help=True)
job_app = typer.Typer(help="Host jobs.", no_args_is_help=True)
event_app = typer.Typer(help="The audit log.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="Name.")]
Ref = Annotated[str, typer.Argument(help="Id or name.")]
Desc = Annotated[str | None, typer.Option("--description", help="Description.")]
Limit = Annotated[int | None, typer.Option("--limit", help="At most this many rows.")]

# -- data centers ---------------------------------------------------------------------------------
DC_COLUMNS = ["id", "name", "description"]


@command(datacenter_app, "list")
def datacenter_list(name: Annotated[str | None, typer.Option("--name")] = None,
                    fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List data centers."""
    list_cmd("/datacenters", fmt, columns, DC_COLUMNS, {"name": name})


@command(datacenter_app, "show")
def datacenter_show(datacenter: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a data center."""
    show_cmd(f"/datacenters/{ref(datacenter)}", fmt, columns)


@command(datacenter_app, "create")
def datacenter_create(name: Name, description: Desc = None, fmt: FormatOpt = Format.table,
                      columns: ColumnsOpt = None) -> None:
    """Create a data center."""
    write_cmd("POST", "/datacenters", body(name=name, description=description), fmt, columns)


@command(datacenter_app, "set")
def datacenter_set(datacenter: Ref, name: Annotated[str | None, typer.Option("--name")] = None,
                   description: Desc = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Rename or describe a data center."""
    write_cmd("PATCH", f"/datacenters/{ref(datacenter)}", need_changes(body(name=name, description=description)),
              fmt, columns)


@command(datacenter_app, "delete")
def datacenter_delete(datacenter: Ref) -> None:
    """Delete a data center."""
    delete_cmd(f"/datacenters/{ref(datacenter)}", f"data center {datacenter}")


# -- clusters -------------------------------------------------------------------------------------
CLUSTER_COLUMNS = ["id", "name", "datacenter", "mac_pool", "description"]


@command(cluster_app, "list")
def cluster_list(datacenter: Annotated[str | None, typer.Option("--datacenter")] = None,
                 name: Annotated[str | None, typer.Option("--name")] = None,
                 fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List clusters."""
    list_cmd("/clusters", fmt, columns, CLUSTER_COLUMNS, {"datacenter": datacenter, "name": name})


@command(cluster_app, "show")
def cluster_show(cluster: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a cluster."""
    show_cmd(f"/clusters/{ref(cluster)}", fmt, columns)


@command(cluster_app, "create")
def cluster_create(name: Name, datacenter: Annotated[str | None, typer.Option("--datacenter")] = None,
                   mac_pool: Annotated[str | None, typer.Option("--mac-pool")] = None,
                   description: Desc = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Create a cluster in a data center (with a MAC pool)."""
    write_cmd("POST", "/clusters", body(name=name, datacenter=datacenter, mac_pool=mac_pool,
                                        description=description), fmt, columns)


@command(cluster_app, "set")
def cluster_set(cluster: Ref, name: Annotated[str | None, typer.Option("--name")] = None,
                mac_pool: Annotated[str | None, typer.Option("--mac-pool")] = None,
                description: Desc = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change a cluster."""
    write_cmd("PATCH", f"/clusters/{ref(cluster)}",
              need_changes(body(name=name, mac_pool=mac_pool, description=description)), fmt, columns)


@command(cluster_app, "delete")
def cluster_delete(cluster: Ref) -> None:
    """Delete a cluster."""
    delete_cmd(f"/clusters/{ref(cluster)}", f"cluster {cluster}")


# -- cluster networks -----------------------------------------------------------------------------
CN_COLUMNS = ["name", "vlan", "required", "management", "display", "migration", "default_route", "status"]
Required = Annotated[bool | None, typer.Option("--required/--not-required", help="Hosts must carry it.")]
Mgmt = Annotated[bool | None, typer.Option("--management/--no-management", help="Management role.")]
Display = Annotated[bool | None, typer.Option("--display/--no-display", help="Display role.")]
Migration = Annotated[bool | None, typer.Option("--migration/--no-migration", help="Migration role.")]
DefRoute = Annotated[bool | None, typer.Option("--default-route/--no-default-route", help="Default route role.")]


@command(cluster_network_app, "list")
def cluster_network_list(cluster: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List the networks attached to a cluster."""
    list_cmd(f"/clusters/{ref(cluster)}/networks", fmt, columns, CN_COLUMNS)


@command(cluster_network_app, "show")
def cluster_network_show(cluster: Ref, network: Ref, fmt: FormatOpt = Format.table,
                         columns: ColumnsOpt = None) -> None:
    """Show a network's attachment to a cluster."""
    show_cmd(f"/clusters/{ref(cluster)}/networks/{ref(network)}", fmt, columns)


@command(cluster_network_app, "attach")
def cluster_network_attach(cluster: Ref, network: Ref, required: Required = None, management: Mgmt = None,
                           display: Display = None, migration: Migration = None, default_route: DefRoute = None,
                           fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Attach a network to a cluster (required by default), optionally with roles."""
    write_cmd("POST", f"/clusters/{ref(cluster)}/networks",
              body(network=network, required=required, management=management, display=display,
                   migration=migration, default_route=default_route), fmt, columns)


@command(cluster_network_app, "set")
def cluster_network_set(cluster: Ref, network: Ref, required: Required = None, management: Mgmt = None,
                        display: Display = None, migration: Migration = None, default_route: DefRoute = None,
                        fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change a network's roles or required flag in a cluster."""
    write_cmd("PATCH", f"/clusters/{ref(cluster)}/networks/{ref(network)}",
              need_changes(body(required=required, management=management, display=display, migration=migration,
                                default_route=default_route)), fmt, columns)


@command(cluster_network_app, "detach")
def cluster_network_detach(cluster: Ref, network: Ref) -> None:
    """Detach a network from a cluster."""
    delete_cmd(f"/clusters/{ref(cluster)}/networks/{ref(network)}", f"network {network} from cluster {cluster}")


# -- MAC pools ------------------------------------------------------------------------------------
POOL_COLUMNS = ["id", "name", "ranges", "allow_duplicates", "default_pool"]
Ranges = Annotated[list[str] | None, typer.Option("--range", help="FROM-TO, e.g. 56:6f:00:00:00:00-56:6f:00:00:00:ff "
                                                                  "(repeatable).")]
AllowDup = Annotated[bool | None, typer.Option("--allow-duplicates/--no-allow-duplicates")]


def parse_ranges(values: list[str] | None) -> list[dict[str, str]] | None:
    if values is None:
        return None
    out = []
    for value in values:
        start, sep, end = value.partition("-")
        if not sep or not start or not end:
            raise CliError("MAC_RANGE_INVALID", f"--range {value!r}: expected FROM-TO", 2)
        out.append({"from": start.strip(), "to": end.strip()})
    return out


@command(macpool_app, "list")
def macpool_list(fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List MAC pools."""
    list_cmd("/macpools", fmt, columns, POOL_COLUMNS)


@command(macpool_app, "show")
def macpool_show(macpool: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a MAC pool."""
    show_cmd(f"/macpools/{ref(macpool)}", fmt, columns)


@command(macpool_app, "create")
def macpool_create(name: Name, ranges: Ranges = None, allow_duplicates: AllowDup = None, description: Desc = None,
                   fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Create a MAC pool."""
    write_cmd("POST", "/macpools", body(name=name, ranges=parse_ranges(ranges), allow_duplicates=allow_duplicates,
                                        description=description), fmt, columns)


@command(macpool_app, "set")
def macpool_set(macpool: Ref, name: Annotated[str | None, typer.Option("--name")] = None, ranges: Ranges = None,
                allow_duplicates: AllowDup = None, description: Desc = None, fmt: FormatOpt = Format.table,
                columns: ColumnsOpt = None) -> None:
    """Change a MAC pool (``--range`` replaces all ranges)."""
    write_cmd("PATCH", f"/macpools/{ref(macpool)}",
              need_changes(body(name=name, ranges=parse_ranges(ranges), allow_duplicates=allow_duplicates,
                                description=description)), fmt, columns)


@command(macpool_app, "delete")
def macpool_delete(macpool: Ref) -> None:
    """Delete a MAC pool."""
    delete_cmd(f"/macpools/{ref(macpool)}", f"MAC pool {macpool}")


# -- networks -------------------------------------------------------------------------------------
NET_COLUMNS = ["id", "name", "vlan", "mtu", "vm_network", "stp", "datacenter", "description"]
Vlan = Annotated[int | None, typer.Option("--vlan", help="VLAN tag 0-4094.")]
Mtu = Annotated[int | None, typer.Option("--mtu", help="MTU (0 = default 1500).")]
VmNet = Annotated[bool | None, typer.Option("--vm/--no-vm", help="VM network (carries vNICs).")]
Stp = Annotated[bool | None, typer.Option("--stp/--no-stp", help="Spanning tree on the bridge.")]
Dc = Annotated[str | None, typer.Option("--datacenter", help="Data center (default: Default).")]


@command(network_app, "list")
def network_list(datacenter: Dc = None, cluster: Annotated[str | None, typer.Option("--cluster")] = None,
                 name: Annotated[str | None, typer.Option("--name")] = None, vlan: Vlan = None,
                 fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List logical networks."""
    list_cmd("/networks", fmt, columns, NET_COLUMNS,
             {"datacenter": datacenter, "cluster": cluster, "name": name, "vlan": vlan})


@command(network_app, "show")
def network_show(network: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a logical network."""
    show_cmd(f"/networks/{ref(network)}", fmt, columns)


@command(network_app, "create")
def network_create(name: Name, datacenter: Dc = None, vlan: Vlan = None, mtu: Mtu = None, vm: VmNet = None,
                   stp: Stp = None, description: Desc = None, fmt: FormatOpt = Format.table,
                   columns: ColumnsOpt = None) -> None:
    """Create a logical network."""
    write_cmd("POST", "/networks", body(name=name, datacenter=datacenter, vlan=vlan, mtu=mtu, vm_network=vm, stp=stp,
                                        description=description), fmt, columns)


@command(network_app, "set")
def network_set(network: Ref, name: Annotated[str | None, typer.Option("--name")] = None, vlan: Vlan = None,
                untagged: Annotated[bool, typer.Option("--untagged", help="Remove the VLAN tag.")] = False,
                mtu: Mtu = None, vm: VmNet = None, stp: Stp = None, description: Desc = None,
                fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change a logical network."""
    data = body(name=name, vlan=vlan, mtu=mtu, vm_network=vm, stp=stp, description=description)
    if untagged:
        data["vlan"] = None
    write_cmd("PATCH", f"/networks/{ref(network)}", need_changes(data), fmt, columns)


@command(network_app, "delete")
def network_delete(network: Ref) -> None:
    """Delete a logical network."""
    delete_cmd(f"/networks/{ref(network)}", f"network {network}")


# -- users ----------------------------------------------------------------------------------------
Role = Annotated[str | None, typer.Option("--role", help="admin or viewer.")]
Password = Annotated[str | None, typer.Option("--password", help="Password (prompted when omitted).")]


@command(user_app, "list")
def user_list(fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List user accounts."""
    list_cmd("/users", fmt, columns, ["id", "username", "role"])


@command(user_app, "create")
def user_create(username: Name, password: Password = None, role: Role = None, fmt: FormatOpt = Format.table,
                columns: ColumnsOpt = None) -> None:
    """Create a user account."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    write_cmd("POST", "/users", body(username=username, password=password, role=role), fmt, columns)


@command(user_app, "set")
def user_set(user: Ref, password: Annotated[str | None, typer.Option("--password")] = None, role: Role = None,
             fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change a user's password or role."""
    write_cmd("PATCH", f"/users/{ref(user)}", need_changes(body(password=password, role=role)), fmt, columns)


@command(user_app, "delete")
def user_delete(user: Ref) -> None:
    """Delete a user account."""
    delete_cmd(f"/users/{ref(user)}", f"user {user}")


# -- jobs and events ------------------------------------------------------------------------------
@command(job_app, "list")
def job_list(status: Annotated[str | None, typer.Option("--status")] = None,
             host: Annotated[str | None, typer.Option("--host")] = None,
             kind: Annotated[str | None, typer.Option("--kind")] = None, limit: Limit = 50,
             fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List jobs, newest first."""
    list_cmd("/jobs", fmt, columns, ["id", "kind", "host", "status", "user", "created_at"],
             {"status": status, "host": host, "kind": kind}, limit)


@command(job_app, "show")
def job_show(job: Annotated[str, typer.Argument(help="Job id.")], fmt: FormatOpt = Format.table,
             columns: ColumnsOpt = None) -> None:
    """Show a job with its steps."""
    show_cmd(f"/jobs/{ref(job)}", fmt, columns)


@command(job_app, "wait")
def job_wait(job: Annotated[str, typer.Argument(help="Job id.")], fmt: FormatOpt = Format.table,
             columns: ColumnsOpt = None) -> None:
    """Follow a job to its end (exit 4 or 5 when it failed)."""
    with client() as c:
        finish(follow(c, c.get(f"/jobs/{ref(job)}")), fmt, columns)


@command(event_app, "list")
def event_list(user: Annotated[str | None, typer.Option("--user")] = None,
               action: Annotated[str | None, typer.Option("--action")] = None,
               object_type: Annotated[str | None, typer.Option("--object-type")] = None,
               result: Annotated[str | None, typer.Option("--result")] = None, limit: Limit = 50,
               fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List audit events, newest first."""
    list_cmd("/events", fmt, columns, ["id", "time", "user", "action", "object_type", "object_name", "result"],
             {"user": user, "action": action, "object_type": object_type, "result": result}, limit)


__all__ = ["cluster_app", "datacenter_app", "event_app", "job_app", "macpool_app", "network_app", "print_object",
           "user_app"]

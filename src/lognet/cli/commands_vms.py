"""Templates, VMs and their vNICs; VM start and stop; vNIC plug/unplug and link/unlink."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lognet.cli.common import body, command, delete_cmd, list_cmd, need_changes, ref, show_cmd, write_cmd
from lognet.cli.output import ColumnsOpt, Format, FormatOpt

template_app = typer.Typer(help="Templates and their vNICs.", no_args_is_help=True)
template_nic_app = typer.Typer(help="vNICs of a template.", no_args_is_help=True)
template_app.add_typer(template_nic_app, name="nic")
vm_app = typer.Typer(help="VMs and their vNICs.", no_args_is_help=True)
vm_nic_app = typer.Typer(help="vNICs of a VM.", no_args_is_help=True)
vm_app.add_typer(vm_nic_app, name="nic")

Ref = Annotated[str, typer.Argument(help="Id or name.")]
Nic = Annotated[str, typer.Argument(help="vNIC id or name.")]
Name = Annotated[str, typer.Argument(help="Name.")]
NewName = Annotated[str | None, typer.Option("--name", help="New name.")]
Desc = Annotated[str | None, typer.Option("--description")]
Cluster = Annotated[str | None, typer.Option("--cluster", help="Cluster (default: Default).")]
Network = Annotated[str | None, typer.Option("--network", help="Network (id or name).")]
NoNetwork = Annotated[bool, typer.Option("--no-network", help="Detach the vNIC from any network.")]
Mac = Annotated[str | None, typer.Option("--mac", help="MAC address (allocated from the pool when omitted).")]
Interface = Annotated[str | None, typer.Option("--interface", help="virtio, e1000 or rtl8139.")]
Linked = Annotated[bool | None, typer.Option("--linked/--unlinked", help="Link state.")]
Plugged = Annotated[bool | None, typer.Option("--plugged/--unplugged", help="Plugged in the VM.")]

TEMPLATE_COLUMNS = ["id", "name", "cluster", "description"]
VM_COLUMNS = ["id", "name", "cluster", "template", "status", "host"]
VNIC_COLUMNS = ["id", "name", "mac", "interface", "network_name", "linked", "plugged"]


def _vnic_body(name: str | None, mac: str | None, interface: str | None, network: str | None, no_network: bool,
               linked: bool | None, plugged: bool | None = None) -> dict[str, Any]:
    data = body(name=name, mac=mac, interface=interface, network=network, linked=linked, plugged=plugged)
    if no_network:
        data["network"] = None
    return data


# -- templates ------------------------------------------------------------------------------------
@command(template_app, "list")
def template_list(cluster: Cluster = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List templates."""
    list_cmd("/templates", fmt, columns, TEMPLATE_COLUMNS, {"cluster": cluster})


@command(template_app, "show")
def template_show(template: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a template."""
    show_cmd(f"/templates/{ref(template)}", fmt, columns)


@command(template_app, "create")
def template_create(name: Name, cluster: Cluster = None, description: Desc = None, fmt: FormatOpt = Format.table,
                    columns: ColumnsOpt = None) -> None:
    """Create a template."""
    write_cmd("POST", "/templates", body(name=name, cluster=cluster, description=description), fmt, columns)


@command(template_app, "set")
def template_set(template: Ref, name: NewName = None, description: Desc = None, fmt: FormatOpt = Format.table,
                 columns: ColumnsOpt = None) -> None:
    """Change a template."""
    write_cmd("PATCH", f"/templates/{ref(template)}", need_changes(body(name=name, description=description)),
              fmt, columns)


@command(template_app, "delete")
def template_delete(template: Ref) -> None:
    """Delete a template."""
    delete_cmd(f"/templates/{ref(template)}", f"template {template}")


@command(template_nic_app, "list")
def template_nic_list(template: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List a template's vNICs."""
    list_cmd(f"/templates/{ref(template)}/nics", fmt, columns, VNIC_COLUMNS)


@command(template_nic_app, "show")
def template_nic_show(template: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a template vNIC."""
    show_cmd(f"/templates/{ref(template)}/nics/{ref(nic)}", fmt, columns)


@command(template_nic_app, "add")
def template_nic_add(template: Ref, name: Name, network: Network = None, mac: Mac = None, interface: Interface = None,
                     linked: Linked = None, plugged: Plugged = None, fmt: FormatOpt = Format.table,
                     columns: ColumnsOpt = None) -> None:
    """Add a vNIC to a template."""
    write_cmd("POST", f"/templates/{ref(template)}/nics",
              _vnic_body(name, mac, interface, network, False, linked, plugged), fmt, columns)


@command(template_nic_app, "set")
def template_nic_set(template: Ref, nic: Nic, name: NewName = None, network: Network = None,
                     no_network: NoNetwork = False, mac: Mac = None, interface: Interface = None,
                     linked: Linked = None, plugged: Plugged = None, fmt: FormatOpt = Format.table,
                     columns: ColumnsOpt = None) -> None:
    """Change a template vNIC."""
    write_cmd("PATCH", f"/templates/{ref(template)}/nics/{ref(nic)}",
              need_changes(_vnic_body(name, mac, interface, network, no_network, linked, plugged)), fmt, columns)


@command(template_nic_app, "remove")
def template_nic_remove(template: Ref, nic: Nic) -> None:
    """Remove a vNIC from a template."""
    delete_cmd(f"/templates/{ref(template)}/nics/{ref(nic)}", f"vNIC {nic} of template {template}")


# -- VMs ------------------------------------------------------------------------------------------
@command(vm_app, "list")
def vm_list(cluster: Cluster = None, status: Annotated[str | None, typer.Option("--status")] = None,
            host: Annotated[str | None, typer.Option("--host")] = None,
            fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List VMs."""
    list_cmd("/vms", fmt, columns, VM_COLUMNS, {"cluster": cluster, "status": status, "host": host})


@command(vm_app, "show")
def vm_show(vm: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a VM."""
    show_cmd(f"/vms/{ref(vm)}", fmt, columns)


@command(vm_app, "create")
def vm_create(name: Name, cluster: Cluster = None,
              template: Annotated[str | None, typer.Option("--template", help="Copy this template's vNICs.")] = None,
              description: Desc = None, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Create a VM, empty or from a template (its vNICs get fresh MACs)."""
    write_cmd("POST", "/vms", body(name=name, cluster=cluster, template=template, description=description),
              fmt, columns)


@command(vm_app, "set")
def vm_set(vm: Ref, name: NewName = None, description: Desc = None, fmt: FormatOpt = Format.table,
           columns: ColumnsOpt = None) -> None:
    """Change a VM."""
    write_cmd("PATCH", f"/vms/{ref(vm)}", need_changes(body(name=name, description=description)), fmt, columns)


@command(vm_app, "delete")
def vm_delete(vm: Ref) -> None:
    """Delete a VM (stop it first)."""
    delete_cmd(f"/vms/{ref(vm)}", f"VM {vm}")


@command(vm_app, "start")
def vm_start(vm: Ref, host: Annotated[str | None, typer.Option("--host", help="Run it on this host.")] = None,
             fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Start a VM with its plugged vNICs."""
    write_cmd("POST", f"/vms/{ref(vm)}/start", body(host=host), fmt, columns)


@command(vm_app, "stop")
def vm_stop(vm: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Stop a VM."""
    write_cmd("POST", f"/vms/{ref(vm)}/stop", None, fmt, columns)


# -- VM vNICs -------------------------------------------------------------------------------------
@command(vm_nic_app, "list")
def vm_nic_list(vm: Ref, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """List a VM's vNICs."""
    list_cmd(f"/vms/{ref(vm)}/nics", fmt, columns, VNIC_COLUMNS)


@command(vm_nic_app, "show")
def vm_nic_show(vm: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Show a VM vNIC."""
    show_cmd(f"/vms/{ref(vm)}/nics/{ref(nic)}", fmt, columns)


@command(vm_nic_app, "add")
def vm_nic_add(vm: Ref, name: Name, network: Network = None, mac: Mac = None, interface: Interface = None,
               linked: Linked = None, plugged: Plugged = None, fmt: FormatOpt = Format.table,
               columns: ColumnsOpt = None) -> None:
    """Add a vNIC (hot-plugged on a running VM)."""
    write_cmd("POST", f"/vms/{ref(vm)}/nics", _vnic_body(name, mac, interface, network, False, linked, plugged),
              fmt, columns)


@command(vm_nic_app, "set")
def vm_nic_set(vm: Ref, nic: Nic, name: NewName = None, network: Network = None, no_network: NoNetwork = False,
               mac: Mac = None, interface: Interface = None, linked: Linked = None, plugged: Plugged = None,
               fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Change a VM vNIC (live on a running VM)."""
    write_cmd("PATCH", f"/vms/{ref(vm)}/nics/{ref(nic)}",
              need_changes(_vnic_body(name, mac, interface, network, no_network, linked, plugged)), fmt, columns)


@command(vm_nic_app, "remove")
def vm_nic_remove(vm: Ref, nic: Nic) -> None:
    """Remove a vNIC (unplug it first on a running VM)."""
    delete_cmd(f"/vms/{ref(vm)}/nics/{ref(nic)}", f"vNIC {nic} of VM {vm}")


def _flag(vm: str, nic: str, field: str, value: bool, fmt: Format, columns: list[str] | None) -> None:
    write_cmd("PATCH", f"/vms/{ref(vm)}/nics/{ref(nic)}", {field: value}, fmt, columns)


@command(vm_nic_app, "plug")
def vm_nic_plug(vm: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Plug (activate) a vNIC."""
    _flag(vm, nic, "plugged", True, fmt, columns)


@command(vm_nic_app, "unplug")
def vm_nic_unplug(vm: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Unplug (deactivate) a vNIC."""
    _flag(vm, nic, "plugged", False, fmt, columns)


@command(vm_nic_app, "link")
def vm_nic_link(vm: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Link a vNIC (cable plugged)."""
    _flag(vm, nic, "linked", True, fmt, columns)


@command(vm_nic_app, "unlink")
def vm_nic_unlink(vm: Ref, nic: Nic, fmt: FormatOpt = Format.table, columns: ColumnsOpt = None) -> None:
    """Unlink a vNIC (cable unplugged)."""
    _flag(vm, nic, "linked", False, fmt, columns)

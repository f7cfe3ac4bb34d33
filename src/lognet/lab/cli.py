"""``lognet lab``: hosts and VMs out of network namespaces (needs root and Open vSwitch)."""

from __future__ import annotations

import json
import sys

import typer

from lognet.lab.lab import Lab, LabError

lab_app = typer.Typer(help="Namespace lab: fabric switch, hosts with userspace OVS and agents, an engine.")
PREFIX = typer.Option("lnl", "--prefix", help="Name prefix of everything this lab makes (1-6 chars).")


def _fail(exc: LabError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@lab_app.command("up")
def up(
    hosts: int = typer.Option(2, help="Number of hosts."),
    nics: int = typer.Option(3, help="NICs per host."),
    prefix: str = PREFIX,
    engine_url: str | None = typer.Option(None, help="Use this engine, do not start one."),
    no_engine: bool = typer.Option(False, help="Hosts and agents only (agent-level experiments)."),
) -> None:
    """Build the lab and add its hosts to the engine's Default cluster."""
    try:
        lab = Lab(prefix)
        lab.up(hosts, nics, engine_url=engine_url, engine=not no_engine)
    except LabError as exc:
        _fail(exc)
    typer.echo(json.dumps(lab.status(), indent=1))


@lab_app.command("status")
def status(
    prefix: str = PREFIX, format: str = typer.Option("text", "-f", "--format", help="text|json")
) -> None:
    """Engine URL, admin user, hosts with their NICs and VMs."""
    lab = Lab(prefix)
    if not lab.state:
        _fail(LabError(f"no lab {prefix}"))
    report = lab.status()
    if format == "json":
        typer.echo(json.dumps(report, indent=1))
        return
    typer.echo(f"lab {report['prefix']}  engine {report['engine_url']}  admin user {report['admin_user']}")
    for host in report["hosts"]:
        nics = ", ".join(f"{n['name']}({'up' if n['link'] else 'down'})" for n in host["nics"])
        vms = ", ".join(v["name"] for v in host["vms"]) or "-"
        typer.echo(f"  {host['name']}  {host['address']}  agent {host['agent']}  nics: {nics}  vms: {vms}")


@lab_app.command("down")
def down(prefix: str = PREFIX) -> None:
    """Remove every namespace, process and file the lab made."""
    Lab(prefix).down()


@lab_app.command("exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def exec_(ctx: typer.Context, vm: str | None = typer.Argument(None), host: str | None = typer.Option(None),
          prefix: str = PREFIX) -> None:
    """Run a command in a running VM (``lab exec VM -- CMD``) or a host (``lab exec --host H -- CMD``)."""
    lab = Lab(prefix)
    try:
        if host:
            cmd = ([vm] if vm else []) + list(ctx.args)
            done = lab.exec_host(host, cmd)
        elif vm:
            done = lab.exec_vm(vm, list(ctx.args))
        else:
            raise LabError("name a VM or --host")
    except LabError as exc:
        _fail(exc)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    raise typer.Exit(done.returncode)


@lab_app.command("reboot")
def reboot(host: str, prefix: str = PREFIX) -> None:
    """Power-cycle a host: VMs and kernel devices are lost, OVS database and agent state survive."""
    try:
        Lab(prefix).reboot(host)
    except LabError as exc:
        _fail(exc)

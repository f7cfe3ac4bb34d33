"""``lognet agent run``: the host agent process (runs inside the host's network namespace)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

agent_app = typer.Typer(help="Host agent: applies the engine's network state to Open vSwitch.")


def _secret(secret_file: Path | None) -> str:
    if secret_file is not None:
        return secret_file.read_text().strip()
    return os.environ.get("LOGNET_AGENT_SECRET", "").strip()


@agent_app.command("run")
def run(
    state_dir: Path = typer.Option(..., help="Directory of running.json / safe.json (survives reboots)."),
    listen: str = typer.Option("0.0.0.0:9400", help="ADDR:PORT to serve the protocol on."),
    secret_file: Path | None = typer.Option(None, help="Host secret file (else LOGNET_AGENT_SECRET)."),
    ovs_db: str | None = typer.Option(None, help="OVSDB unix socket (default $OVS_RUNDIR/db.sock)."),
    hostname: str | None = typer.Option(None, help="Host name to report (default: uname)."),
    run_dir: Path | None = typer.Option(None, help="Runtime dir emptied by a reboot (default STATE/run)."),
    vm_netns_prefix: str = typer.Option("lnvm-", help="Prefix of the network namespaces of VMs."),
) -> None:
    """Serve the engine↔agent protocol; on start, bring the host to its committed (or last good) state."""
    import uvicorn

    from lognet.agent import netlink
    from lognet.agent.ovs import OvsBackend
    from lognet.agent.persist import StateStore
    from lognet.agent.server import create_app
    from lognet.agent.service import AgentService
    from lognet.agent.vmruntime import NetnsVmRuntime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    secret = _secret(secret_file)
    if not secret:
        raise typer.BadParameter("no host secret: pass --secret-file or set LOGNET_AGENT_SECRET")
    socket = ovs_db or os.path.join(os.environ.get("OVS_RUNDIR", "/var/run/openvswitch"), "db.sock")
    name = hostname or netlink.hostname()
    backend = OvsBackend(socket, mac_seed=name)
    service = AgentService(backend, NetnsVmRuntime(backend, vm_netns_prefix), StateStore(state_dir),
                           name, run_dir or state_dir / "run")
    converged = service.boot()
    logging.getLogger("lognet.agent").info("host converged to its %s config", converged)
    host, _, port = listen.rpartition(":")
    try:
        uvicorn.run(create_app(service, secret), host=host or "0.0.0.0", port=int(port), log_level="warning")
    finally:
        backend.close()

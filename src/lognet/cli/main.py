"""The ``lognet`` command: ``serve``, ``login`` and object-action commands for every operation."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lognet.cli.client import CliError, resolve_url, save_credentials
from lognet.cli.client import login as api_login
from lognet.cli.commands_core import (
    cluster_app,
    datacenter_app,
    event_app,
    job_app,
    macpool_app,
    network_app,
    user_app,
)
from lognet.cli.commands_hosts import host_app
from lognet.cli.commands_vms import template_app, vm_app
from lognet.cli.common import command

app = typer.Typer(name="lognet", no_args_is_help=True, add_completion=False,
                  help="lognet: logical networks, host networking and vNICs for virtualization data centers.")

for _name, _group in (("datacenter", datacenter_app), ("cluster", cluster_app), ("macpool", macpool_app),
                      ("network", network_app), ("host", host_app), ("template", template_app), ("vm", vm_app),
                      ("job", job_app), ("event", event_app), ("user", user_app)):
    app.add_typer(_group, name=_name)

try:
    from lognet.agent.cli import agent_app  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    pass
else:
    app.add_typer(agent_app, name="agent")

try:
    from lognet.lab.cli import lab_app  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    pass
else:
    app.add_typer(lab_app, name="lab")


@command(app, "serve")
def serve(host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
          demo: Annotated[bool, typer.Option("--demo", help="Seed demo hosts, networks and VMs.")] = False) -> None:
    """Run the engine (database from LOGNET_DATABASE_URL, default SQLite under ./var/)."""
    import uvicorn

    from lognet.api.app import create_app, settings_from_env
    from lognet.service.app import Lognet

    engine = Lognet(settings_from_env())
    password = engine.start()
    if demo:
        from lognet.cli.demo import seed_demo
        typer.echo("Demo content created." if seed_demo(engine) else "Demo content exists already.")
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"lognet engine at {url}  (API {url}/api/v1, docs {url}/api/docs)")
    typer.echo(f"Database: {engine.settings.database_url}")
    if password:
        typer.echo(f"Created user admin with password: {password}  (shown once)")
        typer.echo(f"Log in:  lognet login --url {url} --username admin")
    elif os.environ.get("LOGNET_ADMIN_PASSWORD"):
        typer.echo(f"Log in:  lognet login --url {url} --username admin  (password from LOGNET_ADMIN_PASSWORD)")
    else:
        typer.echo(f"Log in:  lognet login --url {url} --username admin  (password given on first start)")
    fastapi_app = create_app(engine)
    try:
        uvicorn.run(fastapi_app, host=host, port=port, log_level="info")
    finally:
        engine.close()


@command(app, "login")
def login(url: Annotated[str | None, typer.Option("--url", help="Engine URL (env LOGNET_URL).")] = None,
          username: Annotated[str | None, typer.Option("--username", help="User (env LOGNET_USERNAME).")] = None,
          password: Annotated[str | None, typer.Option("--password", help="Password (env LOGNET_PASSWORD; "
                                                                          "prompted when omitted).")] = None) -> None:
    """Log in and store the URL and token in ~/.config/lognet/credentials.json (mode 0600)."""
    base = resolve_url(url)
    user = username or os.environ.get("LOGNET_USERNAME") or "admin"
    secret = password or os.environ.get("LOGNET_PASSWORD")
    if not secret:
        secret = typer.prompt("Password", hide_input=True)
    result = api_login(base, user, secret)
    if "token" not in result:
        raise CliError("LOGIN_FAILED", "the engine returned no token")
    path = save_credentials(base, result["token"], user, result.get("expires_at"))
    typer.echo(f"Logged in to {base} as {user}; token stored in {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""``lognet`` command line. (Minimal until the engine's CLI lands on main: mounts agent and lab.)"""

from __future__ import annotations

import typer

from lognet.agent.cli import agent_app
from lognet.lab.cli import lab_app

app = typer.Typer(help="lognet: logical networks for virtualization data centers.")
app.add_typer(agent_app, name="agent")
app.add_typer(lab_app, name="lab")

"""Host jobs: follow ``GET /jobs/{id}`` and show its steps live (Rich on a TTY, plain lines otherwise)."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.live import Live
from rich.table import Table

from lognet.cli.client import Client, CliError, job_exit_code
from lognet.cli.output import Format, cell, console, is_tty, print_list, print_object

FINAL = ("succeeded", "failed")
ICONS = {"pending": "·", "running": "…", "succeeded": "✔", "failed": "✘"}
STYLES = {"pending": "dim", "running": "yellow", "succeeded": "green", "failed": "red"}


def _steps_table(job: dict[str, Any]) -> Table:
    table = Table(title=f"job {job['id']} ({job.get('kind')}): {job['status']}", show_header=False, box=None)
    for step in job.get("steps", []):
        status = step.get("status", "pending")
        table.add_row(f"[{STYLES.get(status, '')}]{ICONS.get(status, '?')}[/]", step["name"], status,
                      step.get("detail") or "")
    return table


def _poll(client: Client, job: dict[str, Any], interval: float, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["status"] not in FINAL:
        if time.monotonic() > deadline:
            raise CliError("JOB_TIMEOUT", f"job {job['id']} did not finish within {timeout:g} s", 1)
        time.sleep(interval)
        job = client.get(f"/jobs/{job['id']}")
    return job


def follow(client: Client, job: dict[str, Any], interval: float = 0.2, timeout: float = 600.0) -> dict[str, Any]:
    """Poll the job to its end while showing its steps; returns the finished job."""
    if is_tty():
        with Live(_steps_table(job), console=console(stderr=True), refresh_per_second=8, transient=False) as live:
            deadline = time.monotonic() + timeout
            while job["status"] not in FINAL:
                if time.monotonic() > deadline:
                    raise CliError("JOB_TIMEOUT", f"job {job['id']} did not finish within {timeout:g} s", 1)
                time.sleep(interval)
                job = client.get(f"/jobs/{job['id']}")
                live.update(_steps_table(job))
        return job
    typer.echo(f"job {job['id']} ({job.get('kind')}) started", err=True)
    seen: dict[str, tuple[str, str]] = {}

    def show(j: dict[str, Any]) -> None:
        for step in j.get("steps", []):
            state = (step.get("status", ""), step.get("detail") or "")
            if seen.get(step["name"]) != state and state[0] != "pending":
                seen[step["name"]] = state
                typer.echo(f"  {step['name']}: {state[0]}" + (f" - {state[1]}" if state[1] else ""), err=True)

    show(job)
    deadline = time.monotonic() + timeout
    while job["status"] not in FINAL:
        if time.monotonic() > deadline:
            raise CliError("JOB_TIMEOUT", f"job {job['id']} did not finish within {timeout:g} s", 1)
        time.sleep(interval)
        job = client.get(f"/jobs/{job['id']}")
        show(job)
    return job


def finish(job: dict[str, Any], fmt: Format, columns: list[str] | None) -> None:
    """Print the finished job; a failed one raises with exit code 4 (host failure) or 5 (rolled back)."""
    if job["status"] == "failed":
        error = job.get("error") or {}
        code = job_exit_code(job)
        detail = str(error.get("message", "the job failed"))
        if code == 5 and "rolled back" not in detail:
            detail += " (the host rolled back to its previous configuration)"
        raise CliError(str(error.get("code") or "JOB_FAILED"), f"job {job['id']} failed: {detail}", code)
    if fmt is Format.table and not columns:
        typer.echo(f"job {job['id']} {job['status']}")
        changes = (job.get("result") or {}).get("changes")
        if changes:
            print_changes(changes, fmt)
        return
    print_object(job, fmt, columns)


def run_job(client: Client, job: dict[str, Any], wait: bool, fmt: Format, columns: list[str] | None) -> None:
    """The common end of every job command: print the id (``--no-wait``) or follow it to the end."""
    if not wait:
        if fmt is Format.table and not columns:
            typer.echo(job["id"])
        else:
            print_object(job, fmt, columns)
        return
    finish(follow(client, job), fmt, columns)


def _value(key: str, value: Any) -> str:
    if key in ("ipv4", "ipv6") and isinstance(value, dict):
        proto = str(value.get("boot_protocol") or "none")
        if proto == "static":
            return f"{value.get('address')}/{value.get('netmask') or value.get('prefix')}"
        return proto
    return cell(value)


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for ch in changes:
        if ch["action"] == "modify":
            what = ", ".join(f"{k}: {_value(k, v[0])} -> {_value(k, v[1])}" for k, v in ch.get("fields", {}).items())
        else:
            state = ch.get("to") if ch["action"] == "add" else ch.get("from")
            what = ", ".join(f"{k}={_value(k, v)}" for k, v in (state or {}).items()
                             if v not in (None, {}, [], False) and _value(k, v) != "none")
        rows.append({"action": ch["action"], "kind": ch["kind"], "name": ch["name"], "details": what})
    return rows


def print_changes(changes: list[dict[str, Any]], fmt: Format, columns: list[str] | None = None) -> None:
    if not changes and fmt is Format.table:
        typer.echo("no changes")
        return
    print_list(change_rows(changes), fmt, columns, ["action", "kind", "name", "details"])

"""Shared plumbing of the command modules: error handling, the client, lists and shows."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer

from lognet.cli.client import Client, CliError, connect
from lognet.cli.output import Format, console, print_list, print_object

F = TypeVar("F", bound=Callable[..., Any])


def report(exc: CliError) -> None:
    err = console(stderr=True)
    err.print(f"Error [{exc.code}]: {exc.detail}", markup=False)
    for item in exc.errors:
        err.print(f"  {item.get('field', '')}: {item.get('message', '')}", markup=False)


def command(group: typer.Typer, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register ``fn`` as a command of ``group`` whose :class:`CliError` becomes a message and an exit code."""
    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except CliError as exc:
                report(exc)
                raise typer.Exit(exc.exit_code) from None

        group.command(name, **kwargs)(wrapper)
        return fn
    return decorate


def client() -> Client:
    return connect()


def body(**fields: Any) -> dict[str, Any]:
    """A request body of the options that were given (``None`` means not given)."""
    return {k: v for k, v in fields.items() if v is not None}


def need_changes(data: dict[str, Any]) -> dict[str, Any]:
    if not data:
        raise CliError("NOTHING_TO_CHANGE", "give at least one option to change", 2)
    return data


def list_cmd(path: str, fmt: Format, columns: Sequence[str] | None, default_columns: Sequence[str],
             filters: dict[str, Any] | None = None, limit: int | None = None) -> None:
    with client() as c:
        rows = c.list_all(path, filters, limit)
    print_list(rows, fmt, columns, default_columns)


def show_cmd(path: str, fmt: Format, columns: Sequence[str] | None) -> None:
    with client() as c:
        print_object(c.get(path), fmt, columns)


def write_cmd(method: str, path: str, data: Any, fmt: Format, columns: Sequence[str] | None) -> None:
    with client() as c:
        result = c.request(method, path, json_body=data)
    if isinstance(result, dict):
        print_object(result, fmt, columns)


def delete_cmd(path: str, what: str) -> None:
    with client() as c:
        c.delete(path)
    console(stderr=True).print(f"Deleted {what}", markup=False)


def ref(value: str) -> str:
    """A path segment for an id or a name."""
    from urllib.parse import quote
    return quote(value, safe="")

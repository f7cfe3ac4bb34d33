"""Output of show and list commands: ``-f table|json|yaml|value`` and repeatable ``-c COLUMN``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    value = "value"


FormatOpt = Annotated[Format, typer.Option("-f", "--format", help="Output format.", case_sensitive=False)]
ColumnsOpt = Annotated[list[str] | None, typer.Option("-c", "--column", help="Show only this column (repeatable).")]


def is_tty() -> bool:
    return sys.stdout.isatty()


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=not is_tty())


def cell(value: Any) -> str:
    """One value as text: empty for null, lowercase booleans, compact JSON for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return ",".join(str(v) for v in value)
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def _pick(row: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {c: row.get(c) for c in columns}


def _check_columns(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> None:
    if not columns or not rows:
        return
    known = {k for r in rows for k in r}
    unknown = [c for c in columns if c not in known]
    if unknown:
        from lognet.cli.client import CliError
        raise CliError("UNKNOWN_COLUMN", f"unknown column {unknown[0]!r}; known: {', '.join(sorted(known))}", 2)


def _plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _dump(data: Any, fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


def print_list(rows: Sequence[dict[str, Any]], fmt: Format = Format.table, columns: Sequence[str] | None = None,
               default_columns: Sequence[str] | None = None, title: str | None = None) -> None:
    """A list of objects; table and value use ``default_columns`` unless ``-c`` picked some."""
    _check_columns(rows, columns)
    if fmt in (Format.json, Format.yaml):
        _dump([_pick(r, columns) for r in rows] if columns else list(rows), fmt)
        return
    cols = list(columns or default_columns or (list(rows[0]) if rows else []))
    if fmt is Format.value:
        for r in rows:
            typer.echo(" ".join(cell(r.get(c)) for c in cols))
        return
    texts = [[cell(r.get(c)) for c in cols] for r in rows]
    if is_tty():
        table = Table(*cols, title=title, header_style="bold")
        for t in texts:
            table.add_row(*t)
        console().print(table)
    elif cols:
        typer.echo(_plain_table(cols, texts))


def print_object(obj: dict[str, Any], fmt: Format = Format.table, columns: Sequence[str] | None = None) -> None:
    """One object: a Field/Value table, JSON/YAML, or its values (``-f value -c id`` prints just the id)."""
    _check_columns([obj], columns)
    data = _pick(obj, columns) if columns else dict(obj)
    if fmt in (Format.json, Format.yaml):
        _dump(data, fmt)
        return
    if fmt is Format.value:
        typer.echo(" ".join(cell(v) for v in data.values()))
        return
    texts = [[k, cell(v)] for k, v in data.items()]
    if is_tty():
        table = Table("Field", "Value", header_style="bold")
        for t in texts:
            table.add_row(*t)
        console().print(table)
    else:
        typer.echo(_plain_table(["Field", "Value"], texts))


def message(text: str) -> None:
    """A human note (to stderr, so stdout stays parseable)."""
    console(stderr=True).print(text)

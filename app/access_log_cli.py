"""`orgcover access-log verify|show`: check the hash chain, read who saw what.

Mounted by app.cli (`cli.add_typer(access_log_app, name="access-log")`). Like the rest of
the CLI, failures are one line `orgcover: error: …`; exit 1 for a broken chain, 2 for
usage or system errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from app import access_log_verify

EXIT_BROKEN = 1
EXIT_ERROR = 2

access_log_app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="The access log (who saw what): verify its hash chain, show entries.")


def _directory_from_env() -> Path:
    """ORGCOVER_ACCESS_LOG_DIR, else ORGCOVER_DATA_DIR/access (the settings' defaults)."""
    explicit = os.environ.get("ORGCOVER_ACCESS_LOG_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("ORGCOVER_DATA_DIR") or "data") / "access"


#: Where the commands look without --dir; app.cli may point it at the settings, e.g.
#: `access_log_cli.default_directory = lambda: _settings().access_log_dir`.
default_directory: Callable[[], Path] = _directory_from_env

DirOption = Annotated[Path | None, typer.Option(
    "--dir", help="Access-log directory (default: ORGCOVER_ACCESS_LOG_DIR, else "
    "ORGCOVER_DATA_DIR/access).")]


def _fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    typer.echo(f"orgcover: error: {message}", err=True)
    return typer.Exit(code)


def _directory(given: Path | None) -> Path:
    path = given if given is not None else default_directory()
    if not path.is_dir():
        raise _fail(f"no access log at {path} (use --dir or set ORGCOVER_ACCESS_LOG_DIR)")
    return path


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} must be a date YYYY-MM-DD, not {value!r}") from None


@access_log_app.command("verify")
def verify_command(directory: DirOption = None) -> None:
    """Check the hash chain over every month file; exit 1 naming the first broken line."""
    path = _directory(directory)
    try:
        result = access_log_verify.verify(path)
    except OSError as exc:
        raise _fail(f"cannot read the access log at {path}: {exc}") from None
    if not result.ok:
        raise _fail(f"{path}: {result.summary()}", EXIT_BROKEN)
    typer.echo(result.summary())


@access_log_app.command("show")
def show_command(
    directory: DirOption = None,
    sub: Annotated[str | None, typer.Option(help="Only this token subject (who).")] = None,
    since: Annotated[str | None, typer.Option(
        help="From this UTC date, inclusive (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(
        help="Up to this UTC date, inclusive (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines as stored.")] = False,
    prune_records: Annotated[bool, typer.Option(
        "--prune-records", help="Also the records of pruned month files.")] = False,
) -> None:
    """Show who saw what, oldest first: a table, or JSON lines with --json."""
    first, last = _date("--since", since), _date("--until", until)
    path = _directory(directory)
    shown = 0
    try:
        for entry in access_log_verify.read(path, sub=sub, since=first, until=last,
                                            prune_records=prune_records):
            if as_json:
                typer.echo(json.dumps(entry, ensure_ascii=False))
            else:
                if not shown:
                    typer.echo(_HEADER)
                typer.echo(_row(entry))
            shown += 1
    except OSError as exc:
        raise _fail(f"cannot read the access log at {path}: {exc}") from None
    if not shown:
        typer.echo("orgcover: no access-log entries match", err=True)


_HEADER = (f"{'TIME (UTC)':<19}  {'SUB':<16}  {'ROLES':<16}  {'OPERATION':<20}  "
           f"{'PERSONS':>7}  {'MS':>7}  {'ERRORS':<12}  {'CLIENT':<15}  FIELDS")


def _row(entry: dict[str, Any]) -> str:
    when = str(entry.get("time", ""))[:19].replace("T", " ")
    if entry.get("event") == "pruned":
        removed = ", ".join(str(name) for name in entry.get("removed") or ())
        return f"{when:<19}  (pruned {removed}; retention {entry.get('retention_days')} days)"
    roles = ",".join(str(role) for role in entry.get("roles") or ())
    errors = ",".join(str(code) for code in entry.get("errors") or ()) or "-"
    duration = entry.get("duration_ms")
    ms = f"{duration:.1f}" if isinstance(duration, int | float) else "-"
    fields = ", ".join(_field(f) for f in entry.get("fields") or () if isinstance(f, dict))
    return (f"{when:<19}  {_text(entry.get('sub')):<16}  {roles:<16}  "
            f"{_text(entry.get('operation')):<20}  {_text(entry.get('persons')):>7}  "
            f"{ms:>7}  {errors:<12}  {_text(entry.get('client')):<15}  {fields}")


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _field(field: dict[str, Any]) -> str:
    """`alias:field(scope=…, text=…)`: the root field and the arguments that say what."""
    name = str(field.get("field", "?"))
    if field.get("alias"):
        name = f"{field['alias']}:{name}"
    args = field.get("args")
    if not isinstance(args, dict) or not args:
        return name
    inner = ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}"
                      if not isinstance(value, str) else f"{key}={value}"
                      for key, value in args.items() if value is not None)
    return f"{name}({inner})"

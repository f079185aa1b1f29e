"""Coverage over time on the command line: `orgcover audit --trend | --ranking | --since S`
and `orgcover notice issue | list | ledger`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from app import history_export as out
from app import logs
from app.cli_common import TokenOption, caller_of, fail, load_settings, require, run
from graph.factory import open_store
from graph.queries.audits import AUDITS, AuditDef
from graph.store import GraphStore
from resolvers import audits as audit_resolvers
from resolvers import history as h
from resolvers.access import Caller, Right
from resolvers.context import Context
from resolvers.nodes import effective_scope


async def _bound(store: GraphStore, caller: Caller, scope: str | None) -> str | None:
    bounded = await effective_scope(Context(store, caller=caller), scope)
    return await audit_resolvers.check_scope_and_group(store, scope=bounded, group_by=None)


def _with_store(token: str | None, right: Right,
                work: Callable[[GraphStore, Caller], Awaitable[Any]]) -> Any:
    settings = load_settings()
    logs.configure("WARNING", "text")

    async def main() -> Any:
        store = await open_store(settings.store_config())
        try:
            caller = await caller_of(settings, store, token)
            require(caller, right)
            return await work(store, caller)
        finally:
            await store.close()

    return run(main)


def history_report(*, mode: str, metric: str, scope: str | None, since: str | None,
                   fmt: str, token: str | None) -> str:
    """The text `audit --trend`, `--ranking` or `--since` prints (table or JSON)."""
    if fmt not in ("table", "json"):
        raise fail(f"--trend, --ranking and --since print a table or json, not {fmt!r}")
    audits = list(AUDITS.values()) if metric == "all" else [
        audit_resolvers.audit_definition(metric)]

    async def work(store: GraphStore, caller: Caller) -> list[tuple[str, str | dict[str, Any]]]:
        code = await _bound(store, caller, scope)
        shown: list[tuple[str, str | dict[str, Any]]] = []
        for audit in audits:
            shown.append(await _one(store, audit, code, mode, since))
        return shown

    found = _with_store(token, Right.READ, work)
    if fmt == "json":
        return out.dumps([doc for _, doc in found])
    return "\n".join(text for text, _ in found)


async def _one(store: GraphStore, audit: AuditDef, code: str | None, mode: str,
               since: str | None) -> tuple[str, dict[str, Any]]:
    if mode == "trend":
        points = await h.trend(store, audit=audit, scope=code)
        return out.trend_table(audit, code, points), out.trend_json(audit, code, points)
    if mode == "ranking":
        ranked = await h.ranking(store, audit=audit, scope=code, against=since)
        return out.ranking_table(audit, ranked), out.ranking_json(audit, ranked)
    assert since is not None
    changed = await h.changes(store, audit=audit, scope=code, since=since)
    return out.changes_table(audit, changed), out.changes_json(audit, changed)


def take_snapshot(token: str | None) -> str:
    async def work(store: GraphStore, caller: Caller) -> str:
        taken = await h.take_snapshot(store, who=caller.sub if token else "cli")
        return f"快照 {taken.code} 已记录 / snapshot {taken.code} taken ({taken.gaps:,} gaps)"

    text: str = _with_store(token, Right.SNAPSHOT, work)
    return text


notice_app = typer.Typer(no_args_is_help=True, help="Rectification notices (整改通知) and "
                                                    "their ledgers (整改台账).")


@notice_app.command("issue")
def issue(
    metric: Annotated[str, typer.Option(help="Audit id from audits.md.")],
    deadline: Annotated[str, typer.Option(help="Day to fix the gaps by (YYYY-MM-DD).")],
    scope: Annotated[str | None, typer.Option(help="Place code; default everything.")] = None,
    note: Annotated[str, typer.Option(help="What the notice asks.")] = "",
    token: TokenOption = None,
) -> None:
    """Issue a notice freezing the metric's gaps in the scope (right `notice`)."""
    audit = audit_resolvers.audit_definition(metric) if metric in AUDITS else None
    if audit is None:
        raise fail(f"unknown audit metric {metric!r}; known: {', '.join(AUDITS)}")
    try:
        day = dt.date.fromisoformat(deadline)
    except ValueError:
        raise fail(f"--deadline must be a date YYYY-MM-DD, not {deadline[:40]!r}") from None

    async def work(store: GraphStore, caller: Caller) -> str:
        code = await _bound(store, caller, scope)
        notice, listed = await h.issue_notice(store, audit=audit, scope=code, deadline=day,
                                              note=note, who=caller.sub if token else "cli",
                                              today=dt.date.today())
        return f"{notice.code}: {audit.zh} {listed} 项，期限 {notice.deadline}"

    typer.echo(_with_store(token, Right.NOTICE, work))


@notice_app.command("list")
def list_notices(token: TokenOption = None) -> None:
    """Notices inside the jurisdiction (or above it), newest first, with their counts."""
    async def work(store: GraphStore, caller: Caller) -> list[str]:
        lines = []
        for notice in await h.notices(store, scope=caller.jurisdiction):
            found = await h.ledger(store, notice=notice, scope=caller.jurisdiction,
                                   today=dt.date.today())
            t = found.total
            lines.append(f"{notice.code}  {AUDITS[notice.metric].zh}  "
                         f"{notice.scope or '全部'}  期限 {notice.deadline}  共 {t.total}  "
                         f"已整改 {t.fixed}  逾期 {t.overdue}")
        return lines or ["（无整改通知）"]

    typer.echo("\n".join(_with_store(token, Right.NOTICE, work)))


@notice_app.command("ledger")
def ledger(
    notice: Annotated[str, typer.Argument(help="Notice id (N0001 …).")],
    fmt: Annotated[str, typer.Option("--format", help="table, json or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option(help="File to write (required for xlsx).")]
    = None,
    token: TokenOption = None,
) -> None:
    """A notice's ledger inside the jurisdiction: overdue first (xlsx needs `export`)."""
    if fmt not in ("table", "json", "xlsx"):
        raise fail(f"--format must be table, json or xlsx, not {fmt!r}")
    if fmt == "xlsx" and output is None:
        raise fail("--format xlsx needs --output FILE.xlsx")

    async def work(store: GraphStore, caller: Caller) -> h.Ledger:
        if fmt == "xlsx":
            require(caller, Right.EXPORT, "--format xlsx")
        found = await h.notice_visible(store, code=notice, scope=caller.jurisdiction)
        return await h.ledger(store, notice=found, scope=caller.jurisdiction,
                              today=dt.date.today())

    found: h.Ledger = _with_store(token, Right.NOTICE, work)
    audit = AUDITS[found.notice.metric]
    if fmt == "xlsx":
        assert output is not None
        out.write_ledger_xlsx(audit, found, output)
        typer.echo(str(output))
        return
    text = out.dumps(out.ledger_json(audit, found)) if fmt == "json" else out.ledger_table(
        audit, found)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(str(output))
    else:
        typer.echo(text)

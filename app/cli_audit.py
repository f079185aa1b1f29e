"""`orgcover audit`: coverage audits and the period figures beside them, as a table, JSON,
CSV or an xlsx an auditor sends on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from app import cli_history, logs
from app.cli_common import TokenOption, caller_of, fail, load_settings, require, run
from graph.domain import PartyOrgCategory
from graph.factory import open_store
from resolvers.access import Right
from resolvers.context import Context
from resolvers.nodes import effective_scope
from resolvers.status import DataStatus, data_status


def _period(start: str | None, end: str | None,
            category: str | None) -> tuple[dt.date, dt.date, str | None] | None:
    """The period of `audit --from/--to/--category`, checked before anything is opened."""
    if start is None:
        if end is not None or category is not None:
            raise fail("--to and --category need --from (the first day of the period)")
        return None

    def day(option: str, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise fail(f"{option} must be a date YYYY-MM-DD, not {text[:40]!r}") from None

    first = day("--from", start)
    last = day("--to", end) if end is not None else dt.date.today()
    if first > last:
        raise fail(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    kind = None
    if category is not None:
        found = PartyOrgCategory.from_label(category)
        if found is None:
            raise fail(f"--category must be one of "
                        f"{', '.join(f'{c.zh} ({c.value})' for c in PartyOrgCategory)}, "
                        f"not {category[:40]!r}")
        kind = found.value
    return first, last, kind


def audit(
    metric: Annotated[str, typer.Option(help="Audit id from audits.md, or all.")] = "all",
    scope: Annotated[str | None, typer.Option(help="Place code; default everything.")] = None,
    group_by: Annotated[str | None, typer.Option(
        "--group-by", help="street, community or grid (at or below the scope).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option(help="File to write (required for xlsx).")]
    = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="First day of a period (YYYY-MM-DD): adds the period figures "
                       "(party orgs by kind, secretaries appointed and replaced).")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="Last day of the period (default today; needs --from).")] = None,
    category: Annotated[str | None, typer.Option(
        help="Count secretaries of party orgs of this category only (小区 or compound, "
             "网格 or grid …; needs --from).")] = None,
    snapshot: Annotated[bool, typer.Option(
        "--snapshot", help="Record a coverage snapshot first (right `snapshot`).")] = False,
    trend: Annotated[bool, typer.Option(
        "--trend", help="The metric over the last 24 snapshots instead (table or json).")]
    = False,
    ranking: Annotated[bool, typer.Option(
        "--ranking", help="The places below the scope ranked at the latest snapshot, with "
                          "rank changes against the one before (or --since).")] = False,
    since: Annotated[str | None, typer.Option(
        "--since", help="Snapshot id: alone, the gaps new, closed and still open since it; "
                        "with --ranking, the snapshot ranks are compared with.")] = None,
    token: TokenOption = None,
) -> None:
    """Run coverage audits; gap lists are complete (not paginated).

    With --token: right `read` (and `export` for csv and xlsx), the scope inside the
    token's jurisdiction (default: the jurisdiction)."""
    from app import audit_export
    from graph.queries.audits import AUDITS
    from resolvers import audits as audit_resolvers
    from resolvers import periods

    if fmt not in ("table", "json", "csv", "xlsx"):
        raise fail(f"--format must be table, json, csv or xlsx, not {fmt!r}")
    if fmt == "xlsx" and output is None:
        raise fail("--format xlsx needs --output FILE.xlsx")
    period = _period(start, end, category)
    mode = "trend" if trend else "ranking" if ranking else "since" if since else None
    if trend and (ranking or since):
        raise fail("--trend goes alone; --ranking may take --since")
    if snapshot:
        typer.echo(cli_history.take_snapshot(token), err=True)
    if mode is not None:
        if group_by or period:
            raise fail("--group-by and --from do not go with --trend, --ranking or --since")
        typer.echo(cli_history.history_report(mode=mode, metric=metric, scope=scope,
                                              since=since, fmt=fmt, token=token))
        return
    settings = load_settings()
    logs.configure("WARNING", "text")

    async def main() -> tuple[list[audit_export.AuditReport],
                              audit_export.PeriodReport | None, DataStatus]:
        audits = list(AUDITS.values()) if metric == "all" else [
            audit_resolvers.audit_definition(metric)]
        store = await open_store(settings.store_config())
        try:
            caller = await caller_of(settings, store, token)
            require(caller, Right.READ)
            if fmt in ("csv", "xlsx"):
                require(caller, Right.EXPORT, f"--format {fmt}")
            bounded = await effective_scope(Context(store, caller=caller), scope)
            code, level = await audit_resolvers.scope_and_level(store, scope=bounded,
                                                                group_by=group_by)
            reports = []
            for one in audits:
                summary = await audit_resolvers.summary(store, audit=one, scope=code,
                                                        group_by=group_by)
                gaps = [audit_resolvers.hide_enclosing(g, level) for g in
                        await audit_resolvers.gaps(store, audit=one, scope=code, after=None,
                                                   limit=max(summary.gap_count, 1))]
                reports.append(audit_export.AuditReport(one, summary, gaps))
            figures = None
            if period is not None:
                first, last, kind = period
                figures = audit_export.PeriodReport(
                    await periods.party_org_kinds(store, scope=code),
                    await periods.secretary_changes(store, scope=code, category=kind,
                                                    start=first, end=last))
            return reports, figures, await data_status(store)
        finally:
            await store.close()

    reports, figures, status = run(main)
    if status.unfinished and fmt != "table":
        typer.echo(f"orgcover: warning: {status.warning()}", err=True)
    if fmt == "xlsx":
        assert output is not None
        audit_export.write_xlsx(reports, output, figures, status)
        typer.echo(str(output))
        return
    text = {"table": audit_export.to_table, "json": audit_export.to_json,
            "csv": audit_export.to_csv}[fmt](reports, figures, status)
    if output is not None:
        output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        typer.echo(str(output))
    else:
        typer.echo(text)

"""`orgcover audit`: coverage audits and the period figures beside them, as a table, JSON,
CSV or an xlsx an auditor sends on."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Annotated

import typer

from app import cli_history, logs
from app.audit_export import ReportHeading
from app.cli_common import TokenOption, caller_of, fail, load_settings, require, run
from graph.domain import Label, PartyOrgCategory
from graph.errors import BadInput, OrgcoverError
from graph.factory import open_store
from graph.records import NodeRecord
from graph.repo.audits import place_by_code
from graph.repo.nodes import list_nodes
from graph.store import GraphStore
from resolvers.access import OPERATOR, Caller, Right
from resolvers.context import Context
from resolvers.exports import report_heading
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
    per_street: Annotated[Path | None, typer.Option(
        "--per-street", help="Write one xlsx workbook per street inside the scope into this "
                             "directory (what a district sends each street); grouped by "
                             "community unless --group-by says otherwise.")] = None,
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
    if per_street is not None:
        if output is not None or fmt not in ("table", "xlsx"):
            raise fail("--per-street DIR writes xlsx workbooks itself: leave out --output "
                       "and --format")
        fmt = "xlsx"
    elif fmt == "xlsx" and output is None:
        raise fail("--format xlsx needs --output FILE.xlsx (or --per-street DIR)")
    period = _period(start, end, category)
    mode = "trend" if trend else "ranking" if ranking else "since" if since else None
    if trend and (ranking or since):
        raise fail("--trend goes alone; --ranking may take --since")
    if snapshot:
        typer.echo(cli_history.take_snapshot(token), err=True)
    if mode is not None:
        if per_street is not None:
            raise fail("--per-street does not go with --trend, --ranking or --since")
        if group_by or period:
            raise fail("--group-by and --from do not go with --trend, --ranking or --since")
        typer.echo(cli_history.history_report(mode=mode, metric=metric, scope=scope,
                                              since=since, fmt=fmt, token=token))
        return
    settings = load_settings()
    logs.configure("WARNING", "text")

    async def reports_for(store: GraphStore, code: str | None, grouping: str | None,
                          level: str | None, *, hide: bool) -> list[audit_export.AuditReport]:
        reports = []
        for one in audits:
            summary = await audit_resolvers.summary(store, audit=one, scope=code,
                                                    group_by=grouping)
            found = await audit_resolvers.gaps(store, audit=one, scope=code, after=None,
                                               limit=max(summary.gap_count, 1))
            # a workbook names every gap's community and street (it travels alone)
            gaps = [audit_resolvers.hide_enclosing(g, level) if hide else g for g in found]
            reports.append(audit_export.AuditReport(one, summary, gaps))
        return reports

    async def period_for(store: GraphStore,
                         code: str | None) -> audit_export.PeriodReport | None:
        if period is None:
            return None
        first, last, kind = period
        return audit_export.PeriodReport(
            await periods.party_org_kinds(store, scope=code),
            await periods.secretary_changes(store, scope=code, category=kind, start=first,
                                            end=last))

    try:
        audits = list(AUDITS.values()) if metric == "all" else [
            audit_resolvers.audit_definition(metric)]
    except OrgcoverError as exc:
        raise fail(str(exc)) from None

    async def write_per_street(store: GraphStore, caller: Caller, bounded: str | None,
                               folder: Path) -> None:
        """One workbook per street inside the scope, each with the street as its scope."""
        streets = await _streets(store, bounded)
        grouping = group_by or "community"
        status = await data_status(store)
        for street in streets:
            code, level = await audit_resolvers.scope_and_level(store, scope=street.code,
                                                                group_by=grouping)
            out = folder / f"{street.code}-{_file_safe(street.name)}.xlsx"
            audit_export.write_xlsx(
                await reports_for(store, code, grouping, level, hide=False), out,
                await period_for(store, code), status,
                await _heading(store, caller, code, grouping))
            typer.echo(str(out))

    async def main() -> tuple[list[audit_export.AuditReport],
                              audit_export.PeriodReport | None, DataStatus,
                              ReportHeading | None]:
        store = await open_store(settings.store_config())
        try:
            caller = await caller_of(settings, store, token)
            require(caller, Right.READ)
            if fmt in ("csv", "xlsx"):
                require(caller, Right.EXPORT, f"--format {fmt}")
            bounded = await effective_scope(Context(store, caller=caller), scope)
            if per_street is not None:
                await write_per_street(store, caller, bounded, per_street)
                return [], None, await data_status(store), None
            code, level = await audit_resolvers.scope_and_level(store, scope=bounded,
                                                                group_by=group_by)
            reports = await reports_for(store, code, group_by, level, hide=fmt != "xlsx")
            heading = (await _heading(store, caller, code, group_by)
                       if fmt == "xlsx" else None)
            return reports, await period_for(store, code), await data_status(store), heading
        finally:
            await store.close()

    if per_street is not None:
        per_street.mkdir(parents=True, exist_ok=True)
    reports, figures, status, heading = run(main)
    if status.unfinished and fmt != "table":
        typer.echo(f"orgcover: warning: {status.warning()}", err=True)
    if per_street is not None:
        return
    if fmt == "xlsx":
        assert output is not None
        audit_export.write_xlsx(reports, output, figures, status, heading)
        typer.echo(str(output))
        return
    text = {"table": audit_export.to_table, "json": audit_export.to_json,
            "csv": audit_export.to_csv}[fmt](reports, figures, status)
    if output is not None:
        output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        typer.echo(str(output))
    else:
        typer.echo(text)


async def _heading(store: GraphStore, caller: Caller, scope: str | None,
                   group_by: str | None) -> ReportHeading:
    """The workbook's title block; the operator is named by their login on this machine."""
    return await report_heading(
        store, caller, scope=scope, group_by=group_by,
        generated_by=f"运维 {getpass.getuser()}" if caller is OPERATOR else None)


async def _streets(store: GraphStore, scope: str | None) -> list[NodeRecord]:
    """The streets at or inside `scope` (the scope itself when it is one)."""
    if scope is not None:
        place = await place_by_code(store, code=scope)
        level = place.level if place is not None else None
        if place is not None and level == "street":
            return [place]
        if level != "district":
            raise BadInput(f"--per-street needs a district or street scope; {scope} is "
                           f"{'a ' + str(level) if level else 'not a region'}")
    found: list[NodeRecord] = []
    after: str | None = None
    while True:
        page = await list_nodes(store, label=Label.REGION, kind="street", scope=scope,
                                after=after, first=500)
        found += page.items
        if not page.has_next or not page.items:
            return found
        after = page.items[-1].code


def _file_safe(name: str) -> str:
    return "".join("_" if ch in '/\\:*?"<>|' or ch < " " else ch for ch in name)[:60]

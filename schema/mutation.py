"""Mutations: roster loads from uploaded files, with expected failures as a union member."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from loaders.report import LoadReport
from resolvers import rosters as r
from resolvers.access import Right
from resolvers.context import Context
from schema.enums import describe_values
from schema.history_fields import HistoryMutation
from schema.permissions import needs, requires


@strawberry.enum(description="Language of roster problem messages.")
class ReportLanguage(Enum):
    ZH = "zh"
    EN = "en"


describe_values(ReportLanguage, {ReportLanguage.ZH: "中文 (Chinese)",
                                 ReportLanguage.EN: "English"}.__getitem__)


@strawberry.type(description="Counts for one roster template (名册).")
class TemplateCount:
    template: str = strawberry.field(description="Template key, e.g. compounds (小区).")
    rows: int = strawberry.field(description="Rows read.")
    created: int = strawberry.field(description="Nodes or relationships created (新建).")
    updated: int = strawberry.field(description="Changed (更新).")
    unchanged: int = strawberry.field(
        description="Already as the roster says (未变). For people, callers without right "
                    "`pii:masked` see existing rows all counted as updated: a dry run must "
                    "not confirm a guessed phone or ID number.")
    errors: int = strawberry.field(description="Problems found (错误).")
    removed: int = strawberry.field(description="Removed by replaceScope (删除).")


@strawberry.type(description="A problem in an uploaded roster, where it is and what is wrong.")
class RosterProblem:
    severity: str = strawberry.field(description="error or warning.")
    file: str = strawberry.field(description="File name as uploaded.")
    sheet: str | None = strawberry.field(description="Worksheet of an .xlsx file.")
    row: int | None = strawberry.field(description="Row number as Excel shows it (header = 1).")
    column: str | None = strawberry.field(description="Column header as written.")
    value: str | None = strawberry.field(description="The offending value (never an ID number).")
    code: str = strawberry.field(description="Stable problem code, e.g. ref_missing.")
    message: str = strawberry.field(description="Plain-language message.")


@strawberry.type(description="How many problems of one kind a load found: by severity, "
                             "problem code and column.")
class ProblemCount:
    severity: str = strawberry.field(description="error or warning.")
    code: str = strawberry.field(description="Stable problem code, e.g. ref_missing.")
    column: str | None = strawberry.field(
        description="Column header as written; null for problems of a whole file (and for "
                    "kinds beyond the first 1,000 distinct ones).")
    count: int = strawberry.field(description="Problems of this kind, listed or not.")


LISTED = ("at most ORGCOVER_MAX_PROBLEMS_LISTED (default 1,000) are listed in full; the "
          "totals and problemCounts count every one")


@strawberry.type(description="The rosters were valid and are loaded (or checked, in a dry run).")
class LoadResult:
    load_id: str = strawberry.field(description="Journal id of the load (:Load node).")
    dry_run: bool = strawberry.field(description="Validated only; nothing written.")
    resumed: bool = strawberry.field(description="Completed an earlier interrupted load.")
    counts: list[TemplateCount] = strawberry.field(description="Per template.")
    warnings: list[RosterProblem] = strawberry.field(
        description=f"Ignored columns, sheets ({LISTED}).")
    warnings_total: int = strawberry.field(description="Every warning, listed or not.")
    removed: list[str] = strawberry.field(
        description="What replaceScope removed (or would remove, in a dry run); at most "
                    "ORGCOVER_MAX_PROBLEMS_LISTED (default 1,000) listed.")
    removed_total: int = strawberry.field(
        description="Everything replaceScope removed or would remove, listed or not.")
    unchanged_since: str | None = strawberry.field(
        default=None,
        description="Id of the committed load these very rosters made, with nothing loaded "
                    "since: not checked again and counted unchanged (recheck: true checks).")
    snapshot: str | None = strawberry.field(
        default=None,
        description="The coverage snapshot recorded after this load (it changed something "
                    "and ORGCOVER_SNAPSHOT_AFTER_LOAD is on).")


@strawberry.type(description="The rosters have errors; nothing was written.")
class ValidationFailed:
    message: str = strawberry.field(description="Summary.")
    errors: list[RosterProblem] = strawberry.field(
        description=f"The errors, all found in one pass ({LISTED}).")
    warnings: list[RosterProblem] = strawberry.field(description=f"Warnings ({LISTED}).")
    counts: list[TemplateCount] = strawberry.field(description="Per template.")
    problems_total: int = strawberry.field(description="Every error and warning found.")
    errors_total: int = strawberry.field(description="Every error found, listed or not.")
    warnings_total: int = strawberry.field(description="Every warning found, listed or not.")
    problem_counts: list[ProblemCount] = strawberry.field(
        description="Every problem counted by severity, problem code and column.")


LoadRostersResult = Annotated[LoadResult | ValidationFailed,
                              strawberry.union("LoadRostersResult")]


def _problems(report: LoadReport, severity: str, lang: str) -> list[RosterProblem]:
    return [RosterProblem(severity=p.severity, file=p.file, sheet=p.sheet, row=p.row,
                          column=p.column, value=p.value, code=p.key, message=p.text(lang))
            for p in report.problems if p.severity == severity]


def _problem_counts(report: LoadReport) -> list[ProblemCount]:
    return [ProblemCount(severity=severity, code=code, column=column, count=count)
            for severity, code, column, count in report.problem_counts()]


def _counts(report: LoadReport) -> list[TemplateCount]:
    return [TemplateCount(template=k, rows=c.rows, created=c.created, updated=c.updated,
                          unchanged=c.unchanged, errors=c.errors, removed=c.removed)
            for k, c in report.counts.items()]


@strawberry.type(description="Changes to the graph.")
class Mutation(HistoryMutation):
    @strawberry.mutation(
        description=requires(
            "Validate uploaded rosters (CSV or XLSX, 名册) and load them; nothing is written "
            "when any row is wrong, or when a row would create or change anything outside "
            "the caller's jurisdiction (超出管辖范围). replaceScope needs right "
            "`load:replace`.", Right.LOAD),
        extensions=[*needs(Right.LOAD), *needs(Right.LOAD_REPLACE, argument="replace_scope")])
    async def load_rosters(
        self, info: Info[Context, None],
        files: Annotated[list[Upload], strawberry.argument(
            description="Roster files named after their templates (小区.csv, 名册.xlsx …).")],
        dry_run: Annotated[bool, strawberry.argument(
            description="Validate only and report what would change; write nothing.")]
        = False,
        replace_scope: Annotated[str | None, strawberry.argument(
            description="Place code inside which the rosters are the whole truth; at or "
                        "below the caller's jurisdiction. Needs right `load:replace`.")]
        = None,
        lang: Annotated[ReportLanguage, strawberry.argument(
            description="Language of the problem messages (default Chinese).")]
        = ReportLanguage.ZH,
        recheck: Annotated[bool, strawberry.argument(
            description="Check every row even when the files equal the last committed "
                        "load's.")] = False,
    ) -> LoadRostersResult:
        language = lang.value
        report, ok = await r.load_uploads(info.context, files=files, dry_run=dry_run,
                                          replace_scope=replace_scope, recheck=recheck)
        if ok:
            return LoadResult(
                load_id=report.load_id, dry_run=report.dry_run, resumed=report.resumed,
                counts=_counts(report), warnings=_problems(report, "warning", language),
                warnings_total=report.warning_count,
                removed=[f"{k}: {item}" for k, items in report.removed.items()
                         for item in items], removed_total=report.removed_count,
                unchanged_since=report.unchanged_since, snapshot=report.snapshot)
        errors = _problems(report, "error", language)
        total = report.error_count
        return ValidationFailed(
            message=(f"{total} 个错误，未写入任何数据。" if language == "zh"
                     else f"{total} error(s); nothing was written."),
            errors=errors, warnings=_problems(report, "warning", language),
            counts=_counts(report), problems_total=total + report.warning_count,
            errors_total=total, warnings_total=report.warning_count,
            problem_counts=_problem_counts(report))

"""Root fields of exports (the Query root inherits them): an audit as the audit page shows
it, as an .xlsx workbook, through GraphQL like every other answer (no private endpoint)."""

from __future__ import annotations

import base64
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import audits as audit_resolvers
from resolvers import exports
from resolvers import nodes as r
from resolvers.access import Right
from resolvers.context import Context
from schema.audits import GAP_REASON, GAP_TEXT
from schema.enums import GroupLevel, Metric, Scope
from schema.permissions import guarded

GInfo = Info[Context, None]


@strawberry.type(description="A file to save: its name, media type and content.")
class Workbook:
    filename: str = strawberry.field(description="Suggested file name (.xlsx).")
    media_type: str = strawberry.field(description="The file's media type (xlsx).")
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
    rows: int = strawberry.field(description="Gap rows in the workbook's gap list.")


@strawberry.type
class ExportQuery:
    @guarded(Right.EXPORT, "One audit as an .xlsx workbook (导出): the scope's figures, its "
             "groups when grouped and its gap list (filtered like `gaps`), each sheet "
             f"under a title block. At most {exports.MAX_WORKBOOK_ROWS:,} gaps "
             "(BAD_USER_INPUT beyond: narrow the scope or filter).")
    async def audit_workbook(
        self, info: GInfo, metric: Metric,
        scope: Scope = None,
        group_by: Annotated[GroupLevel | None, strawberry.argument(
            description="Level to group by: the scope's own level or below.")] = None,
        reason: Annotated[str | None, strawberry.argument(description=GAP_REASON)] = None,
        text: Annotated[str | None, strawberry.argument(description=GAP_TEXT)] = None,
    ) -> Workbook:
        audit = audit_resolvers.audit_definition(metric.value)
        only = audit_resolvers.gap_filter(audit, reason=reason, text=text)
        s = await r.effective_scope(info.context, scope)
        found = await exports.audit_workbook(
            info.context.store, info.context.caller, audit=audit, scope=s,
            group_by=group_by.value if group_by else None, only=only)
        return Workbook(filename=found.filename, media_type=exports.XLSX,
                        content_base64=base64.b64encode(found.content).decode("ascii"),
                        rows=found.rows)

"""Sibling fields settle before an error propagates.

graphql-core resolves an object's fields concurrently and, when one of them raises (a
non-null field's error propagates to its parent), cancels the others mid-flight. On Neo4j
that cancelled a sibling's query while its result was streaming (the server logged
"Failed to transmit operation result" and the pooled connection was dropped), and the
error reported depended on which field failed first. Here every sibling runs to its end
(each is bounded by the request's deadline) and the error of the first failing field in
document order is the one that propagates: the same answer every time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SettledExecutor(StrawberryGraphQLCoreExecutionContext):
    """The executor strawberry builds per request, with `execute_fields` settling."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                result = self.execute_field(
                    parent_type, source_value, field_details_list,
                    Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if self.is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:  # started siblings still settle (they may fail too)
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def settled() -> dict[str, Any]:
            done = await asyncio.gather(*(results[name] for name in awaitable_fields),
                                        return_exceptions=True)
            for value in done:  # document order
                if isinstance(value, BaseException):
                    raise value
            results.update(zip(awaitable_fields, done, strict=True))
            return results

        return settled()

"""Sibling fields settle before an error propagates.

graphql-core resolves an object's fields concurrently and, when one of them raises (a
non-null field's error propagates to its parent), cancels the others mid-flight. On Neo4j
that cancelled a sibling's query while its result was streaming (the server logged
"Failed to transmit operation result" and the pooled connection was dropped), and the
error reported depended on which field failed first. Here the fields are awaited in
document order: the first failing one's error propagates as soon as the fields before it
have settled, and the fields after it are left to settle in the background, never
cancelled. The same answer every time, and a quick error does not wait for a slow field
after it. (Items of one list still cancel each other, as graphql-core does.)
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

        if len(awaitable_fields) == 1:  # nothing to run beside it
            only = awaitable_fields[0]

            async def alone() -> dict[str, Any]:
                results[only] = await results[only]
                return results

            return alone()

        async def in_order() -> dict[str, Any]:
            running = [asyncio.ensure_future(results[name]) for name in awaitable_fields]
            for index, (name, future) in enumerate(zip(awaitable_fields, running,
                                                       strict=True)):
                try:
                    results[name] = await future
                except asyncio.CancelledError:  # the request's deadline: stop them all
                    for other in running:
                        other.cancel()
                    raise
                except Exception:
                    self.settle_in_background(list(running[index + 1:]))
                    raise
            return results

        return in_order()

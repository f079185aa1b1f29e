"""GraphQL schema assembly (types only; resolvers live in resolvers/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from schema.execution import SettledExecutor
from schema.mutation import Mutation
from schema.query import Query
from schema.types import Building, Compound, Grid, Region


def assemble(
    extensions: Sequence[Any] = (), schema_class: type[strawberry.Schema] = strawberry.Schema
) -> strawberry.Schema:
    """The schema with the extensions and error policy app/ serves it with."""
    return schema_class(
        query=Query,
        mutation=Mutation,
        types=[Region, Grid, Compound, Building],
        extensions=list(extensions),
        execution_context_class=SettledExecutor,
    )

"""The schema as served: error policy, query limits and caches around schema/."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from app.logs import request_id
from graph.errors import OrgcoverError
from schema import assemble

log = logging.getLogger("orgcover.graphql")

#: Limits documented in README (a frontend page needs far less; abuse needs more).
MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_TOKENS = 4000
INTERNAL_MESSAGE = "Internal server error"


def apply_error_policy(error: GraphQLError) -> None:
    """Give an error its `extensions.code`; mask and log it when it was unexpected.

    Done in place because Strawberry hands every error path (parse, validation, execution)
    to `Schema.process_errors`, but not every path through the extensions.
    """
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        return
    original = error.original_error
    if original is None:
        extensions["code"] = ("GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error")
                              else "GRAPHQL_VALIDATION_FAILED")
    elif isinstance(original, OrgcoverError) and original.code != "INTERNAL":
        extensions["code"] = original.code
    else:
        rid = request_id.get()
        log.error("unexpected error at %s: %r", ".".join(str(p) for p in error.path or ()),
                  original, exc_info=original)
        error.message = INTERNAL_MESSAGE
        error.original_error = None
        extensions.update(code="INTERNAL", requestId=rid)
    error.extensions = extensions


class OrgcoverSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            apply_error_policy(error)


def build_schema() -> strawberry.Schema:
    # Factories, not instances: extensions hold per-request state.
    return assemble(schema_class=OrgcoverSchema, extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ])

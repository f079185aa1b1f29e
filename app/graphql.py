"""The schema as served: error policy, query limits and caches around schema/."""

from __future__ import annotations

import copy
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
    """The schema with limits and caches.

    Extensions are per-request factories (they hold the request's execution context), but
    the limiters' validation rules are built once and shared by shallow copies: the
    validation cache is keyed by the rule classes, so rules built per request made every
    request miss it (6 ms of 6.6 ms for a one-field query on the 2-core VM).
    """
    depth = QueryDepthLimiter(max_depth=MAX_DEPTH)
    aliases = MaxAliasesLimiter(max_alias_count=MAX_ALIASES)
    return assemble(schema_class=OrgcoverSchema, extensions=[
        lambda: copy.copy(depth),
        lambda: copy.copy(aliases),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ])

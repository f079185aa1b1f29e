"""The schema as served: error policy, query limits, caches and the access log around
schema/."""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    parse,
    value_from_ast_untyped,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.types import ExecutionContext, ExecutionResult

from app.limits import (
    MAX_COST,
    MAX_QUERY_CHARS,
    BoundedParserCache,
    BoundedValidationCache,
    CostLimiter,
    estimate,
    operation_of,
    with_defaults,
)
from app.logs import request_id
from app.offloop import OFF_LOOP_COST, OffLoop, StoreBridge
from graph.deadline import within
from graph.errors import OrgcoverError
from resolvers.access import people_seen
from resolvers.context import Context
from schema import assemble

#: Where access-log entries go (the app's AccessLog.append).
AccessSink = Callable[[dict[str, Any]], None]

log = logging.getLogger("orgcover.graphql")

#: Limits documented in README (a frontend page needs far less; abuse needs more).
MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_TOKENS = 4000
INTERNAL_MESSAGE = "Internal server error"
#: Longest error message answered (they may quote the request's own values).
MAX_MESSAGE = 300


def error_code(error: GraphQLError) -> str:
    """The `extensions.code` an error gets (or has): what clients and the access log see."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    original = error.original_error
    if original is None:
        return ("GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error")
                else "GRAPHQL_VALIDATION_FAILED")
    if isinstance(original, OrgcoverError) and original.code != "INTERNAL":
        return original.code
    if error.path is None and error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"  # a variable missing or of the wrong type (coercion)
    return "INTERNAL"


def apply_error_policy(error: GraphQLError) -> None:
    """Give an error its `extensions.code`; mask and log it when it was unexpected.

    Done in place because Strawberry hands every error path (parse, validation, execution)
    to `Schema.process_errors`, but not every path through the extensions.
    """
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        return
    code = error_code(error)
    if code == "INTERNAL":
        rid = request_id.get()
        log.error("unexpected error at %s: %r", ".".join(str(p) for p in error.path or ()),
                  error.original_error, exc_info=error.original_error)
        error.message = INTERNAL_MESSAGE
        error.original_error = None
        extensions.update(code="INTERNAL", requestId=rid)
    else:
        extensions["code"] = code
        if len(error.message) > MAX_MESSAGE:  # messages quote a client's input: keep it short
            error.message = error.message[:MAX_MESSAGE] + "…"
    error.extensions = extensions


def _is_mutation(query: str | None, operation_name: str | None) -> bool:
    document = _document(query)
    chosen = operation_of(document, operation_name) if document is not None else None
    return chosen is not None and chosen.operation is OperationType.MUTATION


def access_entry(*, query: str | None, variables: dict[str, Any] | None, context: Any,
                 operation_name: str | None, persons: int,
                 errors: list[GraphQLError] | None, seconds: float) -> dict[str, Any]:
    """One access-log entry (app/access_log.py scrubs it with app/access_log_format.py
    and chains it)."""
    caller = getattr(context, "caller", None)
    request = getattr(context, "request", None)
    document = _document(query)
    try:
        filled = with_defaults(document, operation_name, variables) if document else variables
        fields = root_fields(document, operation_name, filled)
    except Exception:  # a log line must never fail a request
        fields = []
    if operation_name is None and document is not None:
        only = operation_of(document, None)
        operation_name = only.name.value if only is not None and only.name else None
    return {
        "request_id": getattr(context, "request_id", None) or request_id.get(),
        "sub": caller.sub if caller else None,
        "roles": list(caller.roles) if caller else [],
        "jurisdiction": caller.jurisdiction if caller else None,
        "operation": operation_name,
        "fields": fields,
        "persons": persons,
        "errors": sorted({error_code(e) for e in errors or ()}),
        "duration_ms": round(seconds * 1000, 1),
        "client": getattr(getattr(request, "client", None), "host", None),
    }


@functools.lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None


def _document(query: str | None) -> DocumentNode | None:
    """The operation's document for the log and the deadline (cached)."""
    if not query:
        return None
    return _parsed(query)  # texts are at most MAX_QUERY_CHARS long


#: Arguments the access log keeps: where a caller looked and for what (never page sizes).
LOGGED_ARGUMENTS = frozenset({"scope", "code", "text", "from", "to", "center", "metric",
                              "groupBy", "type", "replaceScope", "dryRun", "id",
                              "reason"})
#: Longest argument value logged (inputs may be large before the limits reject them).
LOGGED_VALUE = 100


def root_fields(document: DocumentNode | None, operation_name: str | None,
                variables: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The operation's root fields with their logged arguments, variables filled in."""
    if document is None:
        return []
    operation = operation_of(document, operation_name)
    if operation is None:
        return []
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()  # each named fragment once (they may nest deeply, not loop)

    def walk(selections: Any, depth: int) -> None:
        if len(out) > 100:
            return
        for node in selections:
            if isinstance(node, FieldNode):
                args = {a.name.value: _short(_readable(a.name.value, value_from_ast_untyped(
                            a.value, variables)))
                        for a in node.arguments or () if a.name.value in LOGGED_ARGUMENTS}
                entry: dict[str, Any] = {"field": node.name.value}
                if node.alias:
                    entry["alias"] = node.alias.value
                if args:
                    entry["args"] = args
                out.append(entry)
            elif isinstance(node, InlineFragmentNode) and depth < 64:
                walk(node.selection_set.selections, depth + 1)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                fragment = fragments.get(node.name.value)
                if fragment is not None:
                    walk(fragment.selection_set.selections, depth + 1)

    walk(operation.selection_set.selections, 0)
    return out


def _readable(name: str, value: Any) -> Any:
    """A node's global id as the `Type:code` it stands for: the log names the node looked
    up (and masks a code that looks like a phone or ID number, which base64 would hide)."""
    if name != "id" or not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value[:512], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def _short(value: Any) -> Any:
    """An argument value as the access log may keep it (app/access_log_format.py then masks what
    looks like a phone, an ID-card number or a token). Numbers become text so they are
    masked too; separators between digits go (`3713 2719 …` is still an ID number); a list
    is kept only when it is a few short words (enum values), else just its length — a
    token split over list items must not add up again in the log."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        value = str(value)
    if isinstance(value, str):
        value = _DIGIT_SEPARATORS.sub("", value)
        cut = value[:LOGGED_VALUE]
        if len(value) > LOGGED_VALUE and value[LOGGED_VALUE].isdigit():
            cut = cut.rstrip("0123456789")  # never half a number the log's scrub would miss
        return cut
    if isinstance(value, list):
        if len(value) <= 12 and all(isinstance(v, str) and len(v) <= 24
                                    and not _DIGITS.search(v) for v in value):
            return value
        return f"[{len(value)} items]"
    return f"[{type(value).__name__}]"


_DIGIT_SEPARATORS = re.compile(r"(?<=[0-9])[\s.,_/\-]+(?=[0-9xX])")
_DIGITS = re.compile(r"[0-9]{3}")


class OrgcoverSchema(strawberry.Schema):
    """The schema with the error policy, and one access-log line per operation.

    The log line is written around `execute` rather than from an extension hook: a parse
    error raised by the parser cache leaves the extensions' operation hook before the
    error is known, and the log must name every error.
    """

    #: "Did you mean …" hints name fields, arguments, types and enum values a caller did
    #: not ask for: a map of the schema for anyone probing (on only in demo mode).
    suggestions = False
    #: Where access-log entries go; None: no log (schema tests, the SDL printer).
    access_sink: AccessSink | None = None
    #: Seconds a query may run (ORGCOVER_REQUEST_TIMEOUT); mutations (loads) are bounded
    #: by their upload limits instead. None: no deadline.
    request_timeout: float | None = None
    #: Where queries estimated at `off_loop_cost` or more complete (app/offloop.py); None:
    #: on the serving loop like the others.
    off_loop: OffLoop | None = None
    off_loop_cost: int = OFF_LOOP_COST

    async def execute(
        self, query: str | None, variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None, root_value: Any | None = None,
        operation_name: str | None = None, *args: Any, **kwargs: Any,
    ) -> ExecutionResult:
        if query is not None and len(query) > MAX_QUERY_CHARS:  # before any parsing
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"the query text is {len(query):,} characters long; at most "
                f"{MAX_QUERY_CHARS:,} (send values as variables)",
                extensions={"code": "BAD_USER_INPUT"})])
        if self.access_sink is None:
            return await self._within_deadline(query, variable_values, context_value,
                                               root_value, operation_name, *args, **kwargs)
        started = time.perf_counter()
        token = people_seen.set(set())
        result: ExecutionResult | None = None
        try:
            result = await self._within_deadline(query, variable_values, context_value,
                                                 root_value, operation_name, *args, **kwargs)
            return result
        finally:
            seen = people_seen.get() or set()
            people_seen.reset(token)
            self.access_sink(access_entry(
                query=query, variables=variable_values, context=context_value,
                operation_name=operation_name, persons=len(seen),
                errors=result.errors if result is not None else None,
                seconds=time.perf_counter() - started))

    async def _within_deadline(
        self, query: str | None, variable_values: dict[str, Any] | None,
        context_value: Any | None, root_value: Any | None, operation_name: str | None,
        *args: Any, **kwargs: Any,
    ) -> ExecutionResult:
        """Execute; a query past its deadline is cancelled and answers `TIMEOUT` (its
        database statements carry the time left, so they stop there too)."""
        if _is_mutation(query, operation_name):  # loads: bounded by their upload limits
            return await super().execute(query, variable_values, context_value, root_value,
                                         operation_name, *args, **kwargs)
        execution = super().execute(query, variable_values, context_value, root_value,
                                    operation_name, *args, **kwargs)
        if self.off_loop is not None and isinstance(context_value, Context) \
                and self._cost(query, variable_values, operation_name) >= self.off_loop_cost:
            if not context_value.store.any_loop:
                context_value.read_through(StoreBridge(context_value.store,
                                                       asyncio.get_running_loop()))
            else:
                context_value.read_through(context_value.store)  # loaders of that loop
            execution = self.off_loop.run(execution)
        seconds = self.request_timeout
        if seconds is None:
            return await execution
        try:
            with within(seconds):
                async with asyncio.timeout(seconds):
                    return await execution
        except TimeoutError:
            log.warning("request cancelled after %g s", seconds)
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"the request took longer than {seconds:g} s and was stopped (ask for less, "
                "or narrow the scope)", extensions={"code": "TIMEOUT"})])

    def _cost(self, query: str | None, variables: dict[str, Any] | None,
              operation_name: str | None) -> int:
        """The operation's estimated cost (0 when it does not parse: it fails quickly)."""
        document = _document(query)
        if document is None:
            return 0
        try:
            return estimate(self._schema, document, operation_name,
                            with_defaults(document, operation_name, variables))
        except Exception:  # odd variables: the cost limiter answers them
            return 0

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if not self.suggestions and "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)
            apply_error_policy(error)


_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.S)


def build_schema(access_log: AccessSink | None = None, *, suggestions: bool = False,
                 max_cost: int = MAX_COST, request_timeout: float | None = None,
                 off_loop: OffLoop | None = None) -> strawberry.Schema:
    """The schema with limits and caches.

    Extensions are per-request factories (they hold the request's execution context), but
    the limiters' validation rules are built once and shared by shallow copies: the
    validation cache is keyed by the rule classes, so rules built per request made every
    request miss it (6 ms of 6.6 ms for a one-field query on the 2-core VM).
    """
    depth = QueryDepthLimiter(max_depth=MAX_DEPTH)
    aliases = MaxAliasesLimiter(max_alias_count=MAX_ALIASES)
    extensions: list[Any] = [
        lambda: copy.copy(depth),
        lambda: copy.copy(aliases),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        BoundedParserCache,
        BoundedValidationCache,
        lambda: CostLimiter(max_cost),
    ]
    schema = assemble(schema_class=OrgcoverSchema, extensions=extensions)
    if isinstance(schema, OrgcoverSchema):
        schema.suggestions = suggestions
        schema.access_sink = access_log
        schema.request_timeout = request_timeout
        schema.off_loop = off_loop
    return schema

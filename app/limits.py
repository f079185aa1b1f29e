"""Limits as schema extensions: what one request may cost before anything runs.

- A static cost estimate of the operation (every object costs one; a list multiplies what
  is below it by its size: `first`, default 50 for paged lists, 10 for short unpaged
  ones; expensive fields carry weights of their own) is refused above `max_cost` with
  `QUERY_TOO_COSTLY` and the estimate in `extensions`. The default is sized from the
  frontend queries of tests/queries (test_limits.py keeps them under half of it) and from
  what the event loop can bear: at about 16 µs of loop time per unit, four concurrent
  queries of 100,000 held `/healthz` for seconds (`make bench-abuse`); the nested-members
  attack (30⁴ people, 15 s of a blocked event loop) estimates at 890k.
- String arguments that name codes or search text are at most 64 characters, cursors 256:
  longer ones are `BAD_USER_INPUT` before any resolver sees them.
- The parser and validation caches keep only query texts up to 8 KB, so distinct huge
  queries cannot grow them (40 queries of 5 MB once grew the parser cache by 384 MB).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
    value_from_ast_untyped,
)
from graphql.validation import validate
from strawberry.extensions import SchemaExtension

from graph.queries.audits import AUDITS

#: Default ceiling of the estimate (README, setting ORGCOVER_MAX_QUERY_COST).
MAX_COST = 20_000
#: Size assumed for a paged list without `first`, and for a short list with no argument.
PAGE_DEFAULT = 50
SHORT_LIST = 10
#: Fields whose work is far more than one node each: their weight is added once per time
#: they are resolved (Type.field, or Interface.field for every implementation).
WEIGHTS: dict[str, int] = {
    "Query.search": 20, "Query.overview": 300, "Query.audit": 100, "Query.pairing": 20,
    "Query.chainOfCommand": 10, "Query.crossAppointments": 100, "Query.loads": 10,
    "Query.connectionPaths": 200, "Query.neighbourhood": 100,
    "AuditResult.gaps": 50, "Place.gaps": 150,
    "Query.partyOrgCounts": 20, "Query.secretaryChanges": 50,
    "Query.snapshots": 5, "Query.trend": 20, "Query.ranking": 30, "Query.coverageChange": 100,
    "Query.gapHistory": 10, "Query.notices": 20, "Query.notice": 20, "Notice.summary": 50,
    "Notice.streets": 50, "Notice.items": 50, "Mutation.takeSnapshot": 1000,
    "Mutation.issueNotice": 1000,
}
#: Lists whose size an argument of the field (or of its parent) bounds.
SIZED_BY: dict[str, tuple[str, int]] = {
    "Query.overview": ("", len(AUDITS)), "Place.gaps": ("", len(AUDITS)),
    "PlaceAuditGaps.gaps": ("", 20), "Trend.points": ("last", 24),
    "Ranking.places": ("", 30), "Notice.streets": ("", 30),
    "ConnectionPaths.paths": ("limit", 10), "Path.nodes": ("", 7),
    "Path.relationships": ("", 6), "Neighbourhood.nodes": ("limit", 100),
    "Neighbourhood.relationships": ("limit", 100),
}
#: Arguments holding codes or search text, and their longest accepted value.
SHORT_ARGUMENTS = {"code": 64, "scope": 64, "text": 64, "from": 64, "to": 64,
                   "replaceScope": 64, "after": 256, "since": 64, "until": 64, "at": 64,
                   "against": 64, "id": 360, "note": 500}
#: Query texts longer than this are parsed and validated every time, never cached.
MAX_CACHED_QUERY = 8192
#: Longest query text accepted at all: graphql-core's lexer reads 1 MB in about 0.2 s of
#: event loop, and forty such texts froze the service for 20 s (`make bench-abuse`).
MAX_QUERY_CHARS = 32 * 1024
#: Most selections a document may hold with its fragments expanded (checked before
#: validation, which walks every copy: nested fragments doubling per level froze a worker).
MAX_EXPANDED = 20_000
#: What asking for the schema (`__schema`, `__type`) costs: one GraphiQL introspection
#: passes, thirty aliased ones do not.
INTROSPECTION = 5_000


class CostLimiter(SchemaExtension):
    """Refuses an operation whose estimated cost is above the limit, before execution."""

    def __init__(self, max_cost: int = MAX_COST) -> None:
        super().__init__()
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            variables = with_defaults(ctx.graphql_document, ctx.operation_name, ctx.variables)
            check_arguments(ctx.graphql_document, variables)
            cost = estimate(ctx.schema._schema, ctx.graphql_document, ctx.operation_name,
                            variables)
            if cost > self.max_cost:
                raise GraphQLError(
                    f"query too costly: estimated {cost:,}, limit {self.max_cost:,} (ask "
                    "for smaller pages, fewer nested lists or fewer fields)",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost,
                                "limit": self.max_cost})
        yield


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation `name` of the document (without a name: its only operation)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def with_defaults(document: DocumentNode, operation_name: str | None,
                  variables: dict[str, Any] | None) -> dict[str, Any]:
    """The request's variables with the operation's declared defaults filled in: a default
    is a value like any other (`query($n: Int = 500)` must cost what `first: 500` costs)."""
    values = dict(variables or {})
    operation = operation_of(document, operation_name)
    for definition in (operation.variable_definitions or ()) if operation else ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value, {})
    return values


def expanded_size(document: DocumentNode) -> int:
    """How many selections the operations hold once every fragment is expanded, counted
    with one memo per fragment: nested spreads (each fragment spreading the next twice)
    double the work per level, and validation itself would walk every copy."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, int] = {}
    active: set[str] = set()

    def size(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FragmentSpreadNode):
                total += fragment(node.name.value)
            else:
                total += 1 + size(getattr(node, "selection_set", None))
            if total > MAX_EXPANDED:
                return total
        return total

    def fragment(name: str) -> int:
        if name in memo:
            return memo[name]
        if name in active or name not in fragments:
            return 0  # a cycle or an unknown fragment: validation says so
        active.add(name)
        memo[name] = size(fragments[name].selection_set)
        active.discard(name)
        return memo[name]

    return sum(size(d.selection_set) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


def estimate(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             variables: dict[str, Any] | None) -> int:
    """The static cost of the operation `operation_name` of `document`."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    return _cost(schema, root, operation.selection_set, fragments, variables or {}, {})


def _cost(schema: GraphQLSchema, parent: GraphQLNamedType, selections: SelectionSetNode,
          fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any],
          parent_args: dict[str, Any], depth: int = 0) -> int:
    if depth > 64:  # the depth limiter refuses these anyway
        return 0
    total = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            total += _field_cost(schema, parent, node, fragments, variables, parent_args,
                                 depth)
        elif isinstance(node, InlineFragmentNode):
            named = schema.get_type(node.type_condition.name.value) \
                if node.type_condition else parent
            if named is not None:
                total += _cost(schema, named, node.selection_set, fragments, variables,
                               parent_args, depth + 1)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            named = schema.get_type(fragment.type_condition.name.value) if fragment else None
            if fragment is not None and named is not None:
                total += _cost(schema, named, fragment.selection_set, fragments, variables,
                               parent_args, depth + 1)
    return total


def _field_cost(schema: GraphQLSchema, parent: GraphQLNamedType, node: FieldNode,
                fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any],
                parent_args: dict[str, Any], depth: int) -> int:
    name = node.name.value
    if name in ("__schema", "__type"):
        return INTROSPECTION  # a whole schema's worth of objects
    fields = getattr(parent, "fields", None)
    if fields is None or name not in fields:
        return 0  # __typename, or a field validation rejects
    field_type = fields[name].type
    args = {a.name.value: value_from_ast_untyped(a.value, variables)
            for a in node.arguments or ()}
    key = _key(schema, parent, name)
    weight = WEIGHTS.get(key, 0)
    if node.selection_set is None:
        return weight  # scalars ride along with their object
    size = _list_size(field_type, key, args, parent_args)
    inner = get_named_type(field_type)
    if inner is None:
        return weight
    # every object costs one, and what is selected below it
    return weight + size * (1 + _cost(schema, inner, node.selection_set, fragments,
                                      variables, args, depth + 1))


def _key(schema: GraphQLSchema, parent: GraphQLNamedType, name: str) -> str:
    """`Type.field`, or `Interface.field` when an interface of the type names the field."""
    key = f"{parent.name}.{name}"
    if key in WEIGHTS or key in SIZED_BY or not isinstance(parent, GraphQLObjectType):
        return key
    for interface in parent.interfaces:
        if f"{interface.name}.{name}" in WEIGHTS or f"{interface.name}.{name}" in SIZED_BY:
            return f"{interface.name}.{name}"
    return key


def _list_size(field_type: Any, key: str, args: dict[str, Any],
               parent_args: dict[str, Any]) -> int:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    if not isinstance(field_type, GraphQLList):
        return 1
    if key in SIZED_BY:
        argument, default = SIZED_BY[key]
        given = args.get(argument, parent_args.get(argument)) if argument else None
        return _positive(given, default)
    if "first" in args:
        return _positive(args["first"], PAGE_DEFAULT)
    owner, field = key.rsplit(".", 1)
    if field in ("edges", "nodes") and owner.endswith("Connection"):
        return _positive(parent_args.get("first"), PAGE_DEFAULT)  # the connection's page
    return SHORT_LIST


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


def check_arguments(document: DocumentNode, variables: dict[str, Any] | None) -> None:
    """Codes and search text of at most 64 characters, cursors of 256 (BAD_USER_INPUT)."""
    for name, value in _string_arguments(document, variables or {}):
        limit = SHORT_ARGUMENTS[name]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise GraphQLError(f"argument {name} is not text (a lone UTF-16 surrogate)",
                               extensions={"code": "BAD_USER_INPUT", "argument": name}) \
                from None
        if len(value) > limit:
            raise GraphQLError(
                f"argument {name} is {len(value):,} characters long; at most {limit}",
                extensions={"code": "BAD_USER_INPUT", "argument": name})


def _string_arguments(document: DocumentNode, variables: dict[str, Any]
                      ) -> Iterator[tuple[str, str]]:
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                name = argument.name.value
                if name in SHORT_ARGUMENTS:
                    value = value_from_ast_untyped(argument.value, variables)
                    if isinstance(value, str):
                        yield name, value
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)


# -- caches bounded by size as well as count ----------------------------------------------

@functools.lru_cache(maxsize=256)
def _parse_cached(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class BoundedParserCache(SchemaExtension):
    """Strawberry's ParserCache, but texts over 8 KB are parsed every time, not kept."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        query = ctx.query or ""
        max_tokens = ctx.parse_options.get("max_tokens")
        ctx.graphql_document = (_parse_cached(query, max_tokens)
                                if len(query) <= MAX_CACHED_QUERY
                                else parse(query, max_tokens=max_tokens))
        yield


@functools.lru_cache(maxsize=256)
def _validate_cached(schema: GraphQLSchema, document: DocumentNode,
                     rules: tuple[Any, ...]) -> list[GraphQLError]:
    return validate(schema, document, rules)


class BoundedValidationCache(SchemaExtension):
    """Strawberry's ValidationCache for documents parsed from texts up to 8 KB — after the
    document's expanded size is checked (validation walks every expanded copy)."""

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        rules = tuple(ctx.validation_rules)
        assert ctx.graphql_document is not None
        expanded = expanded_size(ctx.graphql_document)
        if expanded > MAX_EXPANDED:
            ctx.pre_execution_errors = [GraphQLError(
                f"query too large: its fragments expand to more than {MAX_EXPANDED:,} "
                "selections", extensions={"code": "QUERY_TOO_COSTLY",
                                          "limit": MAX_EXPANDED})]
            yield
            return
        if len(ctx.query or "") <= MAX_CACHED_QUERY:
            errors = _validate_cached(ctx.schema._schema, ctx.graphql_document, rules)
        else:
            errors = validate(ctx.schema._schema, ctx.graphql_document, rules)
        ctx.pre_execution_errors = list(errors)
        yield


"""Frontend conventions: global ids with Relay's `node(id:)`, and a described schema.

Apollo and Relay key their caches by `id`; linters (graphql-eslint, graphql-schema-linter)
flag types without one and enum values or arguments without a description.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInterfaceType, GraphQLObjectType, parse

from app.graphql import build_schema, root_fields
from app.main import create_app
from graph.store import GraphStore
from tests.auth import DISTRICT, bearer, settings

SCHEMA = build_schema()._schema
#: Types with a `code` that is not the identity of the object: their code names a problem
#: or reason kind, or the object is a figure about a place at one moment or in one audit.
#: An `id` would make a client cache merge different objects (one place's gap in two
#: audits, the same problem code in two loads). A new type with a `code` fails below
#: until it has an `id` or is added here with its reason.
VALUE_TYPES = {
    "AuditGap": "a place's gap in one audit (the same place is a gap of several)",
    "AuditGroup": "a place's figures in one audit answer",
    "GapHistory": "a place's gap history in one audit",
    "GapReason": "a reason kind (code) within one gap",
    "NoticeTally": "a street's counts within one notice",
    "ProblemCount": "how often a problem code occurred in one load",
    "RankedPlace": "a place's rank in one ranking",
    "RosterProblem": "one problem (code) of one roster row",
    "TrackedGapItem": "a place's tracked gap in one audit",
}
NODE_TYPES = ("Region", "Grid", "Compound", "Building", "PartyOrg", "Organization", "Person")


def test_every_enum_value_and_argument_is_described() -> None:
    missing: list[str] = []
    for name, t in SCHEMA.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in t.values.items()
                        if not (value.description or "").strip()]
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            missing += [f"{name}.{f}({a})" for f, field in t.fields.items()
                        for a, arg in field.args.items()
                        if not (arg.description or "").strip()]
    assert missing == []


def test_audit_metrics_carry_their_chinese_and_english_names() -> None:
    from graph.queries.audits import AUDITS

    metric = SCHEMA.type_map["AuditMetric"]
    assert isinstance(metric, GraphQLEnumType)
    assert len(metric.values) == len(AUDITS) == 18
    for value in metric.values.values():
        audit = AUDITS[value.value.value if hasattr(value.value, "value") else value.value]
        assert value.description == f"{audit.zh} ({audit.en})"


def test_every_object_type_with_a_code_has_an_id() -> None:
    without: list[str] = []
    for name, t in SCHEMA.type_map.items():
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and "code" in t.fields \
                and "id" not in t.fields and name not in VALUE_TYPES:
            without.append(name)
    assert without == []
    for name in (*NODE_TYPES, "Node", "Place"):
        t = SCHEMA.type_map[name]
        assert isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        assert str(t.fields["id"].type) == "ID!", name
    assert str(SCHEMA.query_type.fields["node"].type) == "Node"  # type: ignore[union-attr]


def _first(rosters: Path, name: str, **where: str) -> str:
    with (rosters / name).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if all(row[k] == v for k, v in where.items()):
            return next(iter(row.values()))
    raise AssertionError(f"no row of {name} with {where}")


@pytest.fixture
async def client(tiny_store: GraphStore, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(tmp_path), store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        yield c


async def _ask(client: httpx.AsyncClient, query: str, headers: dict[str, str],
               **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers=headers)
    body: dict[str, Any] = response.json()
    return body


LOOKUPS = {"Region": "region", "Grid": "grid", "Compound": "compound",
           "Building": "building", "PartyOrg": "partyOrg", "Organization": "organization",
           "Person": "person"}
ROSTERS = {"Region": "行政区划.csv", "Grid": "网格.csv", "Compound": "小区.csv",
           "Building": "楼栋.csv", "PartyOrg": "党组织.csv", "Organization": "单位.csv",
           "Person": "人员.csv"}


@pytest.mark.parametrize("type_name", NODE_TYPES)
async def test_node_fetches_what_the_lookup_gave(client: httpx.AsyncClient, tiny_rosters: Path,
                                                 type_name: str) -> None:
    code = _first(tiny_rosters, ROSTERS[type_name])
    field = LOOKUPS[type_name]
    looked_up = await _ask(client, f"query($c: String!) {{ {field}(code: $c) {{ id code name "
                                   "__typename } }", bearer(), c=code)
    found = looked_up["data"][field]
    assert found["code"] == code
    assert base64.b64decode(found["id"]).decode() == f"{type_name}:{code}"
    again = await _ask(client, """query($id: ID!) { node(id: $id) { __typename id code name
        ... on Place { coveringPartyOrgs { id } } } }""", bearer(), id=found["id"])
    assert "errors" not in again, again
    node = again["data"]["node"]
    assert {k: node[k] for k in ("__typename", "id", "code", "name")} == found


async def test_node_outside_the_jurisdiction_is_null_like_the_lookup(
        client: httpx.AsyncClient, tiny_rosters: Path) -> None:
    with (tiny_rosters / "行政区划.csv").open(encoding="utf-8-sig", newline="") as fh:
        regions = list(csv.reader(fh))[1:]
    communities = [r[0] for r in regions if r[2] == "社区"]  # the tiny district's two
    mine, other = communities[0], communities[1]
    auditor = bearer("auditor", mine)
    outside = base64.b64encode(f"Region:{other}".encode()).decode()
    inside = base64.b64encode(f"Region:{mine}".encode()).decode()
    district = base64.b64encode(f"Region:{DISTRICT}".encode()).decode()
    answer = await _ask(client, """query($o: ID!, $i: ID!, $d: ID!, $oc: String!) {
        outside: node(id: $o) { code } lookup: region(code: $oc) { code }
        inside: node(id: $i) { code } district: node(id: $d) { code } }""", auditor,
                        o=outside, i=inside, d=district, oc=other)
    assert "errors" not in answer, answer
    assert answer["data"] == {"outside": None, "lookup": None, "inside": {"code": mine},
                              "district": None}
    unknown = base64.b64encode(b"Compound:NOPE").decode()
    missing = await _ask(client, "query($u: ID!) { node(id: $u) { code } }", bearer(), u=unknown)
    assert missing == {"data": {"node": None}}


@pytest.mark.parametrize("bad", [
    "not base64!", base64.b64encode(b"Snapshot:S1").decode(), base64.b64encode(b"Region").decode(),
    base64.b64encode(b"Region:").decode(), base64.b64encode(b"\xff\xfe").decode(),
    base64.b64encode(b"Region:" + b"1" * 400).decode()])
async def test_a_malformed_id_is_bad_user_input(client: httpx.AsyncClient, bad: str) -> None:
    answer = await _ask(client, "query($id: ID!) { node(id: $id) { code } }", bearer(), id=bad)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a too long one is refused before execution (app/limits.py), the others by `node`
    assert answer["data"] in (None, {"node": None})


async def test_node_needs_a_token_and_the_read_right(client: httpx.AsyncClient) -> None:
    district = base64.b64encode(f"Region:{DISTRICT}".encode()).decode()
    anonymous = await client.post("/graphql", json={
        "query": "query($id: ID!) { node(id: $id) { code } }", "variables": {"id": district}})
    assert anonymous.status_code == 401
    loader = await _ask(client, "query($id: ID!) { node(id: $id) { code } }", bearer("loader"),
                        id=district)
    granted = loader.get("errors") is None
    from resolvers.access import ROLES, Right

    assert granted == (Right.READ in ROLES["loader"].rights)


def test_the_access_log_names_the_node_looked_up() -> None:
    """The log keeps `Type:code` (not the base64, which would hide a phone-shaped code
    from its masking)."""
    from app.access_log_format import scrub

    node_id = base64.b64encode(b"Person:13812345678").decode()
    logged = root_fields(parse(f'{{ node(id: "{node_id}") {{ code }} }}'), None, None)
    assert logged == [{"field": "node", "args": {"id": "Person:13812345678"}}]
    assert scrub(logged)[0]["args"]["id"] == "Person:138****5678"
    compound = base64.b64encode(b"Compound:C001").decode()
    assert scrub(root_fields(parse(f'{{ node(id: "{compound}") {{ code }} }}'), None, None)) \
        == [{"field": "node", "args": {"id": "Compound:C001"}}]

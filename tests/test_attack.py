"""The attack suite: every role × three jurisdictions × every frontend query and probe,
through HTTP, asserting that nothing outside the caller's jurisdiction comes back and that
personal fields show only what the role allows.

Jurisdictions of the tiny district: the district, its street, one of its two communities
(the other community is "outside" for the community token). Ground truth comes from the
roster tables (tests/jurisdiction_truth.py), not from the graph. Each answer's data is
walked for every code it holds (`code`, `startCode`, `endCode`, `communityCode`,
`streetCode`, the codes inside cursors) and every personal field (`phone`, `idMasked`,
residence below compound). Zero leaks is the only passing figure; the suite counts its
requests and requires at least 500.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from graph.queries.audits import AUDITS
from graph.store import GraphStore
from loaders.synthetic import SCALES, generate
from loaders.templates import TEMPLATES
from tests.auth import bearer, settings
from tests.conftest import PII_SECRET
from tests.jurisdiction_truth import Truth

QUERIES = Path(__file__).parent / "queries"
ROLES = ("viewer", "auditor", "officer", "loader", "admin")
TRUTH = Truth.of(generate(SCALES["tiny"]))
DISTRICT, STREET = "371327", "371327001"
COMMUNITY, OTHER = "371327001001", "371327001002"
JURISDICTIONS = {"district": DISTRICT, "street": STREET, "community": COMMUNITY}
INSIDE = {name: TRUTH.inside(code) for name, code in JURISDICTIONS.items()}
CODE_KEYS = ("code", "startCode", "endCode", "communityCode", "streetCode")
CURSOR_KEYS = ("cursor", "endCursor", "startCursor")
MASKED_PHONE = re.compile(r"^\d{3}\*+\d{4}$")


def _pick(level: str, within: str) -> str:
    return min(c for c in TRUTH.places_in(within) if TRUTH.level[c] == level)


def _resident(within: str, *, last: bool = False) -> str:
    """A person with a phone living in a building inside `within`."""
    places = TRUTH.places_in(within)
    found = [p for p, home in TRUTH.residence.items()
             if home in places and TRUTH.level[home] == "building" and p in TRUTH.phones]
    return max(found) if last else min(found)


C_IN, C_OUT = _pick("compound", COMMUNITY), _pick("compound", OTHER)
B_IN, B_OUT = _pick("building", COMMUNITY), _pick("building", OTHER)
P_IN, P_OUT = _resident(COMMUNITY), _resident(OTHER)
ORG_IN = min(g for g, cov in TRUTH.covers.items() if COMMUNITY in cov)
ORG_OUT = min(g for g, cov in TRUTH.covers.items() if OTHER in cov)
NAME_OUT = TRUTH.names[C_OUT]  # a compound name only the other community has
PERSON_NAME_OUT = TRUTH.names[P_OUT]

PROBE_PERSON = """query($code: String!) { person(code: $code) {
  code name phone idMasked residence { __typename code name }
  residenceCommunity { code } posts { target { __typename code } } } }"""
PROBE_NEIGHBOURHOOD = """query($code: String!) { neighbourhood(code: $code, hops: 2, limit: 200) {
  center { code } nodes { node { __typename code name ... on Person { phone idMasked } } }
  relationships { type startCode startKind endCode endKind } } }"""
PROBE_LISTS = """{
  compounds(first: 500) { totalCount edges { cursor node { code name } } }
  partyOrgs(first: 150) { totalCount nodes { code members(first: 60) {
    nodes { code phone idMasked } } } }
  organizations(first: 50) { totalCount nodes { code employees(first: 60) {
    nodes { code phone } } } }
  regions(first: 500) { nodes { code } }
  grids(first: 500) { nodes { code } }
}"""
PROBE_SEARCH = """query($text: String!) { search(text: $text, first: 500) {
  totalCount edges { cursor node { __typename code name } } } }"""
PROBE_PAGE = """query($after: String) { compounds(first: 3, after: $after) {
  edges { cursor node { code } } } }"""
PROBE_GAPS = """query($metric: AuditMetric!, $scope: String) {
  audit(metric: $metric, scope: $scope, groupBy: null) { scope eligible covered
    gaps(first: 500) { nodes { code name communityCode communityName streetCode
      streetName } } } }"""
#: The gap list filtered (text inside codes and names, a reason) as the audit page asks.
PROBE_GAPS_FILTERED = """query($scope: String, $text: String, $reason: String) {
  audit(metric: BUILDING_CHIEF, scope: $scope) { gaps(first: 500, text: $text,
    reason: $reason) { totalCount edges { cursor node { code name communityCode
      communityName streetCode streetName } } } } }"""
PROBE_WORKBOOK = """query($metric: AuditMetric!, $scope: String, $group: GroupLevel,
                          $text: String) {
  auditWorkbook(metric: $metric, scope: $scope, groupBy: $group, text: $text) {
    filename contentBase64 rows } }"""
PROBE_OVERVIEW = """query($scope: String) { overview(scope: $scope) { metric eligible } }"""
#: Coverage over time and the period figures: scoped like the audits (no snapshot in the
#: tiny store, so a trend is empty and a ranking NOT_FOUND; a scope outside, NOT_FOUND).
PROBE_HISTORY = """query($scope: String) {
  trend(metric: BUILDING_CHIEF, scope: $scope) { scope points { eligible } }
  partyOrgCounts(scope: $scope) { kind count }
  secretaryChanges(from: "2020-01-01", to: "2026-12-31", scope: $scope) {
    scope appointed replaced } }"""
PROBE_RANKING = """query($scope: String) { ranking(metric: BUILDING_CHIEF, scope: $scope) {
  places { code } } }"""
PROBE_CROSS = """{ crossAppointments(first: 500) { edges { cursor node {
  compound { code } person { code phone } } } byCommunity { communityCode } } }"""
PROBE_CHAIN = """query($code: String!) { chainOfCommand(code: $code) {
  partyOrg { code } secretaries { code phone idMasked } } }"""
UPLOAD = """mutation($files: [Upload!]!, $replace: String) {
  loadRosters(files: $files, dryRun: true, replaceScope: $replace) {
    __typename ... on ValidationFailed { errors { code value column } }
    ... on LoadResult { counts { template created updated unchanged } } } }"""


@dataclass
class Tally:
    requests: int = 0
    leaks: list[str] = field(default_factory=list)

    def leak(self, where: str, what: str) -> None:
        self.leaks.append(f"{where}: {what}")


TALLY = Tally()


@pytest.fixture(scope="module")
async def app_client(tiny_store: GraphStore, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(tmp_path_factory.mktemp("attack"), pii_secret=PII_SECRET),
                     store=tiny_store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        yield c


async def _post(client: httpx.AsyncClient, role: str, where: str, query: str,
                variables: dict[str, Any] | None = None) -> dict[str, Any]:
    TALLY.requests += 1
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers=bearer(role, JURISDICTIONS[where], sub=f"{role}-{where}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _cursor_codes(cursor: str) -> list[str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    return raw.split("|", 2)[2].split("\t")


def _check(body: dict[str, Any], role: str, where: str, label: str) -> None:
    """Every code inside; personal fields as the role allows."""
    inside = INSIDE[where]
    spot = f"{role}@{where} {label}"

    def walk(value: Any, key: str | None = None) -> None:
        if key == "reasons":  # reason codes, not node codes
            return
        if isinstance(value, dict):
            typename = value.get("__typename")
            for k, v in value.items():
                walk(v, k)
            for code_key in ("communityCode", "streetCode"):
                if code_key in value and value[code_key] is None and \
                        value.get(code_key.replace("Code", "Name")) is not None:
                    TALLY.leak(spot, f"{code_key} hidden but its name shown")
            if typename == "Building" and key == "residence" and role != "officer" \
                    and role != "admin":
                TALLY.leak(spot, f"building residence {value.get('code')} shown")
            if value.get("type") == "LIVES_IN" and value.get("endKind") == "Building" \
                    and role not in ("officer", "admin"):
                TALLY.leak(spot, f"LIVES_IN to building {value.get('endCode')}")
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            if key in CODE_KEYS and value not in inside:
                TALLY.leak(spot, f"{key} {value} outside {JURISDICTIONS[where]}")
            if key in CURSOR_KEYS:
                for code in _cursor_codes(value):
                    if code not in inside:
                        TALLY.leak(spot, f"cursor holds {code}")
            if key == "phone" and not _phone_ok(role, value):
                TALLY.leak(spot, f"phone {value!r} shown to {role}")
            if key == "idMasked" and role not in ("auditor", "officer", "admin"):
                TALLY.leak(spot, f"idMasked shown to {role}")

    walk(body.get("data"))


def _phone_ok(role: str, value: str) -> bool:
    if role in ("officer", "admin"):
        return value.isdigit()
    if role == "auditor":
        return bool(MASKED_PHONE.match(value))
    return False


def _frontend_queries(where: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every query of tests/queries with codes inside and outside the jurisdiction."""
    text = {p.stem: p.read_text(encoding="utf-8") for p in QUERIES.glob("*.graphql")}
    j = JURISDICTIONS[where]
    return [
        ("audit_page", text["audit_page"], {"scope": None}),
        ("audit_page", text["audit_page"], {"scope": j}),
        ("audit_page", text["audit_page"], {"scope": OTHER}),
        ("compound_page", text["compound_page"], {"code": C_IN}),
        ("compound_page", text["compound_page"], {"code": C_OUT}),
        ("governance_map", text["governance_map"], {"scope": None}),
        ("governance_map", text["governance_map"], {"scope": OTHER}),
        ("graph_view", text["graph_view"], {"from": C_IN, "to": C_OUT, "center": C_IN}),
        ("graph_view", text["graph_view"], {"from": C_IN, "to": ORG_IN, "center": C_OUT}),
        ("graph_view", text["graph_view"], {"from": P_IN, "to": B_IN, "center": P_IN}),
        ("linkage_lists", text["linkage_lists"], {"place": C_IN}),
        ("linkage_lists", text["linkage_lists"], {"place": OTHER}),
        ("org_chart", text["org_chart"], {"code": B_IN, "org": ORG_IN}),
        ("org_chart", text["org_chart"], {"code": B_OUT, "org": ORG_OUT}),
        ("org_chart", text["org_chart"], {"code": B_IN, "org": f"P{STREET}"}),
        ("person_card", text["person_card"], {"code": P_IN}),
        ("person_card", text["person_card"], {"code": P_OUT}),
        ("search_box", text["search_box"], {"text": "小区"}),
        ("search_box", text["search_box"], {"text": NAME_OUT}),
        ("search_box", text["search_box"], {"text": PERSON_NAME_OUT}),
        *[("place_page", text["place_page"], {"c": c})
          for c in (C_IN, C_OUT, B_IN, B_OUT, COMMUNITY, OTHER, STREET, DISTRICT)],
        ("place_inside", text["place_inside"], {"c": j}),
        ("place_inside", text["place_inside"], {"c": OTHER}),
        ("search_page", text["search_page"], {"t": "小区"}),
        ("search_page", text["search_page"], {"t": NAME_OUT}),
        ("search_page", text["search_page"], {"t": PERSON_NAME_OUT}),
    ]


def _probes(where: str) -> list[tuple[str, str, dict[str, Any]]]:
    j = JURISDICTIONS[where]
    probes = [
        ("person", PROBE_PERSON, {"code": P_IN}),
        ("person", PROBE_PERSON, {"code": P_OUT}),
        ("person", PROBE_PERSON, {"code": _resident(COMMUNITY, last=True)}),
        ("neighbourhood", PROBE_NEIGHBOURHOOD, {"code": P_IN}),
        ("neighbourhood", PROBE_NEIGHBOURHOOD, {"code": B_IN}),
        ("neighbourhood", PROBE_NEIGHBOURHOOD, {"code": C_IN}),
        ("neighbourhood", PROBE_NEIGHBOURHOOD, {"code": COMMUNITY}),
        ("lists", PROBE_LISTS, {}),
        ("search", PROBE_SEARCH, {"text": "社区"}),
        ("search", PROBE_SEARCH, {"text": "37"}),
        ("search", PROBE_SEARCH, {"text": "R000"}),
        ("overview", PROBE_OVERVIEW, {"scope": None}),
        ("overview", PROBE_OVERVIEW, {"scope": OTHER}),
        ("history", PROBE_HISTORY, {"scope": None}),
        ("history", PROBE_HISTORY, {"scope": OTHER}),
        ("ranking", PROBE_RANKING, {"scope": None}),
        ("ranking", PROBE_RANKING, {"scope": OTHER}),
        ("cross", PROBE_CROSS, {}),
        ("gaps filtered", PROBE_GAPS_FILTERED, {"scope": None, "text": "0"}),
        ("gaps filtered", PROBE_GAPS_FILTERED, {"scope": j, "text": "b0",
                                                "reason": "no_building_chief"}),
        ("gaps filtered", PROBE_GAPS_FILTERED, {"scope": OTHER, "text": "1"}),
        ("chain", PROBE_CHAIN, {"code": B_IN}),
        ("chain", PROBE_CHAIN, {"code": C_OUT}),
    ]
    probes += [("audit " + m, PROBE_GAPS, {"metric": m.upper().replace("-", "_"),
                                           "scope": s})
               for m in AUDITS for s in (None, j)]
    return probes


@pytest.mark.parametrize("where", list(JURISDICTIONS))
@pytest.mark.parametrize("role", ROLES)
async def test_reads_stay_inside_the_jurisdiction(app_client: httpx.AsyncClient, role: str,
                                                  where: str) -> None:
    before = len(TALLY.leaks)
    for label, query, variables in [*_frontend_queries(where), *_probes(where)]:
        body = await _post(app_client, role, where, query, variables)
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}
        assert "INTERNAL" not in codes, (label, body)
        if role == "loader":  # no right to read anything
            assert not any((body.get("data") or {}).values()), (label, body)
            assert codes == {"FORBIDDEN"}, (label, body)
            continue
        assert codes <= {None, "NOT_FOUND", "BAD_USER_INPUT"}, (label, body)  # not refused
        _check(body, role, where, label)
    assert not TALLY.leaks[before:], "\n".join(TALLY.leaks[before:][:50])


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_reads_who_it_is_and_a_loader_nothing_more(
        app_client: httpx.AsyncClient, role: str) -> None:
    """`me` needs right `self`, which every role holds: a loader's dashboard starts from it
    (on the upload page); its jurisdiction's name is all it reads of the graph."""
    body = await _post(app_client, role, "community",
                       "{ me { sub roles jurisdictionCode jurisdictionName } }")
    assert body == {"data": {"me": {"sub": f"{role}-community", "roles": [role],
                                    "jurisdictionCode": COMMUNITY,
                                    "jurisdictionName": TRUTH.names[COMMUNITY]}}}
    if role == "loader":
        body = await _post(app_client, role, "community", "{ me { name } dataStatus { asOf } }")
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "right": "read"}


async def test_outside_scopes_and_nodes_do_not_exist(app_client: httpx.AsyncClient) -> None:
    """Outside the jurisdiction a scope is NOT_FOUND and a lookup is null, as if absent."""
    body = await _post(app_client, "viewer", "community", PROBE_OVERVIEW, {"scope": OTHER})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await _post(app_client, "viewer", "community", PROBE_PERSON, {"code": P_OUT})
    assert body["data"] == {"person": None}
    body = await _post(app_client, "viewer", "community",
                       "query($c: String!) { compound(code: $c) { code } }", {"c": C_OUT})
    assert body["data"] == {"compound": None}
    body = await _post(app_client, "admin", "district",
                       "query($c: String!) { compound(code: $c) { code } }", {"c": C_OUT})
    assert body["data"] == {"compound": {"code": C_OUT}}  # the same code exists


async def test_the_readme_example_sees_only_the_tokens_street(
        app_client: httpx.AsyncClient) -> None:
    """README's first query: the district's admin sees every street, a street's auditor
    the same query answered for that street only."""
    query = """{ audit(metric: COMPOUND_PARTY_ORG, groupBy: STREET) {
      scope eligible groups { code } gaps(first: 500) { nodes { code } } } }"""
    district = (await _post(app_client, "admin", "district", query))["data"]["audit"]
    street = (await _post(app_client, "auditor", "street", query))["data"]["audit"]
    community = (await _post(app_client, "auditor", "community", query))
    assert district["scope"] is None  # the store's only top place bounds nothing
    assert street["scope"] == STREET
    assert [g["code"] for g in street["groups"]] == [STREET]
    assert [g["code"] for g in district["groups"]] == [STREET]  # tiny has one street
    assert community["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # above it
    assert {g["code"] for g in street["gaps"]["nodes"]} <= INSIDE["street"]


async def test_cursors_from_another_jurisdiction_stay_inside(
        app_client: httpx.AsyncClient) -> None:
    """A cursor is only a position: one taken from the district's list, used by the
    community's token, pages through the community's compounds only."""
    before = len(TALLY.leaks)
    district = await _post(app_client, "admin", "district", PROBE_PAGE, {"after": None})
    cursors = [e["cursor"] for e in district["data"]["compounds"]["edges"]]
    for cursor in cursors:
        body = await _post(app_client, "viewer", "community", PROBE_PAGE, {"after": cursor})
        _check(body, "viewer", "community", "foreign cursor")
    assert not TALLY.leaks[before:], "\n".join(TALLY.leaks[before:])


def _multipart(files: dict[str, str], replace: str | None) -> dict[str, Any]:
    names = list(files)
    operations = {"query": UPLOAD,
                  "variables": {"files": [None] * len(names), "replace": replace}}
    return {"data": {"operations": json.dumps(operations), "map": json.dumps(
                {str(i): [f"variables.files.{i}"] for i in range(len(names))})},
            "files": {str(i): (n, files[n].encode(), "text/csv") for i, n in enumerate(names)}}


async def _load(client: httpx.AsyncClient, role: str, where: str, files: dict[str, str],
                replace: str | None = None) -> dict[str, Any]:
    TALLY.requests += 1
    response = await client.post(
        "/graphql", **_multipart(files, replace),
        headers={**bearer(role, JURISDICTIONS[where]), "apollo-require-preflight": "1"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


GRID_ROWS = "网格编码,网格名称,所属社区编码,网格类型\n{code},新网格,{community},基础网格\n"


@pytest.mark.parametrize("role", ["loader", "admin"])
async def test_loads_stay_inside_the_jurisdiction(app_client: httpx.AsyncClient,
                                                  role: str) -> None:
    inside = await _load(app_client, role, "community", {"网格.csv": GRID_ROWS.format(
        code=f"{COMMUNITY}G99", community=COMMUNITY)})
    assert inside["data"]["loadRosters"]["__typename"] == "LoadResult", inside
    outside = await _load(app_client, role, "community", {"网格.csv": GRID_ROWS.format(
        code=f"{OTHER}G99", community=OTHER)})
    result = outside["data"]["loadRosters"]
    assert result["__typename"] == "ValidationFailed"
    # the other community does not exist for this token: worded as a missing code
    assert {(e["code"], e["value"]) for e in result["errors"]} == {("ref_missing", OTHER)}


async def test_replace_scope_needs_admin_and_stays_inside(
        app_client: httpx.AsyncClient) -> None:
    rows = {"网格.csv": GRID_ROWS.format(code=f"{COMMUNITY}G99", community=COMMUNITY)}
    loader = await _load(app_client, "loader", "community", rows, replace=COMMUNITY)
    assert loader["data"] is None
    assert loader["errors"][0]["extensions"] == {"code": "FORBIDDEN", "right": "load:replace"}
    above = await _load(app_client, "admin", "community", rows, replace=STREET)
    result = above["data"]["loadRosters"]
    assert result["__typename"] == "ValidationFailed"
    assert [e["code"] for e in result["errors"]] == ["replace_scope_unknown"]
    for role in ("viewer", "auditor", "officer"):
        denied = await _load(app_client, role, "district", rows)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN", denied


@pytest.mark.parametrize("where", list(JURISDICTIONS))
@pytest.mark.parametrize("role", ROLES)
async def test_workbooks_stay_inside_the_jurisdiction(app_client: httpx.AsyncClient,
                                                      role: str, where: str) -> None:
    """auditWorkbook (right `export`): every code in its sheets lies inside; a scope
    outside is NOT_FOUND; roles without the right are refused."""
    from openpyxl import load_workbook

    from app.audit_export import HEADER_ROW

    asks = [({"metric": m.upper().replace("-", "_"), "scope": None, "group": g}, "")
            for m in ("building-chief", "compound-party-org", "dual-registration")
            for g in (None, "GRID")]
    asks += [({"metric": "BUILDING_CHIEF", "scope": OTHER, "group": None}, "outside"),
             ({"metric": "GRID_WORKER", "scope": None, "group": None, "text": "0"}, "")]
    for variables, outside in asks:
        body = await _post(app_client, role, where, PROBE_WORKBOOK, variables)
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}
        if role not in ("auditor", "officer", "admin"):
            assert codes == {"FORBIDDEN"}, body
            continue
        if outside and OTHER not in INSIDE[where]:
            assert codes == {"NOT_FOUND"}, body
            continue
        assert not codes, body
        content = base64.b64decode(body["data"]["auditWorkbook"]["contentBase64"])
        book = load_workbook(io.BytesIO(content))
        spot = f"{role}@{where} workbook {variables}"
        for sheet, column in (("缺口清单", 2), ("分组", 1)):
            if sheet not in book.sheetnames:
                continue
            for (code,) in book[sheet].iter_rows(min_row=HEADER_ROW + 1, min_col=column,
                                                 max_col=column, values_only=True):
                if code is not None and code not in INSIDE[where]:
                    TALLY.leak(spot, f"{sheet} holds {code}")
    assert not [leak for leak in TALLY.leaks if "workbook" in leak]


def test_the_suite_sent_enough_requests() -> None:
    """Runs last in this module (pytest keeps file order): ≥ 500 requests, 0 leaks."""
    if TALLY.requests == 0:
        pytest.skip("counts the requests of the whole module; run it as a whole")
    assert TALLY.requests >= 500, TALLY.requests
    assert TALLY.leaks == []


PATHS = """query($a: String!, $b: String!, $t: [RelType!]) {
  connectionPaths(from: $a, to: $b, maxHops: 6, types: $t) { length
    paths { relationships { type startCode endCode } } } }"""


@pytest.mark.parametrize("role", ["viewer", "auditor"])
async def test_paths_do_not_tell_which_building_someone_lives_in(
        app_client: httpx.AsyncClient, role: str) -> None:
    """Residence is not searched for roles without `pii:residence`: the answer for a
    person and their own building is the one an officer gets without LIVES_IN — not the
    LIVES_IN path removed afterwards (an empty answer then said "this is the home")."""
    home = TRUTH.residence[P_IN]
    mine = (await _post(app_client, role, "district", PATHS, {"a": P_IN, "b": home}))
    without = ["IN", "UNDER", "COVERS", "LOCATED_IN", "MANAGES", "SERVES", "RESPONSIBLE_FOR",
               "PAIRED_WITH", "MEMBER_OF", "EMPLOYED_BY", "REPORTS_TO", "HOLDS_POST"]
    officer = await _post(app_client, "officer", "district", PATHS,
                          {"a": P_IN, "b": home, "t": without})
    assert mine["data"] == officer["data"]
    with_home = await _post(app_client, "officer", "district", PATHS, {"a": P_IN, "b": home})
    assert with_home["data"]["connectionPaths"]["length"] == 1  # the officer sees LIVES_IN



@pytest.mark.parametrize(("role", "unchanged"), [("loader", 0), ("admin", 1)])
async def test_a_dry_run_does_not_confirm_a_guessed_phone(app_client: httpx.AsyncClient,
                                                          role: str, unchanged: int) -> None:
    """A loader (no right to see phones) sending someone's exact row must not learn that
    its phone and ID number are right: existing people count as updated for them."""
    row = next(r for r in generate(SCALES["tiny"]).rows["people"] if r[0] == P_IN)
    header = ",".join(next(t for t in TEMPLATES if t.key == "people").zh_headers)
    csv_text = header + "\n" + ",".join(str(v) for v in row) + "\n"
    body = await _load(app_client, role, "district", {"人员.csv": csv_text})
    result = body["data"]["loadRosters"]
    assert result["__typename"] == "LoadResult", body
    assert result["counts"] == [{"template": "people", "created": 0,
                                 "updated": 1 - unchanged, "unchanged": unchanged}]


@pytest.mark.parametrize(("role", "visible"), [("viewer", False), ("auditor", False),
                                               ("officer", True)])
async def test_a_building_is_no_scope_for_roles_without_residence(
        app_client: httpx.AsyncClient, role: str, visible: bool) -> None:
    """Inside a building are the people living there: as a scope it would answer "does
    X live here" (found in review)."""
    home = TRUTH.residence[P_IN]
    body = await _post(app_client, role, "district",
                       "query($c: String!, $s: String) { person(code: $c, scope: $s) { code } }",
                       {"c": P_IN, "s": home})
    if visible:
        assert body["data"] == {"person": {"code": P_IN}}
    else:
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("where", list(JURISDICTIONS))
async def test_the_load_journal_stays_inside(app_client: httpx.AsyncClient,
                                            where: str) -> None:
    """`loads` (right `records`): a load shows to admins at or above where it was bound;
    the operator's CLI loads (no jurisdiction) only at the top."""
    body = await _post(app_client, "admin", where,
                       "{ loads(first: 50) { nodes { who jurisdiction } } }")
    nodes = body["data"]["loads"]["nodes"]
    for load in nodes:
        assert load["jurisdiction"] in INSIDE[where] or (
            load["jurisdiction"] is None and where == "district"), load
    assert bool(nodes) == (where == "district")  # the tiny district was loaded by the CLI
    viewer = await _post(app_client, "viewer", where, "{ loads { nodes { who } } }")
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"

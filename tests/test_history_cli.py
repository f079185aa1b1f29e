"""Coverage over time from the command line and the demo's past: `orgcover audit --snapshot
| --trend | --ranking | --since`, `orgcover notice`, the ledger workbook, and the monthly
versions `serve --demo` loads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import _load_demo_if_empty, cli
from app.settings import Settings
from graph.queries.audits import AUDITS
from graph.repo import history as repo
from loaders.history_demo import months_back, versions
from loaders.synthetic import SCALES, generate
from resolvers import history as h
from tests.graphs import Graphs
from tests.regions import REGIONS
from tests.rosters import write_rosters

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORGCOVER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _ok(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_snapshots_trends_rankings_and_notices_from_the_cli(env: Path) -> None:
    first = REGIONS
    second = {**REGIONS, "party_orgs": [*REGIONS["party_orgs"],
                                        ["PC2", "二社区党委", "党委", "区域", "PS1", "C2", ""]]}
    _ok("load", str(write_rosters(env / "v1", first)))  # snapshot S1 after the load
    _ok("notice", "issue", "--metric", "region-party-org", "--deadline", "2099-01-01",
        "--note", "配齐党组织")
    _ok("load", str(write_rosters(env / "v2", second)))  # S2: C2 covered now
    taken = runner.invoke(cli, ["audit", "--snapshot", "--metric", "region-party-org"])
    assert taken.exit_code == 0, taken.output
    assert "snapshot S3 taken" in taken.output
    assert "数据截至" in taken.output

    trend = json.loads(_ok("audit", "--metric", "region-party-org", "--trend",
                           "--format", "json"))
    assert [(p["snapshot"], p["covered"]) for p in trend[0]["points"]] == [
        ("S1", 3), ("S2", 4), ("S3", 4)]
    ranking = json.loads(_ok("audit", "--metric", "region-party-org", "--ranking",
                             "--scope", "S1", "--since", "S1", "--format", "json"))
    assert (ranking[0]["at"], ranking[0]["against"]) == ("S3", "S1")
    assert [(p["code"], p["rank"], p["previous_rank"]) for p in ranking[0]["places"]] == [
        ("C1", 1, 1), ("C2", 1, 2)]
    since = _ok("audit", "--metric", "region-party-org", "--since", "S1")
    assert "已整改 1" in since
    assert "C2" in since
    changes = json.loads(_ok("audit", "--metric", "region-party-org", "--since", "S1",
                             "--format", "json"))
    assert [g["code"] for g in changes[0]["closed"]] == ["C2"]

    listed = _ok("notice", "list")
    assert "N0001" in listed
    assert "已整改 1" in listed
    ledger = json.loads(_ok("notice", "ledger", "N0001", "--format", "json"))
    assert ledger["summary"]["fixed"] == 1
    assert {i["code"]: i["state"] for i in ledger["items"]} == {"C2": "fixed", "S2": "open"}
    out = env / "ledger.xlsx"
    _ok("notice", "ledger", "N0001", "--format", "xlsx", "--output", str(out))
    from openpyxl import load_workbook

    book = load_workbook(out)
    sheet = book["整改台账"]
    assert str(sheet["A1"].value).startswith("整改台账 N0001")
    header = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "序号")
    assert header[:8] == ("序号", "街道", "社区", "编码", "名称", "问题（原因）", "发现日期",
                          "状态")
    rows = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert {r[3]: r[7] for r in rows} == {"S2": "整改中", "C2": "已整改"}
    assert sheet.freeze_panes is not None and sheet.auto_filter.ref  # noqa: PT018
    assert [r[0] for r in book["按街道"].iter_rows(min_row=2, values_only=True)] == [
        "S1", "S2", "合计"]

    for args, message in ((["audit", "--trend", "--ranking"], "--trend goes alone"),
                          (["audit", "--since", "S9"], "does not exist"),
                          (["audit", "--trend", "--format", "csv"], "table or json"),
                          (["notice", "issue", "--metric", "nope", "--deadline", "2099-01-01"],
                           "unknown audit metric"),
                          (["notice", "issue", "--metric", "grid-worker", "--deadline",
                            "2000-01-01"], "already passed"),
                          (["notice", "ledger", "N0404"], "does not exist")):
        failed = runner.invoke(cli, args)
        assert failed.exit_code == 2, (args, failed.output)
        assert message in failed.output, (args, failed.output)


def test_the_demo_past_improves_reopens_and_leaves_a_street_behind() -> None:
    tables = generate(SCALES["demo"])
    found = versions(tables, 6)
    assert found[-1] is tables
    chiefs = [sum(1 for r in v.rows["posts"] if r[2] == "楼长") for v in found]
    registered = [sum(1 for r in v.rows["relations"] if r[1] == "双报到") for v in found]
    assert registered == sorted(registered)
    assert registered[0] < registered[-1]
    assert chiefs[0] != chiefs[-1]
    assert months_back(dt.date(2026, 3, 15), 4) == [
        dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 15)]


async def test_a_first_demo_start_has_a_history(graphs: Graphs, tmp_path: Path) -> None:
    """`serve --demo` on an empty store: the months loaded in order, one snapshot each, a
    notice with overdue items, a street that fell behind."""
    store = await graphs.open()
    try:
        settings = Settings(data_dir=tmp_path / "data", demo=True,
                            demo_months=4).with_demo_secrets()
        await _load_demo_if_empty(store, settings, "tiny")
        found = await repo.snapshots(store)
        assert len(found) == 4
        assert found[-1].as_of == dt.date.today().isoformat()
        points = await h.trend(store, audit=AUDITS["dual-registration"], scope=None)
        assert len(points) == 4
        assert points[0].covered < points[-1].covered
        [notice] = await h.notices(store, scope=None)
        ledger = await h.ledger(store, notice=notice, scope=None, today=dt.date.today())
        assert ledger.total.total > 0
        assert ledger.total.overdue + ledger.total.fixed == ledger.total.total
    finally:
        await graphs.dispose(store)

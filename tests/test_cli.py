"""The `orgcover` command: demo, load, schema and one-line failures with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from graph.queries.audits import AUDITS
from tests.rosters import write_rosters

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORGCOVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORGCOVER_PII_SECRET", "cli-pii-secret-0123456789-abcdefghij")
    monkeypatch.delenv("ORGCOVER_GRAPH_URI", raising=False)
    return tmp_path


def test_demo_writes_nine_templates(env: Path) -> None:
    result = runner.invoke(cli, ["demo", "--scale", "tiny", "--out", str(env / "r")])
    assert result.exit_code == 0, result.output
    assert len(list((env / "r").glob("*.csv"))) == 9
    assert "人员.csv" in result.output


def test_load_then_reload_reports_unchanged(env: Path) -> None:
    runner.invoke(cli, ["demo", "--scale", "tiny", "--out", str(env / "r")])
    first = runner.invoke(cli, ["load", str(env / "r")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["load", str(env / "r"), "--json"])
    assert second.exit_code == 0
    assert '"unchanged": 4' in second.output  # the four regions
    report = json.loads(second.output)
    assert report["unchanged_since"] is not None  # the same files as the committed load
    rechecked = json.loads(runner.invoke(cli, ["load", str(env / "r"), "--json",
                                               "--recheck"]).output)
    assert rechecked["unchanged_since"] is None
    assert rechecked["counts"] == report["counts"]
    text = runner.invoke(cli, ["load", str(env / "r"), "--lang", "en"]).output
    assert "identical to committed load" in text


def test_invalid_roster_exits_1_with_the_problem(env: Path) -> None:
    rosters = write_rosters(env / "bad", {"grids": [["G1", "网格", "C404", ""]]})
    result = runner.invoke(cli, ["load", str(rosters)])
    assert result.exit_code == 1
    assert "网格.csv，第 2 行，“所属社区编码”列: 找不到社区编码 C404" in result.output
    assert "1 个错误，未写入任何数据。" in result.output


def test_report_in_english_json_and_error_files(env: Path) -> None:
    rosters = write_rosters(env / "bad", {"grids": [["G1", "网格", "C404", "大网格"]]})
    result = runner.invoke(cli, ["load", str(rosters), "--lang", "en",
                                 "--errors-out", str(env / "errors.csv")])
    assert result.exit_code == 1
    assert ("error: 网格.csv, row 2, column 网格类型: unknown grid kind; "
            "expected 基础网格 / 专属网格 [大网格]") in result.output
    assert "error: 网格.csv, row 2, column 所属社区编码: no community with code C404" in (
        result.output)
    assert "2 error(s); nothing was written." in result.output
    lines = (env / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "file,sheet,row,column,value,problem,severity"
    assert len(lines) == 3
    as_json = runner.invoke(cli, ["load", str(rosters), "--json",
                                  "--errors-out", str(env / "errors.xlsx")])
    report = json.loads(as_json.output)
    assert report["ok"] is False
    assert [p["code"] for p in report["problems"]] == ["bad_enum", "ref_missing"]
    from openpyxl import load_workbook

    sheet = load_workbook(env / "errors.xlsx").active
    assert [c.value for c in sheet[1]] == ["文件", "工作表", "行号", "列", "值", "问题", "级别"]
    assert sheet.max_row == 3


def test_unknown_scheme_is_one_line_exit_2(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGCOVER_GRAPH_URI", "mysql://db")
    result = runner.invoke(cli, ["load", str(env)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "ORGCOVER_GRAPH_URI" in lines[0]
    assert "Traceback" not in result.output


def test_bad_setting_value_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGCOVER_STARTUP_TIMEOUT", "soon")
    result = runner.invoke(cli, ["load", str(env)])
    assert result.exit_code == 2
    assert "ORGCOVER_STARTUP_TIMEOUT" in result.output


def test_schema_prints_the_committed_sdl() -> None:
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_audit_command_formats_and_errors(env: Path) -> None:
    runner.invoke(cli, ["demo", "--scale", "tiny", "--out", str(env / "r")])
    assert runner.invoke(cli, ["load", str(env / "r")]).exit_code == 0
    result = runner.invoke(cli, ["audit", "--metric", "compound-party-org", "--format", "json",
                                 "--group-by", "community"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert set(report) == {"metric", "scope", "eligible", "covered", "rate", "groups", "gaps",
                           "data_as_of", "load_unfinished"}
    assert report["load_unfinished"] is False
    assert report["eligible"] - report["covered"] == len(report["gaps"])
    assert sum(g["eligible"] for g in report["groups"]) == report["eligible"]
    out = env / "audit.xlsx"
    assert runner.invoke(cli, ["audit", "--format", "xlsx", "--output", str(out)]).exit_code == 0
    from openpyxl import load_workbook

    workbook = load_workbook(out)
    assert workbook.sheetnames[0] == "汇总"
    assert len(workbook.sheetnames) == 1 + len(AUDITS)
    # the rates' column, below the title block and the header (test_workbooks.py has more)
    assert workbook["汇总"]["F6"].number_format == "0.0%"
    csv_out = runner.invoke(cli, ["audit", "--metric", "grid-worker", "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("指标,类别,编码")
    for args in (["--metric", "nope"], ["--scope", "NOPE"],
                 ["--scope", "371327001001", "--group-by", "street"]):
        failed = runner.invoke(cli, ["audit", *args])
        assert failed.exit_code == 2, args
        assert failed.output.startswith("orgcover: error:")


# -- who is asking --------------------------------------------------------------------------

@pytest.fixture
def authed(env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.auth import SECRET

    monkeypatch.setenv("ORGCOVER_AUTH_SECRET", SECRET)
    runner.invoke(cli, ["demo", "--scale", "tiny", "--out", str(env / "r")])
    loaded = runner.invoke(cli, ["load", str(env / "r")])  # the operator: every right
    assert loaded.exit_code == 0, loaded.output
    return env


def _mint(*args: str) -> str:
    result = runner.invoke(cli, ["token", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_token_mints_what_the_service_accepts(authed: Path) -> None:
    import asyncio

    from app.auth.tokens import AuthConfig, TokenVerifier
    from tests.auth import SECRET

    raw = _mint("--sub", "u7", "--name", "张三", "--role", "auditor", "--role", "loader",
                "--jurisdiction", "371327001", "--ttl", "2h")

    async def place(code: str) -> bool:
        return True

    caller = asyncio.run(TokenVerifier(AuthConfig(secret=SECRET), place_exists=place)
                         .verify(raw))
    assert (caller.sub, caller.name, caller.roles, caller.jurisdiction) == (
        "u7", "张三", ("auditor", "loader"), "371327001")


def test_token_refuses_without_a_secret_or_with_bad_input(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORGCOVER_AUTH_SECRET", raising=False)
    args = ["token", "--sub", "u", "--role", "viewer", "--jurisdiction", "371327"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 2
    assert "no ORGCOVER_AUTH_SECRET" in refused.output
    demo = runner.invoke(cli, [*args, "--demo"])
    assert demo.exit_code == 0
    assert demo.output.count(".") == 2  # a JWT signed with the data dir's demo secret
    from tests.auth import SECRET

    monkeypatch.setenv("ORGCOVER_AUTH_SECRET", SECRET)
    assert "unknown role" in runner.invoke(cli, [*args[:3], "--role", "root",
                                                 *args[5:]]).output
    assert "not a duration" in runner.invoke(cli, [*args, "--ttl", "soon"]).output


def test_audit_with_a_token_is_bound_to_its_jurisdiction(authed: Path) -> None:
    community = _mint("--sub", "a", "--role", "viewer", "--jurisdiction", "371327001001")
    result = runner.invoke(cli, ["audit", "--metric", "grid-party-org", "--format", "json",
                                 "--token", community])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)[0]
    assert report["scope"] == "371327001001"
    operator = json.loads(runner.invoke(cli, ["audit", "--metric", "grid-party-org",
                                              "--format", "json"]).output)[0]
    assert report["eligible"] < operator["eligible"]
    assert all(g["community"] in (None, "泰和社区") and g["street"] is None
               for g in report["gaps"])
    outside = runner.invoke(cli, ["audit", "--scope", "371327001002", "--token", community])
    assert outside.exit_code == 2
    assert "not a known place code" in outside.output
    export = runner.invoke(cli, ["audit", "--format", "csv", "--token", community])
    assert export.exit_code == 2
    assert "needs the right 'export'" in export.output


def test_load_with_a_token_is_bound_and_journaled(authed: Path) -> None:
    loader = _mint("--sub", "li.si", "--role", "loader", "--jurisdiction", "371327001001")
    outside = write_rosters(authed / "out", {"grids": [
        ["371327001002G77", "新网格", "371327001002", "基础网格"]]})
    refused = runner.invoke(cli, ["load", str(outside), "--token", loader, "--lang", "en"])
    assert refused.exit_code == 1
    assert "no community with code 371327001002" in refused.output  # not theirs: "missing"
    own = write_rosters(authed / "own", {"grids": [
        ["371327001002G01", "改名网格", "371327001001", "基础网格"]]})
    moved = runner.invoke(cli, ["load", str(own), "--token", loader, "--lang", "en"])
    assert moved.exit_code == 1
    assert "outside your jurisdiction" in moved.output  # another's grid: refused as such
    inside = write_rosters(authed / "in", {"grids": [
        ["371327001001G77", "新网格", "371327001001", "基础网格"]]})
    loaded = runner.invoke(cli, ["load", str(inside), "--token", loader, "--json"])
    assert loaded.exit_code == 0, loaded.output
    replace = runner.invoke(cli, ["load", str(inside), "--token", loader,
                                  "--replace-scope", "371327001001"])
    assert replace.exit_code == 2
    assert "needs the right 'load:replace'" in replace.output
    viewer = _mint("--sub", "v", "--role", "viewer", "--jurisdiction", "371327")
    assert "needs the right 'load'" in runner.invoke(
        cli, ["load", str(inside), "--token", viewer]).output
    forged = runner.invoke(cli, ["load", str(inside), "--token", "x.y.z"])
    assert forged.exit_code == 2
    assert "malformed token" in forged.output or "invalid token" in forged.output

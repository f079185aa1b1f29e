"""The access log: chained lines, tampering named by verify, pruning, several writers,
modes, scrubbing, reading and the `access-log` commands."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.access_log import AccessLog
from app.access_log_cli import access_log_app
from app.access_log_format import GENESIS, scrub
from app.access_log_verify import read, verify

runner = CliRunner()

PHONE = "13812345678"
ID_NUMBER = "37132719850307461X"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZw"


def _entry(time: str | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "request_id": "r1", "sub": "alice", "roles": ["district_admin"],
        "jurisdiction": "371327", "operation": "People",
        "fields": [{"field": "people", "args": {"scope": "371327001001", "text": "张"}}],
        "persons": 3, "errors": [], "duration_ms": 4.2, "client": "10.0.0.5"}
    if time is not None:
        entry["time"] = time
    entry.update(extra)
    return entry


def _sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


@pytest.fixture
def months(tmp_path: Path) -> Path:
    """January to March 2025, five lines each."""
    directory = tmp_path / "access"
    with AccessLog(directory) as log:
        for month in (1, 2, 3):
            for day in range(1, 6):
                log.append(_entry(f"2025-{month:02d}-{day:02d}T08:00:00Z", persons=day))
    return directory


def _broken(directory: Path) -> tuple[str, int, str]:
    broken = verify(directory).broken
    assert broken is not None
    return broken.file, broken.line, broken.reason


def _rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _forge(path: Path, record: dict[str, Any]) -> None:
    """Append a correctly chained line by hand (as someone with write access could)."""
    last = _lines(path)[-1]
    line = json.dumps({**record, "prev": _sha(last)}, separators=(",", ":")).encode()
    with path.open("ab") as fh:
        fh.write(line + b"\n")


# --- writing and the chain ----------------------------------------------------------------

def test_lines_are_written_and_the_chain_verifies(tmp_path: Path) -> None:
    directory = tmp_path / "access"
    with AccessLog(directory) as log:
        for day in (1, 2, 3):
            log.append(_entry(f"2025-03-0{day}T10:00:00+00:00", persons=day))
    raw = _lines(directory / "2025-03.jsonl")
    assert len(raw) == 3
    first = json.loads(raw[0])
    assert first["time"] == "2025-03-01T10:00:00.000Z"
    assert first["prev"] == GENESIS
    assert raw[0].endswith(b',"prev":"' + GENESIS.encode() + b'"}')
    for before, after in itertools.pairwise(raw):
        assert json.loads(after)["prev"] == _sha(before)
    assert [json.loads(line)["persons"] for line in raw] == [1, 2, 3]
    result = verify(directory)
    assert result.ok, result.summary()
    assert (result.lines, result.files, result.head) == (3, ("2025-03.jsonl",), _sha(raw[-1]))
    assert not result.pruned
    assert "intact: 3 lines in 1 file (" in result.summary()


def test_time_is_set_by_the_writer_and_stored_as_utc(tmp_path: Path) -> None:
    clock = datetime(2025, 4, 30, 23, 59, 59, 123456, tzinfo=UTC)
    with AccessLog(tmp_path, clock=lambda: clock) as log:
        log.append(_entry())
        log.append(_entry("2025-05-01T08:30:00+08:00"))  # 00:30 UTC: still April
        log.append(_entry(datetime(2025, 5, 2, 1, 0)))  # type: ignore[arg-type]  # naive
    times = [entry["time"] for entry in read(tmp_path)]
    assert times == ["2025-04-30T23:59:59.123Z", "2025-05-01T00:30:00.000Z",
                     "2025-05-02T01:00:00.000Z"]
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == ["2025-04.jsonl",
                                                               "2025-05.jsonl"]


def test_the_chain_continues_across_months_and_late_entries_go_forward(
        tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        log.append(_entry("2025-01-31T23:59:59Z"))
        log.append(_entry("2025-02-01T00:00:01Z"))
        log.append(_entry("2025-01-31T23:59:58Z", request_id="late"))  # started in January
    jan, feb = _lines(tmp_path / "2025-01.jsonl"), _lines(tmp_path / "2025-02.jsonl")
    assert (len(jan), len(feb)) == (1, 2)
    assert json.loads(feb[0])["prev"] == _sha(jan[0])
    assert json.loads(feb[1])["request_id"] == "late"
    assert verify(tmp_path).ok


def test_reserved_keys_are_refused(tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        with pytest.raises(ValueError, match="prev"):
            log.append(_entry(prev=GENESIS))
        with pytest.raises(ValueError, match="event"):
            log.append(_entry(event="pruned"))


def test_another_writer_on_the_same_directory_is_followed(tmp_path: Path) -> None:
    """Two writers (as two workers would be): each notices the other's lines by the size."""
    with AccessLog(tmp_path) as one, AccessLog(tmp_path) as two:
        for i in range(10):
            (one if i % 3 else two).append(_entry(f"2025-03-01T10:00:{i:02d}Z"))
    result = verify(tmp_path)
    assert (result.ok, result.lines) == (True, 10)


def test_modes_are_0700_and_0600_whatever_the_umask(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    fresh, loose = tmp_path / "fresh", tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    old = os.umask(0)
    try:
        with AccessLog(fresh) as log:
            log.append(_entry("2025-03-01T10:00:00Z"))
        (loose / "2025-03.jsonl").touch(mode=0o644)
        with caplog.at_level(logging.WARNING, logger="orgcover.access_log"), \
                AccessLog(loose) as log:
            log.append(_entry("2025-03-01T10:00:00Z"))
    finally:
        os.umask(old)
    for directory in (fresh, loose):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        for path in directory.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "had mode 755; set to 700" in caplog.text
    assert "had mode 644; set to 600" in caplog.text


# --- tampering ----------------------------------------------------------------------------

def test_an_edited_line_is_named(months: Path) -> None:
    feb = months / "2025-02.jsonl"
    lines = _lines(feb)
    lines[2] = lines[2].replace(b'"persons":3', b'"persons":0')
    _rewrite(feb, lines)
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-02.jsonl", 4)
    assert "line 3 was edited" in reason
    assert verify(months).lines == 15  # the whole log is still read


def test_a_deleted_line_is_named(months: Path) -> None:
    feb = months / "2025-02.jsonl"
    lines = _lines(feb)
    del lines[1]
    _rewrite(feb, lines)
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-02.jsonl", 2)
    assert "deleted or reordered" in reason


def test_a_reordered_pair_is_named(months: Path) -> None:
    feb = months / "2025-02.jsonl"
    lines = _lines(feb)
    lines[1], lines[2] = lines[2], lines[1]
    _rewrite(feb, lines)
    assert _broken(months)[:2] == ("2025-02.jsonl", 2)


def test_a_deleted_middle_month_file_is_named(months: Path) -> None:
    (months / "2025-02.jsonl").unlink()
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-03.jsonl", 1)
    assert "last line of 2025-01.jsonl" in reason
    assert "whole month file" in reason


def test_a_deleted_oldest_month_file_is_named(months: Path) -> None:
    (months / "2025-01.jsonl").unlink()
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-02.jsonl", 1)
    assert "neither the genesis value nor vouched for" in reason


def test_a_torn_line_is_named_and_the_writer_goes_on_after_it(months: Path) -> None:
    mar = months / "2025-03.jsonl"
    with mar.open("ab") as fh:
        fh.write(b'{"time":"2025-03-06T08:')  # a write cut short
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-03.jsonl", 6)
    assert "no newline" in reason
    with AccessLog(months) as log:
        log.append(_entry("2025-03-07T08:00:00Z"))
    lines = _lines(mar)
    assert json.loads(lines[6])["prev"] == _sha(lines[5])  # chained to the torn bytes
    assert _broken(months) == ("2025-03.jsonl", 6, "not a JSON object (a torn or edited line)")


def test_a_file_removed_while_open_shows_as_a_gap(tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        log.append(_entry("2025-03-01T10:00:00Z"))
        (tmp_path / "2025-03.jsonl").unlink()
        log.append(_entry("2025-03-01T10:00:01Z"))  # not into the unlinked file
    assert len(_lines(tmp_path / "2025-03.jsonl")) == 1
    assert _broken(tmp_path)[:2] == ("2025-03.jsonl", 1)


# --- pruning ------------------------------------------------------------------------------

def _monthly(directory: Path, first: int, last: int, year: int = 2025) -> None:
    with AccessLog(directory) as log:
        for month in range(first, last + 1):
            log.append(_entry(f"{year}-{month:02d}-10T08:00:00Z"))
            log.append(_entry(f"{year}-{month:02d}-28T08:00:00Z"))


def test_pruning_keeps_the_rest_verifiable_with_records_in_the_chain(tmp_path: Path) -> None:
    _monthly(tmp_path, 1, 8)
    jan_last = _lines(tmp_path / "2025-01.jsonl")[-1]
    august = datetime(2025, 8, 15, tzinfo=UTC)  # cut-off 2025-02-16: January only
    with AccessLog(tmp_path, retention_days=180, clock=lambda: august) as log:  # on open
        assert not (tmp_path / "2025-01.jsonl").exists()
        result = verify(tmp_path)
        assert (result.ok, result.pruned) == (True, True), result.summary()
        assert log.prune(august) == []  # nothing more yet
        may_last = _lines(tmp_path / "2025-05.jsonl")[-1]
        removed = log.prune(datetime(2025, 12, 1, tzinfo=UTC))  # cut-off 2025-06-04
    assert removed == ["2025-02.jsonl", "2025-03.jsonl", "2025-04.jsonl", "2025-05.jsonl"]
    result = verify(tmp_path)
    assert result.ok, result.summary()
    assert result.files == ("2025-06.jsonl", "2025-07.jsonl", "2025-08.jsonl", "2025-12.jsonl")
    records = [e for e in read(tmp_path, prune_records=True) if e.get("event") == "pruned"]
    assert [(r["removed"], r["last"]) for r in records] == [
        (["2025-01.jsonl"], _sha(jan_last)), (removed, _sha(may_last))]
    assert records[0]["time"] == "2025-08-15T00:00:00.000Z"
    assert all("event" not in e for e in read(tmp_path))  # skipped unless asked


def test_pruning_everything_leaves_a_self_vouching_record(tmp_path: Path) -> None:
    _monthly(tmp_path, 1, 2)
    later = datetime(2026, 6, 1, tzinfo=UTC)
    with AccessLog(tmp_path, retention_days=365, clock=lambda: later) as log:
        assert list(tmp_path.glob("*.jsonl")) == [tmp_path / "2026-06.jsonl"]
        log.append(_entry())
    result = verify(tmp_path)
    assert (result.ok, result.pruned, result.lines) == (True, True, 2), result.summary()
    assert not (tmp_path / "2025-01.jsonl").exists()


def test_a_prune_record_vouches_only_for_what_it_removed(tmp_path: Path) -> None:
    _monthly(tmp_path, 1, 9)
    with AccessLog(tmp_path, retention_days=180,
                   clock=lambda: datetime(2025, 9, 15, tzinfo=UTC)):
        pass  # removes January and February
    (tmp_path / "2025-03.jsonl").unlink()  # outside pruning
    file, line, reason = _broken(tmp_path)
    assert (file, line) == ("2025-04.jsonl", 1)
    assert "neither the genesis value nor vouched for" in reason


def test_a_prune_record_for_young_files_is_rejected(months: Path) -> None:
    jan_last = _lines(months / "2025-01.jsonl")[-1]
    (months / "2025-01.jsonl").unlink()
    _forge(months / "2025-03.jsonl", {"time": "2025-03-06T00:00:00.000Z", "event": "pruned",
                                       "removed": ["2025-01.jsonl"], "last": _sha(jan_last)})
    file, line, reason = _broken(months)
    assert (file, line) == ("2025-02.jsonl", 1)
    assert "younger than 180 days" in reason


def test_a_new_month_prunes(tmp_path: Path) -> None:
    _monthly(tmp_path, 1, 7)
    now = [datetime(2025, 7, 30, tzinfo=UTC)]  # cut-off 2025-01-31: nothing yet
    with AccessLog(tmp_path, retention_days=180, clock=lambda: now[0]) as log:
        assert (tmp_path / "2025-01.jsonl").exists()
        now[0] = datetime(2025, 8, 1, 0, 0, 1, tzinfo=UTC)
        log.append(_entry())  # starts August: prunes January
    assert not (tmp_path / "2025-01.jsonl").exists()
    assert verify(tmp_path).ok


def test_retention_below_the_legal_minimum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 180 days"):
        AccessLog(tmp_path, retention_days=90)


# --- several writers ----------------------------------------------------------------------

def _worker(directory: str, tag: str, start: Any) -> None:
    """Spawned: 200 lines from 20 s before February to 20 s after, in bursts."""
    base = datetime(2025, 1, 31, 23, 59, 40, tzinfo=UTC)
    with AccessLog(directory) as log:
        start.wait(30)
        for i in range(200):
            when = base + timedelta(seconds=i * 0.2)
            log.append(_entry(when.isoformat(), request_id=f"{tag}-{i}"))
            if i % 5 == 4:
                time.sleep(0.001)


def test_two_processes_append_one_chain_of_400(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    workers = [ctx.Process(target=_worker, args=(str(tmp_path), tag, start))
               for tag in ("a", "b")]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # both have opened the log and wait
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    result = verify(tmp_path)
    assert result.ok, result.summary()
    assert (result.lines, result.files) == (400, ("2025-01.jsonl", "2025-02.jsonl"))
    ids = [entry["request_id"] for entry in read(tmp_path)]
    assert sorted(ids) == sorted(f"{tag}-{i}" for tag in "ab" for i in range(200))
    for tag in "ab":  # each writer's own lines stay in its order
        assert [i for i in ids if i[0] == tag] == [f"{tag}-{i}" for i in range(200)]
    switches = sum(1 for x, y in itertools.pairwise(ids) if x[0] != y[0])
    assert switches > 2  # the two really interleaved


def test_threads_share_one_writer(tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        def run(tag: int) -> None:
            for i in range(100):
                log.append(_entry("2025-03-01T10:00:00Z", request_id=f"{tag}-{i}"))

        threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    result = verify(tmp_path)
    assert (result.ok, result.lines) == (True, 400)


def _append_in_child(log: AccessLog) -> None:
    for i in range(50):
        log.append(_entry("2025-03-01T10:00:00Z", request_id=f"child-{i}"))


def test_a_writer_inherited_through_fork_takes_its_own_lock(tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        log.append(_entry("2025-03-01T09:00:00Z"))
        child = multiprocessing.get_context("fork").Process(target=_append_in_child,
                                                            args=(log,))
        child.start()
        for i in range(50):
            log.append(_entry("2025-03-01T10:00:00Z", request_id=f"parent-{i}"))
        child.join(30)
        assert child.exitcode == 0
    result = verify(tmp_path)
    assert (result.ok, result.lines) == (True, 101), result.summary()


# --- scrubbing ----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "scrubbed"), [
    (PHONE, "138****5678"),
    ("电话 138-1234-5678。", "电话 138****5678。"),
    ("+86 138 1234 5678", "+86 138****5678"),
    (ID_NUMBER, "3713**********461X"),
    ("371327198503074612", "3713**********4612"),
    ("371327850307461", "3713*******7461"),
    ("371327 19850307 461X", "3713**********461X"),
    ("card 6222021234567890123", "card 622**************23"),
    ("1234567", "123**67"),
    ("R00000001", "R000***01"),
    ("123456", "123456"),
    ("2025-03-01", "2025-03-01"),
    ("10.0.0.5", "10.0.0.5"),
    (JWT, "[token]"),
    (f"token={JWT}&x=1", "token=[token]&x=1"),
    ("Authorization: Bearer abc.def-123", "Authorization: [token]"),
    ("bearer xyz", "[token]"),
    ("张三", "张三"),
])
def test_scrub_masks_phones_ids_long_numbers_and_tokens(raw: str, scrubbed: str) -> None:
    assert scrub(raw) == scrubbed


def test_scrub_goes_through_structures_and_keeps_codes_under_code_keys() -> None:
    value = {"a": [PHONE, {"b": (ID_NUMBER, 7, None, True, 1.5)}],
             "args": {"scope": "371327001001", "code": PHONE, "from": ID_NUMBER,
                      "text": "371327001001"}}
    assert scrub(value) == {
        "a": ["138****5678", {"b": ["3713**********461X", 7, None, True, 1.5]}],
        "args": {"scope": "371327001001", "code": "138****5678",
                 "from": "3713**********461X", "text": "371*******01"}}
    assert scrub("371327001001") == "371*******01"
    assert scrub("371327001001", codes=True) == "371327001001"
    assert scrub(date(2025, 3, 1)) == "2025-03-01"


def test_no_phone_id_or_token_reaches_the_file(tmp_path: Path) -> None:
    with AccessLog(tmp_path) as log:
        log.append(_entry(
            "2025-03-01T10:00:00Z", sub=PHONE, client=f"Bearer {JWT}",
            fields=[{"field": "search", "alias": f"x{ID_NUMBER}",
                     "args": {"text": f"{PHONE} {ID_NUMBER}", "scope": ID_NUMBER}},
                    {"field": "person", "args": {"code": PHONE}}],
            errors=[f"bad token {JWT}"]))
    data = (tmp_path / "2025-03.jsonl").read_bytes()
    for secret in (PHONE, ID_NUMBER, JWT, "12345678", "19850307"):
        assert secret.encode() not in data
    for masked in ("138****5678", "3713**********461X", "[token]"):
        assert masked.encode() in data
    assert [e["sub"] for e in read(tmp_path, sub=PHONE)] == ["138****5678"]


# --- reading ------------------------------------------------------------------------------

@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    with AccessLog(tmp_path) as log:
        for when, sub in [("2025-02-28T23:00:00Z", "alice"), ("2025-03-01T09:00:00Z", "bob"),
                          ("2025-03-02T09:00:00Z", "alice"), ("2025-03-03T09:00:00Z", "bob"),
                          ("2025-04-01T00:00:00Z", "alice")]:
            log.append(_entry(when, sub=sub))
    return tmp_path


def _times(entries: Iterator[dict[str, Any]]) -> list[str]:
    return [entry["time"][:10] for entry in entries]


def test_read_filters_by_sub_and_dates(mixed: Path) -> None:
    assert _times(read(mixed)) == ["2025-02-28", "2025-03-01", "2025-03-02", "2025-03-03",
                                   "2025-04-01"]
    assert _times(read(mixed, sub="alice")) == ["2025-02-28", "2025-03-02", "2025-04-01"]
    assert _times(read(mixed, since=date(2025, 3, 2))) == ["2025-03-02", "2025-03-03",
                                                           "2025-04-01"]
    assert _times(read(mixed, sub="bob", since=date(2025, 3, 1),
                       until=date(2025, 3, 2))) == ["2025-03-01"]
    assert list(read(mixed, sub="carol")) == []
    with pytest.raises(FileNotFoundError):
        read(mixed / "absent")


# --- the commands -------------------------------------------------------------------------

def test_cli_verify_intact_and_broken(months: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(access_log_app, ["verify", "--dir", str(months)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("access log intact: 15 lines in 3 files "
                                    "(2025-01.jsonl … 2025-03.jsonl), chained from genesis")
    assert len(result.output.splitlines()) == 1
    monkeypatch.setenv("ORGCOVER_ACCESS_LOG_DIR", str(months))  # the default directory
    feb = months / "2025-02.jsonl"
    lines = _lines(feb)
    del lines[1]
    _rewrite(feb, lines)
    result = runner.invoke(access_log_app, ["verify"])
    assert result.exit_code == 1
    assert result.output.startswith(f"orgcover: error: {months}: access log broken at "
                                    "2025-02.jsonl line 2: prev is not the hash of line 1")


def test_cli_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(access_log_app, ["verify", "--dir", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert result.output == (f"orgcover: error: no access log at {tmp_path / 'absent'} "
                             "(use --dir or set ORGCOVER_ACCESS_LOG_DIR)\n")
    result = runner.invoke(access_log_app, ["show", "--dir", str(tmp_path), "--since", "3/1"])
    assert result.exit_code == 2
    assert result.output == "orgcover: error: --since must be a date YYYY-MM-DD, not '3/1'\n"


def test_cli_show_filters_by_sub_and_since(mixed: Path) -> None:
    result = runner.invoke(access_log_app, ["show", "--dir", str(mixed), "--sub", "alice",
                                            "--since", "2025-03-01"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split()[:3] == ["TIME", "(UTC)", "SUB"]
    assert header.endswith("FIELDS")
    assert [row[:19] for row in rows] == ["2025-03-02 09:00:00", "2025-04-01 00:00:00"]
    assert rows[0].split()[2:5] == ["alice", "district_admin", "People"]
    assert "10.0.0.5" in rows[0]
    assert rows[0].endswith("people(scope=371327001001, text=张)")
    result = runner.invoke(access_log_app, ["show", "--dir", str(mixed), "--sub", "bob",
                                            "--until", "2025-03-01", "--json"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.output.splitlines()]
    assert [(e["sub"], e["time"]) for e in entries] == [("bob", "2025-03-01T09:00:00.000Z")]
    result = runner.invoke(access_log_app, ["show", "--dir", str(mixed), "--sub", "carol"])
    assert (result.exit_code, result.output) == (0, "orgcover: no access-log entries match\n")


def test_cli_show_lists_prune_records_when_asked(tmp_path: Path) -> None:
    _monthly(tmp_path, 1, 8)
    with AccessLog(tmp_path, retention_days=180,
                   clock=lambda: datetime(2025, 8, 15, tzinfo=UTC)):
        pass
    result = runner.invoke(access_log_app, ["show", "--dir", str(tmp_path),
                                            "--since", "2025-08-01", "--prune-records"])
    assert result.exit_code == 0, result.output
    assert "2025-08-15 00:00:00  (pruned 2025-01.jsonl; retention 180 days)" in result.output

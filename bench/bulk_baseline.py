"""The ceiling: the same district loaded by FalkorDB's own `falkordb-bulk-loader`.

It writes the generated rosters as the bulk loader's node and relation CSVs (no
validation, no diffing, no journal: just the graph) and times `falkordb-bulk-insert`
into a new graph on the same server.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from loaders.synthetic import Tables

RELATION_TYPES = {"物业服务": "MANAGES", "主管单位": "RESPONSIBLE_FOR", "结对共建": "PAIRED_WITH",
                  "双报到": "REPORTS_TO"}


def write_bulk_csvs(tables: Tables, out: Path) -> tuple[list[tuple[str, Path]],
                                                          list[tuple[str, Path]]]:
    """(label, file) and (type, file) lists in the bulk loader's format."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t = tables.rows
    nodes = {
        "Region": (["code", "name", "level", "population"],
                   [[*r[:3], r[4]] for r in t["regions"]]),
        "Grid": (["code", "name", "kind"], [[r[0], r[1], r[3]] for r in t["grids"]]),
        "Compound": (["code", "name", "households", "has_security"],
                     [[r[0], r[1], r[3], r[4]] for r in t["compounds"]]),
        "Building": (["code", "name", "kind", "households"],
                     [[r[0], r[1], r[3], r[4]] for r in t["buildings"]]),
        "Organization": (["code", "name", "kind"], [r[:3] for r in t["organizations"]]),
        "PartyOrg": (["code", "name", "kind", "category", "founded"],
                     [[*r[:4], r[6]] for r in t["party_orgs"]]),
        "Person": (["code", "name", "phone", "gender", "political_status", "member_status"],
                   [[r[0], r[1], r[3], r[4], r[5], r[6]] for r in t["people"]]),
    }
    rels: dict[str, list[list[object]]] = {k: [] for k in (
        "IN", "LOCATED_IN", "SERVES", "UNDER", "COVERS", "MEMBER_OF", "EMPLOYED_BY",
        "LIVES_IN", "HOLDS_POST", *RELATION_TYPES.values())}
    rels["IN"] += [[r[0], r[3]] for r in t["regions"] if r[3]]
    rels["IN"] += [[r[0], r[2]] for r in t["grids"]]
    rels["IN"] += [[r[0], r[2]] for r in t["compounds"]]
    rels["IN"] += [[r[0], r[2]] for r in t["buildings"]]
    rels["LOCATED_IN"] += [[r[0], r[3]] for r in t["organizations"] if r[3]]
    rels["SERVES"] += [[r[0], r[4]] for r in t["organizations"] if r[4]]
    rels["UNDER"] += [[r[0], r[4]] for r in t["party_orgs"] if r[4]]
    rels["COVERS"] += [[r[0], c] for r in t["party_orgs"] for c in str(r[5]).split("；") if c]
    rels["MEMBER_OF"] += [[r[0], r[7]] for r in t["people"] if r[7]]
    rels["EMPLOYED_BY"] += [[r[0], r[8]] for r in t["people"] if r[8]]
    rels["LIVES_IN"] += [[r[0], r[9]] for r in t["people"] if r[9]]
    rels["HOLDS_POST"] += [[r[0], r[1], r[2], r[3], r[4]] for r in t["posts"]]
    for r in t["relations"]:
        rels[RELATION_TYPES[str(r[1])]].append([r[0], r[2], r[3]])
    node_files = []
    for label, (header, rows) in nodes.items():
        path = out / f"{label}.csv"
        _write(path, header, rows)
        node_files.append((label, path))
    rel_files = []
    for rel_type, rows in rels.items():
        if not rows:
            continue
        path = out / f"{rel_type}.csv"
        header = (["src", "dst", "role", "start", "end"] if rel_type == "HOLDS_POST"
                  else ["src", "dst", "start"] if rel_type in RELATION_TYPES.values()
                  else ["src", "dst"])
        _write(path, header, rows)
        rel_files.append((rel_type, path))
    return node_files, rel_files


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def bulk_load_seconds(tables: Tables, out: Path, socket: str, graph: str,
                      password: str | None = None) -> float:
    """Seconds `falkordb-bulk-insert` takes for the whole district (CSV writing excluded).

    The tool takes the server's password only in its URL, on its command line: visible to
    other local users for the seconds it runs (a bench on a throwaway data directory; the
    socket's directory stays private to this user all the same)."""
    node_files, rel_files = write_bulk_csvs(tables, out)
    # next to this interpreter first: the venv's bin/ need not be on PATH
    beside = Path(sys.executable).with_name("falkordb-bulk-insert")
    tool = beside if beside.exists() else shutil.which("falkordb-bulk-insert")
    auth = f":{quote(password, safe='')}@" if password else ""
    command = [str(tool or "falkordb-bulk-insert"),
               graph, "-u", f"unix://{auth}{socket}"]
    for label, path in node_files:
        command += ["-N", label, str(path)]
    for rel_type, path in rel_files:
        command += ["-R", rel_type, str(path)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - started

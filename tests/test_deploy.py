"""docker-compose.yml and the Dockerfile say what README promises (no Docker engine here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_neo4j_lts_with_healthcheck_and_the_api_against_it() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j, api = compose["services"]["neo4j"], compose["services"]["api"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    assert any(v.endswith(":/data") for v in neo4j["volumes"])
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["ORGCOVER_GRAPH_URI"] == "bolt://neo4j:7687"
    # secrets must be supplied: `${VAR:?…}` has no default
    for key in ("ORGCOVER_NEO4J_PASSWORD", "ORGCOVER_PII_SECRET", "ORGCOVER_AUTH_SECRET"):
        assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", api["environment"][key]), key


def test_dockerfile_installs_the_packages_and_serves() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for package in ("app", "schema", "resolvers", "graph", "loaders"):
        assert f"COPY {package}/ {package}/" in text
    assert 'CMD ["orgcover", "serve"]' in text
    assert "/readyz" in text


def test_dockerfile_carries_the_graphiql_files() -> None:
    """The image serves GraphiQL from files installed at the lock's pins, not a CDN."""
    from app.web import GRAPHIQL_ASSETS

    text = (ROOT / "Dockerfile").read_text()
    assert "npm ci" in text
    assert "ORGCOVER_NODE_MODULES=/srv/orgcover/node_modules" in text
    for asset in GRAPHIQL_ASSETS:
        folder = asset.path.rsplit("/", 1)[0]
        assert f"/web/node_modules/{folder}/ node_modules/{folder}/" in text, asset.path

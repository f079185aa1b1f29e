"""Small statements for health checks."""

from __future__ import annotations

from graph.statements import statement

PING = statement("admin.ping", "RETURN 1 AS ok")

ECHO = statement(
    "admin.echo",
    "RETURN $value AS value",
    params={"value": [{"code": "X", "n": 1}]},
)
"""A parameter round trip: checks that values reach the store and come back unchanged."""

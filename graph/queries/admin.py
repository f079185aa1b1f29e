"""Small statements for health checks."""

from __future__ import annotations

from graph.statements import statement

PING = statement("admin.ping", "RETURN 1 AS ok")

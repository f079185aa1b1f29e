"""Sample codes for benchmarks (bench/http.py): varied inputs for the frontend queries."""

from __future__ import annotations

from graph.statements import statement

SAMPLE_COMPOUNDS = statement(
    "samples.compounds",
    """MATCH (x:Compound)-[:IN]->(:Grid)-[:IN]->(:Region)-[:IN]->(s:Region)
       RETURN x.code AS code, x.name AS name, s.code AS street ORDER BY code""")
SAMPLE_PEOPLE = statement(
    "samples.people",
    """MATCH (p:Person {member_status: 'in_service'})-[:LIVES_IN]->(:Place)
       RETURN p.code AS code ORDER BY code LIMIT 5000""")
SAMPLE_BUILDINGS = statement(
    "samples.buildings",
    "MATCH (b:Building) RETURN b.code AS code ORDER BY code LIMIT 5000")
SAMPLE_COMMUNITIES = statement(
    "samples.communities",
    "MATCH (c:Region {level: 'community'}) RETURN c.code AS code ORDER BY code")

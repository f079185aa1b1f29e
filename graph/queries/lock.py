"""Cypher for the store's roster-load lock: one `:LoadLock` node while a load runs.

A load takes the lock before it reads anything and gives it back when it ends; every API
worker and CLI process sharing the store sees the same node, so a second load is refused
(`LOAD_IN_PROGRESS`) instead of waiting. The lock expires (`expires`, database time in
milliseconds) unless its holder refreshes it, so a holder killed mid-load cannot keep the
store locked; loaders/lock.py has the protocol.

Each statement is one atomic write: FalkorDB runs writes one at a time, and on Neo4j the
first `SET` takes the node's write lock before its properties are read (the uniqueness
constraint on `code` keeps MERGE from making two nodes).
"""

from __future__ import annotations

from graph.statements import Mode, statement

#: What a holder is shown as (the lock's own properties, read back after each attempt).
_HOLDER = """RETURN l.holder AS holder, l.owner AS owner, l.who AS who, l.since AS since,
                  l.expires - timestamp() AS left"""

ACQUIRE = statement(
    "lock.acquire",
    f"""MERGE (l:LoadLock {{code: $name}})
        SET l.touched = timestamp()
        WITH l, (l.holder IS NULL OR l.holder = $holder OR l.expires < timestamp()) AS free
        SET l.holder = CASE WHEN free THEN $holder ELSE l.holder END,
            l.owner = CASE WHEN free THEN $owner ELSE l.owner END,
            l.who = CASE WHEN free THEN $who ELSE l.who END,
            l.since = CASE WHEN free THEN timestamp() ELSE l.since END,
            l.expires = CASE WHEN free THEN timestamp() + $ttl ELSE l.expires END
        {_HOLDER}""",
    mode=Mode.WRITE,
    params={"name": "roster-load", "holder": "H", "owner": "O", "who": "W", "ttl": 30000},
)

#: Take over a lock whose holder is known to be gone (compare-and-set on its token).
TAKE_OVER = statement(
    "lock.take_over",
    f"""MATCH (l:LoadLock {{code: $name}})
        WHERE l.holder = $gone
        SET l.holder = $holder, l.owner = $owner, l.who = $who, l.since = timestamp(),
            l.expires = timestamp() + $ttl
        {_HOLDER}""",
    mode=Mode.WRITE,
    params={"name": "roster-load", "gone": "G", "holder": "H", "owner": "O", "who": "W",
            "ttl": 30000},
)

REFRESH = statement(
    "lock.refresh",
    """MATCH (l:LoadLock {code: $name})
       WHERE l.holder = $holder
       SET l.expires = timestamp() + $ttl
       RETURN l.holder AS holder""",
    mode=Mode.WRITE,
    params={"name": "roster-load", "holder": "H", "ttl": 30000},
)

RELEASE = statement(
    "lock.release",
    """MATCH (l:LoadLock {code: $name})
       WHERE l.holder = $holder
       DELETE l""",
    mode=Mode.WRITE,
    params={"name": "roster-load", "holder": "H"},
)

"""Who is asking: bearer tokens verified into a `Caller` (resolvers/access.py)."""

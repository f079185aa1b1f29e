"""Search terms for Chinese substring search through a full-text index.

Full-text engines split text into words; Chinese has no spaces, and a word segmenter would
miss substrings across its word boundaries (光花 in 阳光花园). So every searchable node
stores `search`: the lower-cased single characters and character pairs of its name,
separated by spaces; a query asks for every pair of its text (or its one character) and
the result is checked with `CONTAINS`, so matches are exactly the substring matches.
Characters that are not letters or digits separate runs and never form terms (they are
query syntax in both RediSearch and Lucene).
"""

from __future__ import annotations

import re
import unicodedata

_RUNS = re.compile(r"[^\W_]+")


def _runs(text: str) -> list[str]:
    return _RUNS.findall(unicodedata.normalize("NFKC", text).lower())


def search_text(name: str | None) -> str | None:
    """The `search` property of a node named `name` (None for no name)."""
    if not name:
        return None
    terms: set[str] = set()
    for run in _runs(name):
        terms.update(run)
        terms.update(run[i:i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(terms)) or None


def query_terms(text: str) -> list[str]:
    """The terms a match of `text` must have: its character pairs, or its one character;
    empty when the text has no letter or digit (then only a scan can answer)."""
    terms: dict[str, None] = {}  # ordered and linear: a list membership test made 80,000
    for run in _runs(text):       # characters of text take 35 s (Security II)
        pairs = [run[i:i + 2] for i in range(len(run) - 1)] or [run]
        terms.update(dict.fromkeys(pairs))
    return list(terms)

"""Keys for shared organisation and facility nodes.

Two records name the same sponsor with different case, punctuation or legal suffixes
("Pfizer Inc." / "PFIZER"); one key makes them one node while each record keeps its reported
name as a label.
"""

from __future__ import annotations

import re

from kg.vocab import key, slug

_LEGAL = re.compile(
    r"\b(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|plc|gmbh|ag|sa|s\s?a|"
    r"s\s?p\s?a|spa|srl|bv|b\s?v|nv|n\s?v|kk|k\s?k|ab|as|a\s?s|oy|sas|pty|lp|l\s?p)\b",
)


def sponsor_key(name: str) -> str:
    k = key(name)
    words = k.split("-")
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    stripped = _LEGAL.sub("", " ".join(words)).split()
    return slug(" ".join(stripped) or k)


def site_key(facility: str | None, city: str | None, country: str | None) -> str:
    """One node per facility: name, city and country together (a chain's branches differ)."""
    parts = [p for p in (facility, city, country) if p]
    return slug(" ".join(parts), limit=120)

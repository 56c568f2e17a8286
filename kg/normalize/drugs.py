"""Named drugs the curated vocabulary lacks, from the offline dictionary `drug-named-entity-recognition`.

Only exact (case-insensitive) dictionary hits count, never its fuzzy mode: a near-miss on a
registry's free text would invent drugs. A hit must carry a DrugBank id, which keeps actual drugs
and drops the dictionary's class and chemical-group entries ("Antibodies, Monoclonal",
"Sulfates"); the dictionary's MeSH ids are unreliable, so none are taken from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from kg.vocab import DRUGBANK

_PLACEHOLDER = "\x00"  # stands for a word already explained, so no false two-word hits across it
_SHORT_ALPHA = re.compile(r"[^\W\d_]{1,4}")  # "caps", "dhap", "lhrh": too ambiguous on their own
# Dictionary entries that registries use for something else: "Renova" is also a shockwave
# device, "Biomet" an implant maker (the dictionary reads it as a cimetidine brand).
_NOT_DRUGS = frozenset({"renova", "biomet"})


@dataclass(frozen=True)
class DrugHit:
    name: str  # the dictionary's canonical name ("Pembrolizumab")
    drugbank_id: str
    synonyms: tuple[str, ...]
    first_word: int  # index range of the words it matched
    end_word: int

    @property
    def drugbank_iri(self) -> str:
        return DRUGBANK + self.drugbank_id


@lru_cache(maxsize=1)
def _finder() -> ModuleType:
    """Import on first use: loading the dictionary takes about a second and a half."""
    from drug_named_entity_recognition import drugs_finder

    return drugs_finder


def _lookup(tokens: list[str]) -> list[tuple[dict[str, Any], int, int]]:
    return _finder().find_drugs(tokens, is_fuzzy_match=False, is_ignore_case=True)


def _hit(data: dict[str, Any], start: int, end: int, words: list[str]) -> DrugHit | None:
    """A usable hit, retrying the first word alone for salt forms ("Imatinib Mesylate")."""
    matched = " ".join(words[start:end])
    if (end - start == 1 and _SHORT_ALPHA.fullmatch(matched)) or matched.casefold() in _NOT_DRUGS:
        return None
    if not data.get("drugbank_id") and end - start > 1:
        for again, _, _ in _lookup([words[start]]):
            if again.get("drugbank_id"):
                data = again
                break
    db = data.get("drugbank_id")
    name = data.get("name")
    if not db or not name or not re.fullmatch(r"DB\d{5}", db):
        return None
    return DrugHit(name, db, tuple(data.get("synonyms") or ()), start, end)


def find(words: list[str | None]) -> list[DrugHit]:
    """Drugs named by these words; None marks a word already explained by the vocabulary."""
    tokens = [w if w else _PLACEHOLDER for w in words]
    if all(t == _PLACEHOLDER for t in tokens):
        return []
    hits: list[DrugHit] = []
    for data, start, end in _lookup(tokens):
        hit = _hit(data, start, end, tokens)
        if hit and all(h.drugbank_id != hit.drugbank_id for h in hits):
            hits.append(hit)
    return hits

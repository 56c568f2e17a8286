"""Reported intervention and condition names -> normalised concepts.

Placeholder mechanism: an exact, key-based lookup in the curated vocabulary
(`ontology/vocabulary.ttl`). The matching strategies (drug dictionary, phrase matching,
regimens) plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Concept:
    """A normalised concept the mapper links a term node to (`skos:broader`)."""

    key: str  # path segment under concept/, e.g. "methotrexate" or "drug/methotrexate"
    label: str
    exact_matches: tuple[str, ...] = ()  # full IRIs (MeSH, DrugBank, NCIt, ChEBI)
    broader: tuple[str, ...] = field(default=())  # keys of broader concepts
    # True when the concept is defined in the curated vocabulary graph already, so the mapper
    # need not restate its label and hierarchy in the document's graph.
    curated: bool = False


def intervention_concepts(name: str, type_word: str | None = None) -> list[Concept]:
    return []


def condition_concepts(name: str) -> list[Concept]:
    return []

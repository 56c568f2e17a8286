"""MeSH descriptors by any of their names, compared as token phrases: preferred labels plus entry terms.

The packaged MeSH table has preferred labels only ("Botulinum Toxins, Type A"), while registries
write entry-term forms ("Botulinum Toxin Type A 25 IU", "Testosterone gel", "Glyceryl
Trinitrate"). The offline drug dictionary (`drug-named-entity-recognition`) carries MeSH's own
entry terms for about 8,700 chemical headings: each entry that has MeSH tree numbers and whose
name is a descriptor's preferred label contributes its synonyms to that descriptor (the same
join by exact name that gives `data/mesh.tsv.gz` its tree numbers, so the dictionary's unreliable
`mesh_id` field is never used).

Phrases are compared as folded token tuples (`tokens.label_tokens`: case, plurals, hyphens,
letter/digit runs), and an inverted heading is also known in natural order ("Toxins, Botulinum"
-> "botulinum toxin"). A phrase that names two descriptors is dropped: an ambiguous name links
nothing rather than the wrong thing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kg.normalize import mesh
from kg.normalize.phrases import lengths_by_first, read_term_list
from kg.normalize.tokens import label_tokens

Phrase = tuple[str, ...]
# The project's own drug names the dictionary lacks or links to no heading (see data/README.md).
DRUG_TERMS = Path(__file__).resolve().parent / "data" / "drug_terms.tsv"


def _readings(label: str) -> list[str]:
    """The label, and "Y X" for a MeSH-style inverted "X, Y" with one comma."""
    head, sep, tail = label.partition(",")
    if sep and head.strip() and tail.strip() and "," not in tail:
        return [label, f"{tail.strip()} {head.strip()}"]
    return [label]


def _add(table: dict[Phrase, str], ambiguous: set[Phrase], phrase: Phrase, mesh_id: str) -> None:
    if not phrase:
        return
    known = table.get(phrase)
    if known is not None and known != mesh_id:
        ambiguous.add(phrase)
    table.setdefault(phrase, mesh_id)


@cache
def labels() -> dict[Phrase, str]:
    """Preferred labels only (both readings of an inverted one), as token phrases."""
    table: dict[Phrase, str] = {}
    ambiguous: set[Phrase] = set()
    for mesh_id, label in sorted(mesh.table().labels.items()):
        for reading in _readings(label):
            _add(table, ambiguous, label_tokens(reading), mesh_id)
    for phrase in ambiguous:
        table.pop(phrase, None)
    return table


@cache
def synonyms() -> dict[Phrase, str]:
    """Entry terms from the drug dictionary's MeSH entries; labels win where both name a phrase."""
    from kg.normalize import drugs

    table: dict[Phrase, str] = {}
    ambiguous: set[Phrase] = set()
    for data in drugs.mesh_entries():
        mesh_id = mesh.by_label(str(data["name"]))
        if mesh_id is None:
            continue
        for name in (data["name"], *(data.get("synonyms") or ())):
            if isinstance(name, str):
                _add(table, ambiguous, label_tokens(name), mesh_id)
    for phrase in ambiguous:
        table.pop(phrase, None)
    table.update(project_terms())  # reviewed by hand: they win over an ambiguous or other reading
    return table


@cache
def project_terms(path: Path = DRUG_TERMS) -> dict[Phrase, str]:
    """The project's own drug names (`data/drug_terms.tsv`); an unknown id is a data error."""
    return read_term_list(path, label_tokens)


@cache
def project_lengths() -> dict[str, tuple[int, ...]]:
    """First token -> the lengths of the project phrases starting with it, longest first."""
    return lengths_by_first(project_terms())


def lookup(phrase: Phrase) -> str | None:
    """The descriptor a whole token phrase names: its preferred label first, then an entry term."""
    return labels().get(phrase) or synonyms().get(phrase)

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

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from kg.normalize import mesh
from kg.normalize.phrases import lengths_by_first, read_term_list, unique
from kg.normalize.tokens import label_tokens

Phrase = tuple[str, ...]
# The project's own drug names the dictionary lacks or links to no heading (see data/README.md).
DRUG_TERMS = Path(__file__).resolve().parent / "data" / "drug_terms.tsv"


def readings(label: str) -> list[str]:
    """The label, and "Y X" for a MeSH-style inverted "X, Y" with one comma."""
    head, sep, tail = label.partition(",")
    if sep and head.strip() and tail.strip() and "," not in tail:
        return [label, f"{tail.strip()} {head.strip()}"]
    return [label]


@cache
def labels() -> dict[Phrase, str]:
    """Preferred labels only (both readings of an inverted one), as token phrases."""
    return unique((phrase, mesh_id) for mesh_id, label in sorted(mesh.table().labels.items())
                  for reading in readings(label) if (phrase := label_tokens(reading)))


@cache
def synonyms() -> dict[Phrase, str]:
    """Entry terms from the drug dictionary's MeSH entries; labels win where both name a phrase."""
    from kg.normalize import drugs

    def pairs() -> Iterable[tuple[Phrase, str]]:
        for data in drugs.mesh_entries():
            if (mesh_id := mesh.by_label(str(data["name"]))) is None:
                continue
            for name in (data["name"], *(data.get("synonyms") or ())):
                if isinstance(name, str) and (phrase := label_tokens(name)):
                    yield phrase, mesh_id

    table = unique(pairs())
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
    """The descriptor a whole token phrase names: its preferred label first, then an entry term,
    unless the words are ones registries mean otherwise (`drugs.not_a_drug`: "Renova", "caps")."""
    from kg.normalize import drugs

    if found := labels().get(phrase):
        return found
    return None if drugs.not_a_drug(" ".join(phrase)) else synonyms().get(phrase)

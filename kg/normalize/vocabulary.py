"""The curated vocabulary (`ontology/vocabulary.ttl`) as lookup tables for the matcher.

The Turtle file is the one place concepts are written down: the store loads it as the vocabulary
graph, and this module reads the same file once, so what a query sees and what the matcher links
to cannot drift apart. A label that could never match (it contains a word the matcher skips) or a
`skos:broader` that points nowhere is a data error and fails loudly here, not as a silent miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from kg.normalize.tokens import NOISE_WORDS, label_tokens
from kg.vocab import BASE, RDFS_LABEL, SKOS, SKOS_BROADER, SKOS_EXACT_MATCH, SKOS_PREF_LABEL, TG

VOCABULARY_FILE = Path(__file__).resolve().parents[2] / "ontology" / "vocabulary.ttl"
CONCEPT_BASE = BASE + "concept/"
SCHEME_BASE = BASE + "vocabulary/"
INTERVENTIONS = "interventions"
CONDITIONS = "conditions"

_ALT = SKOS + "altLabel"
_IN_SCHEME = SKOS + "inScheme"
_ACRONYM = TG + "acronymLabel"
_STEM = TG + "nameStem"


class VocabularyError(ValueError):
    """The vocabulary file says something the matcher cannot use."""


@dataclass
class Entry:
    """One curated concept as the file states it."""

    key: str
    label: str = ""
    scheme: str = ""
    labels: list[str] = field(default_factory=list)  # prefLabel + altLabels
    acronyms: list[str] = field(default_factory=list)
    stems: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    exact_matches: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Acronym:
    """A case-sensitive label: where it is allowed to match and what it names."""

    literal: str  # as written; a cheap substring test before the regex
    pattern: re.Pattern[str]
    key: str
    needs_context: bool  # two letters ("TP", "PF") only count in a regimen context


@dataclass
class Scheme:
    """Lookup tables of one concept scheme (interventions or conditions)."""

    phrases: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    # Phrase lengths by first token, longest first: most tokens start no phrase at all.
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    acronyms: list[Acronym] = field(default_factory=list)
    max_len: int = 0


class Vocabulary:
    """Concepts by key, phrase tables by scheme, stems, and the transitive hierarchy."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = entries
        self.schemes: dict[str, Scheme] = {INTERVENTIONS: Scheme(), CONDITIONS: Scheme()}
        self.stems: list[tuple[str, str]] = []  # (stem, class key), longest stem first
        for e in entries.values():
            self._check(e)
            self._index(e)
        self.stems.sort(key=lambda s: -len(s[0]))

    def _check(self, e: Entry) -> None:
        if e.scheme not in self.schemes:
            raise VocabularyError(f"concept {e.key!r}: skos:inScheme must be tgv:interventions or "
                                  f"tgv:conditions, got {e.scheme or 'nothing'!r}")
        if not e.label:
            raise VocabularyError(f"concept {e.key!r} has no rdfs:label")
        for b in e.broader:
            if b not in self.entries:
                raise VocabularyError(f"concept {e.key!r}: skos:broader {b!r} is not in the vocabulary")

    def _index(self, e: Entry) -> None:
        scheme = self.schemes[e.scheme]
        for label in e.labels:
            phrase = label_tokens(label)
            if not phrase:
                continue
            dead = [w for w in phrase if w in NOISE_WORDS]
            if dead and e.scheme == INTERVENTIONS:
                raise VocabularyError(f"concept {e.key!r}: label {label!r} contains {dead}, words the "
                                      "matcher skips in intervention names, so it could never match")
            keys = scheme.phrases.setdefault(phrase, [])
            if e.key not in keys:
                keys.append(e.key)
            scheme.max_len = max(scheme.max_len, len(phrase))
            known = scheme.lengths.get(phrase[0], ())
            scheme.lengths[phrase[0]] = tuple(sorted(set(known) | {len(phrase)}, reverse=True))
        for acr in e.acronyms:
            pattern = re.compile(r"(?<![\w-])" + re.escape(acr) + r"(?![\w-])")
            scheme.acronyms.append(Acronym(acr, pattern, e.key, bool(re.fullmatch(r"[A-Za-z]{1,2}", acr))))
        for stem in e.stems:
            self.stems.append((stem.casefold(), e.key))

    @cached_property
    def ancestors(self) -> dict[str, frozenset[str]]:
        """Every concept above each concept (skos:broader, transitively)."""
        out: dict[str, frozenset[str]] = {}

        def up(key: str, trail: tuple[str, ...]) -> frozenset[str]:
            if key in out:
                return out[key]
            if key in trail:
                raise VocabularyError(f"skos:broader cycle through {' -> '.join(trail + (key,))}")
            found: set[str] = set()
            for b in self.entries[key].broader:
                found |= {b} | up(b, trail + (key,))
            out[key] = frozenset(found)
            return out[key]

        for k in self.entries:
            up(k, ())
        return out

    def class_by_stem(self, drug_name: str) -> str | None:
        """The class a drug name's INN stem says it belongs to ("olaparib" -> PARP inhibitor)."""
        words = re.findall(r"[^\W\d_]+", drug_name.casefold())
        for stem, key in self.stems:
            if any(len(w) > len(stem) + 2 and w.endswith(stem) for w in words):
                return key
        return None


def _key(iri: str) -> str:
    if not iri.startswith(CONCEPT_BASE):
        raise VocabularyError(f"{iri} is not a concept IRI (expected it under {CONCEPT_BASE})")
    return iri[len(CONCEPT_BASE):]


def parse(data: bytes | str) -> Vocabulary:
    """Read vocabulary Turtle; only subjects under concept/ are concepts."""
    entries: dict[str, Entry] = {}
    try:
        triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        raise VocabularyError(f"vocabulary Turtle does not parse: {exc}") from exc
    for t in triples:
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, ox.NamedNode) or not s.value.startswith(CONCEPT_BASE):
            continue
        e = entries.setdefault(_key(s.value), Entry(_key(s.value)))
        if p == RDFS_LABEL:
            e.label = o.value
        elif p in (SKOS_PREF_LABEL, _ALT):
            e.labels.append(o.value)
        elif p == _ACRONYM:
            e.acronyms.append(o.value)
        elif p == _STEM:
            e.stems.append(o.value)
        elif p == SKOS_BROADER:
            e.broader.append(_key(o.value))
        elif p == SKOS_EXACT_MATCH:
            e.exact_matches.append(o.value)
        elif p == _IN_SCHEME:
            e.scheme = o.value.removeprefix(SCHEME_BASE)
    for e in entries.values():
        e.broader.sort()
        e.exact_matches.sort()
    return Vocabulary(entries)


def load(path: Path = VOCABULARY_FILE) -> Vocabulary:
    if not path.exists():
        raise VocabularyError(f"no vocabulary file at {path}")
    return parse(path.read_bytes())

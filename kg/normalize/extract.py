"""Interventions and conditions found in a record's prose when the record lists none (seed 004).

Some pages (summary pages, news-like overviews) describe a trial only in running text: "intrathecal
pemetrexed combined with involved-field radiation therapy ... for leptomeningeal metastases". The
graph should still answer "which trials use pemetrexed", so such records get intervention and
condition names taken from the text, each marked as extracted (less certain than a listed one).

Precision matters more than recall here, because prose also talks about background, earlier
studies and biology. So a concept counts only when

- a title names it, or the prose names it in at least two places (a one-off mention is usually
  background: "in our phase 1 study ... non-small-cell lung cancer patients");
- a bare generic word counts only as a title's intervention ("Chemotherapy in the elderly"), never
  as a condition ("Metastatic" or "Cancer" alone is a modifier, not what is studied);
- it is not broader than another concept found (radiotherapy when involved-field radiotherapy is
  named), and observational studies get no interventions (they have none by design).

Matching reuses the vocabulary tables and the offline drug dictionary through their public
functions, over the same token rules as reported names, so "Involved-field radiation therapy" in
prose meets the same concept as in a registry's intervention list.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from kg.normalize import drugs
from kg.normalize.concepts import vocabulary
from kg.normalize.tokens import NOISE_WORDS, ROUTE_WORDS, Token, fine_tokens, fold, prepare, words
from kg.normalize.vocabulary import CONDITIONS, INTERVENTIONS, Scheme
from kg.record import Intervention, Trial

# Sentence ends: a full stop, ! ? or ; followed by space, or a line break.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
# Substances the body makes or needs: prose names them as biology far more often than as a drug.
_ENDOGENOUS = frozenset({"estrogen", "dopamine", "histamine", "cortisol", "testosterone", "serotonin",
                         "glucose", "oxygen", "water", "insulin", "adrenaline", "epinephrine"})
MIN_PROSE_MENTIONS = 2


@dataclass(frozen=True, slots=True)
class Mention:
    """One place a text names a concept."""

    concept: str  # vocabulary key, or "drug/<name>" for a dictionary hit
    text: str  # the phrase as written
    start: int  # character span in the prepared text
    end: int
    size: int  # tokens covered, route words included: longer phrases are better names
    in_title: bool = False


# --- finding mentions ------------------------------------------------------------------------------


def find_mentions(text: str, scheme_name: str, *, in_title: bool = False) -> list[Mention]:
    """Every non-overlapping vocabulary (and, for interventions, drug) mention in a long text."""
    prepared = prepare(text)
    found: list[Mention] = []
    for start, end in _sentences(prepared):
        found += _sentence_mentions(prepared, start, end, scheme_name, in_title)
    return found


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: a phrase never runs across a sentence end, and the dictionary sees short inputs."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _sentence_mentions(text: str, start: int, end: int, scheme_name: str, in_title: bool) -> list[Mention]:
    scheme = vocabulary().schemes[scheme_name]
    sentence = text[start:end]
    tokens = fine_tokens(sentence)
    if scheme_name == INTERVENTIONS:
        tokens = [t for t in tokens if t.text not in NOISE_WORDS]  # routes stay out of phrases
    spans = _longest_first(_phrase_spans(tokens, scheme))
    mentions = [_mention(sentence, start, key, s, e, n, scheme_name, in_title) for key, s, e, n in spans]
    if scheme_name == INTERVENTIONS:
        mentions += _drug_mentions(sentence, start, spans, in_title)
    return mentions


def _phrase_spans(tokens: list[Token], scheme: Scheme) -> list[tuple[str, int, int, int]]:
    """(concept key, start, end, tokens) for every vocabulary phrase in the tokens."""
    texts = [t.text for t in tokens]
    out: list[tuple[str, int, int, int]] = []
    for i, first in enumerate(texts):
        for n in scheme.lengths.get(first, ()):
            if i + n <= len(texts):
                keys = scheme.phrases.get(tuple(texts[i:i + n]), ())
                out += [(k, tokens[i].start, tokens[i + n - 1].end, n) for k in keys[:1]]
    return out


def _longest_first(spans: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """Overlapping phrases: the one with more tokens wins ("involved field radiation therapy")."""
    chosen: list[tuple[str, int, int, int]] = []
    for c in sorted(spans, key=lambda x: (-x[3], x[1])):
        if all(c[2] <= o[1] or c[1] >= o[2] for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda x: x[1])


def _drug_mentions(sentence: str, offset: int, spans: list[tuple[str, int, int, int]],
                   in_title: bool) -> list[Mention]:
    """Dictionary drugs among the words no vocabulary phrase explained."""
    ws = words(sentence)
    lookup: list[str | None] = [
        None if any(s < e2 and s2 < e for _, s2, e2, _ in spans) or w.isdigit()
        or fold(w) in NOISE_WORDS or w.casefold() in _ENDOGENOUS else w
        for w, s, e in ws
    ]
    out: list[Mention] = []
    for hit in drugs.find(lookup):
        key = _drug_key(hit.name)
        s, e = ws[hit.first_word][1], ws[hit.end_word - 1][2]
        out.append(_mention(sentence, offset, key, s, e, hit.end_word - hit.first_word, INTERVENTIONS, in_title))
    return out


def _drug_key(name: str) -> str:
    """The curated concept a dictionary name is, when the vocabulary has it, else drug/<name>."""
    phrases = vocabulary().schemes[INTERVENTIONS].phrases
    keys = phrases.get(tuple(t.text for t in fine_tokens(prepare(name))), [])
    return keys[0] if keys else "drug/" + name.casefold()


def _mention(sentence: str, offset: int, key: str, start: int, end: int, size: int, scheme_name: str,
             in_title: bool) -> Mention:
    """A mention with the route words just before it ("intrathecal pemetrexed") in its name."""
    if scheme_name == INTERVENTIONS:
        start, size = _extend_over_routes(sentence, start, size)
    return Mention(key, sentence[start:end], offset + start, offset + end, size, in_title)


def _extend_over_routes(sentence: str, start: int, size: int) -> tuple[int, int]:
    while m := re.search(r"([^\W\d_]+)[\s-]+$", sentence[:start]):
        if fold(m.group(1)) not in ROUTE_WORDS:
            break
        start, size = m.start(1), size + 1
    return start, size


# --- choosing what to keep -----------------------------------------------------------------------------


def _generic(m: Mention, scheme_name: str) -> bool:
    """A one-word mention of a concept other concepts sit under: "cancer", "chemotherapy"."""
    return m.size == 1 and m.concept in _broad_concepts(scheme_name)


@lru_cache(maxsize=4)
def _broad_concepts(scheme_name: str) -> frozenset[str]:
    vocab = vocabulary()
    return frozenset(b for e in vocab.entries.values() if e.scheme == scheme_name for b in e.broader)


def select(mentions: list[Mention], scheme_name: str) -> list[str]:
    """Names to add, one per concept, in reading order of their first mention."""
    usable = [m for m in mentions if not _generic(m, scheme_name)
              or (m.in_title and scheme_name == INTERVENTIONS)]
    by_concept: dict[str, list[Mention]] = {}
    for m in usable:
        by_concept.setdefault(m.concept, []).append(m)
    kept = {k: ms for k, ms in by_concept.items()
            if any(m.in_title for m in ms) or sum(not m.in_title for m in ms) >= MIN_PROSE_MENTIONS}
    ancestors = vocabulary().ancestors
    above = {a for k in kept for a in ancestors.get(k, ())}
    names = [_best_name(ms) for k, ms in kept.items() if k not in above]
    return list(dict.fromkeys(names))


def _best_name(mentions: list[Mention]) -> str:
    """The longest phrase; among equals the most used, written as mid-sentence (lower case) if so."""
    longest = max(m.size for m in mentions)
    forms = [m.text for m in mentions if m.size == longest]
    counts = Counter(f.casefold() for f in forms)
    top = max(counts.values())
    best = next(f for f in forms if counts[f.casefold()] == top)
    lower = [f for f in forms if f.casefold() == best.casefold() and not f[:1].isupper()]
    return re.sub(r"\s+", " ", lower[0] if lower else best)


# --- the record ----------------------------------------------------------------------------------------


def _texts(trial: Trial) -> tuple[list[str], list[str]]:
    titles = [t for t in (trial.title, trial.official_title) if t]
    prose = [t for t in (trial.brief_summary, trial.detailed_description) if t]
    return titles, prose


def extract(trial: Trial, scheme_name: str) -> list[str]:
    """Names of the scheme's concepts the trial's titles and prose are about."""
    titles, prose = _texts(trial)
    mentions = [m for t in titles for m in find_mentions(t, scheme_name, in_title=True)]
    mentions += [m for t in prose for m in find_mentions(t, scheme_name)]
    return select(mentions, scheme_name)


def _observational(trial: Trial) -> bool:
    return bool(trial.study_type) and "observ" in trial.study_type.casefold()


def enrich(trial: Trial) -> Trial:
    """The trial with extracted interventions/conditions where it lists none; else unchanged."""
    wants_iv = not trial.interventions and not _observational(trial)
    wants_cond = not trial.conditions and not trial.extracted_conditions
    if not (wants_iv or wants_cond) or not any(_texts(trial)):
        return trial
    changes: dict[str, object] = {}
    if wants_iv and (names := extract(trial, INTERVENTIONS)):
        changes["interventions"] = [Intervention(name=n, extracted=True) for n in names]
    if wants_cond and (names := extract(trial, CONDITIONS)):
        changes["extracted_conditions"] = names
    return dataclasses.replace(trial, **changes) if changes else trial

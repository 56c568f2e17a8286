"""Reported intervention and condition names -> normalised concepts.

Sources, in order: the curated vocabulary (`ontology/vocabulary.ttl`: phrases matched as
whole token phrases, longest first, every phrase in a name, so a regimen string reaches each drug
it names); then, for intervention words the vocabulary did not explain, the offline drug
dictionary (`drugs`: one `drug/<name>` concept per active ingredient, with DrugBank and MeSH ids,
under a curated class by INN stem); a whole intervention name that, doses and forms set aside,
is a MeSH heading or one of its entry terms (`entry_terms`: "Testosterone gel") is that heading;
for condition names, the offline disease dictionary (`diseases`: MeSH disease headings), longest
phrase winning over the curated one. An intervention's other names (brand and code names) are
matched the same way by `other_name_concepts`, for the trial's use of it rather than the name.

MeSH is the shared backbone: every concept with a MeSH descriptor gets that descriptor's tree
parents as `skos:broader` (`mesh`: a curated concept stands for its descriptor, other descriptors
are `mesh/<id>`), and carries the whole chain above it in `Concept.lineage` so the mapper can write
those nodes too: `?t tg:studiesCondition/skos:broader* ?c` reaches every MeSH ancestor.

Results are cached per name: the mapper asks once for every term of every trial, and registries
repeat names a great deal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg.normalize import diseases, drugs, entry_terms, mesh
from kg.normalize.phrases import spans
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
    # Concepts above this one that are not in the vocabulary graph (MeSH ancestors): the mapper
    # writes their nodes too, so the whole chain is queryable from the document's graph.
    lineage: tuple["Concept", ...] = field(default=(), compare=False, repr=False)

    @property
    def mesh_ids(self) -> tuple[str, ...]:
        """The MeSH descriptor ids this concept is an exact match of."""
        return tuple(i for m in self.exact_matches if (i := mesh.id_from_iri(m)))


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
    """The curated concept with this key (KeyError if the vocabulary has none), placed in MeSH."""
    e = vocabulary().entries[key]
    ids = [i for m in e.exact_matches if (i := mesh.id_from_iri(m))]
    if not ids and key.startswith("drug/") and (found := drugs.mesh_for_drug(e.label)):
        ids = [found]  # a named drug's descriptor, by exact name as for dictionary drugs
    if ids and ids[0] in mesh.table().labels:
        return mesh_concept(ids[0], key)
    if not ids and key.startswith("drug/") and (scr := drugs.scr_for_drug(e.label, tuple(e.labels))):
        # a new drug MeSH has as a supplementary concept: stated here, so the node is restated
        matches = tuple(sorted({*e.exact_matches, mesh.iri(scr)}))
        return Concept(e.key, e.label, matches, tuple(e.broader), curated=False)
    return Concept(e.key, e.label, tuple(e.exact_matches), tuple(e.broader), curated=True)


@lru_cache(maxsize=1)
def _curated_by_mesh() -> dict[str, str]:
    """MeSH id -> the curated concept that is an exact match of it (first key wins, sorted)."""
    out: dict[str, str] = {}
    for key, e in sorted(vocabulary().entries.items()):
        for m in e.exact_matches:
            if (i := mesh.id_from_iri(m)) and i not in out:
                out[i] = key
    return out


def mesh_key(mesh_id: str) -> str:
    """The concept key that stands for a MeSH descriptor: the curated one, else mesh/<id>."""
    return _curated_by_mesh().get(mesh_id) or mesh.KEY_PREFIX + mesh_id


@lru_cache(maxsize=None)
def mesh_concept(mesh_id: str, key: str | None = None, label: str | None = None,
                 extra_matches: tuple[str, ...] = (), extra_broader: tuple[str, ...] = ()) -> Concept:
    """The node for a MeSH descriptor, with its tree parents and the chain above it.

    A curated concept keeps its key, label and curated parents and gains the MeSH parents it does
    not already reach; it stays `curated` (nothing to restate) only when there are none."""
    vocab = vocabulary()
    key = key or mesh_key(mesh_id)
    entry = vocab.entries.get(key)
    parents = tuple(mesh_key(p) for p in mesh.parents(mesh_id))
    lineage = tuple(mesh_concept(a) for a in sorted(mesh.ancestors(mesh_id)))
    if entry is None:
        matches = tuple(sorted({*extra_matches, mesh.iri(mesh_id)}))
        broader = tuple(dict.fromkeys((*extra_broader, *parents)))
        return Concept(key, label or mesh.label(mesh_id) or mesh_id, matches, broader, False, lineage)
    above = vocab.ancestors[key] | {key}
    new = tuple(p for p in parents if p not in above)
    matches = tuple(sorted({*entry.exact_matches, *extra_matches, mesh.iri(mesh_id)}))
    return Concept(key, entry.label, matches, tuple(dict.fromkeys((*entry.broader, *new))),
                   not new and matches == tuple(entry.exact_matches), lineage)


def intervention_concepts(name: str, type_word: str | None = None) -> list[Concept]:
    """Concepts a reported intervention name is narrower than; [] when nothing is known."""
    return list(_interventions(name, (type_word or "").casefold()))


def other_name_concepts(name: str, type_word: str | None, other_names: Iterable[str]) -> list[Concept]:
    """Concepts an intervention's reported other names (brand, code and chemical names) add to
    what its name gives ("Vyxeos" -> daunorubicin, cytarabine; "MK-3475" -> pembrolizumab).

    They belong to one trial's use of the intervention, not to the name's shared term node: another
    trial may give the same name other names of its own ("Placebo" with "Normal saline")."""
    have = {c.key for c in intervention_concepts(name, type_word)}
    out: dict[str, Concept] = {}
    for other in other_names:
        for c in intervention_concepts(other, type_word):
            if c.key not in have:
                out.setdefault(c.key, c)
    return list(out.values())


def condition_concepts(name: str) -> list[Concept]:
    """Concepts a reported condition name is narrower than; [] when nothing is known."""
    return list(_conditions(name))


# --- matching -----------------------------------------------------------------------------------


def _phrase_matches(tokens: list[Token], scheme: Scheme) -> list[_Match]:
    """Every vocabulary phrase occurring in the token list (overlaps resolved later)."""
    return [_Match(key, tokens[i].start, tokens[i + n - 1].end, n)
            for i, n, keys in spans([t.text for t in tokens], scheme.lengths, scheme.phrases.get) for key in keys]


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
    ws = [_carried_drug(w, s, e) for w, s, e in words(text)]
    lookup: list[str | None] = [
        None if _covered(s, e, matches) or w.isdigit() or fold(w) in NOISE_WORDS else w
        for w, s, e in ws
    ]
    out: list[tuple[_Match, Concept]] = []
    for hit in drugs.find(lookup):
        start, end = ws[hit.first_word][1], ws[hit.end_word - 1][2]
        mesh_id = hit.mesh_id or _span_heading(text[start:end])
        concept = (mesh_concept(mesh_id) if hit.drug_class and mesh_id
                   else _drug_concept(hit.name, hit.drugbank_id, hit.synonyms, mesh_id))
        out.append((_Match(concept.key, start, end, hit.end_word - hit.first_word), concept))
    return out


# "everolimus-eluting stent", "paclitaxel-coated balloon": the device carries that drug.
_CARRIER = re.compile(r"-(?:eluting|coated|releasing|impregnated|loaded)$", re.I)


# "R-verapamil", "S-ketamine": one enantiomer, indexed under the drug itself.
_ENANTIOMER = re.compile(r"^[RS]-(?=[^\W\d_]{4})")


def _carried_drug(word: str, start: int, end: int) -> tuple[str, int, int]:
    """A hyphenated "<drug>-eluting" word as the drug alone, and "R-<drug>" as the drug, so the
    dictionary can see it."""
    m = _CARRIER.search(word)
    if m and m.start():
        word, end = word[:m.start()], start + m.start()
    if (e := _ENANTIOMER.match(word)) and not drugs.entry(word):
        word, start = word[e.end():], start + e.end()
    return word, start, end


@lru_cache(maxsize=65536)
def _drug_concept(name: str, drugbank_id: str | None, synonyms: tuple[str, ...],
                  mesh_id: str | None = None) -> Concept:
    """The curated drug a dictionary hit is (by MeSH id, name or synonym), else a dynamic drug concept."""
    vocab = vocabulary()
    if mesh_id and mesh_key(mesh_id) in vocab.entries:
        return curated(mesh_key(mesh_id))
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
    classes = (cls,) if cls else ()
    bank = (DRUGBANK + drugbank_id,) if drugbank_id else ()
    if mesh_id:
        return mesh_concept(mesh_id, key, label, bank, classes)
    scr = drugs.scr_for_drug(name, synonyms)  # a new drug: MeSH has it as a supplementary concept
    return Concept(key, label, (*bank, *((mesh.iri(scr),) if scr else ())), classes, curated=False)


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
    terms = _term_matches(tokens, matches)
    matches += [m for m, _ in terms]
    found += terms
    whole = None if matches else _whole_name_drug(text)
    found += [whole] if whole else _dictionary_matches(text, matches, vocab)
    found += _heading_match(text, found)
    found += _scr_matches(tokens, found)
    return _ordered(found, _placebo_for(text, found))


def _scr_matches(tokens: list[Token], found: list[tuple[_Match, Concept]]) -> list[tuple[_Match, Concept]]:
    """New drugs MeSH has only as supplementary concepts ("venetoclax", "fludarabine phosphate"),
    named by a token phrase that nothing else explained, longest first. Last, so a vocabulary
    phrase, a dictionary drug or a descriptor always wins over a record's name."""
    phrases, lengths = drugs.scr_phrases()
    candidates = _table_matches(tokens, phrases, lengths, [m for m, _ in found])
    return [(_Match(c.key, m.start, m.end, m.size), c) for m in _select(candidates) for c in [_scr_drug(m.key)]]


def _table_matches(tokens: list[Token], table: dict[tuple[str, ...], str], lengths: dict[str, tuple[int, ...]],
                   taken: list[_Match]) -> list[_Match]:
    """Every phrase of `table` among the tokens outside `taken`, keyed by the id it names
    (overlaps are the caller's to resolve)."""
    return [_Match(found, tokens[i].start, tokens[i + n - 1].end, n)
            for i, n, found in spans([t.text for t in tokens], lengths, table.get)
            if not _covered(tokens[i].start, tokens[i + n - 1].end, taken)]


def _scr_drug(scr_id: str) -> Concept:
    """The drug concept of a supplementary concept: the dictionary's drug when it knows the name
    (DrugBank id too), else a drug named as MeSH names it; `_drug_concept` adds the C id."""
    name = mesh.scr_name(scr_id) or scr_id
    data = drugs.entry(name)
    hit = drugs.resolve(data, 0, 1) if data else None
    if hit and hit.drugbank_id and not hit.mesh_id and drugs.scr_for_drug(hit.name, hit.synonyms) == scr_id:
        return _drug_concept(hit.name, hit.drugbank_id, hit.synonyms)
    return _drug_concept(name, None, ())


def _term_matches(tokens: list[Token], matches: list[_Match]) -> list[tuple[_Match, Concept]]:
    """The project's own drug names (`data/drug_terms.tsv`: "Glyceryl trinitrate", "Augmentin")
    anywhere in the words the vocabulary did not explain, longest first."""
    candidates = _table_matches(tokens, entry_terms.project_terms(), entry_terms.project_lengths(), matches)
    return [(_Match(c.key, m.start, m.end, m.size), c)
            for m in _select(candidates) for c in [_heading_drug(m.key)]]


def _heading_drug(mesh_id: str) -> Concept:
    """The drug concept of a substance heading: the dictionary's drug when it knows the heading's
    name (so "Glyceryl trinitrate" and "Nitroglycerin" share one node; a salt heading resolves
    to its base drug), else the heading itself."""
    label = mesh.label(mesh_id) or mesh_id
    data = drugs.entry(label)
    hit = drugs.resolve(data, 0, 1) if data else None
    if hit and hit.drugbank_id:
        return _drug_concept(hit.name, hit.drugbank_id, hit.synonyms, mesh_id)
    return _drug_concept(label, None, (), mesh_id)


def _heading_match(text: str, found: list[tuple[_Match, Concept]]) -> list[tuple[_Match, Concept]]:
    """A name that is exactly a MeSH heading ("Actigraphy", "Saline Solution") is that heading.

    Whole names only: a heading's words inside a longer name ("Water" in "Water intake diary")
    are not reliable, a whole name almost always is (212 of 219 such names in the corpus are
    indexed so by CT.gov itself)."""
    if found:  # the vocabulary or the drug dictionary knew better ("Radiation" is radiotherapy there)
        return []
    mesh_id = mesh.by_label(text.strip(" .;:")) or _name_heading(text)
    if mesh_id is None:
        return []
    return [(_Match(mesh_key(mesh_id), 0, len(text), 1), _condition_concept(mesh_key(mesh_id)))]


@lru_cache(maxsize=65536)
def _name_heading(text: str) -> str | None:
    """The descriptor a whole intervention name names once doses, routes and forms are set aside
    ("Testosterone gel 1%", "Botulinum Toxin Type A 25 IU"), by preferred label or entry term.
    Cached: a name the drug paths did not explain is asked again by `_heading_match`."""
    phrase = tuple(t.text for t in intervention_tokens(text)
                   if not (t.text.isdigit() and not (t.start and text[t.start - 1].isalpha())))
    return entry_terms.lookup(phrase) if phrase else None


def _whole_name_drug(text: str) -> tuple[_Match, Concept] | None:
    """A name that as a whole is a substance heading or one of its entry terms ("Lysergic acid
    diethylamide", "Testosterone gel"): that drug, before the dictionary's partial hits
    ("lysergic acid") get a say."""
    mesh_id = _name_heading(text)
    if mesh_id is None or not drugs.is_substance(mesh_id):
        return None
    concept = _heading_drug(mesh_id)
    return _Match(concept.key, 0, len(text), len(fine_tokens(text)) or 1), concept


def _span_heading(span: str) -> str | None:
    """The substance descriptor a drug-dictionary hit's own words name, for a drug the dictionary
    links to no MeSH heading ("Botulinum toxin type A" is IncobotulinumtoxinA there)."""
    mesh_id = _name_heading(span)
    return mesh_id if mesh_id and drugs.is_substance(mesh_id) else None


@lru_cache(maxsize=262144)
def _conditions(name: str) -> tuple[Concept, ...]:
    scheme = vocabulary().schemes[CONDITIONS]
    best: list[_Match] = []
    for text in _readings(prepare(name)):
        tokens = fine_tokens(text)
        found = _phrase_matches(tokens, scheme) + _acronym_matches(text, tokens, scheme)
        found += _disease_matches(text, tokens)
        matches = _select(found)
        if sum(m.size for m in matches) > sum(m.size for m in best):
            best = matches + _nested_broader(found, matches)
    return _ordered([(m, _condition_concept(m.key)) for m in best])


def _nested_broader(found: list[_Match], chosen: list[_Match]) -> list[_Match]:
    """Headings spelled out inside a chosen phrase that MeSH puts above it ("Type 2 Diabetes"
    also says Diabetes Mellitus; "Acute Myeloid Leukemia" also Leukemia, Myeloid): MeSH indexing
    lists these too, and the link costs nothing but states what the name literally says."""
    out: list[_Match] = []
    for m in found:
        if m in chosen or m.key in {c.key for c in chosen}:
            continue
        for c in chosen:
            inside = c.start <= m.start and m.end <= c.end
            if inside and (m.key in _reach(c.key) or _head(m, c)) and not _group(m.key):
                out.append(m)
                break
    return out


def _head(m: _Match, c: _Match) -> bool:
    """A heading that ends the chosen phrase (its head noun: "Back Pain" in "Low Back Pain") and
    whose place in MeSH the table does not know: presumed broader, as a nested heading MeSH puts
    above the phrase is. Headings with a known place must really be above it."""
    if not (m.end == c.end and m.start > c.start):
        return False
    ids = _condition_concept(m.key).mesh_ids
    return bool(ids) and ids[0] not in mesh.table().trees


def _group(key: str) -> bool:
    """A grouping heading (a tree top such as Neoplasms, or "... Diseases"): too broad to be
    what a longer name says ("Interstitial Lung Disease" is not also about Lung Diseases)."""
    c = _condition_concept(key)
    ids = c.mesh_ids
    if not ids:
        return True
    trees = mesh.table().trees.get(ids[0], ())
    return any("." not in t for t in trees) or c.label.endswith(("Diseases", "Disorders", "Abnormalities"))


@lru_cache(maxsize=65536)
def _reach(key: str) -> frozenset[str]:
    """Every concept key above a condition concept (curated and MeSH hierarchy together)."""
    c = _condition_concept(key)
    out: set[str] = set(vocabulary().ancestors.get(key, frozenset()))
    for b in c.broader:
        out |= {b} | _reach(b)
    return frozenset(out)


def _disease_matches(text: str, tokens: list[Token]) -> list[_Match]:
    """MeSH disease headings named in the text; sized in fine tokens so they compete fairly."""
    out: list[_Match] = []
    for hit in diseases.find(text):
        size = sum(1 for t in tokens if hit.start <= t.start < hit.end) or 1
        out.append(_Match(mesh_key(hit.mesh_id), hit.start, hit.end, size))
    return out


def _condition_concept(key: str) -> Concept:
    if key.startswith(mesh.KEY_PREFIX):
        return mesh_concept(key[len(mesh.KEY_PREFIX):])
    return curated(key)


def _readings(text: str) -> list[str]:
    """The name, and for MeSH-style inverted names ("Cancer, Lung") the natural order too; then
    the name with joined words taken apart, which wins only where it explains more of the name."""
    out = entry_terms.readings(text)
    if (apart := _apart(text)) != text:
        out.append(apart)
    return out


_JOINED_WORDS = re.compile(r"\b([A-Za-z]+)-(?=[A-Za-z]{3})|;(?=\S)")
# A prefix that changes what the next word means ("Non-Cancer Pain" is not Cancer Pain).
_BOUND_PREFIXES = frozenset({"non", "anti", "pre", "pseudo", "un", "post"})


def _apart(text: str) -> str:
    """Hyphen-joined words as separate words ("Chronic Low-back Pain" says Low Back Pain;
    "NEC-Erectile Dysfunction") and a list glued by semicolons spaced ("Syndromes;Chronic ...").
    The disease dictionary matches whole whitespace words, so these names hid their terms; the
    hyphenated reading is tried first and kept on a tie, so "Non-Small Cell" stays whole, and a
    prefix such as "non-" or "pre-" is never taken off its word."""
    def part(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return "; "
        return m.group() if m.group(1).casefold() in _BOUND_PREFIXES else f"{m.group(1)} "
    return _JOINED_WORDS.sub(part, text)

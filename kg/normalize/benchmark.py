"""Scoring the normaliser against ClinicalTrials.gov's own MeSH indexing of the same records.

CT.gov's `derivedSection` lists, per study, the MeSH terms its own indexer found for the reported
intervention names (`interventionBrowseModule.meshes`) and condition names
(`conditionBrowseModule.meshes`). Like with like: the normaliser sees only the reported *names*
(intervention names with their type word; condition names, not keywords, titles or the derived
section), and the set of descriptor ids it produces per study is compared with the set of leaf
ids CT.gov lists, micro-averaged over studies. Each intervention's reported other names (brand,
code and chemical names: "Vyxeos" -> "cytarabine and daunorubicin liposome") count too: they are
protocol fields, and the graph links them (`other_name_concepts`, on the trial's use node).
Keywords and titles do not: CT.gov's indexer reads them, but adding them costs far more precision
than it gains recall (measured in benchmarks/normalisation/README.md).

What counts as gold: descriptor leaves (D ids, in NLM form via `kg.text.mesh_descriptor_id`).
Supplementary concept records (C ids: new drugs such as venetoclax, fludarabine) are left out of
the main score, which stays comparable with earlier figures; their share is reported so the
exclusion stays visible. They are scored on a line of their own (`score_supplementary`): the
C ids of the normaliser's concepts (from `data/mesh_scr.tsv.gz`, which holds about half of the
records CT.gov lists) against CT.gov's C-id intervention leaves.

A concept without a MeSH id of its own (curated "solid tumors") counts as its nearest curated
ancestors that have one (Neoplasms), which is how MeSH indexers handle a narrower unlisted term.

Placebos (D010919) are left out of both sides for interventions: CT.gov's indexer never lists
them (0 of the 151 indexed studies in the corpus that name a placebo), while the normaliser links
"Placebo" to that descriptor on purpose.

Studies are split in two halves by a hash of the NCT id, so rules tuned on one half can be checked
on the other.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.normalize import mesh
from kg.normalize.concepts import Concept, condition_concepts, intervention_concepts, other_name_concepts, vocabulary
from kg.record import MeshTerm, Trial

INTERVENTIONS = "interventions"
CONDITIONS = "conditions"
NOT_INDEXED = {INTERVENTIONS: frozenset({"D010919"}), CONDITIONS: frozenset()}  # see the docstring


@dataclass
class Study:
    """What the benchmark needs of one record: reported names and CT.gov's leaves."""

    nct_id: str
    interventions: list[tuple[str, str | None]]
    conditions: list[str]
    intervention_leaves: dict[str, str]  # MeSH id -> term, as CT.gov lists them
    condition_leaves: dict[str, str]
    # Each intervention's reported other names (brand, code, chemical names), in the same order.
    other_names: list[tuple[str, ...]] = field(default_factory=list)
    # Every heading CT.gov found at any relevance (browse leaves, by label): a false hit among
    # these is a link CT.gov made too but did not list.
    intervention_found: frozenset[str] = frozenset()
    condition_found: frozenset[str] = frozenset()
    # The text CT.gov matched for each condition leaf ("asFound"), and the titles and keywords,
    # which CT.gov reads but the normaliser is not given: where a leaf's evidence lies.
    condition_as_found: dict[str, str] = field(default_factory=dict)
    titles_keywords: str = ""

    @property
    def half(self) -> str:
        """'A' (tuning) or 'B' (held out), fixed by the NCT id."""
        return "A" if hashlib.sha1(self.nct_id.encode()).digest()[0] % 2 == 0 else "B"


@dataclass
class Score:
    """Micro-averaged counts over studies, with the misses and false hits for inspection."""

    kind: str = CONDITIONS
    studies: int = 0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    supplementary: int = 0  # C-id leaves left out of the gold set
    misses: Counter[str] = field(default_factory=Counter)
    extras: Counter[str] = field(default_factory=Counter)
    # False hits that are a MeSH ancestor of one of the study's leaves (less specific, not wrong),
    # and the others that CT.gov itself found but listed only at low relevance.
    extras_broader: int = 0
    extras_found_low: int = 0
    # Misses whose evidence CT.gov found only in the titles or keywords (conditions only: its
    # "asFound" for interventions is not the reported text).
    misses_elsewhere: int = 0

    @property
    def recall(self) -> float:
        return self.true_pos / (self.true_pos + self.false_neg) if self.true_pos + self.false_neg else 0.0

    @property
    def precision(self) -> float:
        return self.true_pos / (self.true_pos + self.false_pos) if self.true_pos + self.false_pos else 0.0

    @property
    def recall_ceiling(self) -> float:
        """Recall if every leaf with evidence in the names were found."""
        gold = self.true_pos + self.false_neg
        return (gold - self.misses_elsewhere) / gold if gold else 0.0

    def breakdown(self) -> str:
        line = (f"false hits: {self.extras_broader} a MeSH ancestor of a listed leaf, {self.extras_found_low} found "
                f"by CT.gov at low relevance, {self.false_pos - self.extras_broader - self.extras_found_low} other")
        if self.kind == CONDITIONS:
            line += (f"; misses with evidence only in titles/keywords: {self.misses_elsewhere} "
                     f"(recall ceiling from names {self.recall_ceiling:.3f})")
        return line

    def line(self) -> str:
        return (f"recall {self.recall:.3f}  precision {self.precision:.3f}  "
                f"({self.studies} studies, tp {self.true_pos}, fp {self.false_pos}, fn {self.false_neg}, "
                f"{self.supplementary} supplementary-concept leaves not scored)")


def study_from_trial(trial: Trial) -> Study | None:
    if not trial.nct_id:
        return None
    return Study(
        trial.nct_id,
        [(iv.name, iv.type) for iv in trial.interventions if iv.name],
        list(trial.conditions),
        {m.mesh_id: m.term for m in trial.intervention_mesh if m.mesh_id},
        {m.mesh_id: m.term for m in trial.condition_mesh if m.mesh_id},
        [tuple(iv.other_names) for iv in trial.interventions if iv.name],
        _found(trial.intervention_browse_leaves),
        _found(trial.condition_browse_leaves),
        {m.mesh_id: m.as_found for m in trial.condition_mesh if m.mesh_id and m.as_found},
        " | ".join([trial.title or "", trial.official_title or "", *trial.keywords]),
    )


def _found(leaves: list[MeshTerm]) -> frozenset[str]:
    return frozenset(i for m in leaves if (i := mesh.by_label(m.term)))


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.casefold())) + " "


def _only_elsewhere(study: Study, mesh_id: str) -> bool:
    """CT.gov matched this condition leaf in the titles or keywords, not in the condition names."""
    found = study.condition_as_found.get(mesh_id)
    if not found:
        return False
    text = _words(found)
    return text not in _words(" | ".join(study.conditions)) and text in _words(study.titles_keywords)


def corpus_studies(root: Path, limit_files: Iterable[str] | None = None) -> list[Study]:
    """Every distinct CT.gov v2 study under root (first occurrence of an NCT id wins)."""
    from loaders import ctgov_json
    from loaders.base import LoaderError

    wanted = set(limit_files) if limit_files is not None else None
    seen: dict[str, Study] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".zip")):
        if wanted is not None and path.relative_to(root).as_posix() not in wanted:
            continue
        try:
            for item in ctgov_json.read(path):
                if isinstance(item, Trial) and (s := study_from_trial(item)) and s.nct_id not in seen:
                    seen[s.nct_id] = s
        except LoaderError:
            continue  # not v2 studies (an NCI search page, a zip of XML): nothing to score
    return list(seen.values())


def _nearest_mesh(c: Concept) -> set[str]:
    """The concept's MeSH ids, else those of its nearest curated ancestors that have one.

    Not for named drugs: a drug without a descriptor is a supplementary concept in MeSH, and its
    class ("Antibodies, Monoclonal" for obinutuzumab) is not what the name says."""
    if c.mesh_ids or c.key.startswith(("drug/", "regimen/")):
        return set(c.mesh_ids)
    entries = vocabulary().entries
    level, seen = list(c.broader), set()
    while level:
        found = {i for k in level if k in entries for i in _entry_mesh(k)}
        if found:
            return found
        seen.update(level)
        level = [b for k in level if k in entries for b in entries[k].broader if b not in seen]
    return set()


def _entry_mesh(key: str) -> tuple[str, ...]:
    return tuple(i for m in vocabulary().entries[key].exact_matches if (i := mesh.id_from_iri(m)))


def _intervention_concepts(study: Study) -> Iterator[Concept]:
    """The concepts of every intervention name and its other names, as the graph links them."""
    others = study.other_names or [()] * len(study.interventions)
    for (name, type_word), other_names in zip(study.interventions, others, strict=True):
        yield from intervention_concepts(name, type_word)
        yield from other_name_concepts(name, type_word, other_names)


def predicted(study: Study, kind: str) -> set[str]:
    """MeSH ids the normaliser gives for the study's reported names."""
    found = (_intervention_concepts(study) if kind == INTERVENTIONS
             else (c for name in study.conditions for c in condition_concepts(name)))
    out: set[str] = set()
    for c in found:
        out |= _nearest_mesh(c)
    return out - NOT_INDEXED[kind]


def gold(study: Study, kind: str) -> tuple[set[str], int]:
    """(descriptor leaves, number of supplementary-concept leaves) CT.gov lists."""
    leaves = study.intervention_leaves if kind == INTERVENTIONS else study.condition_leaves
    return {i for i in leaves if i.startswith("D")} - NOT_INDEXED[kind], sum(1 for i in leaves if not i.startswith("D"))


def score(studies: Iterable[Study], kind: str) -> Score:
    """Micro-averaged recall/precision over studies that CT.gov indexed (a non-empty module)."""
    s = Score(kind)
    for study in studies:
        leaves = study.intervention_leaves if kind == INTERVENTIONS else study.condition_leaves
        if not leaves:
            continue
        want, supplementary = gold(study, kind)
        got = predicted(study, kind)
        s.studies += 1
        s.supplementary += supplementary
        s.true_pos += len(got & want)
        s.false_pos += len(got - want)
        s.false_neg += len(want - got)
        for i in want - got:
            s.misses[f"{i} {leaves[i]}"] += 1
            s.misses_elsewhere += kind == CONDITIONS and _only_elsewhere(study, i)
        above = {a for i in want for a in mesh.ancestors(i)}
        found = study.intervention_found if kind == INTERVENTIONS else study.condition_found
        for i in got - want:
            s.extras[i] += 1
            if i in above:
                s.extras_broader += 1
            elif i in found:
                s.extras_found_low += 1
    return s


SUPPLEMENTARY = "supplementary concepts"


def predicted_supplementary(study: Study) -> set[str]:
    """MeSH supplementary concept ids (C) of the concepts for the study's intervention names and
    other names."""
    return {i for c in _intervention_concepts(study) for m in c.exact_matches if (i := mesh.scr_id_from_iri(m))}


def score_supplementary(studies: Iterable[Study]) -> Score:
    """Recall/precision of C ids over studies whose intervention browse module lists any leaf.

    `supplementary` counts the gold C ids the offline table holds at all: the recall ceiling."""
    s = Score(SUPPLEMENTARY)
    for study in studies:
        if not study.intervention_leaves:
            continue
        want = {i for i in study.intervention_leaves if i.startswith("C")}
        got = predicted_supplementary(study)
        s.studies += 1
        s.supplementary += sum(1 for i in want if mesh.scr_name(i))
        s.true_pos += len(got & want)
        s.false_pos += len(got - want)
        s.false_neg += len(want - got)
        for i in want - got:
            s.misses[f"{i} {study.intervention_leaves[i]}"] += 1
        for i in got - want:
            s.extras[i] += 1
    return s


def supplementary_line(s: Score) -> str:
    gold = s.true_pos + s.false_neg
    return (f"C ids: recall {s.recall:.3f}  precision {s.precision:.3f}  (tp {s.true_pos}, fp {s.false_pos}, "
            f"fn {s.false_neg}; {s.supplementary} of {gold} gold C ids in the offline table)")


def halves(studies: list[Study]) -> Iterator[tuple[str, list[Study]]]:
    yield "A (tuning)", [s for s in studies if s.half == "A"]
    yield "B (held out)", [s for s in studies if s.half == "B"]
    yield "all", studies

"""Shared fixtures: where the seed pages and the shared corpus are, and a fixed-vocabulary store.

The corpus lives beside the checkout (`../shared/corpus`) and is never copied into the project;
a fresh clone without it skips the corpus tests and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

import pyoxigraph as ox

from kg import canned, normalize
from kg.mapper import Provenance, map_document
from kg.normalize import Concept
from kg.record import RecordError, Trial
from kg.store import TrialStore
from kg.vocab import (
    RDF_TYPE, RDFS_LABEL, SKOS_BROADER, SKOS_CONCEPT, VOCABULARY_GRAPH, concept_iri, graph_iri,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"


def corpus_marks(path: Path = CORPUS_DIR) -> list[pytest.MarkDecorator]:
    """`pytestmark` of a module that reads the corpus: marked `corpus`, and skipped saying why
    where the corpus is absent (a user's fresh clone), never silently."""
    return [pytest.mark.corpus,
            pytest.mark.skipif(not path.exists(), reason=f"shared corpus not found: {path} is absent "
                                                          "(it sits beside the checkout as ../shared/corpus)")]


def split_items(items: Iterable[Trial | RecordError]) -> tuple[list[Trial], list[RecordError]]:
    """A loader's output as (trials, record errors), in order."""
    out = list(items)
    return [i for i in out if isinstance(i, Trial)], [i for i in out if isinstance(i, RecordError)]


def run_canned(store: TrialStore, name: str, **params: str) -> list[dict[str, str | None]]:
    """A canned query's rows as plain strings (None where unbound), parameters bound as the
    endpoint binds them."""
    q = canned.get(name)
    result = store.query(q.text, q.bind(params))
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in result]


@pytest.fixture(scope="session")
def seed_store() -> TrialStore:
    """The five seed pages of examples/ loaded by the real pipeline, once per test process."""
    from kg import pipeline

    store = TrialStore(in_memory=True)
    report = pipeline.load_paths(store, [EXAMPLES_DIR])
    assert report.count("loaded") == 5, report.errors
    return store


@pytest.fixture(scope="session")
def ctgov_v2_studies() -> list[Any]:
    """The normalisation benchmark's studies (kg.normalize.benchmark), read once per process:
    reading the 1,327 CT.gov v2 studies takes about 4.5 s."""
    from kg.normalize import benchmark

    found = benchmark.corpus_studies(require_corpus("ctgov-v2"))
    assert len(found) > 1000
    return found


def require_corpus(*parts: str) -> Path:
    """A path inside ../shared/corpus, or a skip naming what is missing (never a silent pass)."""
    path = CORPUS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not available: {path} is absent (it sits beside the checkout "
                    f"as ../shared/corpus)")
    return path


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES_DIR


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return require_corpus()


# --- a store whose concepts are fixed by the test, not by the normaliser ----------------------------

# concept key -> (label, broader concept keys): a slice of what ontology/vocabulary.ttl curates.
ConceptTable = Mapping[str, tuple[str, tuple[str, ...]]]


def fixed_concepts(concepts: ConceptTable, terms: Mapping[str, str]) -> Callable[..., list[Concept]]:
    """A stand-in for the normaliser: a reported name (any case) -> the concept `terms` names."""
    def lookup(name: str, *_: object) -> list[Concept]:
        found = terms.get(name.lower())
        return [Concept(found, concepts[found][0], curated=True)] if found else []
    return lookup


def vocabulary_ntriples(concepts: ConceptTable) -> str:
    """The vocabulary graph for the concept table: type, label and skos:broader of each concept."""
    lines = []
    for k, (label, broader) in concepts.items():
        node = f"<{concept_iri(k)}>"
        lines += [f"{node} <{RDF_TYPE}> <{SKOS_CONCEPT}> .", f'{node} <{RDFS_LABEL}> "{label}" .']
        lines += [f"{node} <{SKOS_BROADER}> <{concept_iri(b)}> ." for b in broader]
    return "\n".join(lines) + "\n"


def fixed_vocabulary_store(documents: Iterable[tuple[str, list[Trial]]], concepts: ConceptTable,
                           terms: Mapping[str, str], path: Path | None = None) -> TrialStore:
    """A store of hand-made documents (source IRI, trials) whose concepts come from `concepts`
    and `terms`, so expected answers follow from the records whatever the normaliser learns later.
    Links and counts are derived as after a real load (kg.pipeline.derive)."""
    from kg import pipeline

    store = TrialStore(path, in_memory=path is None)
    lookup = fixed_concepts(concepts, terms)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(normalize, "intervention_concepts", lookup)
        mp.setattr(normalize, "condition_concepts", lookup)
        mp.setattr(normalize, "other_name_concepts", lambda *_: [])  # a use node's other names: none here
        for source, trials in documents:
            graph = graph_iri(source)
            stmts, _ = map_document(trials, graph, Provenance(source, "test", "1", "0" * 64))
            store.replace_graph(graph, stmts.ntriples())
    store.replace_graph(VOCABULARY_GRAPH, vocabulary_ntriples(concepts))
    pipeline.derive(store)
    return store

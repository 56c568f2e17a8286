"""Exports read back as the same graph, byte for byte the same each time, and per-trial exports
describe their trial completely and nothing of any other trial."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg import export
from kg.counts import COUNTS_GRAPH
from kg.pipeline import load_paths
from kg.store import TrialStore
from kg.vocab import PREFIXES, TG, trial_iri

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"

RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig",
                  "jsonld": "json-ld"}
MEDPATH = EXAMPLES_DIR / "medpath_NCT05522582.txt"
LINKS = ("hasIntervention", "studiesCondition", "leadSponsor", "collaborator", "hasSite",
         "armIntervention", "phase", "overallStatus", "studyType")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed pages in an on-disk store, closed again so tests can reopen it read-only."""
    path = tmp_path_factory.mktemp("export") / "store"
    store = TrialStore(path)
    report = load_paths(store, [EXAMPLES_DIR])
    assert report.total("trials") >= 1, f"no seed page loaded: {report.errors}"
    store.flush()
    del store
    gc.collect()
    return path


@pytest.fixture(scope="module")
def store(store_dir: Path) -> TrialStore:
    return TrialStore(store_dir, read_only=True)


def _union(store: TrialStore) -> rdflib.Graph:
    """The store's union graph, read independently of kg.export."""
    triples = {q.triple for q in store.ox}
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def _graph(store: TrialStore, name: ox.NamedNode) -> rdflib.Graph:
    triples = [q.triple for q in store.ox.quads_for_pattern(None, None, None, name)]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def _trials(store: TrialStore) -> list[str]:
    rows = store.query("SELECT ?t WHERE { ?t a tg:Trial } ORDER BY ?t")
    return [r["t"].value for r in rows]


def _parse(data: bytes, fmt: str) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(data=data, format=RDFLIB_FORMATS[fmt])
    return ds


def _triples_of(data: bytes, fmt: str) -> rdflib.Graph:
    """Every statement of an export as one graph, whatever its format."""
    g = rdflib.Graph()
    for s, p, o, _ in _parse(data, fmt).quads((None, None, None, None)):
        g.add((s, p, o))
    return g


# --- whole store -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_union_round_trip_is_isomorphic_to_the_store(store: TrialStore, fmt: str) -> None:
    data = export.export_bytes(store, fmt)
    parsed = rdflib.Graph().parse(data=data, format=RDFLIB_FORMATS[fmt])
    reference = _union(store)
    assert len(parsed) == len(reference)
    assert isomorphic(parsed, reference)


def test_ntriples_states_each_triple_once_in_sorted_order(store: TrialStore) -> None:
    lines = export.export_bytes(store, "ntriples").decode().splitlines()
    assert lines == sorted(set(lines))
    assert len(lines) == len({q.triple for q in store.ox})


@pytest.mark.parametrize("fmt", ["nquads", "trig", "jsonld"])
def test_quad_formats_keep_every_named_graph(store: TrialStore, fmt: str) -> None:
    ds = _parse(export.export_bytes(store, fmt), fmt)
    names = sorted(store.ox.named_graphs(), key=str)
    exported = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert exported == {n.value for n in names}
    for name in names:
        assert isomorphic(ds.graph(rdflib.URIRef(name.value)), _graph(store, name)), name.value


@pytest.mark.parametrize("fmt", export.EXPORT_FORMATS)
def test_exports_are_byte_identical_every_time(store: TrialStore, store_dir: Path, fmt: str) -> None:
    first = export.export_bytes(store, fmt)
    assert export.export_bytes(store, fmt) == first
    reopened = TrialStore(store_dir, read_only=True)
    assert export.export_bytes(reopened, fmt) == first
    trial = _trials(store)[0]
    assert export.export_bytes(reopened, fmt, [trial]) == export.export_bytes(store, fmt, [trial])


def _declared_and_body(data: bytes) -> tuple[dict[str, str], str]:
    text = data.decode()
    declared = dict(re.findall(r"^@prefix (\w*): <([^>]*)> \.$", text, flags=re.M))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix "))
    return declared, body


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_only_used_prefixes_are_declared(store: TrialStore, fmt: str) -> None:
    for trials in (None, _trials(store)[:1]):
        declared, body = _declared_and_body(export.export_bytes(store, fmt, trials))
        assert declared, "nothing abbreviated at all"
        assert list(declared) == sorted(declared)
        for name, ns in declared.items():
            assert PREFIXES[name] == ns
            assert re.search(rf"(?<![\w:/#.-]){name}:", body), f"{name}: declared but unused"


def test_small_batches_and_spilled_runs_give_the_same_bytes(store: TrialStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The streaming paths (many batches, sorted runs on disk, a spool on disk) change nothing."""
    expected = {fmt: export.export_bytes(store, fmt) for fmt in ("turtle", "ntriples", "trig")}
    monkeypatch.setattr(export, "BATCH_TRIPLES", 7)
    monkeypatch.setattr(export, "RUN_LINES", 50)
    monkeypatch.setattr(export, "SPOOL_BYTES", 1000)
    for fmt, data in expected.items():
        assert export.export_bytes(store, fmt) == data, fmt


def test_unknown_format_is_refused(store: TrialStore) -> None:
    with pytest.raises(ValueError, match="unknown export format 'rdfa'"):
        export.iter_export(store, "rdfa")


# --- per trial -------------------------------------------------------------------------------


def test_trial_export_holds_its_arm_and_labelled_interventions(store: TrialStore) -> None:
    page = MEDPATH.read_text(encoding="utf-8")
    arm = "methotrexate+anti-PD-1 antibody+radiotherapy"
    names = {"Methotrexate tablets", "Anti-PD-1 monoclonal antibody", "Radiotherapy"}
    assert arm in page and all(n in page for n in names)  # what the source page says
    g = _triples_of(export.export_bytes(store, "turtle", ["NCT05522582"]), "turtle")
    t = rdflib.URIRef(trial_iri("NCT05522582"))
    tg = rdflib.Namespace(TG)
    arms = list(g.objects(t, tg.hasArm))
    assert [str(g.value(a, rdflib.RDFS.label)) for a in arms] == [arm]
    used = {str(g.value(term, rdflib.RDFS.label)) for term in g.objects(arms[0], tg.armIntervention)}
    assert used == names
    listed = {str(g.value(term, rdflib.RDFS.label)) for term in g.objects(t, tg.hasIntervention)}
    assert names <= listed
    assert (t, tg.nctId, rdflib.Literal("NCT05522582")) in g


def test_trial_export_is_self_describing(store: TrialStore) -> None:
    """Every node a trial links to carries its type and label, and so does each broader concept."""
    tg = rdflib.Namespace(TG)
    full = _union(store)
    for trial in _trials(store):
        g = _triples_of(export.export_bytes(store, "ntriples", [trial]), "ntriples")
        for link in LINKS:
            for node in g.objects(None, tg[link]):
                assert (node, rdflib.RDF.type, None) in g, f"{trial}: {node} has no type"
                assert (node, rdflib.RDFS.label, None) in g, f"{trial}: {node} has no label"
                assert set(full.triples((node, rdflib.SKOS.broader, None))) <= set(g), node
        for _, _, concept in g.triples((None, rdflib.SKOS.broader, None)):
            for label in full.objects(concept, rdflib.RDFS.label):
                assert (concept, rdflib.RDFS.label, label) in g, f"{trial}: {concept} unlabelled"


def test_trial_export_has_nothing_of_other_trials(store: TrialStore) -> None:
    trials = _trials(store)
    assert len(trials) >= 2, "needs two loaded trials to compare"
    for trial in trials:
        others = [t for t in trials if t != trial]
        data = export.export_bytes(store, "nquads", [trial])
        ds = _parse(data, "nquads")
        for s, _, _, _ in ds.quads((None, None, None, None)):
            assert not any(str(s) == o or str(s).startswith(o + "/") for o in others), (trial, s)
        for other in others:
            rows = store.query(f"SELECT ?x WHERE {{ <{other}> tg:title|tg:officialTitle ?x }}")
            own = {r["x"].value for r in store.query(f"SELECT ?x WHERE {{ <{trial}> ?p ?x }}")}
            for r in rows:
                if r["x"].value not in own:
                    assert r["x"].value.encode() not in data, (trial, other)


def test_trial_export_keeps_the_graph_of_its_document(store: TrialStore) -> None:
    for trial in _trials(store):
        ds = _parse(export.export_bytes(store, "nquads", [trial]), "nquads")
        graphs = {str(c) for _, _, _, c in ds.quads((rdflib.URIRef(trial), None, None, None))}
        sources = {r["g"].value for r in store.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{trial}> ?p ?o }} }}")}
        assert graphs == sources - {COUNTS_GRAPH}  # graph/counts: figures of the store, left out
        for g in graphs:  # the document's provenance comes along
            assert (rdflib.URIRef(g), rdflib.PROV.wasDerivedFrom, None, rdflib.URIRef(g)) in ds


def test_trial_by_id_and_by_iri_are_the_same(store: TrialStore) -> None:
    iri = trial_iri("NCT05522582")
    assert export.export_bytes(store, "turtle", ["nct05522582"]) == export.export_bytes(store, "turtle", [iri])


def test_several_trials_export_as_the_union_of_each(store: TrialStore) -> None:
    a, b = _trials(store)[:2]
    both = _triples_of(export.export_bytes(store, "ntriples", [a, b]), "ntriples")
    each = _triples_of(export.export_bytes(store, "ntriples", [a]), "ntriples") \
        + _triples_of(export.export_bytes(store, "ntriples", [b]), "ntriples")
    assert isomorphic(both, each)


def test_unknown_trial_is_a_key_error_naming_it(store: TrialStore) -> None:
    with pytest.raises(KeyError, match="NCT00000000"):
        export.iter_export(store, "turtle", ["NCT05522582", "NCT00000000"])


@pytest.mark.corpus
def test_trial_from_a_multi_study_download_leaves_the_others_out(corpus_dir: Path) -> None:
    """One document, five studies: a per-trial export names only its own study."""
    doc = corpus_dir / "ctgov-v2" / "ruhruh66" / "data" / "studies.json"
    store = TrialStore(in_memory=True)
    report = load_paths(store, [doc])
    assert not report.failed, report.errors
    trials = _trials(store)
    assert len(trials) == report.total("trials") > 1
    g = _triples_of(export.export_bytes(store, "nquads", [trials[0]]), "nquads")
    described = {str(o) for o in g.objects(None, rdflib.URIRef(TG + "describesTrial"))}
    assert described == {trials[0]}
    for other in trials[1:]:
        assert not any(str(s) == other or str(s).startswith(other + "/") for s in g.subjects()), other
    assert isomorphic(_triples_of(export.export_bytes(store, "turtle"), "turtle"), _union(store))

"""Loading documents: skip unchanged, replace changed, isolate bad files, stream big ones."""

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import counts, pipeline
from kg.counts import COUNTS_GRAPH
from kg.pipeline import Writer, load_file, load_paths
from kg.store import TrialStore
from tests.conftest import run_canned
from kg.vocab import ONTOLOGY_GRAPH, VOCABULARY_GRAPH, graph_iri

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"


def _quads(store: TrialStore) -> set[str]:
    """Document graphs without load timestamps, for comparing two loads (the ontology graphs
    hold blank nodes, whose labels differ from store to store)."""
    vocab = (ONTOLOGY_GRAPH, VOCABULARY_GRAPH)
    return {str(q) for q in store.ox
            if "generatedAtTime" not in str(q.predicate) and q.graph_name.value not in vocab}


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(EXAMPLES, folder)
    return folder


def test_examples_load_then_skip(docs):
    store = TrialStore(in_memory=True)
    first = load_paths(store, [docs])
    assert {f.path.name: f.status for f in first.files} == {p.name: "loaded" for p in docs.iterdir()}
    assert first.total("trials") == 5
    before = len(store.ox)
    second = load_paths(store, [docs])
    assert [f.status for f in second.files] == ["skipped"] * 5
    assert len(store.ox) == before


def test_changed_document_replaces_its_graph(docs):
    store = TrialStore(in_memory=True)
    page = docs / "medpath_NCT05522582.txt"
    assert load_file(store, page).status == "loaded"
    before = len(store.ox)
    page.write_text(page.read_text().replace("Yancheng First People's Hospital\n\n🇨🇳", "Renamed Hospital\n\n🇨🇳"))
    res = load_file(store, page)
    assert res.status == "loaded"
    sites = {r["l"].value for r in store.query("SELECT ?l WHERE { ?t tg:hasSite ?s . ?s rdfs:label ?l }")}
    assert "Renamed Hospital" in sites
    assert abs(len(store.ox) - before) < 10  # replaced, not added twice


def _country_figures(store: TrialStore) -> dict[str, tuple[int, int]]:
    """Sites and trials per site country, counted here in Python from the loaded triples."""
    rows = store.query("""SELECT ?t ?s ?c WHERE { ?t tg:hasSite ?s . ?s tg:country ?c
                          FILTER NOT EXISTS { ?t tg:sameTrialAs ?x } }""")
    sites: dict[str, set[str]] = {}
    trials: dict[str, set[str]] = {}
    for r in rows:  # type: ignore[union-attr]
        sites.setdefault(r["c"].value, set()).add(r["s"].value)  # type: ignore[index]
        trials.setdefault(r["c"].value, set()).add(r["t"].value)  # type: ignore[index]
    return {c: (len(sites[c]), len(trials[c])) for c in sites}


def _canned_country_figures(store: TrialStore) -> dict[str, tuple[int, int]]:
    return {r["countryName"]: (int(r["sites"]), int(r["trials"]))  # type: ignore[arg-type,misc]
            for r in run_canned(store, "sites-by-country")}


def test_links_and_counts_are_derived_only_when_a_document_changed(docs, monkeypatch):
    store = TrialStore(in_memory=True)
    load_paths(store, [docs])
    assert store.has_graph(COUNTS_GRAPH)
    assert _canned_country_figures(store) == _country_figures(store) != {}
    calls: list[TrialStore] = []
    derive = pipeline.derive
    monkeypatch.setattr(pipeline, "derive", lambda s, digest=None: (calls.append(s), derive(s, digest))[1])
    def counts_quads() -> set[str]:
        return {str(q) for q in store.ox.quads_for_pattern(None, None, None, ox.NamedNode(COUNTS_GRAPH))}

    before = counts_quads()
    load_paths(store, [docs])  # nothing changed: no pass over the store
    assert calls == [] and counts_quads() == before
    page = docs / "medpath_NCT05522582.txt"
    page.write_text(page.read_text().replace("Yancheng, Jiangsu, China", "Yancheng, Jiangsu, France"))
    report = load_paths(store, [docs])
    assert report.count("loaded") == 1 and calls == [store]
    figures = _canned_country_figures(store)
    assert figures == _country_figures(store) and "France" in figures


def test_an_interrupted_derive_is_made_good_by_the_next_load(docs, monkeypatch):
    """Documents written, then the derive pass killed: the next load, with nothing to load, still
    rebuilds links and counts, because the counts graph says what it was derived from."""
    store = TrialStore(in_memory=True)
    first = [docs / "medpath_NCT05522582.txt", docs / "summary_NCT05305885.txt"]
    load_paths(store, first)
    derive = pipeline.derive

    def interrupted(s: TrialStore, digest: str | None = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "derive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_paths(store, [docs])
    assert _canned_country_figures(store) != _country_figures(store)  # stale
    monkeypatch.setattr(pipeline, "derive", derive)
    report = load_paths(store, [docs])
    assert report.count("loaded") == 0
    assert _canned_country_figures(store) == _country_figures(store)


def test_load_file_keeps_links_and_counts_current_unless_told_not_to(docs):
    store = TrialStore(in_memory=True)
    pages = sorted(docs.iterdir())
    for page in pages[:-1]:
        load_file(store, page)
    assert _canned_country_figures(store) == _country_figures(store)
    load_file(store, pages[-1], derive=False)
    assert counts.derived_from(store) != counts.sources_digest(store)  # one document behind
    assert pipeline.derive_if_stale(store)  # runs the pass the last file skipped
    assert counts.derived_from(store) == counts.sources_digest(store)
    assert _canned_country_figures(store) == _country_figures(store)
    assert not pipeline.derive_if_stale(store)  # and now nothing is stale


def test_bad_files_are_reported_and_isolated(docs):
    (docs / "empty.txt").write_bytes(b"")
    (docs / "noise.txt").write_text("Just some words that are not a trial page at all.\n")
    store = TrialStore(in_memory=True)
    report = load_paths(store, [docs, docs / "missing.txt"])
    failed = {f.path.name: f.errors for f in report.failed}
    assert set(failed) == {"empty.txt", "noise.txt", "missing.txt"}
    assert "empty.txt: empty file" in failed["empty.txt"][0]
    assert "noise.txt: unrecognised format" in failed["noise.txt"][0]
    assert "missing.txt: no such file" in failed["missing.txt"][0]
    assert report.count("loaded") == 5
    assert store.stats()["documents"] == 5


def test_workers_and_bulk_give_the_same_graph(docs):
    plain, parallel, bulk = (TrialStore(in_memory=True) for _ in range(3))
    load_paths(plain, [docs])
    rep = load_paths(parallel, [docs], workers=2)
    assert rep.count("loaded") == 5
    load_paths(bulk, [docs], bulk=True)
    assert _quads(plain) == _quads(parallel) == _quads(bulk)


def test_a_document_failing_midway_leaves_nothing(monkeypatch):
    """A big document streams chunk by chunk; if it then fails, its partial graph is dropped."""
    store = TrialStore(in_memory=True)
    g = graph_iri("file:///big.json")
    writer = Writer(store)
    writer.handle(("begin", "big.json", g, "test"))
    for i in range(3):
        writer.handle(("chunk", "big.json", f"<http://x/{i}> <http://p> \"{i}\" .\n", 1, []))
    assert store.has_graph(g)  # the second chunk switched the document to streaming
    writer.handle(("fail", "big.json", ["big.json: broken at record 4"]))
    report = writer.close()
    assert not store.has_graph(g)
    assert len(store.ox) == 0
    assert report.failed[0].errors == ["big.json: broken at record 4"]


def test_streamed_document_is_complete_and_marked_finished(monkeypatch):
    store = TrialStore(in_memory=True)
    g = graph_iri("file:///big.json")
    writer = Writer(store)
    writer.handle(("begin", "big.json", g, "test"))
    for i in range(3):
        writer.handle(("chunk", "big.json", f"<http://x/{i}> <http://p> \"{i}\" .\n", 1, []))
    assert store.graph_sha(g) is None  # not finished yet: no checksum
    writer.handle(("end", "big.json", f"<{g}> <https://w3id.org/trialgraph/ontology#sha256> \"abc\" .\n", []))
    report = writer.close()
    assert report.files[0].status == "loaded" and report.files[0].trials == 3
    assert store.graph_sha(g) == "abc"
    assert len(store.ox) == 4


@pytest.mark.skipif(not (CORPUS / "ctgov-v2").is_dir(), reason="../shared/corpus is absent (a user's fresh clone)")
def test_corpus_multi_study_document_streams(monkeypatch):
    """A JSON download with many studies goes through the chunked path and loads every study."""
    monkeypatch.setattr(pipeline, "CHUNK_TRIALS", 7)
    arrays = sorted(p for p in (CORPUS / "ctgov-v2").rglob("*.json") if p.stat().st_size > 200_000)
    store = TrialStore(in_memory=True)
    res = None
    for path in arrays:
        res = load_file(store, path)
        if res.status == "loaded" and res.trials > 20:
            break
    assert res is not None and res.status == "loaded" and res.trials > 20, "no multi-study JSON file loaded"
    g = graph_iri(pipeline.source_iri(path))
    q = f"SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{ GRAPH <{g}> {{ ?t a tg:Trial }} }}"
    assert int(next(iter(store.query(q)))["n"].value) == res.trials
    assert store.graph_sha(g) == pipeline.sha256_of(path)


def test_a_new_normaliser_or_mapper_reloads_documents_it_would_map_otherwise(docs, monkeypatch):
    """The graph states the build that made it; same bytes under a new build load again."""
    from kg import normalize

    store = TrialStore(in_memory=True)
    page = docs / "medpath_NCT05522582.txt"
    assert load_file(store, page).status == "loaded"
    stated = store.graph_property(graph_iri(pipeline.source_iri(page)), "loaderVersion")
    assert stated == pipeline.build_version(pipeline.loaders.detect(page).version)
    assert stated.endswith(f"+normalize.{normalize.version()}") and "+mapper." in stated
    assert load_file(store, page).status == "skipped"
    monkeypatch.setattr(pipeline, "MAPPER_VERSION", "999")
    assert load_file(store, page).status == "loaded"
    assert load_file(store, page).status == "skipped"
    monkeypatch.setattr(normalize, "version", lambda: "0123456789ab")
    assert load_file(store, page).status == "loaded"


def test_bulk_none_loads_in_bulk_only_a_first_big_load(docs, tmp_path, monkeypatch):
    """More than BULK_MIN_FILES files into a store with no document: bulk; then transactions."""
    seen: list[bool] = []
    real = pipeline.Writer
    monkeypatch.setattr(pipeline, "Writer", lambda store, bulk=False, **kw: (seen.append(bulk), real(store, bulk, **kw))[1])
    many = tmp_path / "many"
    many.mkdir()
    page = (docs / "medpath_NCT05522582.txt").read_text()
    for i in range(pipeline.BULK_MIN_FILES + 1):
        (many / f"p{i}.txt").write_text(page.replace("NCT05522582", f"NCT0552{i:04d}"))
    store = TrialStore(in_memory=True)
    load_paths(store, [docs], bulk=None)  # 5 files: transactions
    load_paths(TrialStore(in_memory=True), [many], bulk=None)  # empty store, 21 files: bulk
    report = load_paths(store, [many], bulk=None)  # documents already there: transactions
    assert seen == [False, True, False] and report.count("loaded") == pipeline.BULK_MIN_FILES + 1

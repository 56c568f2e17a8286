"""The mapper's RDF for hand-made records, and the store's graph-per-document behaviour."""

from decimal import Decimal

import pyoxigraph as ox
import pytest

from kg.mapper import Provenance, map_document, trial_id
from kg.record import (
    Arm, Eligibility, Intervention, Organisation, PartialDate, Site, Trial, TrialDate,
)
from kg.store import TrialStore
from kg.vocab import TG, graph_iri, trial_iri


def _trial(**kw) -> Trial:
    base = dict(
        nct_id="nct05522582",
        title="Methotrexate With Radiotherapy",
        phases=["PHASE1/PHASE2"],
        overall_status="ACTIVE_NOT_RECRUITING",
        study_type="INTERVENTIONAL",
        interventions=[Intervention("Methotrexate tablets", "Drug", "5 mg twice a week"),
                       Intervention("Radiotherapy", "Radiation")],
        arms=[Arm("Combination", "EXPERIMENTAL", intervention_names=["Methotrexate tablets", "Radiotherapy"])],
        conditions=["Solid Tumors"],
        start_date=TrialDate(PartialDate(2022, 9, 1), "actual"),
        completion_date=TrialDate(PartialDate(2024, 12)),
        lead_sponsor=Organisation("Yancheng First People's Hospital"),
        sites=[Site("Yancheng First People's Hospital", "Yancheng", "Jiangsu", None, "China")],
        eligibility=Eligibility(minimum_age=Decimal(18), sex="All"),
        enrollment=50,
    )
    base.update(kw)
    return Trial(**base)


def _load(store: TrialStore, source: str, *trials: Trial) -> list[str]:
    g = graph_iri(source)
    stmts, nodes = map_document(trials, g, Provenance(source, "test", "1", "0" * 64))
    store.replace_graph(g, stmts.ntriples())
    return stmts.warnings


def _values(store: TrialStore, query: str) -> list[str]:
    return sorted(str(r[0].value) for r in store.query(query))


@pytest.fixture()
def store() -> TrialStore:
    return TrialStore(in_memory=True)


def test_trial_identity():
    assert trial_id(_trial()) == "NCT05522582"
    assert trial_id(_trial(nct_id=None, registry_id="ChiCTR2000029953")) == "ChiCTR2000029953"
    anon = _trial(nct_id=None)
    assert trial_id(anon).startswith("TG-")
    assert trial_id(anon) == trial_id(_trial(nct_id=None))  # same record in, same IRI out
    assert trial_id(anon) != trial_id(_trial(nct_id=None, title="Another trial"))


def test_core_facts(store):
    assert _load(store, "file:///a.txt", _trial()) == []
    t = trial_iri("NCT05522582")
    assert _values(store, f"SELECT ?p WHERE {{ <{t}> tg:phase ?p }}") == [TG + "Phase1", TG + "Phase2"]
    assert _values(store, f"SELECT ?s WHERE {{ <{t}> tg:overallStatus ?s }}") == [TG + "ActiveNotRecruiting"]
    row = next(iter(store.query(f"SELECT ?d ?c ?a ?n WHERE {{ <{t}> tg:startDate ?d ; tg:completionDate ?c ; "
                                f"tg:minimumAge ?a ; tg:enrollment ?n }}")))
    assert (row["d"].value, row["d"].datatype.value) == ("2022-09-01", "http://www.w3.org/2001/XMLSchema#date")
    assert (row["c"].value, row["c"].datatype.value) == ("2024-12", "http://www.w3.org/2001/XMLSchema#gYearMonth")
    assert Decimal(row["a"].value) == 18
    assert row["n"].value == "50"
    arms = _values(store, f"SELECT ?l WHERE {{ <{t}> tg:hasArm ?a . ?a tg:armIntervention/rdfs:label ?l }}")
    assert arms == ["Methotrexate tablets", "Radiotherapy"]
    assert _values(store, f"SELECT ?c WHERE {{ <{t}> tg:hasSite/tg:country ?c }}") == ["China"]


def test_every_node_has_a_plain_label(store):
    _load(store, "file:///a.txt", _trial())
    unlabelled = list(store.query(
        "SELECT ?s WHERE { ?s a ?c FILTER(STRSTARTS(STR(?c), STR(tg:)) && ?c != tg:SourceDocument) "
        "FILTER NOT EXISTS { ?s rdfs:label ?l } }"))
    assert unlabelled == []
    tagged = list(store.query("SELECT ?l WHERE { ?s rdfs:label ?l FILTER(LANG(?l) != '') }"))
    assert tagged == []


def test_term_nodes_shared_across_spellings(store):
    _load(store, "file:///a.txt", _trial())
    _load(store, "file:///b.txt", _trial(nct_id="NCT00000001", interventions=[Intervention("methotrexate  TABLETS.")],
                                         arms=[]))
    rows = _values(store, "SELECT ?t WHERE { ?t tg:hasIntervention ?i . ?i rdfs:label ?l "
                          "FILTER(LCASE(?l) = 'methotrexate tablets') }")
    assert rows == [trial_iri("NCT00000001"), trial_iri("NCT05522582")]
    terms = _values(store, "SELECT DISTINCT ?i WHERE { ?t tg:hasIntervention ?i . ?i rdfs:label ?l "
                           "FILTER(CONTAINS(LCASE(?l), 'methotrexate')) }")
    assert len(terms) == 1


def test_unknown_code_gives_generic_node_and_warning(store):
    warnings = _load(store, "file:///a.txt", _trial(overall_status="Paused for lunch"))
    assert warnings == ["NCT05522582: unknown Status value 'Paused for lunch'"]
    rows = list(store.query(f"SELECT ?s ?l WHERE {{ <{trial_iri('NCT05522582')}> tg:overallStatus ?s . "
                            "?s a tg:Status ; rdfs:label ?l }"))
    assert [r["l"].value for r in rows] == ["Paused for lunch"]


def test_reload_replaces_graph_without_duplicates(store):
    _load(store, "file:///a.txt", _trial())
    before = len(store.ox)
    _load(store, "file:///a.txt", _trial())
    assert len(store.ox) == before
    _load(store, "file:///a.txt", _trial(title="Renamed"))
    titles = _values(store, f"SELECT ?t WHERE {{ <{trial_iri('NCT05522582')}> tg:title ?t }}")
    assert titles == ["Renamed"]


def test_union_default_graph_and_provenance(store):
    _load(store, "file:///a.txt", _trial())
    _load(store, "file:///b.txt", _trial(nct_id="NCT00000001"))
    assert _values(store, "SELECT ?t WHERE { ?t a tg:Trial }") == [trial_iri("NCT00000001"), trial_iri("NCT05522582")]
    g = graph_iri("file:///a.txt")
    prov = {r["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: r["o"].value
            for r in store.query(f"SELECT ?p ?o WHERE {{ GRAPH <{g}> {{ <{g}> ?p ?o }} }}")}
    assert prov["wasDerivedFrom"] == "file:///a.txt"
    assert prov["sourceFormat"] == "test"
    assert prov["sha256"] == "0" * 64
    assert "generatedAtTime" in prov
    assert store.graph_sha(g) == "0" * 64
    store.drop_graph(g)
    assert _values(store, "SELECT ?t WHERE { ?t a tg:Trial }") == [trial_iri("NCT00000001")]


def test_failed_write_leaves_old_graph(store):
    _load(store, "file:///a.txt", _trial())
    before = len(store.ox)
    with pytest.raises(SyntaxError):
        store.replace_graph(graph_iri("file:///a.txt"), "<http://a> <http://b> 'unterminated .\n")
    assert len(store.ox) == before


def test_on_disk_store_reopens_read_only(tmp_path):
    path = tmp_path / "store"
    s = TrialStore(path)
    _load(s, "file:///a.txt", _trial())
    s.flush()
    del s
    ro = TrialStore(path, read_only=True)
    assert ro.stats()["trials"] == 1
    with pytest.raises(PermissionError):
        ro.drop_graph(graph_iri("file:///a.txt"))
    with pytest.raises(FileNotFoundError):
        TrialStore(tmp_path / "nothing", read_only=True)


def test_substitutions_bind_terms_not_text(store):
    _load(store, "file:///a.txt", _trial())
    q = "SELECT ?t ?id WHERE { ?t tg:nctId ?id }"  # SEP-0007: bound variables must be projected
    assert _values(store, q) == [trial_iri("NCT05522582")]
    hostile = ox.Literal('NCT05522582" } ; DROP ALL ; #')
    assert list(store.query(q, {"id": hostile})) == []
    assert len(_values(store, q)) == 1


def test_registry_mesh_terms_link_shared_nodes(store):
    from kg.record import MeshTerm

    leaf = MeshTerm("Breast Neoplasms", "D001943", ancestors=[MeshTerm("Neoplasms", "D009369")],
                    as_found="Breast Cancer")
    drug = MeshTerm("Palbociclib", "D000077209")
    _load(store, "file:///a.txt", _trial(conditions=["Breast Cancer"], condition_mesh=[leaf],
                                         interventions=[Intervention("Palbociclib", "Drug")], arms=[],
                                         intervention_mesh=[drug]))
    mesh = "http://id.nlm.nih.gov/mesh/"
    assert _values(store, "SELECT ?m WHERE { ?t tg:studiesCondition ?c . ?c skos:exactMatch ?m }") == [mesh + "D001943"]
    assert _values(store, "SELECT ?t WHERE { ?t tg:studiesCondition/skos:broader ?m "
                          f"FILTER(?m = <{mesh}D009369>) }}") == [trial_iri("NCT05522582")]
    assert _values(store, "SELECT ?m WHERE { ?t tg:hasIntervention/skos:exactMatch ?m }") == [mesh + "D000077209"]
    assert _values(store, f"SELECT ?l WHERE {{ <{mesh}D001943> rdfs:label ?l }}") == ["Breast Neoplasms"]


def test_registry_mesh_leaves_without_ancestors_use_the_mesh_tree(store):
    """A module with several leaves gives no per-leaf ancestors: MeSH's own tree places each leaf."""
    from kg.record import MeshTerm

    leaves = [MeshTerm("Breast Neoplasms", "D001943", as_found="Breast Cancer"),
              MeshTerm("Asthma", "D001249", as_found="Asthma")]
    _load(store, "file:///a.txt", _trial(conditions=["Breast Cancer", "Asthma"], condition_mesh=leaves))
    mesh = "http://id.nlm.nih.gov/mesh/"
    under_neoplasms = _values(store, "SELECT DISTINCT ?l WHERE { ?t tg:studiesCondition ?c . ?c rdfs:label ?l ; "
                                     f"skos:broader+ <{mesh}D009369> }}")  # Neoplasms
    assert under_neoplasms == ["Breast Cancer"]
    under_lung = _values(store, "SELECT DISTINCT ?l WHERE { ?t tg:studiesCondition ?c . ?c rdfs:label ?l ; "
                                f"skos:broader+ <{mesh}D008171> }}")  # Lung Diseases
    assert under_lung == ["Asthma"]

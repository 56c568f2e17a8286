"""Term nodes reach vocabulary concepts in a real store: the queries MODEL.md promises users.

Hand-made trials go through the real mapper into an in-memory store that has the curated
vocabulary loaded, and SPARQL (`?t tg:hasIntervention/skos:broader* ?c`) must find them under
the concepts the names mean.
"""

from __future__ import annotations

import pytest

from kg.mapper import Provenance, map_document
from kg.record import Intervention, Trial
from kg.store import TrialStore
from kg.vocab import VOCABULARY_GRAPH, concept_iri, graph_iri

TRIALS = [
    Trial(nct_id="NCT90000001", title="Methotrexate with radiotherapy",
          interventions=[Intervention("Methotrexate tablets", "Drug"), Intervention("Radiotherapy", "Radiation")],
          conditions=["Solid Tumors"]),
    Trial(nct_id="NCT90000002", title="Methotrexate alone",
          interventions=[Intervention("methotrexate", "DRUG")], conditions=["Lung Neoplasms"]),
    Trial(nct_id="NCT90000003", title="Intrathecal pemetrexed and involved-field radiotherapy",
          interventions=[Intervention("intrathecal pemetrexed", "Drug"),
                         Intervention("involved-field radiation therapy", "Radiation")],
          conditions=["Leptomeningeal Metastases"]),
    Trial(nct_id="NCT90000004", title="Anti-PD-1 antibody",
          interventions=[Intervention("Anti-PD-1 monoclonal antibody", "Drug")], conditions=["Solid Tumors"]),
    Trial(nct_id="NCT90000005", title="Pembrolizumab and SBRT",
          interventions=[Intervention("Pembrolizumab", "DRUG"),
                         Intervention("Stereotactic body radiation therapy", "RADIATION")],
          conditions=["Non-Small Cell Lung Cancer"]),
    Trial(nct_id="NCT90000006", title="Olaparib versus placebo",
          interventions=[Intervention("Olaparib 300 mg tablets", "DRUG"), Intervention("Placebo", "DRUG")],
          conditions=["Ovarian Cancer"]),
    Trial(nct_id="NCT90000007", title="Questionnaire study",
          interventions=[Intervention("Questionnaire", "OTHER")], conditions=["Healthy"]),
    Trial(nct_id="NCT90000008", title="Tadalafil in heart failure",
          interventions=[Intervention("Tadalafil 20 mg tablets", "DRUG")], conditions=["Chronic Heart Failure"]),
    # The same brand name twice: only one trial reports what it contains.
    Trial(nct_id="NCT90000009", title="CPX-351",
          interventions=[Intervention("Vyxeos", "DRUG",
                                      other_names=["cytarabine and daunorubicin liposome, CPX-351"])]),
    Trial(nct_id="NCT90000010", title="Vyxeos again", interventions=[Intervention("Vyxeos", "DRUG")]),
]


@pytest.fixture(scope="module")
def store() -> TrialStore:
    s = TrialStore(in_memory=True)
    s.ensure_ontology()
    for i, trial in enumerate(TRIALS):
        graph = graph_iri(f"test-linking-{i}")
        out, _ = map_document([trial], graph, Provenance(f"urn:test:linking:{i}", "test", "0", f"sha{i}"))
        s.replace_graph(graph, out.ntriples())
    return s


def trials_under(store: TrialStore, concept_key: str, prop: str = "hasIntervention") -> set[str]:
    rows = store.query(f"""
        SELECT DISTINCT ?id WHERE {{
            ?t tg:{prop}/skos:broader* <{concept_iri(concept_key)}> ; tg:nctId ?id .
        }}""")
    return {r["id"].value for r in rows}


def test_vocabulary_graph_is_loaded(store: TrialStore) -> None:
    rows = store.query(f"""
        SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?c a skos:Concept, tg:Concept }} }}""")
    assert int(next(iter(rows))["n"].value) >= 100


def test_two_spellings_of_methotrexate_meet_at_one_concept(store: TrialStore) -> None:
    rows = store.query(f"""
        SELECT ?label WHERE {{
            ?term a tg:Intervention ; rdfs:label ?label ; skos:broader <{concept_iri("drug/methotrexate")}> .
        }} ORDER BY ?label""")
    assert [r["label"].value for r in rows] == ["Methotrexate tablets", "methotrexate"]
    assert trials_under(store, "drug/methotrexate") == {"NCT90000001", "NCT90000002"}


def test_radiotherapy_finds_every_kind(store: TrialStore) -> None:
    assert trials_under(store, "radiotherapy") == {"NCT90000001", "NCT90000003", "NCT90000005"}
    assert trials_under(store, "sbrt") == {"NCT90000005"}


def test_pd1_inhibitor_finds_class_and_named_drug(store: TrialStore) -> None:
    assert trials_under(store, "pd-1-inhibitor") == {"NCT90000004", "NCT90000005"}
    assert trials_under(store, "immune-checkpoint-inhibitor") == {"NCT90000004", "NCT90000005"}
    assert trials_under(store, "pd-l1-inhibitor") == set()


def test_antifolates_reach_methotrexate_and_pemetrexed_trials(store: TrialStore) -> None:
    assert trials_under(store, "antifolate") == {"NCT90000001", "NCT90000002", "NCT90000003"}


def test_concepts_carry_labels_and_public_ids(store: TrialStore) -> None:
    rows = store.query(f"""
        SELECT ?label ?match WHERE {{
            <{concept_iri("drug/methotrexate")}> rdfs:label ?label ; skos:exactMatch ?match .
        }}""")
    got = {(r["label"].value, r["match"].value) for r in rows}
    assert got == {("methotrexate", "http://id.nlm.nih.gov/mesh/D008727"),
                   ("methotrexate", "https://go.drugbank.com/drugs/DB00563")}


def test_dynamic_drug_concept_is_written_into_the_document_graph(store: TrialStore) -> None:
    olaparib = concept_iri("drug/olaparib")
    rows = store.query(f"""
        SELECT ?g ?label ?match ?class WHERE {{
            GRAPH ?g {{ <{olaparib}> a skos:Concept ; rdfs:label ?label ; skos:exactMatch ?match ;
                                     skos:broader ?class }}
        }}""")
    got = sorted((r["g"].value, r["label"].value, r["match"].value, r["class"].value) for r in rows)
    # DrugBank from the drug dictionary; MeSH has olaparib as a supplementary concept (C531550).
    assert got == [(graph_iri("test-linking-5"), "olaparib", match, concept_iri("parp-inhibitor"))
                   for match in ("http://id.nlm.nih.gov/mesh/C531550", "https://go.drugbank.com/drugs/DB09074")]
    assert trials_under(store, "parp-inhibitor") == {"NCT90000006"}
    assert trials_under(store, "placebo") == {"NCT90000006"}


def test_conditions_meet_in_the_hierarchy(store: TrialStore) -> None:
    assert trials_under(store, "lung-neoplasms", "studiesCondition") == {"NCT90000002", "NCT90000005"}
    assert trials_under(store, "neoplasms", "studiesCondition") == {
        "NCT90000001", "NCT90000002", "NCT90000003", "NCT90000004", "NCT90000005", "NCT90000006"}
    assert trials_under(store, "meningeal-neoplasms", "studiesCondition") == {"NCT90000003"}


def test_names_without_a_concept_have_no_broader_link(store: TrialStore) -> None:
    rows = store.query("""
        SELECT ?c WHERE { ?t tg:nctId "NCT90000007" ; tg:hasIntervention|tg:studiesCondition ?term .
                          ?term skos:broader ?c }""")
    assert list(rows) == []


def test_conditions_reach_their_mesh_ancestors(store: TrialStore) -> None:
    """Heart Failure (D006333) -> Heart Diseases (D006331) -> Cardiovascular Diseases (D002318)."""
    for mesh_id in ("D006333", "D006331", "D002318"):
        assert trials_under(store, f"mesh/{mesh_id}", "studiesCondition") == {"NCT90000008"}, mesh_id
    rows = store.query(f"""
        SELECT ?label ?match WHERE {{ <{concept_iri("mesh/D006331")}> rdfs:label ?label ; skos:exactMatch ?match }}""")
    assert {(r["label"].value, r["match"].value) for r in rows} == {
        ("Heart Diseases", "http://id.nlm.nih.gov/mesh/D006331")}


def test_named_drug_reaches_its_class_and_carries_its_mesh_id(store: TrialStore) -> None:
    assert trials_under(store, "pde5-inhibitor") == {"NCT90000008"}
    rows = store.query(f"""
        SELECT ?match WHERE {{ <{concept_iri("drug/tadalafil")}> skos:exactMatch ?match }}""")
    assert {r["match"].value for r in rows} == {"http://id.nlm.nih.gov/mesh/D000068581",
                                                 "https://go.drugbank.com/drugs/DB00820"}


def test_other_names_link_the_trials_use_not_the_shared_term(store: TrialStore) -> None:
    """"Vyxeos" names no drug; its other name does: that trial's use node reaches cytarabine and
    daunorubicin, while the term node both trials share stays unlinked."""
    for drug in ("drug/cytarabine", "drug/daunorubicin"):
        assert trials_under(store, drug, "interventionUse") == {"NCT90000009"}, drug
        assert trials_under(store, drug) == set(), drug
    rows = store.query("""
        SELECT ?c WHERE { ?term a tg:Intervention ; rdfs:label "Vyxeos" ; skos:broader ?c }""")
    assert list(rows) == []
    # The common case still goes through the term node: Methotrexate trials have no use links.
    assert trials_under(store, "drug/methotrexate", "interventionUse") == set()

"""The same trial from several sources is one trial (kg.link).

- Seed 002 (a Veeva page with no id) and a CT.gov v2 study of the same trial: matched by
  normalised title and lead sponsor. The page shows no NCT id, so the CT.gov document is
  hand-written here with a made-up NCT number, the page's exact title and its exact sponsor
  ("Chinese Academy of Medical Sciences & Peking Union Medical College").
- A real CT.gov record (PALLAS, NCT02513394, listing EudraCT 2014-005181-30) and an EU CTR record
  of it: the shared corpus has no EU record of any CT.gov trial it holds, so the EU one is
  hand-made from the CT.gov record's own EudraCT number and title.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.link import LINKS_GRAPH, link_trials
from kg.mapper import Provenance, map_document
from kg.pipeline import load_paths, source_iri
from kg.record import Organisation, Trial
from kg.store import TrialStore
from kg.vocab import OWL_SAME_AS, PROV, TG, graph_iri, trial_iri

ROOT = Path(__file__).resolve().parents[1]
VEEVA = ROOT / "examples" / "veeva_esophageal-radiotherapy.txt"
CORPUS = ROOT.parent / "shared" / "corpus"
PALLAS_JSON = CORPUS / "ctgov-v2" / "mcode" / "spec" / "data" / "NCT02513394.json"
PALLAS_XML = CORPUS / "ctgov-v2" / "mcode" / "spec" / "data" / "NCT02513394.xml"
TITLE = "Radiotherapy in Patients With Metastatic Esophageal Cancer Responding to PD-1 Inhibitor Plus Chemotherapy"
SPONSOR = "Chinese Academy of Medical Sciences & Peking Union Medical College"
NCT = "NCT09999002"
COUNT_TRIALS = f"""SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{
    ?t a <{TG}Trial> FILTER NOT EXISTS {{ ?t <{TG}sameTrialAs> ?c }} }}"""


def ctgov_study(nct: str, title: str, sponsor: str) -> dict[str, object]:
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": title,
                                 "organization": {"fullName": sponsor, "class": "OTHER"}},
        "statusModule": {"overallStatus": "RECRUITING", "startDateStruct": {"date": "2023-03", "type": "ACTUAL"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": sponsor, "class": "OTHER"}},
        "conditionsModule": {"conditions": ["Esophageal Cancer Stage IVb"]},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"]},
    }}


def links(store: TrialStore) -> set[tuple[str, str, str]]:
    return {(q.subject.value, q.predicate.value, q.object.value)
            for q in store.ox.quads_for_pattern(None, None, None, ox.NamedNode(LINKS_GRAPH))}


def count(store: TrialStore) -> int:
    return int(next(iter(store.query(COUNT_TRIALS)))["n"].value)


@pytest.fixture()
def veeva_pair(tmp_path: Path) -> tuple[TrialStore, str, Path]:
    """Store with seed 002 and a CT.gov study of the same trial; (store, Veeva trial IRI, json path)."""
    study = tmp_path / f"{NCT}.json"
    study.write_text(json.dumps(ctgov_study(NCT, TITLE, SPONSOR)), encoding="utf-8")
    store = TrialStore(in_memory=True)
    report = load_paths(store, [VEEVA, study])
    assert not report.failed, report.errors
    rows = store.query(f"SELECT ?t WHERE {{ ?t a <{TG}Trial> ; <{TG}title> ?x FILTER(STRSTARTS(STR(?t), \"{trial_iri('TG-')}\")) }}")
    (veeva,) = [r["t"].value for r in rows]
    return store, veeva, study


def test_idless_page_matched_by_title_and_sponsor(veeva_pair: tuple[TrialStore, str, Path]) -> None:
    store, veeva, study = veeva_pair
    nct = trial_iri(NCT)
    got = links(store)
    assert (veeva, OWL_SAME_AS, nct) in got and (nct, OWL_SAME_AS, veeva) in got
    assert (veeva, TG + "sameTrialAs", nct) in got
    assert not any(s == nct and p == TG + "sameTrialAs" for s, p, _ in got)  # NCT id is canonical
    rows = list(store.query(f"""SELECT ?m ?method ?key ?when WHERE {{ GRAPH <{LINKS_GRAPH}> {{
        ?m a <{TG}TrialMatch> ; <{TG}matchedTrial> <{veeva}>, <{nct}> ; <{TG}matchMethod> ?method ;
           <{TG}matchKey> ?key ; <{PROV}generatedAtTime> ?when }} }}""", union=False))
    assert len(rows) == 1
    assert rows[0]["method"].value == "title+sponsor"
    assert rows[0]["key"].value.startswith("radiotherapy-in-patients-with-metastatic-esophageal-cancer")
    derived = {o for s, p, o in got if s == rows[0]["m"].value and p == PROV + "wasDerivedFrom"}
    assert derived == {graph_iri(source_iri(VEEVA)), graph_iri(source_iri(study))}


def test_linked_trial_counts_once(veeva_pair: tuple[TrialStore, str, Path]) -> None:
    store, _, _ = veeva_pair
    all_iris = int(next(iter(store.query(f"SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a <{TG}Trial> }}")))["n"].value)
    assert all_iris == 2 and count(store) == 1


def test_relinking_is_idempotent(veeva_pair: tuple[TrialStore, str, Path]) -> None:
    store, _, _ = veeva_pair
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    link_trials(store, now=when)
    first = links(store)
    report = link_trials(store, now=when)
    assert links(store) == first
    assert len(report.matches) == 1
    assert sum(1 for _, p, o in first if o == TG + "TrialMatch") == 1


def test_dropping_a_document_removes_its_link(veeva_pair: tuple[TrialStore, str, Path]) -> None:
    store, veeva, study = veeva_pair
    store.drop_graph(graph_iri(source_iri(study)))
    report = link_trials(store)
    assert report.matches == [] and links(store) == set()
    assert not bool(store.query(f"ASK {{ <{veeva}> ?p <{trial_iri(NCT)}> }}"))
    assert count(store) == 1


def test_same_title_other_sponsor_is_not_matched(tmp_path: Path) -> None:
    study = tmp_path / "other.json"
    study.write_text(json.dumps(ctgov_study("NCT09999003", TITLE, "Sun Yat-sen University")), encoding="utf-8")
    store = TrialStore(in_memory=True)
    load_paths(store, [VEEVA, study])
    assert link_trials(store).matches == [] and links(store) == set()
    assert count(store) == 2


def test_sponsor_spelling_variant_still_matches(tmp_path: Path) -> None:
    """Sponsor nodes fold spelling, so "and" for "&" is the same lead sponsor."""
    study = tmp_path / "variant.json"
    variant = SPONSOR.replace("&", "and").upper()
    study.write_text(json.dumps(ctgov_study(NCT, TITLE.upper() + ".", variant)), encoding="utf-8")
    store = TrialStore(in_memory=True)
    load_paths(store, [VEEVA, study])
    assert [m.method for m in link_trials(store).matches] == ["title+sponsor"]


# --- secondary ids ------------------------------------------------------------------------------


def eu_record(registry_id: str) -> Trial:
    return Trial(
        registry_id=registry_id,
        title="PALbociclib CoLlaborative Adjuvant Study (PALLAS)",
        lead_sponsor=Organisation("ABCSG GmbH"),
        overall_status="Completed",
    )


def add_record(store: TrialStore, trial: Trial, source: str) -> str:
    graph = graph_iri(source)
    out, _ = map_document([trial], graph, Provenance(source, "handmade", "1", "0" * 64))
    store.replace_graph(graph, out.ntriples())
    return graph


@pytest.fixture()
def pallas_store() -> TrialStore:
    if not PALLAS_JSON.exists():
        pytest.skip(f"shared corpus not present at {CORPUS} (a fresh clone without ../shared)")
    store = TrialStore(in_memory=True)
    report = load_paths(store, [PALLAS_JSON])
    assert not report.failed, report.errors
    return store


@pytest.mark.parametrize("eu_id", ["2014-005181-30", "2014-005181-30-DE"])
def test_secondary_eudract_id_links_registries(pallas_store: TrialStore, eu_id: str) -> None:
    store = pallas_store
    graph = add_record(store, eu_record(eu_id), f"urn:test:euctr:{eu_id}")
    report = link_trials(store)
    eu, nct = trial_iri(eu_id), trial_iri("NCT02513394")
    assert [(m.method, m.value) for m in report.matches] == [("secondary-id", "2014-005181-30")]
    got = links(store)
    assert {(eu, OWL_SAME_AS, nct), (nct, OWL_SAME_AS, eu), (eu, TG + "sameTrialAs", nct)} <= got
    match = next(s for s, p, o in got if p == TG + "matchMethod")
    derived = {o for s, p, o in got if s == match and p == PROV + "wasDerivedFrom"}
    assert derived == {graph, graph_iri(source_iri(PALLAS_JSON))}
    assert count(store) == 1


def test_unrelated_registry_record_is_not_linked(pallas_store: TrialStore) -> None:
    add_record(pallas_store, eu_record("2014-005181-31"), "urn:test:euctr:other")
    assert link_trials(pallas_store).matches == []
    assert count(pallas_store) == 2


def test_same_nct_from_two_formats_is_one_iri_without_a_match(pallas_store: TrialStore) -> None:
    """The corpus holds PALLAS as v2 JSON and as legacy XML: one IRI, nothing to link."""
    report = load_paths(pallas_store, [PALLAS_XML])
    assert not report.failed, report.errors
    assert link_trials(pallas_store).matches == []
    assert count(pallas_store) == 1
    docs = pallas_store.query(f"SELECT (COUNT(?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g <{TG}describesTrial> <{trial_iri('NCT02513394')}> }} }}",
                              union=False)
    assert int(next(iter(docs))["n"].value) == 2


def test_stated_nct_same_as_gets_a_canonical_marker() -> None:
    """A record whose secondary id has scheme NCT: the mapper's owl:sameAs joins the cluster."""
    from kg.record import Identifier

    store = TrialStore(in_memory=True)
    add_record(store, Trial(registry_id="ISRCTN12345678", title="A trial registered twice",
                            secondary_ids=[Identifier("NCT09999004", scheme="NCT")]), "urn:test:isrctn")
    add_record(store, Trial(nct_id="NCT09999004", title="A trial registered twice"), "urn:test:nct")
    report = link_trials(store)
    assert report.clusters == {trial_iri("NCT09999004"): [trial_iri("ISRCTN12345678")]}
    assert count(store) == 1

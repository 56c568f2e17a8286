"""Interventions and conditions taken from prose when a record lists none (seed 004).

Expected names were read off the source texts by hand: examples/summary_NCT05305885.txt says
"intrathecal pemetrexed combined with involved-field radiation therapy ... for leptomeningeal
metastases from solid tumors" throughout, and mentions non-small-cell lung cancer once, as the
population of an earlier study.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import loaders
from kg.normalize.extract import enrich, find_mentions
from kg.normalize.vocabulary import CONDITIONS, INTERVENTIONS
from kg.pipeline import load_paths
from kg.record import Intervention, Trial
from kg.store import TrialStore
from kg.vocab import TG, concept_iri, trial_iri

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEED_004 = EXAMPLES / "summary_NCT05305885.txt"
CORPUS = ROOT.parent / "shared" / "corpus"


def read_one(path: Path) -> Trial:
    trials = [t for t in loaders.detect(path).read(path) if isinstance(t, Trial)]
    assert len(trials) == 1
    return trials[0]


@pytest.fixture(scope="module")
def seed_004() -> Trial:
    return enrich(read_one(SEED_004))


@pytest.fixture(scope="module")
def store() -> TrialStore:
    s = TrialStore(in_memory=True)
    report = load_paths(s, [EXAMPLES])
    assert not report.failed, report.errors
    return s


def test_seed_004_interventions_from_prose(seed_004: Trial) -> None:
    assert [(iv.name, iv.extracted) for iv in seed_004.interventions] == [
        ("intrathecal pemetrexed", True), ("involved-field radiation therapy", True)]


def test_seed_004_conditions_from_prose(seed_004: Trial) -> None:
    assert seed_004.conditions == []  # the page lists none: extracted ones are kept apart
    assert seed_004.extracted_conditions[0] == "leptomeningeal metastases"
    assert set(seed_004.extracted_conditions) <= {"leptomeningeal metastases", "solid tumors"}


def test_background_and_broader_mentions_are_not_extracted(seed_004: Trial) -> None:
    """One-off background (NSCLC of an earlier study) and concepts above a named one stay out."""
    names = {iv.name.casefold() for iv in seed_004.interventions} | set(seed_004.extracted_conditions)
    assert not names & {"radiotherapy", "intrathecal chemotherapy", "chemotherapy",
                        "non-small-cell lung cancer", "brain metastases", "metastases"}


def test_extracted_terms_in_the_store(store: TrialStore) -> None:
    t = trial_iri("NCT05305885")
    rows = store.query(f"""SELECT ?label WHERE {{ <{t}> <{TG}interventionUse> ?u .
        ?u <{TG}extractedFromText> true ; <{TG}interventionTerm>/<http://www.w3.org/2000/01/rdf-schema#label> ?label }}""")
    assert sorted(r["label"].value for r in rows) == ["intrathecal pemetrexed", "involved-field radiation therapy"]
    ask = store.query(f"""ASK {{ <{t}> <{TG}hasIntervention>/<http://www.w3.org/2004/02/skos/core#broader>* <{concept_iri('drug/pemetrexed')}> .
        <{t}> <{TG}hasIntervention>/<http://www.w3.org/2004/02/skos/core#broader>* <{concept_iri('involved-field-radiotherapy')}> .
        <{t}> <{TG}studiesCondition> ?c . <{t}> <{TG}extractedCondition> ?c .
        ?c <http://www.w3.org/2000/01/rdf-schema#label> "leptomeningeal metastases" .
        ?c <http://www.w3.org/2004/02/skos/core#broader>* <{concept_iri('leptomeningeal-metastases')}> }}""")
    assert bool(ask)


def test_listed_interventions_and_conditions_are_left_alone() -> None:
    veeva = read_one(EXAMPLES / "veeva_esophageal-radiotherapy.txt")
    assert enrich(veeva) is veeva
    listed = Trial(nct_id="NCT90000010", title="Pembrolizumab for melanoma",
                   brief_summary="Pembrolizumab and pembrolizumab again, for melanoma and melanoma.",
                   interventions=[Intervention("Pembrolizumab", "Drug")], conditions=["Melanoma"])
    assert enrich(listed) is listed


def test_observational_study_gets_conditions_but_no_interventions() -> None:
    t = Trial(nct_id="NCT90000011", study_type="OBSERVATIONAL",
              title="Outcomes of leptomeningeal metastases after intrathecal pemetrexed",
              brief_summary="A registry of patients with leptomeningeal metastases.")
    e = enrich(t)
    assert e.interventions == []
    assert e.extracted_conditions == ["leptomeningeal metastases"]


def test_generic_words_alone_extract_nothing() -> None:
    t = Trial(nct_id="NCT90000012", title="A study in patients with cancer",
              brief_summary="Patients with cancer. Tumor response to chemotherapy is measured. "
                            "In an earlier trial pemetrexed was given once.")
    e = enrich(t)
    assert e.extracted_conditions == []
    assert e.interventions == []  # "chemotherapy" once in prose; pemetrexed once, as background


def test_title_mentions_count_once_and_route_words_join_the_name() -> None:
    t = Trial(nct_id="NCT90000013", title="Oral Metformin for Type 2 Diabetes Mellitus",
              brief_summary="Participants take oral metformin daily.")
    e = enrich(t)
    assert [iv.name for iv in e.interventions] == ["oral metformin"]


def test_mentions_keep_their_text_and_span() -> None:
    text = "Then concomitant intrathecal pemetrexed and involved-field radiation therapy were given."
    ms = find_mentions(text, INTERVENTIONS)
    assert [(m.text, text[m.start:m.end]) for m in ms] == [
        ("intrathecal pemetrexed", "intrathecal pemetrexed"),
        ("involved-field radiation therapy", "involved-field radiation therapy")]
    assert [m.concept for m in find_mentions("Leptomeningeal metastases; breast cancer.", CONDITIONS)] == [
        "leptomeningeal-metastases", "breast-neoplasms"]


def test_corpus_expanded_access_record_without_interventions() -> None:
    """AACT fixture NCT03133988 lists no intervention; its titles name margetuximab."""
    path = CORPUS / "aact-fixtures" / "spec" / "support" / "xml_data" / "NCT03133988.xml"
    if not path.exists():
        pytest.skip(f"shared corpus not present at {CORPUS} (a fresh clone without ../shared)")
    trial = read_one(path)
    assert trial.interventions == []
    assert [(iv.name, iv.extracted) for iv in enrich(trial).interventions] == [("margetuximab", True)]

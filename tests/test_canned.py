"""Every canned query against a small, hand-built graph whose answers can be worked out by hand.

The four records below are modelled on the seed trials (methotrexate with radiotherapy, an
esophageal-cancer radiotherapy trial...). Their concepts are fixed here (a patched normaliser plus
a curated vocabulary graph) so the expected rows follow from the records alone, whatever the
project's normaliser learns later. The seed pages themselves are loaded at the end of this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import canned
from kg.canned import ParameterError
from kg.record import (
    Arm, Intervention, Organisation, PartialDate, Site, Trial, TrialDate,
)
from kg.store import TrialStore
from kg.vocab import TG, concept_iri, condition_term_iri, intervention_term_iri, trial_iri
from tests.conftest import fixed_vocabulary_store, run_canned


# --- the hand-made graph ---------------------------------------------------------------------

# concept key -> (label, broader concept keys): a slice of what ontology/vocabulary.ttl curates.
CONCEPTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "test/methotrexate": ("methotrexate", ("test/antifolates",)),
    "test/antifolates": ("antifolates", ()),
    "test/pembrolizumab": ("pembrolizumab", ("test/pd-1-inhibitor",)),
    "test/pd-1-inhibitor": ("PD-1 inhibitor", ("test/immune-checkpoint-inhibitor",)),
    "test/immune-checkpoint-inhibitor": ("immune checkpoint inhibitor", ()),
    "test/radiotherapy": ("radiotherapy", ()),
    "test/esophageal-cancer": ("esophageal cancer", ()),
}
# reported name (lower case) -> the concept its term node is filed under
TERM_CONCEPTS: dict[str, str] = {
    "methotrexate tablets": "test/methotrexate",
    "methotrexate injection": "test/methotrexate",
    "pembrolizumab": "test/pembrolizumab",
    "anti-pd-1 monoclonal antibody": "test/pd-1-inhibitor",
    "radiotherapy": "test/radiotherapy",
    "involved-field radiation therapy": "test/radiotherapy",
    "esophageal cancer stage ivb": "test/esophageal-cancer",
    "esophageal cancer": "test/esophageal-cancer",
}

A, B, C, D = "NCT91000001", "NCT91000002", "NCT91000003", "ChiCTR2300000001"
YANCHENG = "Yancheng First People's Hospital"
PEKING = "Peking University"
SYSU = "Sun Yat-sen University Cancer Center"
MGH = Site("Massachusetts General Hospital", "Boston", "Massachusetts", None, "United States")


def records() -> list[Trial]:
    """Four trials: A and B share two term nodes (B spells one differently) and meet at
    concepts; C and D meet A only at concepts; B and C are recruiting and share a US site."""
    a = Trial(
        nct_id=A, title="Methotrexate Combined With Immunotherapy During Radiotherapy for Solid Tumors",
        phases=["Phase 2"], overall_status="Active, not recruiting", study_type="INTERVENTIONAL",
        enrollment=50, start_date=TrialDate(PartialDate(2022, 9, 1), "actual"),
        completion_date=TrialDate(PartialDate(2024, 12)),
        conditions=["Solid Tumors"],
        interventions=[Intervention("Methotrexate tablets", "Drug", "5 mg twice a week"),
                       Intervention("Anti-PD-1 monoclonal antibody", "Drug"),
                       Intervention("Radiotherapy", "Radiation")],
        arms=[Arm("Methotrexate + anti-PD-1 + radiotherapy", "EXPERIMENTAL",
                  intervention_names=["Methotrexate tablets", "Anti-PD-1 monoclonal antibody",
                                      "Radiotherapy"])],
        lead_sponsor=Organisation(YANCHENG, "OTHER"),
        sites=[Site(YANCHENG, "Yancheng", "Jiangsu", None, "China")],
    )
    b = Trial(
        nct_id=B, title="Low-dose Methotrexate and Pembrolizumab With Radiotherapy in Esophageal Cancer",
        phases=["PHASE1/PHASE2"], overall_status="RECRUITING", study_type="INTERVENTIONAL",
        enrollment=120, start_date=TrialDate(PartialDate(2023, 3), "actual"),
        conditions=["Esophageal Cancer Stage IVb", "Solid Tumors"],
        interventions=[Intervention("Methotrexate Tablets", "DRUG"),
                       Intervention("Pembrolizumab", "DRUG", other_names=["Keytruda"]),
                       Intervention("RADIOTHERAPY", "RADIATION")],
        lead_sponsor=Organisation(PEKING, "OTHER"),
        collaborators=[Organisation(YANCHENG, "OTHER")],
        sites=[Site("Peking University Cancer Hospital", "Beijing", None, None, "China", "RECRUITING"),
               MGH],
    )
    c = Trial(
        nct_id=C, title="Subcutaneous Methotrexate Injection in Early Rheumatoid Arthritis",
        phases=["Phase 4"], overall_status="Enrolling", study_type="Interventional",
        conditions=["Rheumatoid Arthritis"],
        interventions=[Intervention("Methotrexate injection", "Drug"), Intervention("Placebo", "Drug")],
        lead_sponsor=Organisation(PEKING), sites=[MGH],
    )
    d = Trial(
        registry_id=D, title="Involved-field Radiation Therapy for Elderly Esophageal Cancer",
        phases=["N/A"], overall_status="Completed", study_type="Interventional",
        conditions=["Esophageal Cancer"],
        interventions=[Intervention("Involved-field radiation therapy", "Radiation")],
        lead_sponsor=Organisation(SYSU), sites=[Site(SYSU, "Guangzhou", "Guangdong", None, "China")],
    )
    return [a, b, c, d]


def build_store(path: Path | None = None) -> TrialStore:
    """The hand-made graph: one document (graph) per trial plus the vocabulary graph."""
    documents = [(f"https://example.org/records/{t.nct_id or t.registry_id}.txt", [t]) for t in records()]
    return fixed_vocabulary_store(documents, CONCEPTS, TERM_CONCEPTS, path)


@pytest.fixture(scope="module")
def store() -> Iterator[TrialStore]:
    yield build_store()


run = run_canned


def tiri(tid: str) -> str:
    return trial_iri(tid)


def by_other(rows: list[dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
    return {r["other"]: r for r in rows}  # type: ignore[index]


def parts(value: str | None) -> set[str]:
    return set(value.split(" | ")) if value else set()


# --- every canned query, answers worked out from the records above -----------------------------


def test_every_query_file_parses_and_is_covered() -> None:
    names = set(canned.queries())
    assert names == {
        "trials-sharing-interventions", "trial-summary", "trials-by-intervention", "trials-by-condition",
        "interventions", "sponsors", "sites-by-country", "recruiting-by-condition-country",
        "intervention-network", "similar-trials",  # tested in test_ranking.py
    }
    for q in canned.queries().values():
        assert q.summary and q.description, q.name
        for example in q.examples:
            q.bind(example)  # every example is a valid binding


def names(value: str | None) -> set[str]:
    """Shared labels without their "(weight)" suffix, lower case."""
    return {p.rsplit(" (", 1)[0].lower() for p in parts(value)}


def test_sharing_same_terms_and_nearest_concepts(store: TrialStore) -> None:
    rows = run(store, "trials-sharing-interventions", trial=A)
    assert [r["other"] for r in rows][0] == tiri(B)  # three shared beats one
    got = by_other(rows)
    assert set(got) == {tiri(B), tiri(C), tiri(D)}
    b = got[tiri(B)]
    # B reports "Methotrexate Tablets" and "RADIOTHERAPY": the same term nodes as A's names. A's
    # anti-PD-1 antibody is filed directly under PD-1 inhibitor, B's pembrolizumab one step below
    # it: for B that is a class, so the pair shares PD-1 inhibitor as a class.
    assert (b["shared"], b["sameIntervention"], b["sameConcept"], b["sameClass"]) == ("3", "2", "0", "1")
    assert names(b["interventions"]) == {"methotrexate tablets", "radiotherapy"}
    assert names(b["classes"]) == {"pd-1 inhibitor"}
    assert b["nctId"] == B and b["title"].startswith("Low-dose Methotrexate")
    # C's injection meets A's tablets at methotrexate, the nearest concept of both
    # (antifolates is further up: not reported).
    assert names(got[tiri(C)]["concepts"]) == {"methotrexate"} and not got[tiri(C)]["classes"]
    assert names(got[tiri(D)]["concepts"]) == {"radiotherapy"}
    assert got[tiri(D)]["nctId"] is None  # a ChiCTR-only trial
    assert all(r["trial"] == tiri(A) for r in rows)
    scores = [float(r["score"]) for r in rows]  # type: ignore[arg-type]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_sharing_from_a_trial_with_concept_links_only(store: TrialStore) -> None:
    got = by_other(run(store, "trials-sharing-interventions", trial=C))
    assert set(got) == {tiri(A), tiri(B)}
    assert all(r["sameIntervention"] == "0" and names(r["concepts"]) == {"methotrexate"}
               for r in got.values())
    # Both share the same node with C, so both get the same weight.
    assert got[tiri(A)]["score"] == got[tiri(B)]["score"]


def test_sharing_accepts_the_trial_iri_and_other_registry_ids(store: TrialStore) -> None:
    assert by_other(run(store, "trials-sharing-interventions", trial=tiri(D))).keys() == {tiri(A), tiri(B)}
    assert run(store, "trials-sharing-interventions", trial="NCT99999999") == []


def test_trial_summary(store: TrialStore) -> None:
    rows = run(store, "trial-summary", trial=B)
    facts: dict[str, set[str]] = {}
    for r in rows:
        facts.setdefault(r["fact"], set()).add(r["value"])  # type: ignore[arg-type]
    assert facts["NCT id"] == {B}
    assert facts["overall status"] == {"Recruiting"}
    assert facts["phase"] == {"Phase1", "Phase2"}  # "PHASE1/PHASE2" gives two
    assert facts["enrollment"] == {"120"}
    assert facts["start date"] == {"2023-03"}
    assert facts["lead sponsor"] == {PEKING}
    assert facts["collaborator"] == {YANCHENG}
    assert facts["condition"] == {"Esophageal Cancer Stage IVb", "Solid Tumors"}
    assert {v.lower() for v in facts["intervention"]} == {"methotrexate tablets", "pembrolizumab", "radiotherapy"}
    assert len(facts["intervention"]) == 3  # one label per shared node
    assert facts["country"] == {"China", "United States"}
    assert facts["sites"] == {"2"}
    status = next(r for r in rows if r["fact"] == "overall status")
    assert status["node"] == TG + "Recruiting"
    assert run(store, "trial-summary", trial="NCT00000000") == []


@pytest.mark.parametrize(("value", "expected"), [
    ("methotrexate", {A, B, C}),  # the concept and both term labels
    ("METHOTREXATE TAB", {A, B}),  # case-insensitive, the tablets term only
    ("radiation", {D}),  # only "Involved-field radiation therapy" says radiation
    ("radiotherapy", {A, B, D}),  # the term, and the concept above D's term
    (concept_iri("test/pd-1-inhibitor"), {A, B}),  # narrower pembrolizumab included
    (concept_iri("test/immune-checkpoint-inhibitor"), {A, B}),  # two levels down
    (concept_iri("test/antifolates"), {A, B, C}),
    (intervention_term_iri("Placebo"), {C}),
    ("no such drug", set()),
])
def test_trials_by_intervention(store: TrialStore, value: str, expected: set[str]) -> None:
    rows = run(store, "trials-by-intervention", intervention=value)
    assert {r["trial"] for r in rows} == {tiri(t) for t in expected}
    assert len(rows) == len(expected)  # one row per trial


def test_trials_by_intervention_lists_the_trials_own_names(store: TrialStore) -> None:
    rows = {r["trial"]: r for r in run(store, "trials-by-intervention", intervention="methotrexate")}
    assert rows[tiri(C)]["interventions"] == "Methotrexate injection"
    assert rows[tiri(C)]["nctId"] == C


@pytest.mark.parametrize(("value", "expected"), [
    ("esophageal", {B, D}),
    (concept_iri("test/esophageal-cancer"), {B, D}),
    (condition_term_iri("Solid Tumors"), {A, B}),
    ("ARTHRITIS", {C}),
    ("cancer", {B, D}),
])
def test_trials_by_condition(store: TrialStore, value: str, expected: set[str]) -> None:
    rows = run(store, "trials-by-condition", condition=value)
    assert {r["trial"] for r in rows} == {tiri(t) for t in expected}


def test_interventions(store: TrialStore) -> None:
    rows = run(store, "interventions")
    counts = {r["label"].lower(): int(r["trials"]) for r in rows}  # type: ignore[union-attr]
    assert counts == {"methotrexate tablets": 2, "radiotherapy": 2, "anti-pd-1 monoclonal antibody": 1,
                      "pembrolizumab": 1, "methotrexate injection": 1, "placebo": 1,
                      "involved-field radiation therapy": 1}
    assert [int(r["trials"]) for r in rows] == sorted((int(r["trials"]) for r in rows), reverse=True)


def test_sponsors(store: TrialStore) -> None:
    rows = {r["label"]: (r["leadTrials"], r["collaboratorTrials"], r["trials"]) for r in run(store, "sponsors")}
    assert rows == {PEKING: ("2", "0", "2"), YANCHENG: ("1", "1", "2"), SYSU: ("1", "0", "1")}


def test_sites_by_country(store: TrialStore) -> None:
    rows = run(store, "sites-by-country")
    # China: A's, B's and D's hospitals; the US: one hospital shared by B and C.
    assert [(r["countryName"], r["sites"], r["trials"]) for r in rows] == [
        ("China", "3", "3"), ("United States", "1", "2")]
    only = run(store, "sites-by-country", country="united STATES")
    assert [(r["countryName"], r["sites"], r["trials"]) for r in only] == [("United States", "1", "2")]
    assert run(store, "sites-by-country", country="France") == []


@pytest.mark.parametrize(("params", "expected"), [
    # B (RECRUITING) and C ("Enrolling" maps to Recruiting); A is active, D completed.
    ({}, {("Esophageal Cancer Stage IVb", "China"), ("Esophageal Cancer Stage IVb", "United States"),
          ("Solid Tumors", "China"), ("Solid Tumors", "United States"),
          ("Rheumatoid Arthritis", "United States")}),
    ({"condition": "esophageal"}, {("Esophageal Cancer Stage IVb", "China"),
                                   ("Esophageal Cancer Stage IVb", "United States")}),
    ({"condition": concept_iri("test/esophageal-cancer")}, {("Esophageal Cancer Stage IVb", "China"),
                                                            ("Esophageal Cancer Stage IVb", "United States")}),
    ({"country": "united states"}, {("Esophageal Cancer Stage IVb", "United States"),
                                    ("Solid Tumors", "United States"),
                                    ("Rheumatoid Arthritis", "United States")}),
    ({"condition": "arthritis", "country": "China"}, set()),
    ({"condition": condition_term_iri("Solid Tumors"), "country": "China"}, {("Solid Tumors", "China")}),
])
def test_recruiting_by_condition_country(store: TrialStore, params: dict[str, str],
                                         expected: set[tuple[str, str]]) -> None:
    rows = run(store, "recruiting-by-condition-country", **params)
    assert {(r["conditionLabel"], r["countryName"]) for r in rows} == expected
    assert all(r["trials"] == "1" for r in rows)
    assert len(rows) == len(expected)


# --- parameter binding ---------------------------------------------------------------------


def _dump(store: TrialStore) -> set[str]:
    return {str(q) for q in store.ox}


@pytest.mark.parametrize(("name", "params", "message"), [
    ("trial-summary", {}, "needs parameter 'trial'"),
    ("trial-summary", {"trial": "   "}, "parameter 'trial' is empty"),
    ("trial-summary", {"trial": A, "limit": "5"}, "unknown parameter(s) limit"),
    ("trials-by-intervention", {}, "needs parameter 'intervention'"),
    ("trial-summary", {"trial": "NCT1> } ; DROP ALL ; #"}, "neither a trial id nor an IRI"),
    ("sites-by-country", {"nation": "China"}, "unknown parameter(s) nation"),
])
def test_bad_parameters_are_refused(name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        canned.get(name).bind(params)


@pytest.mark.parametrize(("name", "param"), [
    ("trials-by-intervention", "intervention"), ("trials-by-condition", "condition"),
    ("sites-by-country", "country"), ("recruiting-by-condition-country", "condition"),
])
def test_injection_is_just_a_value_that_matches_nothing(name: str, param: str) -> None:
    store = build_store()
    before = _dump(store)
    for attack in ("NCT1> } ; DROP ALL ; #", '" } } DROP ALL ; SELECT * { "', "x') || true || ('"):
        assert run(store, name, **{param: attack}) == []
    assert _dump(store) == before


def test_unknown_query_name() -> None:
    with pytest.raises(KeyError, match="no canned query 'nope'"):
        canned.get("nope")


def test_binding_kinds_match_the_query_variables() -> None:
    """Every parameter is a projected variable (Oxigraph only substitutes those)."""
    for q in canned.queries().values():
        head = q.text[q.text.index("SELECT"):q.text.index("WHERE")]
        for p in q.params:
            assert f"?{p.name}" in head, (q.name, p.name)


# --- the seed pages ------------------------------------------------------------------------------


def test_every_canned_query_runs_on_the_seeds(seed_store: TrialStore) -> None:
    for q in canned.queries().values():
        for example in q.examples or ({},):
            run(seed_store, q.name, **example)  # no error, whatever the normaliser links


def test_seed_trial_summary_matches_the_medpath_page(seed_store: TrialStore) -> None:
    rows = run(seed_store, "trial-summary", trial="NCT05522582")
    assert rows, "the medpath loader did not load NCT05522582"
    facts: dict[str, set[str]] = {}
    nodes: dict[str, set[str]] = {}
    for r in rows:
        facts.setdefault(r["fact"], set()).add(r["value"])  # type: ignore[arg-type]
        nodes.setdefault(r["fact"], set()).add(r["node"])  # type: ignore[arg-type]
    # From examples/medpath_NCT05522582.txt: title, "Phase 2", "Active, not recruiting",
    # "Lead Sponsor: Yancheng First People's Hospital", interventions listed under Interventions.
    assert facts["title"] == {"Methotrexate Combined With Immunotherapy During Radiotherapy for Solid Tumors"}
    assert nodes["phase"] == {TG + "Phase2"}
    assert nodes["overall status"] == {TG + "ActiveNotRecruiting"}
    assert facts["lead sponsor"] == {YANCHENG}
    assert {"Radiotherapy", "Anti-PD-1 monoclonal antibody"} <= facts["intervention"]
    by_iv = run(seed_store, "trials-by-intervention", intervention="radiotherapy")
    assert tiri("NCT05522582") in {r["trial"] for r in by_iv}

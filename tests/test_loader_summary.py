"""The "Clinical Trial Summary" page loader, on the seed page and on hand-varied pages.

Expected values were read off the pages (examples/summary_NCT05305885.txt and
tests/fixtures/summary/), not copied from the loader's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import loaders
from kg.pipeline import load_file
from kg.record import PartialDate
from kg.store import TrialStore
from kg.vocab import TG
from loaders import summary
from loaders.base import LoaderError

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "summary_NCT05305885.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "summary"
REORDERED = FIXTURES / "reordered-phase12.txt"
NO_NCT = FIXTURES / "no-nct-official-title.txt"
TRUNCATED = FIXTURES / "truncated.txt"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def seed():
    return summary.parse(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reordered():
    return summary.parse(REORDERED.read_text(encoding="utf-8"))


def _rows(store: TrialStore, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(term.value) for term in row) for row in store.query(query))


# --- sniffing ------------------------------------------------------------------------------------


def test_sniffer_claims_the_seed_and_the_fixtures():
    for path in (SEED, REORDERED, NO_NCT, TRUNCATED):
        assert summary.sniff(loaders.head_of(path)), path.name
    assert loaders.detect(SEED).name == "summary"


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "examples").iterdir() if p != SEED),
                         ids=lambda p: p.name)
def test_sniffer_rejects_the_other_seed_layouts(path: Path):
    assert not summary.sniff(loaders.head_of(path))


@pytest.mark.parametrize("head", ['{"title": "Clinical Trial Summary"}',
                                  "<html><h1>Clinical Trial Summary</h1>\nSee also\n</html>",
                                  "Clinical Trial Summary\nA page that only mentions the phrase."])
def test_sniffer_rejects_json_html_and_bare_mentions(head: str):
    assert not summary.sniff(head)


# --- the seed page ----------------------------------------------------------------------------------


def test_seed_key_value_block(seed):
    assert seed.nct_id == "NCT05305885"
    assert seed.title is None and seed.official_title is None  # the page prints no title
    assert seed.study_type == "Interventional"
    assert seed.lead_sponsor.name == "The First Hospital of Jilin University"
    assert seed.overall_status == "Recruiting"
    assert seed.phases == ["N/A"]
    assert seed.start_date.date == PartialDate(2022, 8, 19)
    assert seed.completion_date.date == PartialDate(2024, 7)
    assert seed.enrollment is None and seed.conditions == []


def test_seed_contact_has_no_phone_or_email(seed):
    assert [(p.name, p.role) for p in seed.contacts] == [("Zhenyu Pan, PhD.", "Contact")]
    dump = repr(seed)
    assert "8615804302753" not in dump and "dr-zypan@163.com" not in dump


def test_seed_prose_and_no_invented_lists(seed):
    assert seed.brief_summary.startswith("Intrathecal chemotherapy is one of the mainstay treatment options")
    assert seed.brief_summary.endswith("to confirm an optimized therapeutic regimen.")
    assert seed.detailed_description.startswith("In this randomized, open-label, multicenter clinical trial")
    assert seed.detailed_description.endswith("neurological progression-free survival.")  # " ;" dropped
    assert seed.interventions == [] and seed.arms == []  # prose only: a later step extracts them


def test_seed_related_trials(seed):
    rel = seed.related_trials
    assert len(rel) == 20
    first, second = rel[0], rel[1]
    assert (first.trial_id, first.status, first.phases) == ("NCT05414123", "Terminated", [])
    assert first.title == ("A Therapy Treatment Response Trial in Patients With Leptomeningeal Metastases "
                           "((LM) Using CNSide")
    assert (second.trial_id, second.status, second.phases, second.title) == (
        "NCT06058988", "Recruiting", ["Phase 2"], "Trastuzumab Deruxtecan (T-DXd) for People With Brain Cancer")
    assert (rel[2].trial_id, rel[2].status, rel[2].phases) == ("NCT04178343", "Completed", ["N/A"])
    assert (rel[4].status, rel[4].phases) == ("Not yet recruiting", ["Phase 2"])
    assert (rel[-1].trial_id, rel[-1].status, rel[-1].phases) == ("NCT04356222", "Not yet recruiting", ["Phase 4"])
    assert rel[-1].title == "Efficacy and Safety of Durvalumab in Non-Small Cell Lung Cancer With Leptomeningeal Metastasis"
    assert sum(r.phases == [] for r in rel) == 3
    assert all(r.trial_id != "NCT05305885" for r in rel)


def test_seed_through_pipeline():
    store = TrialStore(in_memory=True)
    result = load_file(store, SEED)
    assert result.status == "loaded" and result.format == "summary", result.errors
    rows = _rows(store, """SELECT ?id ?phase ?status ?label WHERE { ?t tg:nctId ?id ; tg:phase ?phase ;
        tg:overallStatus ?status ; rdfs:label ?label }""")
    assert rows == [("NCT05305885", f"{TG}PhaseNotApplicable", f"{TG}Recruiting", "NCT05305885")]
    dates = list(store.query("SELECT ?s ?c WHERE { ?t tg:startDate ?s ; tg:completionDate ?c }"))
    assert len(dates) == 1
    start, end = dates[0]
    assert (start.value, start.datatype.value) == ("2022-08-19", XSD + "date")
    assert (end.value, end.datatype.value) == ("2024-07", XSD + "gYearMonth")
    assert len(_rows(store, "SELECT ?r WHERE { ?t tg:relatedTrial ?r }")) == 20
    assert _rows(store, "SELECT ?n WHERE { ?t tg:leadSponsor/rdfs:label ?n }") == [
        ("The First Hospital of Jilin University",)]
    assert not bool(store.query("ASK { ?t tg:hasArm ?a }"))


# --- hand-varied pages -----------------------------------------------------------------------------


def test_reordered_page(reordered):
    t = reordered
    assert t.nct_id == "NCT09990002"
    assert t.title == "Pembrolizumab Plus Chemoradiotherapy for Locally Advanced Cervical Cancer"
    assert t.official_title == ("A Randomized, Double-blind Phase 1/2 Trial of Pembrolizumab With "
                                "Cisplatin-based Chemoradiotherapy in Locally Advanced Cervical Cancer")
    assert t.overall_status == "Active, not recruiting"
    assert t.phases == ["Phase 1", "Phase 2"]
    assert t.enrollment == 64
    assert t.start_date.date == PartialDate(2021, 3)
    assert t.completion_date.date == PartialDate(2025, 12, 31)
    # "Contact Dermatitis" is a condition, not a contact: the block starts at "NCT number".
    assert t.conditions == ["Cervical Cancer", "Uterine Cervical Neoplasms", "Contact Dermatitis"]
    assert [p.name for p in t.contacts] == ["Jane Doe, MD"]
    d = t.design
    assert (d.allocation, d.intervention_model, d.masking, d.primary_purpose) == (
        "Randomized", "Parallel Assignment", "Double (Participant, Investigator)", "Treatment")
    assert [(o.kind, o.measure, o.time_frame) for o in t.outcomes] == [
        ("primary", "Progression-free survival", "2 years"),
        ("primary", "Number of participants with dose-limiting toxicities", "28 days"),
        ("secondary", "Overall survival", "5 years"),
    ]
    assert [(r.trial_id, r.status, r.phases, r.title) for r in t.related_trials] == [
        ("NCT09990003", "Withdrawn", ["Phase 1", "Phase 2"], "Nivolumab After Chemoradiotherapy in Cervical Cancer"),
        ("NCT09990004", "Enrolling by invitation", [], "Quality of Life After Pelvic Radiotherapy"),
        ("NCT09990005", "Active, not recruiting", ["Early Phase 1"], "Low-dose Aspirin During Chemoradiotherapy"),
        ("NCT09990006", "Unknown status", ["Phase 3"], "Brachytherapy Boost Schedules"),
    ]
    assert "jane.doe" not in repr(t) and "555" not in repr(t)


def test_reordered_page_through_pipeline():
    store = TrialStore(in_memory=True)
    result = load_file(store, REORDERED)
    assert result.status == "loaded", result.errors
    assert not result.warnings, result.warnings
    assert _rows(store, "SELECT ?p WHERE { ?t tg:phase ?p }") == [(f"{TG}Phase1",), (f"{TG}Phase2",)]
    assert _rows(store, "SELECT ?s WHERE { ?t tg:overallStatus ?s }") == [(f"{TG}ActiveNotRecruiting",)]
    assert _rows(store, "SELECT ?m WHERE { ?t tg:masking ?m }") == [(f"{TG}DoubleMasking",)]
    assert len(_rows(store, "SELECT ?c WHERE { ?t tg:studiesCondition ?c }")) == 3
    start = next(iter(store.query("SELECT ?s WHERE { ?t tg:startDate ?s }")))[0]
    assert start.datatype.value == XSD + "gYearMonth"


def test_page_without_nct_uses_official_title():
    t = summary.parse(NO_NCT.read_text(encoding="utf-8"))
    assert t.nct_id is None and t.title is None
    assert t.official_title == "Outcomes After Convulsive Status Epilepticus in Adults: a Prospective Registry"
    # "Status Epilepticus" is a condition: "Epilepticus" is no status word.
    assert t.conditions == ["Status Epilepticus", "Epilepsy"]
    assert (t.overall_status, t.study_type, t.phases) == ("Completed", "Observational", [])
    assert (t.enrollment, t.enrollment_type) == (412, "actual")
    assert t.start_date.date == PartialDate(2019) and t.completion_date.date == PartialDate(2020, 6, 30)
    assert t.lead_sponsor.name == "Example Neurology Institute"
    assert [(r.trial_id, r.phases) for r in t.related_trials] == [("NCT09990007", ["Phase 2"])]


def test_truncated_page_is_an_error():
    with pytest.raises(LoaderError, match="no NCT number and no title"):
        summary.parse(TRUNCATED.read_text(encoding="utf-8"))
    store = TrialStore(in_memory=True)
    result = load_file(store, TRUNCATED)
    assert result.status == "failed" and result.format == "summary"
    assert len(result.errors) == 1 and "truncated.txt" in result.errors[0]
    assert not bool(store.query("ASK { ?t a tg:Trial }"))


def test_label_values_are_checked_against_their_label():
    page = SEED.read_text(encoding="utf-8").replace(
        "Study type Interventional", "Study type Interventional (Clinical Trial)\nEnrollment 120 (Estimated)"
    ).replace("Phase N/A", "Phase Phase 2/Phase 3")
    t = summary.parse(page)
    assert t.study_type == "Interventional"
    assert (t.enrollment, t.enrollment_type) == (120, "estimated")
    assert t.phases == ["Phase 2", "Phase 3"]
    assert summary.key_value("Status Epilepticus") is None
    assert summary.key_value("Phase Phase 2/Phase 3")[1] == "Phase 2/Phase 3"
    assert summary.key_value("Start date someday") is None

"""The ClinicalTrials.Veeva page loader, on the seed page and on hand-varied pages of the site.

Expected values were read off the pages themselves (examples/veeva_esophageal-radiotherapy.txt
and tests/fixtures/veeva/), not copied from the loader's output.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg.pipeline import load_file
from kg.store import TrialStore
from kg.vocab import TG
from loaders import veeva
from loaders.base import LoaderError

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "veeva_esophageal-radiotherapy.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "veeva"
THREE_ARMS = FIXTURES / "phase12-three-arms.txt"
OBSERVATIONAL = FIXTURES / "observational-under18.txt"
TRUNCATED = FIXTURES / "truncated.txt"
REGIMEN = ("TP (Paclitaxel with cisplatin or carboplatin) or PF (Fluoropyrimidine with cisplatin or "
           "carboplatin) regimen depended on investigator's choice.")


@pytest.fixture(scope="module")
def seed():
    return veeva.parse(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def varied():
    return veeva.parse(THREE_ARMS.read_text(encoding="utf-8"))


# --- sniffing ------------------------------------------------------------------------------------


def test_sniffer_claims_the_seed_and_the_fixtures():
    for path in (SEED, THREE_ARMS, OBSERVATIONAL, TRUNCATED):
        assert veeva.sniff(loaders.head_of(path)), path.name
    assert loaders.detect(SEED).name == "veeva"


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "examples").iterdir() if p != SEED),
                         ids=lambda p: p.name)
def test_sniffer_rejects_the_other_seed_layouts(path: Path):
    assert not veeva.sniff(loaders.head_of(path))


@pytest.mark.parametrize("head", ['{"studies": []}', '<?xml version="1.0"?><clinical_study/>',
                                  '[{"protocolSection": {}}]', "Trial Title:\nSomething\nNCT ID:\nNCT01234567"])
def test_sniffer_rejects_json_xml_and_other_text(head: str):
    assert not veeva.sniff(head)


# --- the seed page --------------------------------------------------------------------------------


def test_seed_identity_and_status(seed):
    assert seed.nct_id is None  # the page shows no NCT number anywhere
    assert seed.title == ("Radiotherapy in Patients With Metastatic Esophageal Cancer Responding to "
                          "PD-1 Inhibitor Plus Chemotherapy")
    assert seed.overall_status == "Enrolling"
    assert seed.phases == ["Phase 2"]
    assert seed.study_type == "Interventional"
    assert seed.enrollment == 120 and seed.enrollment_type == "estimated"
    assert seed.conditions == ["Esophageal Neoplasm Metastatic", "Esophageal Cancer Stage IVb"]


def test_seed_sponsor_and_contacts(seed):
    assert seed.lead_sponsor is not None
    assert seed.lead_sponsor.name == "Chinese Academy of Medical Sciences & Peking Union Medical College"
    assert seed.lead_sponsor.agency_class == "Other"
    assert seed.collaborators == []
    assert [(p.name, p.role) for p in seed.contacts] == [("Wen-Yang Liu, MD", "Central contact")]
    assert seed.sites == []  # only a count ("1") and "Loading..." are on the page


def test_seed_text(seed):
    assert seed.brief_summary.startswith("The treatment efficacy for stage IVb esophageal cancer")
    assert seed.brief_summary.endswith("efficacy and toxicity.")
    assert seed.detailed_description.startswith("Esophageal cancer (EC) is one of the most common")
    assert "Full description" not in seed.brief_summary


def test_seed_interventions(seed):
    assert [(iv.type, iv.name) for iv in seed.interventions] == [
        ("Radiation", "Consolidation Radiation"),
        ("Biological", "PD-1 inhibitor"),
        ("Drug", REGIMEN),
        ("Radiation", "Salvage Radiation"),
    ]


def test_seed_arms(seed):
    assert [(a.label, a.type) for a in seed.arms] == [
        ("Consolidation radiotherapy", "Experimental group"),
        ("Salvage radiotherapy", "Experimental group"),
    ]
    consolidation, salvage = seed.arms
    assert consolidation.description.startswith("This treatment group will be receive radiotherapy")
    assert consolidation.description.endswith("PD-1 inhibitor completed.")
    assert consolidation.intervention_names == [REGIMEN, "PD-1 inhibitor", "Consolidation Radiation"]
    assert salvage.description.endswith("recommended by multidisciplinary team.")
    assert salvage.intervention_names == ["Salvage Radiation", REGIMEN, "PD-1 inhibitor"]
    by_name = {iv.name: iv for iv in seed.interventions}
    assert by_name["PD-1 inhibitor"].arm_labels == ["Consolidation radiotherapy", "Salvage radiotherapy"]
    assert by_name["Salvage Radiation"].arm_labels == ["Salvage radiotherapy"]


def test_seed_design(seed):
    d = seed.design
    assert (d.primary_purpose, d.allocation, d.intervention_model, d.masking) == (
        "Treatment", "Randomized", "Parallel Assignment", "None (Open label)")


def test_seed_eligibility_items_are_clean(seed):
    e = seed.eligibility
    assert (e.sex, e.minimum_age, e.maximum_age, e.healthy_volunteers) == ("All", Decimal(18), None, False)
    assert len(e.inclusion) == 8 and len(e.exclusion) == 6
    assert e.inclusion[0] == "≥18 years, any gender"
    assert e.inclusion[3].startswith("There was no significant abnormality")  # was "  • 4.There was"
    assert e.inclusion[-1] == ("With response to 2-4 cycles of the first-line chemotherapy combined with "
                               "immunotherapy.")
    assert e.exclusion[0].startswith("Patients with other cancer history except hypopharyngeal")
    assert e.exclusion[2].startswith("Active infection currently exists")  # was "    1. Active"
    assert e.exclusion[-1].startswith("There are factors such as high risk of fistula")
    for item in e.inclusion + e.exclusion:
        assert not item[0].isdigit() and item[0] not in "•-*.", item
    assert e.criteria_text.startswith("Inclusion criteria:\n≥18 years")


# --- the seed through the pipeline -------------------------------------------------------------


def _rows(store: TrialStore, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(term.value) for term in row) for row in store.query(query))


def test_seed_through_pipeline():
    store = TrialStore(in_memory=True)
    result = load_file(store, SEED)
    assert result.status == "loaded", result.errors
    assert (result.format, result.trials) == ("veeva", 1)
    q = """SELECT ?phase ?status ?type WHERE {
        ?t a tg:Trial ; tg:phase ?phase ; tg:overallStatus ?status ; tg:studyType ?type . }"""
    assert _rows(store, q) == [(f"{TG}Phase2", f"{TG}Recruiting", f"{TG}Interventional")]
    arms = _rows(store, """SELECT ?label ?iv WHERE { ?t tg:hasArm ?a . ?a rdfs:label ?label ;
        tg:armIntervention/rdfs:label ?iv . }""")
    assert len(arms) == 6
    assert ("Salvage radiotherapy", "Salvage Radiation") in arms
    assert ("Consolidation radiotherapy", "Consolidation Radiation") in arms
    assert ("Salvage radiotherapy", "Consolidation Radiation") not in arms
    age = _rows(store, "SELECT ?a ?e WHERE { ?t tg:minimumAge ?a ; tg:enrollment ?e }")
    assert age == [("18", "120")]
    assert not bool(store.query("ASK { ?t tg:nctId ?id }"))
    assert bool(store.query("ASK { ?t tg:title ?x ; tg:leadSponsor/rdfs:label "
                            "'Chinese Academy of Medical Sciences & Peking Union Medical College' }"))


# --- a hand-varied page of the same site ------------------------------------------------------------


def test_varied_identity(varied):
    assert varied.nct_id == "NCT09990001"
    assert varied.org_study_id == "EOG-GC-2024-07"
    assert varied.title.startswith("Nivolumab With or Without Ipilimumab Before Surgery")
    assert varied.overall_status == "Not yet enrolling"
    assert varied.phases == ["Phase 1", "Phase 2"]
    assert varied.enrollment == 90 and varied.enrollment_type is None
    assert varied.lead_sponsor.name == "Example Oncology Group"
    assert [c.name for c in varied.collaborators] == ["Bristol-Myers Squibb"]
    assert varied.lead_sponsor.agency_class == "Industry"  # the only funder type


def test_varied_arms_and_interventions(varied):
    assert [(a.label, a.type) for a in varied.arms] == [
        ("Nivolumab plus ipilimumab", "Experimental group"),
        ("Nivolumab alone", "Active Comparator group"),
        ("Placebo", "Placebo Comparator group"),
    ]
    assert varied.arms[0].intervention_names == ["Nivolumab", "Ipilimumab", "Gastrectomy"]
    assert varied.arms[1].description == "Two cycles of nivolumab, then gastrectomy.\nGiven every two weeks."
    assert varied.arms[2].description is None
    assert varied.arms[2].intervention_names == ["Placebo", "Gastrectomy"]
    assert [(iv.type, iv.name) for iv in varied.interventions] == [
        ("Drug", "Nivolumab"), ("Drug", "Ipilimumab"), ("Procedure", "Gastrectomy"), ("Drug", "Placebo")]


def test_varied_design_eligibility_outcomes(varied):
    d = varied.design
    assert (d.masking, d.allocation, d.primary_purpose, d.intervention_model) == (
        "Quadruple Blind", "Randomized", "Treatment", "Parallel Assignment")
    e = varied.eligibility
    assert (e.minimum_age, e.maximum_age, e.healthy_volunteers) == (Decimal(18), Decimal(75), True)
    assert e.inclusion == ["Histologically confirmed adenocarcinoma of the stomach",
                           "Resectable disease (cT2-4a, any N, M0)", "ECOG performance status 0 or 1",
                           "Adequate organ function"]
    assert e.exclusion == ["Prior systemic therapy for gastric cancer",
                           "Active autoimmune disease requiring systemic treatment in the past 2 years",
                           "Known HER2-positive disease"]
    assert [(o.kind, o.measure, o.time_frame) for o in varied.outcomes] == [
        ("primary", "Pathological complete response rate", "At surgery, about 8 weeks after randomisation"),
        ("secondary", "Event-free survival", "3 years"),
        ("secondary", "Incidence of grade 3 or higher adverse events", "12 weeks"),
    ]
    assert varied.outcomes[1].description == "Time from randomisation to progression, recurrence or death."


def test_varied_sites_and_contacts_keep_no_phone_or_email(varied):
    assert [(s.facility, s.city, s.state, s.zip, s.country, s.status) for s in varied.sites] == [
        ("Example University Hospital", "Lyon", "Auvergne-Rhone-Alpes", "69003", "France", "Not yet enrolling"),
        ("Hospital del Ejemplo", "Madrid", None, None, "Spain", "Enrolling"),
        ("Example Cancer Center", "Boston", "Massachusetts", "02115", "United States", "Enrolling"),
    ]
    assert [p.name for p in varied.contacts] == ["Anna Example, PhD", "Ben Example"]
    dump = repr(varied)
    assert "@" not in dump and "555" not in dump and "+33" not in dump


def test_varied_through_pipeline():
    store = TrialStore(in_memory=True)
    result = load_file(store, THREE_ARMS)
    assert result.status == "loaded", result.errors
    tg = TG
    assert _rows(store, "SELECT ?p WHERE { ?t tg:phase ?p }") == [(f"{tg}Phase1",), (f"{tg}Phase2",)]
    assert _rows(store, "SELECT ?s WHERE { ?t tg:overallStatus ?s }") == [(f"{tg}NotYetRecruiting",)]
    assert _rows(store, "SELECT ?id WHERE { ?t tg:nctId ?id }") == [("NCT09990001",)]
    assert _rows(store, "SELECT ?city ?country WHERE { ?t tg:hasSite ?s . ?s tg:city ?city ; tg:country ?country }") == [
        ("Boston", "United States"), ("Lyon", "France"), ("Madrid", "Spain")]
    arms = _rows(store, "SELECT ?a (COUNT(?iv) AS ?n) WHERE { ?t tg:hasArm ?arm . ?arm rdfs:label ?a ; "
                        "tg:armIntervention ?iv } GROUP BY ?a")
    assert arms == [("Nivolumab alone", "2"), ("Nivolumab plus ipilimumab", "3"), ("Placebo", "2")]
    assert not result.warnings, result.warnings  # every source word is known to kg.codes


def test_observational_page_under_18():
    t = veeva.parse(OBSERVATIONAL.read_text(encoding="utf-8"))
    assert t.nct_id is None and t.org_study_id == "ECH-2019-044"
    assert (t.overall_status, t.phases, t.study_type) == ("Completed", [], "Observational")
    assert (t.design.observational_model, t.design.time_perspective) == ("Cohort", "Prospective")
    assert (t.enrollment, t.enrollment_type) == (250, "actual")
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (None, Decimal(18))
    assert t.eligibility.inclusion == ["Children who underwent fetal repair at the centre"]
    assert [(a.label, a.type, a.description) for a in t.arms] == [
        ("Fetal repair cohort", None, "Children who had prenatal repair of myelomeningocele.")]


# --- small readers and bad input -----------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("18+ years old", (Decimal(18), None)),
    ("18 to 75 years old", (Decimal(18), Decimal(75))),
    ("Under 18", (None, Decimal(18))),
    ("6 months to 17 years old", (Decimal("0.5"), Decimal(17))),
    ("65+ years old", (Decimal(65), None)),
    ("", (None, None)),
])
def test_age_range(text: str, expected: tuple):
    assert veeva.age_range(text) == expected


@pytest.mark.parametrize("line, expected", [
    ("    1. ≥18 years, any gender", "≥18 years, any gender"),
    ("  • 4.There was no abnormality;", "There was no abnormality;"),
    ("• 2.5 mg/kg dose allowed", "2.5 mg/kg dose allowed"),
    ("  - 3) Known HER2-positive disease", "Known HER2-positive disease"),
])
def test_strip_marker(line: str, expected: str):
    assert veeva.strip_marker(line) == expected


def test_page_without_title_or_id_is_an_error():
    with pytest.raises(LoaderError, match="no trial title"):
        veeva.parse(TRUNCATED.read_text(encoding="utf-8"))
    with pytest.raises(LoaderError, match="none of its sections"):
        veeva.parse("ClinicalTrials.Veeva\n\nMenu\n\nRadiotherapy in Pat")


def test_truncated_page_fails_in_pipeline_naming_the_file():
    store = TrialStore(in_memory=True)
    result = load_file(store, TRUNCATED)
    assert result.status == "failed" and result.format == "veeva"
    assert len(result.errors) == 1 and "truncated.txt" in result.errors[0]
    assert "no trial title" in result.errors[0]
    assert not bool(store.query("ASK { ?t a tg:Trial }"))


def test_nct_id_is_taken_from_identifiers_but_not_from_prose():
    text = SEED.read_text(encoding="utf-8")
    labelled = text.replace("Identifiers\n\n", "Identifiers\n\nNCT ID: NCT09990009\nCAMS-ESO-07\n\n", 1)
    t = veeva.parse(labelled)
    assert (t.nct_id, t.org_study_id) == ("NCT09990009", "CAMS-ESO-07")
    cited = text.replace("Full description\n\n", "Full description\n\nUnlike NCT09990008, this trial ...\n\n", 1)
    assert veeva.parse(cited).nct_id is None  # an id in the description names another trial


def test_criteria_heading_inside_a_section_moves_the_items():
    text = SEED.read_text(encoding="utf-8").replace(
        "  • 8.With response", "Key Exclusion Criteria:\n  • 8.With response", 1)
    e = veeva.parse(text).eligibility
    assert len(e.inclusion) == 7 and len(e.exclusion) == 7
    # page order: the moved item is printed before the "Exclusion criteria" section
    assert e.exclusion[0] == "With response to 2-4 cycles of the first-line chemotherapy combined with immunotherapy."
    assert e.exclusion[1].startswith("Patients with other cancer history")
    assert e.inclusion[-1] == "Informed consent provided;"

"""The MedPath page loader, checked against what the pages show.

Expected values were read off the pages themselves: the seed (examples/medpath_NCT05522582.txt)
and a hand-written page of the same layout with sections reordered, three arms, a second status
and phase spelling and three sites (tests/fixtures/medpath/).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg.pipeline import load_file
from kg.record import Trial
from kg.store import TrialStore
from loaders import medpath
from loaders.base import LoaderError, read_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "medpath_NCT05522582.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "medpath"
VARIED = FIXTURES / "medpath_NCT09990001_varied.txt"
MALFORMED = FIXTURES / "medpath_malformed_no_title.txt"

ARM = "methotrexate+anti-PD-1 antibody+radiotherapy"
ARM_DESC = ("Tablets with 5mg methotrexate are taken orally twice a week during radiotherapy. "
            "With anti-PD-1 monoclonal antibody, 200mg, Q3W.")


@pytest.fixture(scope="module")
def seed() -> Trial:
    return medpath.parse(read_text(SEED))


@pytest.fixture(scope="module")
def varied() -> Trial:
    return medpath.parse(read_text(VARIED))


def _rows(store: TrialStore, sparql: str) -> list[tuple[str, ...]]:
    return [tuple(term.value for term in sol) for sol in store.query(sparql)]


# --- sniffing ---------------------------------------------------------------------------------------


def test_sniff_claims_medpath_pages() -> None:
    assert medpath.sniff(loaders.head_of(SEED))
    assert medpath.sniff(loaders.head_of(VARIED))
    assert loaders.detect(SEED).name == "medpath"
    assert loaders.detect(VARIED).name == "medpath"


@pytest.mark.parametrize("other", sorted(p.name for p in EXAMPLES.iterdir() if p != SEED))
def test_sniff_rejects_other_seed_layouts(other: str) -> None:
    assert not medpath.sniff(loaders.head_of(EXAMPLES / other))


def test_sniff_rejects_json_xml_and_brand_mentions() -> None:
    assert not medpath.sniff('{"studies": [{"protocolSection": {}}]}')
    assert not medpath.sniff("<?xml version='1.0'?>\n<clinical_study>\n</clinical_study>")
    # Naming the site is not enough: the page's section headings must be there too.
    assert not medpath.sniff("MedPath\n\nSome news article about MedPath\n")


@pytest.mark.corpus
def test_sniff_claims_no_corpus_file(corpus_dir: Path) -> None:
    claimed = [p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix != ".zip"
               and medpath.sniff(loaders.head_of(p))]
    assert claimed == []


# --- the seed ---------------------------------------------------------------------------------------


def test_seed_identity_and_status(seed: Trial) -> None:
    assert seed.nct_id == "NCT05522582"
    assert seed.title == "Methotrexate Combined With Immunotherapy During Radiotherapy for Solid Tumors"
    assert seed.phases == ["Phase 2"]
    assert seed.overall_status == "ACTIVE_NOT_RECRUITING"  # the labelled status; header says the same
    assert seed.study_type == "INTERVENTIONAL"
    assert seed.design.intervention_model == "SINGLE_GROUP"
    assert seed.enrollment == 50
    assert seed.conditions == ["Solid Tumors"]
    assert seed.lead_sponsor is not None and seed.lead_sponsor.name == "Yancheng First People's Hospital"
    assert seed.start_date is None and seed.completion_date is None  # the page shows no dates


def test_seed_summaries(seed: Trial) -> None:
    assert seed.brief_summary is not None
    assert seed.brief_summary.startswith("Immune checkpoint inhibitors, such as programmed death 1")
    assert seed.detailed_description is not None
    assert seed.detailed_description.startswith("Malignant tumor is a systemic and complex disease")
    assert seed.detailed_description.endswith("unresectable/recurrence solid tumors.")


def test_seed_arm_table_is_split(seed: Trial) -> None:
    assert len(seed.arms) == 1
    arm = seed.arms[0]
    assert arm.label == ARM
    assert arm.description == ARM_DESC
    assert arm.intervention_names == ["Methotrexate tablets", "Anti-PD-1 monoclonal antibody",
                                      "Radiotherapy"]


def test_seed_interventions(seed: Trial) -> None:
    by_name = {iv.name: iv for iv in seed.interventions}
    assert set(by_name) == {"Anti-PD-1 monoclonal antibody", "Radiotherapy", "Methotrexate tablets"}
    assert by_name["Anti-PD-1 monoclonal antibody"].type == "Drug"
    assert by_name["Radiotherapy"].type == "Radiation"
    assert by_name["Methotrexate tablets"].type is None  # named only in the arm table
    assert all(iv.arm_labels == [ARM] for iv in seed.interventions)


def test_seed_eligibility(seed: Trial) -> None:
    e = seed.eligibility
    assert e.sex == "All"
    assert len(e.inclusion) == 6 and len(e.exclusion) == 4
    assert e.inclusion[0] == "Subjects have unresectable/ metastatic solid tumors;"
    assert e.inclusion[1] == "≥ 18 years old;"
    assert e.inclusion[-1] == "Adequate organ function."
    assert e.exclusion[0] == "Subjects with a history of autoimmune diseases or syndromes;"
    assert e.exclusion[-1].endswith("that require combined treatment.")
    assert e.minimum_age == Decimal(18)  # stated only in the criteria
    assert e.maximum_age is None


def test_seed_outcomes(seed: Trial) -> None:
    got = [(o.kind, o.measure, o.time_frame) for o in seed.outcomes]
    assert got == [
        ("primary", "Objective Response Rate (ORR) per Response Evaluation Criteria in Solid Tumors "
                    "(RECIST) Version 1.1", "Up to 3 months"),
        ("primary", "Treatment-related adverse events (AEs)", "Up to 6 months"),
        ("secondary", "Numbers of CD3+, CD4+ and CD8+T lymphocyte subsets in peripheral blood "
                      "detected by flow cytometry", "Approximately 2 months"),
        ("secondary", "Levels of IL-6, TNF-α and IFN-γ in peripheral blood detected by flow cytometry",
         "Approximately 2 months"),
        ("secondary", "Progression-free Survival (PFS) per RECIST 1.1", "Up to 12 months"),
        ("secondary", "Overall Survival (OS)", "Up to 36 months"),
    ]
    assert seed.outcomes[1].description == ("Incidence, nature, and severity of adverse events graded "
                                            "according to the NCI CTCAE v5.0")
    assert seed.outcomes[-1].description is not None
    assert seed.outcomes[-1].description.startswith("OS is defined as the time from enrollment")


def test_seed_site_listed_twice_is_one_site(seed: Trial) -> None:
    assert len(seed.sites) == 1
    site = seed.sites[0]
    assert (site.facility, site.city, site.state, site.country) == (
        "Yancheng First People's Hospital", "Yancheng", "Jiangsu", "China")


def test_seed_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    result = load_file(store, SEED)
    assert result.status == "loaded", result.errors
    assert result.format == "medpath"
    t = "<https://w3id.org/trialgraph/trial/NCT05522582>"
    assert store.query(f"ASK {{ {t} tg:phase tg:Phase2 ; tg:overallStatus tg:ActiveNotRecruiting ;"
                       f" tg:studyType tg:Interventional ; tg:nctId 'NCT05522582' }}")
    assert _rows(store, f"SELECT ?n WHERE {{ {t} tg:enrollment ?n }}") == [("50",)]
    assert _rows(store, f"SELECT ?a WHERE {{ {t} tg:minimumAge ?a }}") == [("18",)]
    arms = _rows(store, f"""SELECT ?arm ?iv WHERE {{ {t} tg:hasArm ?a . ?a rdfs:label ?arm ;
                 tg:armIntervention ?i . ?i rdfs:label ?iv }} ORDER BY ?iv""")
    assert arms == [(ARM, "Anti-PD-1 monoclonal antibody"), (ARM, "Methotrexate tablets"),
                    (ARM, "Radiotherapy")]
    sites = _rows(store, f"""SELECT ?f ?city ?c WHERE {{ {t} tg:hasSite ?s . ?s rdfs:label ?f ;
                  tg:city ?city ; tg:country ?c }}""")
    assert sites == [("Yancheng First People's Hospital", "Yancheng", "China")]
    assert not store.query(f"ASK {{ {t} tg:startDate ?d }}")


# --- a second page of the layout ---------------------------------------------------------------------


def test_varied_header_and_reordered_sections(varied: Trial) -> None:
    assert varied.nct_id == "NCT09990001"
    assert varied.title == ("Pembrolizumab Plus Carboplatin Versus Carboplatin and Paclitaxel in "
                            "Recurrent Ovarian Cancer")
    assert varied.phases == ["Phase 1/2"]
    assert varied.overall_status == "RECRUITING"
    assert varied.conditions == ["Ovarian Cancer", "Fallopian Tube Carcinoma"]
    assert varied.lead_sponsor is not None and varied.lead_sponsor.name == "Example University Hospital"
    assert varied.detailed_description is None  # the page has no such section
    d = varied.design
    assert (d.allocation, d.intervention_model, d.masking, d.primary_purpose) == (
        "RANDOMIZED", "PARALLEL", "NONE", "TREATMENT")
    assert varied.enrollment == 120


def test_varied_arms(varied: Trial) -> None:
    got = [(a.label, a.intervention_names, a.description) for a in varied.arms]
    assert got == [
        ("Pembrolizumab + chemotherapy", ["Pembrolizumab", "Carboplatin"],
         "Pembrolizumab 200 mg intravenously every 3 weeks plus carboplatin AUC 5 on day 1 of each "
         "21-day cycle."),
        ("Chemotherapy alone", ["Carboplatin", "Paclitaxel injection"],
         "Carboplatin AUC 5 and paclitaxel 175 mg/m2 on day 1 of each 21-day cycle."),
        ("SBRT cohort", ["Stereotactic body radiotherapy"], "8 Gy in 3 fractions to the dominant lesion."),
    ]
    types = {iv.name: iv.type for iv in varied.interventions}
    assert types == {"Pembrolizumab": "Drug", "Carboplatin": "Drug",
                     "Stereotactic body radiotherapy": "Radiation", "Paclitaxel injection": None}


def test_varied_outcomes(varied: Trial) -> None:
    got = [(o.kind, o.measure, o.time_frame, o.description) for o in varied.outcomes]
    assert got == [
        ("primary", "Progression-free Survival (PFS)",
         "From randomization to disease progression, up to 24 months",
         "PFS is the time from randomization to the first documented progression or death."),
        ("primary", "Dose-limiting toxicities (DLTs)", "Day 1 to Day 21 of cycle 1", None),
        ("secondary", "Objective Response Rate (ORR) per RECIST v1.1", "Every 6 weeks until progression",
         "Proportion of participants with a complete or partial response."),
        ("secondary", "Quality of life (EORTC QLQ-C30)", "Baseline, week 12", None),
    ]


def test_varied_eligibility_and_sites(varied: Trial) -> None:
    e = varied.eligibility
    assert e.sex == "Female"
    assert len(e.inclusion) == 3 and len(e.exclusion) == 2
    assert e.inclusion[0] == "Women aged 18 to 75 years;"
    assert e.exclusion[-1] == "Active autoimmune disease."
    assert (e.minimum_age, e.maximum_age) == (Decimal(18), Decimal(75))
    got = [(s.facility, s.city, s.state, s.country) for s in varied.sites]
    assert got == [
        ("Example University Hospital", "Shanghai", "Shanghai", "China"),
        ("Second Example Hospital", "Hangzhou", "Zhejiang", "China"),
        ("Klinikum Beispielstadt", "Berlin", None, "Germany"),
    ]


def test_varied_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    result = load_file(store, VARIED)
    assert result.status == "loaded", result.errors
    t = "<https://w3id.org/trialgraph/trial/NCT09990001>"
    phases = _rows(store, f"SELECT ?p WHERE {{ {t} tg:phase ?p }} ORDER BY ?p")
    assert phases == [("https://w3id.org/trialgraph/ontology#Phase1",),
                      ("https://w3id.org/trialgraph/ontology#Phase2",)]
    assert store.query(f"ASK {{ {t} tg:overallStatus tg:Recruiting }}")
    arms = _rows(store, f"""SELECT ?arm (COUNT(?i) AS ?n) WHERE {{ {t} tg:hasArm ?a .
                 ?a rdfs:label ?arm ; tg:armIntervention ?i }} GROUP BY ?arm ORDER BY ?arm""")
    assert arms == [("Chemotherapy alone", "2"), ("Pembrolizumab + chemotherapy", "2"),
                    ("SBRT cohort", "1")]
    countries = _rows(store, f"SELECT ?c (COUNT(?s) AS ?n) WHERE {{ {t} tg:hasSite ?s . ?s tg:country ?c }}"
                             " GROUP BY ?c ORDER BY ?c")
    assert countries == [("China", "2"), ("Germany", "1")]


# --- splitting glued cells in general ---------------------------------------------------------------


def test_arm_rows_split_by_repeated_label_when_no_name_is_listed() -> None:
    rows = ["Arm ARadiotherapyGiven daily", "Arm ARadiation boostGiven daily",
            "Placebo armPlacebo tabletMatching placebo tablet once daily",
            "Cohort 1Drug X 10 mg", "Cohort 1Drug Y 10 mg"]
    assert medpath._split_arm_rows(rows, []) == [
        ("Arm A", "Radiotherapy", "Given daily"),
        ("Arm A", "Radiation boost", "Given daily"),
        ("Placebo arm", "Placebo tablet", "Matching placebo tablet once daily"),
        ("Cohort 1", "Drug X 10 mg", ""),
        ("Cohort 1", "Drug Y 10 mg", ""),
    ]


@pytest.mark.parametrize("line,measure,frame", [
    ("Overall Survival (OS)Up to 36 months", "Overall Survival (OS)", "Up to 36 months"),
    ("Overall survival2 years", "Overall survival", "2 years"),
    ("ORR per RECIST v1.1Every 6 weeks", "ORR per RECIST v1.1", "Every 6 weeks"),
    ("Incidence of AEs graded by CTCAE v5.0", "Incidence of AEs graded by CTCAE v5.0", None),
])
def test_time_frame_split(line: str, measure: str, frame: str | None) -> None:
    cut = medpath._time_split(line)
    assert (line[:cut], line[cut:]) == (measure, frame) if frame else cut is None


# --- bad input --------------------------------------------------------------------------------------


def test_page_without_title_or_id_is_an_error() -> None:
    with pytest.raises(LoaderError, match="no title and no registration number"):
        medpath.parse(read_text(MALFORMED))


def test_malformed_page_fails_in_pipeline_naming_the_file() -> None:
    assert loaders.detect(MALFORMED).name == "medpath"
    store = TrialStore(in_memory=True)
    result = load_file(store, MALFORMED)
    assert result.status == "failed"
    assert result.errors and MALFORMED.name in result.errors[0]
    assert "no title and no registration number" in result.errors[0]
    assert len(store.ox) == 0


def test_enrollment_that_is_no_number_is_an_error() -> None:
    text = read_text(SEED).replace("Target Recruitment\n50", "Target Recruitment\nfifty")
    with pytest.raises(LoaderError, match="enrollment 'fifty' is not a number"):
        medpath.parse(text)


def test_page_saved_without_brand_line_is_still_read() -> None:
    text = read_text(SEED).replace("MedPath\n", "", 1)
    assert medpath.sniff(text)
    trial = medpath.parse(text)
    assert trial.title == "Methotrexate Combined With Immunotherapy During Radiotherapy for Solid Tumors"
    assert trial.nct_id == "NCT05522582"


def test_registration_placeholder_is_no_id() -> None:
    text = read_text(SEED).replace("Registration Number\nNCT05522582", "Registration Number\nN/A")
    trial = medpath.parse(text)  # the title still identifies the page
    assert trial.nct_id is None and trial.registry_id is None
    text = read_text(SEED).replace("Registration Number\nNCT05522582",
                                   "Registration Number\nChiCTR2300071234")
    assert medpath.parse(text).registry_id == "ChiCTR2300071234"


@pytest.mark.parametrize("value,expected", [
    ("18 Years and older", (Decimal(18), None)),
    ("18 - 65 Years", (Decimal(18), Decimal(65))),
    ("6 Months to 17 Years", (Decimal("0.5"), Decimal(17))),
    ("65 Years and older", (Decimal(65), None)),  # the stated field wins over the criteria's 18
])
def test_age_section_values(value: str, expected: tuple[Decimal | None, Decimal | None]) -> None:
    text = read_text(SEED).replace("Target Recruitment\n", f"Age\n{value}\nTarget Recruitment\n")
    e = medpath.parse(text).eligibility
    assert (e.minimum_age, e.maximum_age) == expected
